"""OAuth security checklist, items 16–30 (shared/reference/oauth-security.md §4).

Flask test client against `connector.create_app` on a temporary SQLite store, except where a
live socket is the point (the demo Attio over loopback for attio_oauth mode; gunicorn for the
access log and for two workers sharing Redis). Expiry is simulated by ageing rows in the store.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from base64 import b64encode
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET, DEMO_TOKEN
from connector.auth.models import AuditEvent, Grant, OAuthClient, PendingAuthorization, Token, UpstreamCredential
from connector.mcp.registry import Tool, ToolResult
from tests.conftest import _admin, need

from .flow import (
    ISSUER, LOOPBACK_REDIRECT, MCP_HEADERS, MCP_RESOURCE, REDIRECT, authorize_params, authorize_url, authorized,
    bearer, client_at, code_at, decide, dump_sqlite, error_of, exchange, forget_verified_tokens, get_code, live_tokens,
    location_base, location_query, mcp_initialize, mcp_session, open_consent, pkce_pair, refresh, register, rows,
    s256, set_columns, tokens_at, tool_call,
)

ATTIO_BASE = "http://127.0.0.1:8999"  # our PUBLIC_URL in attio_oauth tests: the demo accepts loopback callbacks
HTTPS_BASE = "https://connector.example.com"
READ = "attio:read offline_access"
PAST = timedelta(seconds=-5)


def _ago() -> datetime:
    return datetime.now(timezone.utc) + PAST


def _demo_log(demo: Any) -> list[dict[str, Any]]:
    return requests.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]


def _challenge_params(header: str) -> dict[str, str]:
    assert header.startswith("Bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _revoke(client: Any, token: str, client_id: str | None, **extra: str) -> Any:
    form = {"token": token, "client_id": client_id, **extra}
    return client.post("/oauth/revoke", data={k: v for k, v in form.items() if v is not None})


def _introspect(client: Any, token: str, client_id: str | None = None, secret: str | None = None,
                **extra: str) -> Any:
    form = {"token": token, "client_id": client_id, "client_secret": secret, **extra}
    return client.post("/oauth/introspect", data={k: v for k, v in form.items() if v is not None})


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + b64encode(f"{client_id}:{secret}".encode()).decode()}


def _attio_token(app: Flask) -> str:
    """The (decrypted) Attio token behind the only linked credential."""
    (cred,) = rows(app, UpstreamCredential)
    with app.app_context():
        token = app.extensions["keyring"].decrypt(cred.ciphertext)
    assert token
    return token


@pytest.fixture()
def attio_app(make_oauth_app: Callable[..., Flask], demo_attio: Any) -> Callable[..., Flask]:
    """Build an attio_oauth-mode app whose Attio (OAuth and REST) is the demo Attio over loopback."""

    def build(**overrides: Any) -> Flask:
        settings: dict[str, Any] = {
            "PUBLIC_URL": ATTIO_BASE, "ATTIO_API_URL": demo_attio.url, "ATTIO_OAUTH_URL": demo_attio.url,
            "ATTIO_CLIENT_ID": DEMO_OAUTH_CLIENT_ID, "ATTIO_CLIENT_SECRET": DEMO_OAUTH_CLIENT_SECRET}
        settings.update(overrides)
        app = make_oauth_app(**settings)
        assert app.config["MODE"] == "attio_oauth"
        return app

    return build


# ---------------------------------------------------------------------------------------------------------- 16


def _assert_no_third_party_assets(resp: Any) -> None:
    csp = {d.split()[0]: d.split()[1:] for d in resp.headers["Content-Security-Policy"].split(";") if d.strip()}
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    for directive, sources in csp.items():
        if directive not in ("form-action", "frame-ancestors", "base-uri"):
            assert set(sources) <= {"'self'", "'none'", "data:"}, (directive, sources)
    html = resp.get_data(as_text=True)
    assert "<script" not in html.lower() and "<iframe" not in html.lower()
    for tag in re.findall(r"<(?:link|img|script|source|embed|object|video|audio)\b[^>]*>", html, flags=re.I):
        for url in re.findall(r'(?:src|href)="([^"]*)"', tag):
            assert url.startswith("/") and not url.startswith("//"), tag  # same origin only


def test_16_leakage_headers_on_pages_and_every_token_response(app, client):
    reg = register(client, [LOOPBACK_REDIRECT])
    verifier, challenge = pkce_pair()
    consent, fields = open_consent(client, authorize_params(reg["client_id"], challenge,
                                                            redirect_uri=LOOPBACK_REDIRECT))
    assert consent.status_code == 200
    bad_request = client.get(authorize_url(authorize_params("c_unknown", challenge)))
    stale_form = decide(app.test_client(), fields)  # another browser: the 403 page
    for page, status in ((consent, 200), (bad_request, 400), (stale_form, 403)):
        assert page.status_code == status and page.mimetype == "text/html"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        assert '<meta name="referrer" content="no-referrer">' in page.get_data(as_text=True)
        _assert_no_third_party_assets(page)
    css = client.get("/oauth/static/style.css").get_data(as_text=True)
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)

    # every answer of the token-style endpoints, success and error alike
    conf = register(client, [REDIRECT], token_endpoint_auth_method="client_secret_post")
    issued = get_code(client, conf["client_id"], scope=READ)
    answers = {"register 201": client.post("/oauth/register", json={"redirect_uris": [REDIRECT]}),
               "register 400": client.post("/oauth/register", json={"redirect_uris": ["javascript:alert(1)"]}),
               "code 200": exchange(client, issued, client_secret=conf["client_secret"])}
    tokens = answers["code 200"].get_json()
    answers.update({
        "code replay 400": exchange(client, issued, client_secret=conf["client_secret"]),
        "wrong secret 401": client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x",
                                                              "client_id": conf["client_id"], "client_secret": "s"}),
        "query string 400": client.post("/oauth/token?grant_type=refresh_token", data={"x": "1"}),
        "bad grant type 400": client.post("/oauth/token", data={"grant_type": "password",
                                                                "client_id": reg["client_id"]}),
    })
    public = authorized(client, reg["client_id"], redirect_uri=LOOPBACK_REDIRECT, scope=READ)
    answers["refresh 200"] = refresh(client, public["refresh_token"], reg["client_id"])
    answers["introspect 200"] = _introspect(client, public["access_token"], conf["client_id"], conf["client_secret"])
    answers["introspect 401"] = _introspect(client, public["access_token"])
    answers["revoke 200"] = _revoke(client, public["access_token"], reg["client_id"])
    assert tokens["access_token"] and answers["refresh 200"].status_code == 200
    for label, resp in answers.items():
        assert str(resp.status_code) == label.rsplit(" ", 1)[1], (label, resp.get_data(as_text=True))
        assert resp.headers.get("Cache-Control") == "no-store", label
        assert resp.headers.get("Pragma") == "no-cache", label


# ---------------------------------------------------------------------------------------------------------- 17


def _cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    first, *attrs = [p.strip() for p in header.split(";")]
    name, _, value = first.partition("=")
    parsed = {}
    for attr in attrs:
        key, _, val = attr.partition("=")
        parsed[key.lower()] = val
    return name, value, parsed


@pytest.mark.parametrize("base", ["http://localhost", HTTPS_BASE], ids=["http", "https"])
def test_17_browser_binding_cookie_attributes(make_oauth_app, base):
    https = base.startswith("https://")
    app = make_oauth_app(PUBLIC_URL=base if https else None, ALLOWED_HOSTS=["localhost", "connector.example.com"])
    browser = client_at(app, base)
    reg = register(browser)
    verifier, challenge = pkce_pair()
    page, fields = open_consent(browser, authorize_params(reg["client_id"], challenge, resource=f"{base}/mcp"))
    assert page.status_code == 200
    cookies = page.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies  # the only cookie of the flow: no session, consent or state cookies
    name, value, attrs = _cookie_attributes(cookies[0])
    if https:
        assert name == "__Host-ac_browser"
        assert "secure" in attrs and attrs["path"] == "/" and "domain" not in attrs  # the __Host- rules
    else:
        assert name == "ac_browser" and "secure" not in attrs  # browsers drop Secure cookies over http
    assert "httponly" in attrs and attrs["samesite"] == "Lax"
    assert 0 < int(attrs["max-age"]) <= 900
    # The value is a random 256-bit handle; the store keeps only its keyed hash, bound to a pending request
    # for this client_id.
    assert len(value) >= 43
    (pending,) = rows(app, PendingAuthorization)
    with app.app_context():
        assert pending.browser_hash == app.extensions["keyring"].digest(value)
    assert pending.client_id == reg["client_id"] and value not in json.dumps(
        {c.name: str(getattr(pending, c.name)) for c in PendingAuthorization.__table__.columns})
    # Another browser (no cookie) or a forged cookie cannot use the form; the real browser can.
    assert decide(client_at(app, base), fields).status_code == 403
    forged = client_at(app, base)
    forged.set_cookie(name, secrets.token_urlsafe(32), domain=urlsplit(base).hostname, secure=https, path="/")
    assert decide(forged, fields).status_code == 403
    answer = decide(browser, fields)
    assert answer.status_code == 303 and location_base(answer) == REDIRECT
    assert not answer.headers.getlist("Set-Cookie")


# ---------------------------------------------------------------------------------------------------------- 18


def test_18_confused_deputy_consent_first_and_upstream_state_checked(attio_app, demo_attio):
    app = attio_app()
    browser = client_at(app, ATTIO_BASE)
    # An earlier client already went through consent and Attio in this browser.
    first = register(browser)
    tokens_at(browser, first["client_id"], ATTIO_BASE, scope=READ)

    # A newly registered client: our consent page comes first, with no upstream state and no call to Attio.
    _admin(demo_attio, "/_admin/requests/reset")
    newcomer = register(browser, client_name="Newcomer")
    verifier, challenge = pkce_pair()
    page, fields = open_consent(browser, authorize_params(newcomer["client_id"], challenge, state="client-state",
                                                          scope=READ, resource=f"{ATTIO_BASE}/mcp"))
    assert page.status_code == 200 and "Location" not in page.headers
    html = page.get_data(as_text=True)
    assert newcomer["client_id"] in html and DEMO_OAUTH_CLIENT_ID not in html and "http-equiv" not in html.lower()
    pending_of = PendingAuthorization.client_id == newcomer["client_id"]
    (pending,) = rows(app, PendingAuthorization, pending_of)
    assert pending.upstream_state_hash is None
    assert _demo_log(demo_attio) == []

    # Approval creates the single-use upstream state and sends the browser to Attio (303 after a POST).
    to_attio = decide(browser, fields)
    assert to_attio.status_code == 303 and not to_attio.headers.getlist("Set-Cookie")
    attio_url = to_attio.headers["Location"]
    assert attio_url.startswith(f"{demo_attio.url}/authorize?")
    upstream_query = parse_qs(urlsplit(attio_url).query)
    assert upstream_query["redirect_uri"] == [f"{ATTIO_BASE}/oauth/attio/callback"]
    state = upstream_query["state"][0]
    assert state != "client-state" and len(state) >= 43
    (pending,) = rows(app, PendingAuthorization, pending_of)
    assert pending.upstream_state_hash
    back = requests.get(attio_url + "&demo_auto_approve=demo-sales", allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    code = parse_qs(callback.query)["code"][0]

    def bad(query: str, who: Any = browser) -> None:
        resp = who.get(f"/oauth/attio/callback?{query}")
        assert resp.status_code == 400 and "Location" not in resp.headers, query
        assert resp.mimetype == "text/html"

    bad(f"code={code}")                                              # missing state
    bad(f"code={code}&state=")                                       # empty state
    bad(f"code={code}&state={secrets.token_urlsafe(32)}")           # mismatched state
    bad(f"code={code}&state={state}x")                               # near miss
    bad(f"code={code}&state={state}", who=client_at(app, ATTIO_BASE))  # right state, another browser
    done = browser.get(f"/oauth/attio/callback?{callback.query}")
    assert done.status_code == 302 and location_base(done) == REDIRECT
    landed = location_query(done)
    assert landed["iss"] == ATTIO_BASE and landed["state"] == "client-state" and landed["code"]
    bad(callback.query)                                              # replayed state

    # Expired: the state of a new approval, presented after its pending request expired.
    page, fields = open_consent(browser, authorize_params(newcomer["client_id"], challenge, scope=READ,
                                                          resource=f"{ATTIO_BASE}/mcp"))
    to_attio = decide(browser, fields)
    back = requests.get(to_attio.headers["Location"] + "&demo_auto_approve=demo-sales", allow_redirects=False,
                        timeout=10)
    assert set_columns(app, PendingAuthorization, PendingAuthorization.id == fields["pending_id"],
                       expires_at=_ago()) == 1
    bad(urlsplit(back.headers["Location"]).query)


# ---------------------------------------------------------------------------------------------------------- 19


def test_19_audience_bound_tokens_and_invalid_target(make_oauth_app, tmp_path):
    shared = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite'}",
              "ALLOWED_HOSTS": ["connector.example.com", "other-connector.example.com"]}
    ours = make_oauth_app(PUBLIC_URL=HTTPS_BASE, **shared)
    browser = client_at(ours, HTTPS_BASE)
    reg = register(browser)
    tokens = tokens_at(browser, reg["client_id"], HTTPS_BASE, scope=READ)
    assert mcp_initialize(browser, tokens["access_token"]).status_code == 200

    # The same store and keys behind another resource URL: our token is not for it.
    other = make_oauth_app(PUBLIC_URL="https://other-connector.example.com", **shared)
    elsewhere = client_at(other, "https://other-connector.example.com")
    resp = mcp_initialize(elsewhere, tokens["access_token"])
    assert resp.status_code == 401
    assert _challenge_params(resp.headers["WWW-Authenticate"])["error"] == "invalid_token"

    # A token without an audience.
    assert set_columns(ours, Token, Token.client_id == reg["client_id"], resource="") == 1
    forget_verified_tokens(ours)  # the edit stands for a token issued without one, not a change to a live token
    resp = mcp_initialize(browser, tokens["access_token"])
    assert resp.status_code == 401
    assert _challenge_params(resp.headers["WWW-Authenticate"])["error"] == "invalid_token"

    # authorize with a foreign resource: never a code. A loopback client gets the error redirect (with state
    # and iss); a self-registered https client gets a local page (item 12: no redirects to unvetted URIs).
    verifier, challenge = pkce_pair()
    native = register(browser, [LOOPBACK_REDIRECT])
    page, _ = open_consent(browser, authorize_params(native["client_id"], challenge, redirect_uri=LOOPBACK_REDIRECT,
                                                     resource="https://other.example/mcp"))
    assert page.status_code == 302 and location_base(page) == LOOPBACK_REDIRECT
    landed = location_query(page)
    assert landed["error"] == "invalid_target" and "code" not in landed
    assert landed["state"] == "state-123" and landed["iss"] == HTTPS_BASE
    page, _ = open_consent(browser, authorize_params(reg["client_id"], challenge,
                                                     resource="https://other.example/mcp"))
    assert page.status_code == 400 and "Location" not in page.headers
    assert "invalid_target" in page.get_data(as_text=True)
    # token with a foreign resource
    issued = code_at(browser, reg["client_id"], HTTPS_BASE, scope=READ)
    resp = exchange(browser, issued, resource="https://other.example/mcp")
    assert resp.status_code == 400 and error_of(resp) == "invalid_target"


# ---------------------------------------------------------------------------------------------------------- 20


def test_20_no_token_passthrough(attio_app, make_oauth_app, demo_attio, monkeypatch):
    app = attio_app()
    browser = client_at(app, ATTIO_BASE)
    reg = register(browser)
    tokens = tokens_at(browser, reg["client_id"], ATTIO_BASE, scope=READ)
    attio_token = _attio_token(app)
    assert attio_token != tokens["access_token"]

    # Tokens that are not ours get 401 and are never forwarded to Attio.
    foreign_app = make_oauth_app(SECRET_KEY="another-authorization-server-key-" + "z" * 16)
    foreign_client = foreign_app.test_client()
    foreign = authorized(foreign_client, register(foreign_client)["client_id"], scope=READ)["access_token"]
    _admin(demo_attio, "/_admin/requests/reset")
    fake_jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwOi8vMTI3LjAuMC4xOjg5OTkvbWNwIn0.c2ln"
    for presented in (DEMO_TOKEN, attio_token, foreign, fake_jwt):
        resp = mcp_initialize(browser, presented)
        assert resp.status_code == 401, presented
        assert _challenge_params(resp.headers["WWW-Authenticate"])["error"] == "invalid_token"
    assert _demo_log(demo_attio) == []

    # A tool call goes out with the decrypted Attio token only; our token never leaves the server.
    session_id = mcp_session(browser, tokens["access_token"])
    _admin(demo_attio, "/_admin/requests/reset")
    sent: list[Any] = []
    original = requests.adapters.HTTPAdapter.send

    def record(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", record)
    resp = tool_call(browser, tokens["access_token"], "search", {"query": "energy"}, session_id)
    monkeypatch.undo()
    assert resp.status_code == 200 and resp.get_json()["result"]["isError"] is False, resp.get_data(as_text=True)
    assert sent, "the tool call reached Attio"
    for request in sent:
        assert request.url.startswith(demo_attio.url)
        assert request.headers["Authorization"] == f"Bearer {attio_token}"
        wire = f"{request.url}\n{dict(request.headers)}\n{request.body!r}"
        for ours in (tokens["access_token"], tokens["refresh_token"]):
            assert ours not in wire and ours.split("_", 1)[1] not in wire
    log = _demo_log(demo_attio)
    v2 = [entry for entry in log if entry["path"].startswith("/v2/")]
    assert v2 and all(entry["token_suffix"] == attio_token[-4:] for entry in v2)
    assert tokens["access_token"] not in json.dumps(log)


# ---------------------------------------------------------------------------------------------------------- 21


@pytest.mark.parametrize("method,path,suffix", [("POST", "/mcp", "mcp"), ("GET", "/mcp", "mcp"),
                                                ("GET", "/sse", "sse")])
def test_21_missing_token_gets_the_discovery_challenge(make_oauth_app, method, path, suffix):
    app = make_oauth_app(PUBLIC_URL=HTTPS_BASE, ALLOWED_HOSTS=["connector.example.com"])
    client = client_at(app, HTTPS_BASE)
    headers = {"Accept": "application/json, text/event-stream"}
    if method == "POST":
        resp = client.post(path, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    else:
        resp = client.get(path, headers={"Accept": "text/event-stream"})
    assert resp.status_code == 401
    header = resp.headers["WWW-Authenticate"]
    params = _challenge_params(header)
    metadata_url = f"{HTTPS_BASE}/.well-known/oauth-protected-resource/{suffix}"
    assert params["resource_metadata"] == metadata_url
    assert params.get("scope") == "attio:read"
    assert "error" not in params and "error=" not in header
    prm = client.get(metadata_url).get_json()
    assert prm["resource"] == f"{HTTPS_BASE}/{suffix}" and prm["authorization_servers"] == [HTTPS_BASE]


# ---------------------------------------------------------------------------------------------------------- 22


def test_22_expired_and_revoked_tokens_get_invalid_token(app, client, public_client):
    cid = public_client["client_id"]
    expired = authorized(client, cid, scope=READ)
    revoked = authorized(client, cid, scope=READ)
    for tokens in (expired, revoked):
        assert mcp_initialize(client, tokens["access_token"]).status_code == 200
    with app.app_context():
        digest = app.extensions["keyring"].digest(expired["access_token"])
    assert set_columns(app, Token, Token.access_hash == digest, access_expires_at=_ago()) == 1
    forget_verified_tokens(app)  # a hand-edited expiry, unlike a real one, is seen within TOKEN_CACHE_SECONDS
    assert _revoke(client, revoked["refresh_token"], cid).status_code == 200
    for tokens in (expired, revoked):
        resp = mcp_initialize(client, tokens["access_token"])
        assert resp.status_code == 401
        params = _challenge_params(resp.headers["WWW-Authenticate"])
        assert params["error"] == "invalid_token"
        assert params["resource_metadata"] == f"{ISSUER}/.well-known/oauth-protected-resource/mcp"


def test_22_read_only_token_calling_a_write_tool_gets_403_insufficient_scope(app, client, public_client):
    ran: list[str] = []
    registry = app.extensions["mcp"].registry
    registry.add_tool(Tool(name="fixture_write", description="A write tool for the scope test.", scope="attio:write",
                           handler=lambda ctx, args: ran.append("write") or ToolResult.text("written")))
    registry.add_tool(Tool(name="fixture_read", description="A read tool for the scope test.",
                           handler=lambda ctx, args: ran.append("read") or ToolResult.text("read")))
    read_only = authorized(client, public_client["client_id"], scope=READ)
    assert read_only["scope"] == READ
    session_id = mcp_session(client, read_only["access_token"])
    assert tool_call(client, read_only["access_token"], "fixture_read", {}, session_id).status_code == 200
    resp = tool_call(client, read_only["access_token"], "fixture_write", {}, session_id)
    assert resp.status_code == 403
    header = resp.headers["WWW-Authenticate"]
    assert header.startswith('Bearer error="insufficient_scope"')
    assert _challenge_params(header)["scope"] == "attio:read attio:write"
    assert ran == ["read"]  # the write tool never ran
    full = authorized(client, public_client["client_id"], scope="attio:read attio:write")
    resp = tool_call(client, full["access_token"], "fixture_write", {})
    assert resp.status_code == 200 and ran == ["read", "write"]


# ---------------------------------------------------------------------------------------------------------- 23


def test_23_token_in_the_url_is_refused_and_not_logged(make_oauth_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_oauth_app(LOG_LEVEL="DEBUG")
    client = app.test_client()
    token = authorized(client, register(client)["client_id"], scope=READ)["access_token"]
    assert mcp_initialize(client, token).status_code == 200  # the token is valid…
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    for resp in (client.post(f"/mcp?access_token={token}", json=init, headers=MCP_HEADERS),
                 client.post(f"/mcp?access_token={token}", json=init, headers=bearer(token)),
                 client.get(f"/mcp?access_token={token}", headers={"Accept": "text/event-stream"}),
                 client.get(f"/sse?access_token={token}", headers={"Accept": "text/event-stream"})):
        assert resp.status_code == 401  # …but not in a URL, even next to a valid header
        assert "error=" in resp.headers["WWW-Authenticate"]
    assert caplog.records and token not in caplog.text and token.split("_", 1)[1] not in caplog.text


@pytest.mark.integration
def test_23_token_in_the_url_is_absent_from_the_live_server_logs(server_factory, tmp_path):
    access_log = tmp_path / "access.log"
    srv = server_factory(AUTH_DISABLED="false", ACCESS_LOG=str(access_log), LOG_LEVEL="DEBUG")
    token = live_tokens(srv.url)["access_token"]
    resp = requests.post(f"{srv.mcp_url}?access_token={token}", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                         headers={"Accept": "application/json, text/event-stream"}, timeout=10)
    assert resp.status_code == 401
    resp = requests.get(f"{srv.url}/sse?access_token={token}", headers={"Accept": "text/event-stream"}, timeout=10)
    assert resp.status_code == 401
    logged = access_log.read_text() + srv.log()
    assert '"POST /mcp" 401' in logged  # the request was logged, without its query string
    assert token not in logged and token.split("_", 1)[1] not in logged


# ---------------------------------------------------------------------------------------------------------- 24


def test_24_refresh_rotation_and_reuse_revokes_the_whole_family_no_grace_window(app, client, public_client):
    cid = public_client["client_id"]
    first = authorized(client, cid, scope=READ)
    second = refresh(client, first["refresh_token"], cid)
    assert second.status_code == 200
    second = second.get_json()
    third = refresh(client, second["refresh_token"], cid).get_json()
    rts = [first["refresh_token"], second["refresh_token"], third["refresh_token"]]
    ats = [first["access_token"], second["access_token"], third["access_token"]]
    assert len(set(rts)) == 3 and len(set(ats)) == 3  # a new pair each time
    assert mcp_initialize(client, third["access_token"]).status_code == 200

    # Reuse of a rotated refresh token: invalid_grant, and the whole family dies.
    resp = refresh(client, first["refresh_token"], cid)
    assert resp.status_code == 400 and error_of(resp) == "invalid_grant"
    resp = refresh(client, third["refresh_token"], cid)
    assert resp.status_code == 400 and error_of(resp) == "invalid_grant"
    for at in ats:
        assert mcp_initialize(client, at).status_code == 401
    (grant,) = rows(app, Grant)
    assert grant.revoked_at is not None and grant.revoked_reason == "refresh_reused"
    assert [e.grant_id for e in rows(app, AuditEvent, AuditEvent.type == "refresh.reused")] == [grant.id]

    # No grace window: even an immediate retry of the just-used token revokes the family.
    again = authorized(client, cid, scope=READ)
    rotated = refresh(client, again["refresh_token"], cid)
    assert rotated.status_code == 200
    retry = refresh(client, again["refresh_token"], cid)
    assert retry.status_code == 400 and error_of(retry) == "invalid_grant"
    resp = refresh(client, rotated.get_json()["refresh_token"], cid)
    assert resp.status_code == 400 and error_of(resp) == "invalid_grant"
    assert mcp_initialize(client, rotated.get_json()["access_token"]).status_code == 401


# ---------------------------------------------------------------------------------------------------------- 25


def test_25_refresh_token_bound_to_client_scope_and_resource(app, client):
    owner = register(client)["client_id"]
    stranger = register(client)["client_id"]
    tokens = authorized(client, owner, scope=READ)
    rt = tokens["refresh_token"]
    for resp, error in ((refresh(client, rt, stranger), "invalid_grant"),
                        (refresh(client, rt, owner, scope="attio:read attio:write offline_access"), "invalid_scope"),
                        (refresh(client, rt, owner, resource="https://other.example/mcp"), "invalid_target")):
        assert resp.status_code == 400 and error_of(resp) == error, resp.get_json()
        assert "access_token" not in resp.get_json()
    # None of the refused requests used up the token or revoked the family: the owner refreshes normally.
    assert mcp_initialize(client, tokens["access_token"]).status_code == 200
    resp = refresh(client, rt, owner)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["scope"] == READ


def test_25_refresh_refused_after_grant_revocation_or_idle_expiry(app, client, public_client):
    cid = public_client["client_id"]
    revoked = authorized(client, cid, scope=READ)
    idle = authorized(client, cid, scope=READ)
    assert _revoke(client, revoked["access_token"], cid).status_code == 200
    with app.app_context():
        digest = app.extensions["keyring"].digest(idle["refresh_token"])
    assert set_columns(app, Token, Token.refresh_hash == digest, refresh_expires_at=_ago()) == 1
    for tokens in (revoked, idle):
        resp = refresh(client, tokens["refresh_token"], cid)
        assert resp.status_code == 400 and error_of(resp) == "invalid_grant"


def test_25_refresh_after_attio_reports_inactive_revokes_the_family(attio_app, demo_attio):
    app = attio_app(UPSTREAM_INTROSPECT_SECONDS=0)
    browser = client_at(app, ATTIO_BASE)
    cid = register(browser)["client_id"]
    tokens = tokens_at(browser, cid, ATTIO_BASE, scope=READ)
    _admin(demo_attio, "/_admin/requests/reset")
    fresh = refresh(browser, tokens["refresh_token"], cid, resource=f"{ATTIO_BASE}/mcp")
    assert fresh.status_code == 200
    fresh = fresh.get_json()
    assert any(e["path"] == "/oauth/introspect" for e in _demo_log(demo_attio))  # checked on refresh
    assert mcp_initialize(browser, fresh["access_token"]).status_code == 200

    _admin(demo_attio, "/_admin/oauth/revoke-all")  # the app is uninstalled at Attio
    resp = refresh(browser, fresh["refresh_token"], cid, resource=f"{ATTIO_BASE}/mcp")
    assert resp.status_code == 400 and error_of(resp) == "invalid_grant"
    (grant,) = rows(app, Grant)
    assert grant.revoked_at is not None and grant.revoked_reason == "upstream_inactive"
    (cred,) = rows(app, UpstreamCredential)
    assert cred.status == "revoked" and cred.ciphertext is None
    assert mcp_initialize(browser, fresh["access_token"]).status_code == 401
    assert all(t.revoked_at is not None for t in rows(app, Token))


# ---------------------------------------------------------------------------------------------------------- 26


def test_26_revocation_rfc7009(app, client):
    owner = register(client)["client_id"]
    other = register(client)["client_id"]
    tokens = authorized(client, owner, scope=READ)

    assert _revoke(client, tokens["refresh_token"], other).status_code == 200  # another client's token…
    assert mcp_initialize(client, tokens["access_token"]).status_code == 200  # …is left alone
    unknown = _revoke(client, "rtk_" + secrets.token_urlsafe(32), owner)
    assert unknown.status_code == 200 and unknown.get_json() in ({}, None)
    assert client.get("/oauth/revoke").status_code == 405
    no_client = _revoke(client, tokens["refresh_token"], None)
    assert no_client.status_code == 401 and error_of(no_client) == "invalid_client"
    assert mcp_initialize(client, tokens["access_token"]).status_code == 200

    # A public client revokes its refresh token with only its client_id: the access tokens die with it.
    resp = _revoke(client, tokens["refresh_token"], owner, token_type_hint="refresh_token")
    assert resp.status_code == 200
    assert mcp_initialize(client, tokens["access_token"]).status_code == 401
    resp = refresh(client, tokens["refresh_token"], owner)
    assert resp.status_code == 400 and error_of(resp) == "invalid_grant"
    assert len(rows(app, AuditEvent, AuditEvent.type == "token.revoked")) == 1


# ---------------------------------------------------------------------------------------------------------- 27


def test_27_introspection(app, client):
    conf = register(client, token_endpoint_auth_method="client_secret_post")
    rival = register(client, token_endpoint_auth_method="client_secret_basic")
    public = register(client)
    own = tokens_at(client, conf["client_id"], ISSUER, client_secret=conf["client_secret"], scope=READ)

    for resp in (_introspect(client, own["access_token"]),                          # no client at all
                 _introspect(client, own["access_token"], public["client_id"]),     # a public client
                 _introspect(client, own["access_token"], conf["client_id"], "wrong-secret")):
        assert resp.status_code == 401 and error_of(resp) == "invalid_client"
        assert "active" not in resp.get_json()

    live = _introspect(client, own["access_token"], conf["client_id"], conf["client_secret"]).get_json()
    assert live["active"] is True and live["client_id"] == conf["client_id"] and live["aud"] == MCP_RESOURCE

    inactive = {"active": False}
    foreign = client.post("/oauth/introspect", data={"token": own["access_token"]},
                          headers=_basic(rival["client_id"], rival["client_secret"]))
    assert foreign.status_code == 200 and foreign.get_json() == inactive
    unknown = _introspect(client, "atk_" + secrets.token_urlsafe(32), conf["client_id"], conf["client_secret"])
    assert unknown.get_json() == inactive

    expiring = tokens_at(client, conf["client_id"], ISSUER, client_secret=conf["client_secret"], scope=READ)
    with app.app_context():
        digest = app.extensions["keyring"].digest(expiring["access_token"])
    set_columns(app, Token, Token.access_hash == digest, access_expires_at=_ago())
    expired = _introspect(client, expiring["access_token"], conf["client_id"], conf["client_secret"])
    assert expired.status_code == 200 and expired.get_json() == inactive

    assert _revoke(client, own["refresh_token"], conf["client_id"], client_secret=conf["client_secret"]).status_code \
        == 200
    for token in (own["access_token"], own["refresh_token"]):
        revoked = _introspect(client, token, conf["client_id"], conf["client_secret"])
        assert revoked.status_code == 200 and revoked.get_json() == inactive


# ---------------------------------------------------------------------------------------------------------- 28


RATE_LIMITED = {
    "token": ("RATE_LIMIT_TOKEN", lambda c, i: c.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": f"nope-{i}", "client_id": "c_unknown"})),
    "register": ("RATE_LIMIT_REGISTER", lambda c, i: c.post("/oauth/register", json={"redirect_uris": [REDIRECT]})),
    "authorize": ("RATE_LIMIT_AUTHORIZE", lambda c, i: c.get(f"/oauth/authorize?client_id=c_unknown&state={i}")),
    "consent": ("RATE_LIMIT_CONSENT", lambda c, i: c.post("/oauth/authorize", data={
        "pending_id": f"p{i}", "csrf_token": "x", "decision": "allow"})),
    "revoke": ("RATE_LIMIT_REVOKE", lambda c, i: c.post("/oauth/revoke", data={"token": f"t{i}",
                                                                               "client_id": "c_unknown"})),
}


def _assert_429(resp: Any) -> None:
    assert resp.status_code == 429, resp.get_data(as_text=True)
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    body = resp.get_json()
    assert body["error"] in ("rate_limited", "slow_down") and body["error_description"]


@pytest.mark.parametrize("endpoint", sorted(RATE_LIMITED))
def test_28_rate_limit_gives_429_with_retry_after(make_oauth_app, endpoint):
    setting, call = RATE_LIMITED[endpoint]
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, **{setting: "3/minute"})
    client = app.test_client()
    for i in range(3):
        assert call(client, i).status_code != 429
    _assert_429(call(client, 3))
    assert rows(app, AuditEvent, AuditEvent.type == "ratelimit.hit")


@pytest.mark.parametrize("endpoint", sorted(RATE_LIMITED))
def test_28_limited_endpoints_say_their_budget_and_mcp_calls_skip_the_limiter(make_oauth_app, endpoint):
    """The limiter's bookkeeping runs for the auth blueprints only; their answers still carry the budget."""
    setting, call = RATE_LIMITED[endpoint]
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, **{setting: "5/minute"})
    client = app.test_client()
    first, second = call(client, 0), call(client, 1)
    assert first.headers["X-RateLimit-Limit"] == "5"
    assert int(second.headers["X-RateLimit-Remaining"]) < int(first.headers["X-RateLimit-Remaining"])
    mcp = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert mcp.status_code == 401 and "X-RateLimit-Limit" not in mcp.headers


def test_28_spoofed_forwarded_headers_do_not_reset_the_bucket(make_oauth_app):
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, RATE_LIMIT_TOKEN="3/minute")  # TRUSTED_PROXY_HOPS=0
    client = app.test_client()

    def attempt(i: int, **environ: str) -> Any:
        spoof = f"198.51.100.{i}"
        return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                                 "client_id": f"c_spoof_{i}"},
                           headers={"X-Forwarded-For": spoof, "X-Real-IP": spoof, "Forwarded": f"for={spoof}"},
                           environ_base=environ)

    for i in range(3):
        assert attempt(i).status_code != 429
    _assert_429(attempt(3))
    assert attempt(4, REMOTE_ADDR="192.0.2.9").status_code != 429  # a different real client has its own bucket

    # The client bucket is (client_id, address): one client_id named from many addresses locks nobody out
    # (issue 8 item 3, tests/oauth/test_client_lockout.py); each address keeps its own budget.
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, RATE_LIMIT_TOKEN="3/minute")
    client = app.test_client()
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "c_one"}
    for i in range(3):
        assert client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code != 429
    assert client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": "10.0.0.99"}).status_code != 429

    # Behind one trusted proxy, only the hop the proxy appended counts; a client-supplied prefix does not.
    app = make_oauth_app(RATE_LIMITS_ENABLED=True, RATE_LIMIT_TOKEN="3/minute", TRUSTED_PROXY_HOPS=1)
    client = app.test_client()

    def proxied(i: int, real: str) -> Any:
        return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                                 "client_id": f"c_proxied_{i}"},
                           headers={"X-Forwarded-For": f"198.51.100.{i}, {real}"})

    for i in range(3):
        assert proxied(i, "203.0.113.7").status_code != 429
    _assert_429(proxied(3, "203.0.113.7"))
    assert proxied(4, "203.0.113.8").status_code != 429


REDIS_DB = "redis://127.0.0.1:6379/14"


@pytest.fixture()
def redis_db14():
    redis = pytest.importorskip("redis")
    conn = redis.Redis.from_url(REDIS_DB, socket_connect_timeout=1)
    try:
        conn.ping()
    except redis.RedisError:
        need(False, f"Redis at {REDIS_DB} is not reachable")
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.mark.integration
def test_28_two_servers_sharing_redis_share_the_limit(server_factory, redis_db14):
    env = {"AUTH_DISABLED": "false", "REDIS_URL": REDIS_DB, "RATE_LIMIT_TOKEN": "4/minute"}
    first, second = server_factory(**env), server_factory(**env)

    def post(srv: Any, i: int) -> requests.Response:
        return requests.post(f"{srv.url}/oauth/token", data={"grant_type": "authorization_code", "code": f"c{i}",
                                                              "client_id": f"c_{i}"}, timeout=10)

    statuses = [post(srv, i).status_code for i, srv in enumerate((first, second, first, second))]
    assert 429 not in statuses, statuses
    for i, srv in enumerate((first, second), start=4):
        resp = post(srv, i)
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert any(b"attio-connector-limits" in k for k in redis_db14.keys("*"))  # the counters live in Redis


# ---------------------------------------------------------------------------------------------------------- 29


def test_29_constant_time_comparisons_for_secret_csrf_state_and_pkce(attio_app, monkeypatch):
    app = attio_app()
    browser = client_at(app, ATTIO_BASE)
    conf = register(browser, token_endpoint_auth_method="client_secret_post")
    seen: list[tuple[Any, Any]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        seen.append(tuple(x.decode() if isinstance(x, bytes) else str(x) for x in (a, b)))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    issued = code_at(browser, conf["client_id"], ATTIO_BASE, scope=READ)
    resp = exchange(browser, issued, resource=f"{ATTIO_BASE}/mcp", client_secret=conf["client_secret"])
    assert resp.status_code == 200, resp.get_json()
    monkeypatch.undo()

    (client_row,) = rows(app, OAuthClient, OAuthClient.client_id == conf["client_id"])
    (pending,) = rows(app, PendingAuthorization)
    compared = {frozenset(pair) for pair in seen}

    def was_compared(stored: str) -> bool:
        return any(stored in pair for pair in compared)

    assert was_compared(client_row.secret_hash), "client secret"
    assert was_compared(pending.csrf_hash), "consent CSRF token"
    assert was_compared(pending.upstream_state_hash), "upstream state"
    assert was_compared(pending.browser_hash), "browser cookie"
    challenge = s256(issued.verifier)
    assert was_compared(challenge), "PKCE code challenge"


def test_29_public_client_sending_a_secret_gets_401_invalid_client_not_500(app, client, public_client):
    cid = public_client["client_id"]
    issued = get_code(client, cid, scope=READ)
    attempts = [
        exchange(client, issued, client_secret="made-up"),
        client.post("/oauth/token", headers=_basic(cid, "made-up"), data={
            "grant_type": "authorization_code", "code": issued.code, "redirect_uri": issued.redirect_uri,
            "code_verifier": issued.verifier, "resource": MCP_RESOURCE}),
        refresh(client, "rtk_x", cid, client_secret="made-up"),
        _revoke(client, "rtk_x", cid, client_secret="made-up"),
        _introspect(client, "atk_x", cid, "made-up"),
    ]
    for resp in attempts:
        assert resp.status_code == 401 and error_of(resp) == "invalid_client", resp.get_data(as_text=True)


def _shape(resp: Any) -> tuple[int, Any, list[tuple[str, str]]]:
    # X-Request-ID differs per request by design (a fresh id each time); everything else must be identical.
    return resp.status_code, resp.get_json(), sorted(h for h in resp.headers.items() if h[0] != "X-Request-ID")


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("style", ["basic", "post"])
def test_29_wrong_secret_and_unknown_client_are_indistinguishable(app, client, endpoint, style):
    conf = register(client, token_endpoint_auth_method=f"client_secret_{style}")
    form = {"/oauth/token": {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT,
                             "code_verifier": "v" * 43},
            "/oauth/introspect": {"token": "atk_x"}, "/oauth/revoke": {"token": "rtk_x"}}[endpoint]

    def attempt(client_id: str, secret: str) -> Any:
        if style == "basic":
            return client.post(endpoint, data=form, headers=_basic(client_id, secret))
        return client.post(endpoint, data={**form, "client_id": client_id, "client_secret": secret})

    wrong_secret = attempt(conf["client_id"], "wrong-" + conf["client_secret"])
    unknown_client = attempt("c_" + secrets.token_urlsafe(16), "wrong-" + conf["client_secret"])
    assert wrong_secret.status_code == 401 and error_of(wrong_secret) == "invalid_client"
    assert _shape(wrong_secret) == _shape(unknown_client)


# ---------------------------------------------------------------------------------------------------------- 30


def test_30_nothing_secret_at_rest_after_a_full_flow(attio_app):
    app = attio_app()
    browser = client_at(app, ATTIO_BASE)
    conf = register(browser, token_endpoint_auth_method="client_secret_post")
    tokens = tokens_at(browser, conf["client_id"], ATTIO_BASE, client_secret=conf["client_secret"], scope=READ)
    rotated = refresh(browser, tokens["refresh_token"], conf["client_id"], resource=f"{ATTIO_BASE}/mcp",
                      client_secret=conf["client_secret"]).get_json()
    attio_token = _attio_token(app)
    secrets_issued = {"access token": tokens["access_token"], "refresh token": tokens["refresh_token"],
                      "rotated access token": rotated["access_token"],
                      "rotated refresh token": rotated["refresh_token"], "code": tokens["_code"],
                      "code verifier": tokens["_verifier"], "client secret": conf["client_secret"],
                      "Attio token": attio_token, "Attio client secret": DEMO_OAUTH_CLIENT_SECRET}
    dump = dump_sqlite(app)
    assert "oauth_tokens" in dump and "upstream_credentials" in dump  # the dump is not empty
    for label, value in secrets_issued.items():
        core = value.split("_", 1)[1] if re.match(r"^[a-z]+_", value) else value
        assert value not in dump and core not in dump, f"{label} found in the database"
    (cred,) = rows(app, UpstreamCredential)
    with app.app_context():
        keyring = app.extensions["keyring"]
        assert cred.key_id == keyring.key_ids[0] and re.fullmatch(r"[0-9a-f]{8}", cred.key_id)
        assert cred.ciphertext.startswith("gAAAAA") and keyring.decrypt(cred.ciphertext) == attio_token


KEY_OLD = "rotation-test-old-secret-key-" + "o" * 24
KEY_NEW = "rotation-test-new-secret-key-" + "n" * 24


def _search_ok(browser: Any, token: str) -> bool:
    resp = tool_call(browser, token, "search", {"query": "energy"})
    return resp.status_code == 200 and resp.get_json()["result"]["isError"] is False


def _rotate_upstream(app: Flask) -> tuple[str, str]:
    """What a key-rotation job does: re-encrypt every credential under the current key."""
    with app.app_context():
        session, keyring = app.extensions["db"].session, app.extensions["keyring"]
        (cred,) = session.query(UpstreamCredential).all()
        before = cred.ciphertext
        cred.ciphertext, cred.key_id = keyring.rotate(cred.ciphertext)
        session.commit()
        return before, cred.ciphertext


def test_30_secret_key_rotation_keeps_tokens_and_the_attio_credential(attio_app, tmp_path):
    db = {"DATABASE_URL": f"sqlite:///{tmp_path / 'rotation.sqlite'}"}
    old = attio_app(SECRET_KEY=KEY_OLD, **db)
    browser = client_at(old, ATTIO_BASE)
    conf = register(browser, token_endpoint_auth_method="client_secret_post")
    tokens = tokens_at(browser, conf["client_id"], ATTIO_BASE, client_secret=conf["client_secret"], scope=READ)
    attio_token = _attio_token(old)
    old_key_id = rows(old, UpstreamCredential)[0].key_id

    # New SECRET_KEY, the old one as a fallback: everything issued before still works.
    rotating = attio_app(SECRET_KEY=KEY_NEW, SECRET_KEY_FALLBACKS=[KEY_OLD], **db)
    browser = client_at(rotating, ATTIO_BASE)
    assert _search_ok(browser, tokens["access_token"])  # old pepper finds the token, old key decrypts Attio's
    live = _introspect(browser, tokens["access_token"], conf["client_id"], conf["client_secret"]).get_json()
    assert live["active"] is True  # the client secret hashed under the old pepper still authenticates
    fresh = refresh(browser, tokens["refresh_token"], conf["client_id"], resource=f"{ATTIO_BASE}/mcp",
                    client_secret=conf["client_secret"])
    assert fresh.status_code == 200, fresh.get_json()
    fresh = fresh.get_json()
    before, after = _rotate_upstream(rotating)
    assert before != after
    (cred,) = rows(rotating, UpstreamCredential)
    with rotating.app_context():
        assert cred.key_id == rotating.extensions["keyring"].key_ids[0] != old_key_id

    # The old key retired: the re-encrypted credential and the tokens issued since still work, the old ones not.
    retired = attio_app(SECRET_KEY=KEY_NEW, **db)
    browser = client_at(retired, ATTIO_BASE)
    with retired.app_context():
        assert retired.extensions["keyring"].decrypt(cred.ciphertext) == attio_token
    assert _search_ok(browser, fresh["access_token"])
    assert mcp_initialize(browser, tokens["access_token"]).status_code == 401


def test_30_encryption_key_rotation_reencrypts_the_attio_credential(attio_app, tmp_path):
    from cryptography.fernet import Fernet

    db = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fernet.sqlite'}"}
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = attio_app(ENCRYPTION_KEYS=[key_a], **db)
    browser = client_at(first, ATTIO_BASE)
    cid = register(browser)["client_id"]
    tokens = tokens_at(browser, cid, ATTIO_BASE, scope=READ)
    attio_token = _attio_token(first)

    both = attio_app(ENCRYPTION_KEYS=[key_b, key_a], **db)
    assert _search_ok(client_at(both, ATTIO_BASE), tokens["access_token"])  # old ciphertext decrypts
    before, after = _rotate_upstream(both)
    assert before != after

    only_new = attio_app(ENCRYPTION_KEYS=[key_b], **db)
    with only_new.app_context():
        keyring = only_new.extensions["keyring"]
        (cred,) = rows(only_new, UpstreamCredential)
        assert cred.key_id == keyring.key_ids[0] and keyring.decrypt(cred.ciphertext) == attio_token
        assert keyring.decrypt(before) is None  # the retired key's ciphertext no longer opens
    assert _search_ok(client_at(only_new, ATTIO_BASE), tokens["access_token"])


def test_30_audit_rows_for_consent_replay_reuse_and_revocation(app, client, public_client):
    cid = public_client["client_id"]
    issued = get_code(client, cid, scope=READ)
    assert exchange(client, issued).status_code == 200
    assert exchange(client, issued).status_code == 400                     # code replay
    reused = authorized(client, cid, scope=READ)
    assert refresh(client, reused["refresh_token"], cid).status_code == 200
    assert refresh(client, reused["refresh_token"], cid).status_code == 400  # refresh reuse
    revoked = authorized(client, cid, scope=READ)
    assert _revoke(client, revoked["refresh_token"], cid).status_code == 200  # revocation
    events = rows(app, AuditEvent)
    types = [e.type for e in events]
    for needed in ("consent.granted", "code.replayed", "refresh.reused", "token.revoked"):
        assert needed in types, types
    assert types.count("consent.granted") == 3
    grants = {e.type: e.grant_id for e in events if e.type in ("code.replayed", "refresh.reused", "token.revoked")}
    assert len(set(grants.values())) == 3 and all(grants.values())
    assert all(e.client_id == cid for e in events if e.type != "client.registered")
    flat = json.dumps([[e.type, e.subject, e.client_id, e.grant_id, e.detail] for e in events], default=str)
    for token in (reused["access_token"], reused["refresh_token"], revoked["refresh_token"], issued.code):
        assert token not in flat
