"""Attio's OAuth on the demo server: authorize, token, introspect, revoke and the admin switches."""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask.testing import FlaskClient

from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET, DEMO_TOKEN, start_demo_attio
from attio_demo import oauth as oauth_module

from .conftest import WS1, WS2, Api, rid

CB = "http://127.0.0.1:8123/oauth/attio/callback"
CB_LOCALHOST = "http://localhost:65535/oauth/attio/callback"
SEARCH_ALL = {"query": "energy", "objects": ["companies", "people", "deals"],
              "request_as": {"type": "workspace"}}
MAYA, NADIA = "maya.chen@demo-sales.example", "nadia.novak@northwind.example"


def authorize_query(**over: str | None) -> str:
    """An /authorize URL for the demo app (a None value drops the parameter)."""
    params = {"client_id": DEMO_OAUTH_CLIENT_ID, "response_type": "code", "redirect_uri": CB, "state": "st-1",
              **over}
    return "/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def location(r: Any) -> tuple[str, dict[str, str]]:
    """The redirect target (without query) and its single-valued query parameters."""
    assert r.status_code == 302, r.get_data(as_text=True)
    parts = urlsplit(r.headers["Location"])
    return (f"{parts.scheme}://{parts.netloc}{parts.path}",
            {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()})


def auto_code(client: FlaskClient, slug: str = "demo-sales", redirect_uri: str = CB) -> str:
    """A fresh code through `demo_auto_approve`."""
    target, q = location(client.get(authorize_query(demo_auto_approve=slug, redirect_uri=redirect_uri)))
    assert target == redirect_uri.split("?")[0] and q["state"] == "st-1"
    return q["code"]


def exchange(client: FlaskClient, code: str, headers: dict[str, str] | None = None, **over: str | None) -> Any:
    """POST /oauth/token with form credentials (a None value drops the field)."""
    form = {"client_id": DEMO_OAUTH_CLIENT_ID, "client_secret": DEMO_OAUTH_CLIENT_SECRET,
            "grant_type": "authorization_code", "code": code, "redirect_uri": CB, **over}
    return client.post("/oauth/token", data={k: v for k, v in form.items() if v is not None}, headers=headers)


def mint(client: FlaskClient, slug: str = "demo-sales") -> str:
    """An OAuth access token for a workspace."""
    r = exchange(client, auto_code(client, slug))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["access_token"]


def oauth_error(r: Any, status: int, error: str) -> str:
    """Assert an RFC 6749 error response; returns its description."""
    body = r.get_json()
    assert r.status_code == status and set(body) == {"error", "error_description"} and body["error"] == error
    return body["error_description"]


def member_id(api: Api, email: str) -> str:
    """A seeded member's id, read with the API helper's token."""
    return next(m["id"]["workspace_member_id"] for m in api.data("GET", "/v2/workspace_members")
                if m["email_address"] == email)


def test_auto_approve_code_flow_mints_a_bearer_token_with_full_scopes(client: FlaskClient) -> None:
    r = exchange(client, auto_code(client))
    body = r.get_json()
    assert r.status_code == 200 and set(body) == {"access_token", "token_type"}  # no expires_in/refresh_token
    assert body["token_type"] == "Bearer" and len(body["access_token"]) == 64
    assert r.headers["Cache-Control"] == "no-store"
    api = Api(client, body["access_token"])
    me = api.call("GET", "/v2/self").get_json()
    assert me["active"] is True and me["client_id"] == me["aud"] == DEMO_OAUTH_CLIENT_ID == "demo-oauth-client"
    assert me["workspace_id"] == me["sub"] == WS1 and me["workspace_slug"] == "demo-sales"
    assert me["workspace_name"] == "Demo Sales Co" and me["exp"] is None and me["iss"] == "attio.com"
    assert me["authorized_by_workspace_member_id"] == member_id(api, MAYA)
    assert {"record_permission:read-write", "note:read-write", "task:read-write",
            "user_management:read"} <= set(me["scope"].split())
    assert len(api.query("people")) == 20
    created = api.data("POST", "/v2/objects/companies/records", {"data": {"values": {"name": "OAuth Co"}}})
    assert Api(client).data("GET", f"/v2/objects/companies/records/{created['id']['record_id']}")[
        "values"]["name"][0]["value"] == "OAuth Co"


def test_consent_page_then_approve_for_northwind(client: FlaskClient) -> None:
    r = client.get(authorize_query(scope="ignored:read", state="<b>s&1</b>"))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html" and "Location" not in r.headers
    assert "Demo Attio — authorize Attio Connector (demo)?" in page
    assert "Demo Sales Co" in page and "Northwind Traders" in page
    assert 'action="/authorize"' in page and 'value="approve"' in page and 'value="deny"' in page
    assert 'name="state" value="&lt;b&gt;s&amp;1&lt;/b&gt;"' in page and "<b>s&1</b>" not in page
    form = {"client_id": DEMO_OAUTH_CLIENT_ID, "redirect_uri": CB_LOCALHOST, "response_type": "code",
            "state": "st-2", "workspace": "northwind", "decision": "approve"}
    target, q = location(client.post("/authorize", data=form))
    assert target == CB_LOCALHOST and q["state"] == "st-2" and set(q) == {"code", "state"}
    token = exchange(client, q["code"], redirect_uri=CB_LOCALHOST).get_json()["access_token"]
    api = Api(client, token)
    me = api.call("GET", "/v2/self").get_json()
    assert me["workspace_id"] == WS2 and me["workspace_name"] == "Northwind Traders"
    assert me["authorized_by_workspace_member_id"] == member_id(api, NADIA)


def test_deny_redirects_with_access_denied(client: FlaskClient) -> None:
    form = {"client_id": DEMO_OAUTH_CLIENT_ID, "redirect_uri": CB, "response_type": "code", "state": "st-3",
            "workspace": "demo-sales", "decision": "deny"}
    assert location(client.post("/authorize", data=form)) == (CB, {"error": "access_denied", "state": "st-3"})
    assert location(client.get(authorize_query(demo_auto_deny="1"))) == (
        CB, {"error": "access_denied", "state": "st-1"})
    _, q = location(client.get(authorize_query(response_type="token")))
    assert q["error"] == "unsupported_response_type" and "code" not in q


@pytest.mark.parametrize("over, title", [
    ({"client_id": "someone-else"}, "Unknown client"),
    ({"client_id": None}, "Unknown client"),
    ({"redirect_uri": None}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://127.0.0.1:8123/oauth/attio/callback/"}, "Invalid redirect_uri"),
    ({"redirect_uri": "https://127.0.0.1:8123/oauth/attio/callback"}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://evil.example:8123/oauth/attio/callback"}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://127.0.0.1/oauth/attio/callback"}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://127.0.0.1:0/oauth/attio/callback"}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://127.0.0.1:70000/oauth/attio/callback"}, "Invalid redirect_uri"),
    ({"redirect_uri": CB + "?next=/x"}, "Invalid redirect_uri"),
    ({"redirect_uri": "http://127.0.0.1:8123/oauth/other/callback", "demo_auto_approve": "demo-sales"},
     "Invalid redirect_uri"),
    ({"demo_auto_approve": "no-such-workspace"}, "Unknown workspace"),
])
def test_bad_authorize_requests_are_400_pages_never_redirects(client: FlaskClient, over: dict, title: str) -> None:
    r = client.get(authorize_query(**over))
    assert r.status_code == 400 and "Location" not in r.headers and r.mimetype == "text/html"
    assert f"<h1>{title}</h1>" in r.get_data(as_text=True)
    form = {k: v for k, v in {"client_id": DEMO_OAUTH_CLIENT_ID, "redirect_uri": CB, "response_type": "code",
                              "workspace": "demo-sales", "decision": "approve", **over}.items() if v is not None}
    form["workspace"] = form.pop("demo_auto_approve", form["workspace"])
    r = client.post("/authorize", data=form)
    assert r.status_code == 400 and "Location" not in r.headers


def test_runtime_redirect_uri_is_allowed_exactly(client: FlaskClient) -> None:
    uri = "https://connector.test/oauth/attio/callback?tenant=a"
    assert client.get(authorize_query(redirect_uri=uri)).status_code == 400
    r = client.post("/_admin/oauth/redirects", json={"redirect_uri": uri})
    assert r.status_code == 200 and r.get_json() == {"ok": True, "redirect_uris": [uri]}
    target, q = location(client.get(authorize_query(redirect_uri=uri, demo_auto_approve="demo-sales")))
    assert target == "https://connector.test/oauth/attio/callback" and q["tenant"] == "a"
    assert exchange(client, q["code"], redirect_uri=uri).status_code == 200
    assert client.get(authorize_query(redirect_uri=uri + "&x=1")).status_code == 400
    for bad in ({"redirect_uri": "ftp://x/y"}, {"redirect_uri": "/relative"}, {}, ["x"]):
        assert client.post("/_admin/oauth/redirects", json=bad).status_code == 400


def test_token_endpoint_errors(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    code = auto_code(client)
    assert "Client authentication failed" in oauth_error(exchange(client, code, client_secret="nope"), 401,
                                                         "invalid_client")
    oauth_error(exchange(client, code, client_secret=None), 401, "invalid_client")
    oauth_error(exchange(client, code, client_id="someone-else"), 401, "invalid_client")
    oauth_error(exchange(client, code, grant_type="refresh_token"), 400, "unsupported_grant_type")
    oauth_error(exchange(client, code, grant_type=None), 400, "invalid_request")
    oauth_error(exchange(client, ""), 400, "invalid_request")
    assert exchange(client, code, redirect_uri=None).status_code == 200  # redirect_uri is optional
    assert "already used" in oauth_error(exchange(client, code), 400, "invalid_grant")  # single use
    code = auto_code(client)
    other = "http://127.0.0.1:9999/oauth/attio/callback"
    assert "redirect_uri" in oauth_error(exchange(client, code, redirect_uri=other), 400, "invalid_grant")
    oauth_error(exchange(client, code), 400, "invalid_grant")  # the failed attempt consumed it
    oauth_error(exchange(client, "made-up-code"), 400, "invalid_grant")
    monkeypatch.setattr(oauth_module, "CODE_TTL_SECONDS", -1)
    oauth_error(exchange(client, auto_code(client)), 400, "invalid_grant")  # expired


def test_token_endpoint_accepts_http_basic_client_credentials(client: FlaskClient) -> None:
    basic = base64.b64encode(f"{DEMO_OAUTH_CLIENT_ID}:{DEMO_OAUTH_CLIENT_SECRET}".encode()).decode()
    r = exchange(client, auto_code(client, "northwind"), {"Authorization": f"Basic {basic}"},
                 client_id=None, client_secret=None)
    assert r.status_code == 200
    assert Api(client, r.get_json()["access_token"]).call("GET", "/v2/self").get_json()["workspace_id"] == WS2
    wrong = base64.b64encode(f"{DEMO_OAUTH_CLIENT_ID}:nope".encode()).decode()
    r = exchange(client, auto_code(client), {"Authorization": f"Basic {wrong}"}, client_secret=None)
    oauth_error(r, 401, "invalid_client")
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    r = exchange(client, auto_code(client), {"Authorization": f"Basic {basic}"}, client_id="someone-else")
    oauth_error(r, 400, "invalid_request")


def test_oauth_tokens_see_only_their_own_workspace(client: FlaskClient) -> None:
    north, sales = Api(client, mint(client, "northwind")), Api(client, mint(client, "demo-sales"))
    names = {r["values"]["name"][0]["value"] for r in north.query("companies")}
    assert names == {"Contoso Pharmaceuticals", "Fabrikam Foods", "Tailspin Toys"}
    siobhan = f"/v2/objects/people/records/{rid('people', 'siobhan')}"
    status, err = north.error("GET", siobhan)
    assert status == 404 and err["code"] == "not_found"
    assert north.data("POST", "/v2/objects/records/search", SEARCH_ALL) == []
    assert sales.data("GET", siobhan)["values"]["name"][0]["full_name"] == "Siobhan O'Neil"
    assert Api(client, DEMO_TOKEN).query("companies", {"filter": {"name": "Tailspin Toys"}}) == []


def test_introspect_matches_self_and_reports_inactive_tokens(client: FlaskClient) -> None:
    token = mint(client)
    r = client.post("/oauth/introspect", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json() == Api(client, token).call("GET", "/v2/self").get_json()
    assert r.get_json()["client_id"] == DEMO_OAUTH_CLIENT_ID and r.get_json()["active"] is True
    api_key = client.post("/oauth/introspect", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()
    assert api_key == Api(client).call("GET", "/v2/self").get_json() and api_key["workspace_id"] == WS1
    r = client.post("/oauth/introspect", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 200 and r.get_json() == {"active": False}
    oauth_error(client.post("/oauth/introspect"), 400, "invalid_request")


def test_revoke_by_bearer_or_form_field(client: FlaskClient) -> None:
    token = mint(client)
    bearer = {"Authorization": f"Bearer {token}"}
    oauth_error(client.post("/oauth/revoke"), 400, "invalid_request")
    oauth_error(client.post("/oauth/revoke", headers=bearer, data={"token": "other"}), 400, "invalid_request")
    assert Api(client, token).call("GET", "/v2/objects").status_code == 200  # still live
    r = client.post("/oauth/revoke", headers=bearer)
    assert r.status_code == 204 and r.get_data() == b""
    status, err = Api(client, token).error("GET", "/v2/objects")
    assert status == 401 and err["type"] == "auth_error" and "revoked" in err["message"]
    assert Api(client, token).call("GET", "/v2/self").get_json() == {"active": False}
    assert client.post("/oauth/introspect", headers=bearer).get_json() == {"active": False}
    assert client.post("/oauth/revoke", headers=bearer).status_code == 204  # idempotent
    other = mint(client, "northwind")
    assert client.post("/oauth/revoke", data={"token": other}).status_code == 204
    assert Api(client, other).call("GET", "/v2/objects").status_code == 401
    assert client.post("/oauth/revoke", data={"token": DEMO_TOKEN}).status_code == 204
    assert Api(client).call("GET", "/v2/objects").status_code == 200  # API keys are not OAuth tokens


def test_revoke_is_limited_to_50_requests_a_minute_per_address(client: FlaskClient) -> None:
    token = mint(client)
    for _ in range(50):
        assert client.post("/oauth/revoke", data={"token": "unknown"}).status_code == 204
    limited = client.post("/oauth/revoke", data={"token": token})
    assert limited.status_code == 429 and limited.get_json()["error"] == "rate_limit_exceeded"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.post("/oauth/introspect", headers={"Authorization": f"Bearer {token}"}).get_json()["active"]
    other = client.post("/oauth/revoke", data={"token": token}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 204  # per address
    assert client.post("/_admin/reset").status_code == 200
    assert client.post("/oauth/revoke", data={"token": "unknown"}).status_code == 204  # a reset clears the count


def test_revoke_all_simulates_an_uninstall(client: FlaskClient) -> None:
    tokens = [mint(client, "demo-sales"), mint(client, "northwind")]
    listed = client.get("/_admin/oauth/tokens").get_json()["tokens"]
    assert [t["token_sha256"] for t in listed] == [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    assert [(t["workspace_slug"], t["active"]) for t in listed] == [("demo-sales", True), ("northwind", True)]
    assert not any(tok in json.dumps(listed) for tok in tokens)
    assert client.post("/_admin/oauth/revoke-all").get_json() == {"ok": True, "revoked": 2}
    for tok in tokens:
        assert Api(client, tok).call("GET", "/v2/objects").status_code == 401
    assert [t["active"] for t in client.get("/_admin/oauth/tokens").get_json()["tokens"]] == [False, False]
    assert Api(client).call("GET", "/v2/objects").status_code == 200
    assert client.post("/_admin/oauth/revoke-all").get_json() == {"ok": True, "revoked": 0}


def test_request_log_records_oauth_calls_without_secrets(client: FlaskClient) -> None:
    code = auto_code(client)
    token = exchange(client, code).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    client.post("/oauth/introspect", headers=bearer)
    client.post("/oauth/revoke", data={"token": token})
    client.post("/oauth/token", data="raw-" + DEMO_OAUTH_CLIENT_SECRET,
                content_type="application/x-www-form-urlencoded")
    log = client.get("/_admin/requests").get_json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/authorize", 302), ("POST", "/oauth/token", 200), ("POST", "/oauth/introspect", 200),
        ("POST", "/oauth/revoke", 204), ("POST", "/oauth/token", 401)]
    assert "client_secret=[redacted]" in log[1]["body"] and "code=[redacted]" in log[1]["body"]
    assert "client_id=demo-oauth-client" in log[1]["body"] and log[3]["body"] == "token=[redacted]"
    assert "state=st-1" in log[0]["query"] and "demo_auto_approve=demo-sales" in log[0]["query"]
    dumped = json.dumps(log)
    for secret in (DEMO_OAUTH_CLIENT_SECRET, code, token):
        assert secret not in dumped
    assert [e["token_suffix"] for e in log] == [None] * 5


def test_faults_can_target_oauth_endpoints(client: FlaskClient) -> None:
    client.post("/_admin/faults", json={"status": 500, "count": 1})  # default path /v2/: not OAuth
    assert client.post("/_admin/faults", json={"status": 503, "count": 1, "path": "/oauth/token"}).status_code == 200
    code = auto_code(client)
    oauth_error(exchange(client, code), 503, "temporarily_unavailable")
    assert exchange(client, code).status_code == 200  # the fault came before the code was used


def test_reset_clears_codes_tokens_and_runtime_redirects(client: FlaskClient) -> None:
    uri = "http://connector.test/cb"
    client.post("/_admin/oauth/redirects", json={"redirect_uri": uri})
    token, code = mint(client), auto_code(client)
    assert client.post("/_admin/reset").get_json() == {"ok": True}
    assert Api(client, token).call("GET", "/v2/objects").status_code == 401
    oauth_error(exchange(client, code), 400, "invalid_grant")
    assert client.get(authorize_query(redirect_uri=uri)).status_code == 400
    assert client.get("/_admin/oauth/redirects").get_json() == {"redirect_uris": []}
    assert client.get("/_admin/oauth/tokens").get_json() == {"pending_codes": 0, "tokens": []}
    assert Api(client, mint(client)).call("GET", "/v2/self").get_json()["workspace_id"] == WS1


def test_code_flow_over_a_real_loopback_socket() -> None:
    session = requests.Session()
    session.trust_env = False  # loopback: ignore any proxy settings
    with start_demo_attio(testing=True) as demo:
        r = session.get(demo.url + authorize_query(demo_auto_approve="northwind"), allow_redirects=False, timeout=5)
        _, q = location(r)
        r = session.post(f"{demo.url}/oauth/token", timeout=5, auth=(DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET),
                         data={"grant_type": "authorization_code", "code": q["code"], "redirect_uri": CB})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert session.get(f"{demo.url}/v2/self", headers=auth, timeout=5).json()["workspace_slug"] == "northwind"
        assert session.post(f"{demo.url}/oauth/revoke", headers=auth, timeout=5).status_code == 204
        assert session.get(f"{demo.url}/v2/objects", headers=auth, timeout=5).status_code == 401
