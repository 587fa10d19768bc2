"""OAuth beyond the basic flow: CIMD client ids, scopes and step-up, and attio_oauth mode end to end."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import anyio
import httpx2
import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import _admin, free_port

from .oauth_helpers import REDIRECT, MemoryStorage, consent, hidden_fields, provider

pytestmark = pytest.mark.integration
APP = "tests.integration.testing_app:app"


class _Doc(BaseHTTPRequestHandler):
    document: bytes = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def metadata_host(tmp_path_factory):
    import ssl

    from .tls import self_signed

    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    port = free_port()
    url = f"https://127.0.0.1:{port}/oauth/client.json"
    _Doc.document = json.dumps({
        "client_id": url, "client_name": "CIMD Test Client", "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://example.invalid/jwks",
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"]}).encode()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _Doc)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield url, str(cert)
    httpd.shutdown()


def _search_through(mcp_url: str, prov) -> dict:
    async def body():
        async with httpx2.AsyncClient(auth=prov, timeout=30) as http:
            async with streamable_http_client(mcp_url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    hit = await session.call_tool("search", {"query": ""})
                    return json.loads(hit.content[0].text)
    return anyio.run(body)


def test_cimd_client_id_served_from_loopback(server_factory, metadata_host):
    url, ca = metadata_host
    srv = server_factory(AUTH_DISABLED="false", CIMD_ALLOW_LOOPBACK="true", CIMD_CA_BUNDLE=ca)
    meta = requests.get(srv.url + "/.well-known/oauth-authorization-server", timeout=5).json()
    assert meta["client_id_metadata_document_supported"] is True
    storage = MemoryStorage()
    found = _search_through(srv.mcp_url, provider(srv.mcp_url, storage, client_metadata_url=url))
    assert found["results"]
    assert storage.client_info.client_id == url  # no DCR: the URL is the client id
    assert storage.tokens.access_token.startswith("atk_")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _register(srv) -> str:
    r = requests.post(srv.url + "/oauth/register", json={"client_name": "modes", "redirect_uris": [REDIRECT],
                                                         "token_endpoint_auth_method": "none"}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()["client_id"]


def _authorize_url(srv, client_id: str, challenge: str, scope: str) -> str:
    return srv.url + "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "st-1",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": srv.mcp_url, "scope": scope})


def _token(srv, client_id: str, code: str, verifier: str) -> dict:
    r = requests.post(srv.url + "/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
        "code_verifier": verifier, "resource": srv.mcp_url}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _call(srv, token: str, name: str, args: dict) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    init = requests.post(srv.mcp_url, headers=headers, timeout=10, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert init.status_code == 200, init.text
    headers["Mcp-Session-Id"] = init.headers["Mcp-Session-Id"]
    return requests.post(srv.mcp_url, headers=headers, timeout=10, json={
        "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": args}})


def test_read_only_token_can_search_but_write_tool_gets_403_insufficient_scope(server_factory):
    srv = server_factory(APP, AUTH_DISABLED="false")
    client_id = _register(srv)
    verifier, challenge = _pkce()
    landed = anyio.run(consent, _authorize_url(srv, client_id, challenge, "attio:read"))
    token = _token(srv, client_id, landed["code"], verifier)
    assert token["scope"] == "attio:read"
    ok = _call(srv, token["access_token"], "search", {"query": "energy"})
    assert ok.status_code == 200 and ok.json()["result"]["isError"] is False
    denied = _call(srv, token["access_token"], "test_write", {})
    assert denied.status_code == 403
    challenge_header = denied.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge_header
    assert 'scope="attio:read attio:write"' in challenge_header
    assert "resource_metadata=" in challenge_header
    # with both scopes the write tool runs
    verifier, challenge = _pkce()
    landed = anyio.run(consent, _authorize_url(srv, client_id, challenge, "attio:read attio:write"))
    full = _token(srv, client_id, landed["code"], verifier)
    assert _call(srv, full["access_token"], "test_write", {}).json()["result"]["content"][0]["text"] == "written"


def test_attio_oauth_mode_end_to_end(server_factory, demo_attio):
    from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET

    _admin(demo_attio, "/_admin/reset")
    srv = server_factory(AUTH_DISABLED="false", ATTIO_CLIENT_ID=DEMO_OAUTH_CLIENT_ID,
                         ATTIO_CLIENT_SECRET=DEMO_OAUTH_CLIENT_SECRET, ATTIO_OAUTH_URL=demo_attio.url)
    assert requests.get(srv.url + "/healthz", timeout=5).json()["mode"] == "attio_oauth"
    client_id = _register(srv)
    verifier, challenge = _pkce()
    browser = requests.Session()
    # offline_access: the refresh token below comes only with it
    page = browser.get(_authorize_url(srv, client_id, challenge, "attio:read offline_access"), timeout=10)
    assert page.status_code == 200 and "Attio will ask you to sign in" in page.text
    form = {**hidden_fields(page.text), "decision": "allow"}
    to_attio = browser.post(srv.url + "/oauth/authorize", data=form, allow_redirects=False, timeout=10)
    assert to_attio.status_code == 303
    attio_url = to_attio.headers["Location"]
    assert attio_url.startswith(demo_attio.url + "/authorize?")
    assert parse_qs(urlparse(attio_url).query)["redirect_uri"] == [srv.url + "/oauth/attio/callback"]
    back = browser.get(attio_url + "&demo_auto_approve=northwind", allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(srv.url + "/oauth/attio/callback")
    _admin(demo_attio, "/_admin/requests/reset")
    done = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    landed = {k: v[0] for k, v in parse_qs(urlparse(done.headers["Location"]).query).items()}
    assert landed["state"] == "st-1" and landed["iss"] == srv.url
    token = _token(srv, client_id, landed["code"], verifier)
    assert set(token) >= {"access_token", "refresh_token", "expires_in"} and token["access_token"].startswith("atk_")
    # the person's own Attio token serves their calls: Northwind's data, not the demo-sales default
    result = _call(srv, token["access_token"], "search", {"query": "contoso"}).json()["result"]
    titles = [r["title"] for r in result["structuredContent"]["results"]]
    assert "Contoso Pharmaceuticals" in titles
    assert all("/northwind/" in r["url"] for r in result["structuredContent"]["results"])
    log = requests.get(demo_attio.url + "/_admin/requests", timeout=5).json()["requests"]
    assert any(x["path"] == "/oauth/token" for x in log) and any(x["path"] == "/oauth/introspect" for x in log)
    assert token["access_token"] not in json.dumps(log)
    # replaying the Attio callback is refused
    again = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert again.status_code == 400 and "Location" not in again.headers
