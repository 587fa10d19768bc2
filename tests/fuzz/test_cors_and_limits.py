"""CORS only for browser clients on allowed origins (connector/security/cors.py), and the body limits of
/oauth/register: too large → 413, too deep or not JSON → 400, both in the OAuth error shape."""
from __future__ import annotations

import json

import pytest

from tests.oauth import flow

INSPECTOR = "http://localhost:6274"  # the MCP Inspector in a browser
FOREIGN = "https://evil.example"
MCP_PREFLIGHT_HEADERS = "authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id"


def preflight(client, path, origin, method="POST", headers="content-type"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": headers})


def listed(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def assert_no_cors(resp):
    assert not [h for h in resp.headers.keys() if h.lower().startswith("access-control-")], dict(resp.headers)


@pytest.fixture()
def client(make_oauth_app):
    return make_oauth_app(ALLOWED_ORIGINS=["https://inspector.example"]).test_client()


@pytest.mark.parametrize("origin", [INSPECTOR, "http://127.0.0.1:6274", "https://inspector.example"])
def test_mcp_preflight_and_answer_for_an_allowed_origin(client, origin):
    pre = preflight(client, "/mcp", origin, headers=MCP_PREFLIGHT_HEADERS)
    assert pre.status_code == 204 and not pre.data
    assert pre.headers["Access-Control-Allow-Origin"] == origin
    assert listed(pre.headers["Access-Control-Allow-Methods"]) == {"get", "post", "delete"}
    assert listed(MCP_PREFLIGHT_HEADERS) <= listed(pre.headers["Access-Control-Allow-Headers"])
    assert "Origin" in pre.headers["Vary"] and "Access-Control-Allow-Credentials" not in pre.headers
    # The real request: a 401 the page must be able to read, challenge included.
    resp = client.post("/mcp", json=flow.INITIALIZE, headers={**flow.MCP_HEADERS, "Origin": origin})
    assert resp.status_code == 401 and "resource_metadata=" in resp.headers["WWW-Authenticate"]
    assert resp.headers["Access-Control-Allow-Origin"] == origin
    assert listed(resp.headers["Access-Control-Expose-Headers"]) == {"mcp-session-id", "www-authenticate"}


def test_mcp_session_header_is_readable_cross_origin(make_oauth_app):
    client = make_oauth_app(AUTH_DISABLED=True).test_client()
    resp = client.post("/mcp", json=flow.INITIALIZE, headers={**flow.MCP_HEADERS, "Origin": INSPECTOR})
    assert resp.status_code == 200 and resp.headers["Mcp-Session-Id"]
    assert resp.headers["Access-Control-Allow-Origin"] == INSPECTOR
    assert "mcp-session-id" in listed(resp.headers["Access-Control-Expose-Headers"])


@pytest.mark.parametrize("origin", [FOREIGN, "null", "http://[", "http://localhost.evil.example"])
def test_mcp_never_answers_a_foreign_origin(client, origin):
    pre = preflight(client, "/mcp", origin)
    assert pre.status_code == 403
    assert_no_cors(pre)
    resp = client.post("/mcp", json=flow.INITIALIZE, headers={**flow.MCP_HEADERS, "Origin": origin})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == -32600
    assert_no_cors(resp)


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/register"])
def test_oauth_endpoints_for_browser_clients(client, path):
    pre = preflight(client, path, INSPECTOR, headers="content-type, authorization")
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == INSPECTOR
    assert listed(pre.headers["Access-Control-Allow-Methods"]) == {"post"}
    assert {"content-type", "authorization"} <= listed(pre.headers["Access-Control-Allow-Headers"])
    foreign = preflight(client, path, FOREIGN)
    assert foreign.status_code == 403 and foreign.get_json()["error"] == "invalid_request"
    assert_no_cors(foreign)


def test_registration_and_token_answers_carry_cors_for_allowed_origins_only(client):
    body = {"redirect_uris": [flow.REDIRECT], "token_endpoint_auth_method": "none"}
    ok = client.post("/oauth/register", json=body, headers={"Origin": INSPECTOR})
    assert ok.status_code == 201 and ok.headers["Access-Control-Allow-Origin"] == INSPECTOR
    refused = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x"},
                          headers={"Origin": INSPECTOR})
    assert refused.status_code in (400, 401) and refused.headers["Access-Control-Allow-Origin"] == INSPECTOR
    foreign = client.post("/oauth/register", json=body, headers={"Origin": FOREIGN})
    assert foreign.status_code == 201  # a server-side client may send anything; the page just cannot read it
    assert_no_cors(foreign)


def test_no_cors_where_no_browser_client_needs_it(client):
    for resp in (client.get("/healthz", headers={"Origin": INSPECTOR}),
                 client.post("/oauth/revoke", data={"token": "x"}, headers={"Origin": INSPECTOR}),
                 client.get("/sse", headers={"Origin": INSPECTOR, "Accept": "text/event-stream"})):
        assert_no_cors(resp)
    discovery = client.get("/.well-known/oauth-authorization-server", headers={"Origin": FOREIGN})
    assert discovery.headers["Access-Control-Allow-Origin"] == "*"  # public documents


# ---------------------------------------------------------------- /oauth/register limits


def _oauth_error(resp, status, error):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error", "error_description"} and body["error"] == error
    assert resp.headers["Cache-Control"] == "no-store"
    return body["error_description"]


@pytest.mark.parametrize("depth", [65, 100, 20000])
def test_register_refuses_over_deep_json(client, depth):
    raw = '{"redirect_uris": ["https://client.example/cb"], "client_name": ' + "[" * depth + "]" * depth + "}"
    text = _oauth_error(client.post("/oauth/register", data=raw, content_type="application/json"), 400,
                        "invalid_client_metadata")
    assert "nested deeper than 64 levels" in text


def test_register_accepts_ordinary_nesting_and_refuses_broken_json(client):
    ok = {"redirect_uris": [flow.REDIRECT], "software_statement_extras": [[[[{"a": [1]}]]]]}
    assert client.post("/oauth/register", json=ok).status_code == 201
    text = _oauth_error(client.post("/oauth/register", data="{not json", content_type="application/json"), 400,
                        "invalid_client_metadata")
    assert "not valid JSON" in text
    lone = '{"redirect_uris": ["https://client.example/cb"], "client_name": "\\udc00"}'
    text = _oauth_error(client.post("/oauth/register", data=lone, content_type="application/json"), 400,
                        "invalid_client_metadata")
    assert "surrogate" in text


def test_register_refuses_an_oversized_body_with_413(make_oauth_app):
    client = make_oauth_app(MAX_REQUEST_BYTES=2048).test_client()
    body = json.dumps({"redirect_uris": [flow.REDIRECT], "client_name": "x" * 4000})
    text = _oauth_error(client.post("/oauth/register", data=body, content_type="application/json"), 413,
                        "invalid_request")
    assert "2048 bytes" in text
    small = client.post("/oauth/register", json={"redirect_uris": [flow.REDIRECT], "client_name": "x" * 100})
    assert small.status_code == 201
