"""Issue 8 item 3: nobody can lock a client out by spending its rate-limit bucket from their own address.

The client_id a request names is not authenticated when the limit is checked (and a public client never
is), so the per-client bucket is keyed by (client_id, address); the per-address bucket is unchanged.
"""
from __future__ import annotations

import base64
import http.client
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from . import flow

ATTACKER = "203.0.113.66"  # the victim is the test client's default 127.0.0.1
LIMIT = "3/hour"  # an hour, so no window rolls over between the flood and the victim's call


def _basic(client_id: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:guess".encode()).decode()}


# Bogus calls that name the victim's client_id: in the form, the query and the Basic header.
FLOODS: dict[str, Callable[[Any, str, int], Any]] = {
    "authorize": lambda c, cid, i: c.get(f"/oauth/authorize?client_id={cid}&response_type=code&state={i}",
                                         environ_base={"REMOTE_ADDR": ATTACKER}),
    "token": lambda c, cid, i: c.post("/oauth/token", data={"grant_type": "authorization_code", "code": f"bogus-{i}",
                                                            "client_id": cid, "code_verifier": "x" * 43},
                                      environ_base={"REMOTE_ADDR": ATTACKER}),
    "token_basic": lambda c, cid, i: c.post("/oauth/token", data={"grant_type": "refresh_token",
                                                                  "refresh_token": f"rtk_bogus-{i}"},
                                            headers=_basic(cid), environ_base={"REMOTE_ADDR": ATTACKER}),
    "revoke": lambda c, cid, i: c.post("/oauth/revoke", data={"token": f"atk_bogus-{i}", "client_id": cid},
                                       environ_base={"REMOTE_ADDR": ATTACKER}),
}


@pytest.mark.parametrize("endpoint", sorted(FLOODS))
def test_bogus_calls_naming_a_client_do_not_lock_it_out_from_another_address(make_oauth_app, endpoint):
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, RATE_LIMIT_AUTHORIZE=LIMIT, RATE_LIMIT_TOKEN=LIMIT,
                         RATE_LIMIT_REVOKE=LIMIT)
    victim = app.test_client()
    reg = flow.register(victim)
    attacker = app.test_client()
    statuses = [FLOODS[endpoint](attacker, reg["client_id"], i).status_code for i in range(4)]
    assert 429 not in statuses[:3] and statuses[3] == 429, statuses  # the per-address limit still holds

    # The victim, from its own address, goes through the whole flow: authorize, consent, token, revoke.
    issued = flow.get_code(victim, reg["client_id"])
    tokens = flow.exchange(victim, issued)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    revoked = victim.post("/oauth/revoke", data={"token": tokens.get_json()["refresh_token"],
                                                 "client_id": reg["client_id"]})
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    assert flow.mcp_initialize(victim, tokens.get_json()["access_token"]).status_code == 401  # really revoked


def test_one_client_id_from_many_addresses_is_limited_per_address_only(make_oauth_app):
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, RATE_LIMIT_TOKEN=LIMIT)
    client = app.test_client()
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "c_shared"}
    for i in range(6):  # a shared client (every ChatGPT user) from six addresses, twice each
        for _ in range(2):
            resp = client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
            assert resp.status_code != 429, (i, resp.get_data(as_text=True))
    assert client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": "10.0.0.0"}).status_code != 429
    limited = client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": "10.0.0.0"})
    assert limited.status_code == 429 and limited.get_json()["error"] == "slow_down"


# ---------------------------------------------------------------- end to end: gunicorn + gevent, two source addresses


def _from_other_address(srv: Any, method: str, path: str, form: dict[str, str] | None = None,
                        headers: dict[str, str] | None = None) -> int:
    """A request whose TCP connection comes from 127.0.0.2 (Linux routes all of 127/8 to lo)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10, source_address=("127.0.0.2", 0))
    try:
        body = urlencode(form) if form is not None else None
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})} if body else dict(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


@pytest.mark.integration
def test_live_flood_from_127_0_0_2_leaves_the_victims_exchange_from_127_0_0_1_working(server_factory):
    srv = server_factory(AUTH_DISABLED="false", RATE_LIMIT_AUTHORIZE=LIMIT, RATE_LIMIT_TOKEN=LIMIT,
                         RATE_LIMIT_REVOKE=LIMIT)
    base = srv.url
    browser = requests.Session()  # the victim: plain connections, source 127.0.0.1
    reg = browser.post(f"{base}/oauth/register", json={"redirect_uris": [flow.REDIRECT], "client_name": "victim",
                                                        "token_endpoint_auth_method": "none"}, timeout=10)
    assert reg.status_code == 201, reg.text
    cid = reg.json()["client_id"]

    floods = {
        "token": lambda i: _from_other_address(srv, "POST", "/oauth/token", {
            "grant_type": "authorization_code", "code": f"bogus-{i}", "client_id": cid, "code_verifier": "x" * 43}),
        "token_basic": lambda i: _from_other_address(srv, "POST", "/oauth/token", {
            "grant_type": "refresh_token", "refresh_token": f"rtk_bogus-{i}"}, _basic(cid)),
        "authorize": lambda i: _from_other_address(srv, "GET", f"/oauth/authorize?client_id={cid}&state={i}"),
        "revoke": lambda i: _from_other_address(srv, "POST", "/oauth/revoke", {"token": f"t{i}", "client_id": cid}),
    }
    seen = {name: [call(i) for i in range(4)] for name, call in floods.items()}
    assert seen["authorize"][3] == 429 and seen["revoke"][3] == 429, seen  # per-address limits hold
    assert seen["token"][3] == 429 and set(seen["token_basic"]) == {429}, seen  # one bucket for 127.0.0.2

    verifier, challenge = flow.pkce_pair()
    params = flow.authorize_params(cid, challenge, scope="attio:read offline_access", resource=f"{base}/mcp")
    page = browser.get(base + flow.authorize_url(params), timeout=10)
    assert page.status_code == 200, page.text[:300]
    answer = browser.post(f"{base}/oauth/authorize", data={**flow.hidden_fields(page.text), "decision": "allow"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:300]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    exchanged = browser.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": cid, "redirect_uri": flow.REDIRECT,
        "code_verifier": verifier, "resource": f"{base}/mcp"}, timeout=10)
    assert exchanged.status_code == 200, exchanged.text
    revoked = browser.post(f"{base}/oauth/revoke", data={"token": exchanged.json()["refresh_token"],
                                                          "client_id": cid}, timeout=10)
    assert revoked.status_code == 200, revoked.text
