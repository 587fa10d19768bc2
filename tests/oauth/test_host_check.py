"""Issue 8 item 11: the Host check covers the whole app, so no foreign name reaches the OAuth issuer.

Without PUBLIC_URL the issuer (and every URL the discovery documents advertise) comes from the
request's Host. A Host this deployment does not serve gets 421 before any view runs, in the shape of
the route; metadata built from the request is never cacheable by shared caches; and a server that
listens beyond loopback without PUBLIC_URL or ALLOWED_HOSTS does not start (demo mode serves the
loopback names only).
"""
from __future__ import annotations

from typing import Any

import pytest

from connector.config import ConfigError, load_settings

from . import flow

EVIL = "evil.example"
LOOPBACK = ["localhost", "127.0.0.1", "[::1]", "::1"]
PUBLIC = "https://connector.example.com"


def send(client: Any, method: str, path: str, host: str, **kwargs: Any) -> Any:
    return client.open(path, method=method, headers={"Host": host, **kwargs.pop("headers", {})}, **kwargs)


def assert_no_foreign_host(resp: Any) -> None:
    body = resp.get_data(as_text=True)
    assert f"http://{EVIL}" not in body and f"https://{EVIL}" not in body, body
    assert EVIL not in resp.headers.get("Location", "") and EVIL not in resp.headers.get("WWW-Authenticate", "")


AUTHORIZE = flow.authorize_url(flow.authorize_params("c_x", flow.pkce_pair()[1]))
MCP_JSON = {"json": flow.INITIALIZE, "headers": flow.MCP_HEADERS}
# (method, path, request extras, the shape of the 421 body)
ROUTES = [
    ("GET", "/.well-known/oauth-authorization-server", {}, "oauth"),
    ("GET", "/.well-known/openid-configuration", {}, "oauth"),
    ("GET", "/.well-known/oauth-protected-resource", {}, "oauth"),
    ("GET", "/.well-known/oauth-protected-resource/mcp", {}, "oauth"),
    ("GET", "/.well-known/oauth-protected-resource/sse", {}, "oauth"),
    ("POST", "/oauth/register", {"json": {"redirect_uris": [flow.REDIRECT]}}, "oauth"),
    ("POST", "/oauth/token", {"data": {"grant_type": "authorization_code", "code": "x"}}, "oauth"),
    ("POST", "/oauth/revoke", {"data": {"token": "x"}}, "oauth"),
    ("GET", AUTHORIZE, {}, "html"),
    ("POST", "/oauth/authorize", {"data": {"pending_id": "x", "csrf_token": "y"}}, "html"),
    ("GET", "/oauth/attio/callback?state=x&code=y", {}, "html"),
    ("POST", "/mcp", MCP_JSON, "jsonrpc"),
    ("OPTIONS", "/mcp", {"headers": {"Origin": "http://localhost:6274", "Access-Control-Request-Method": "POST"}},
     "jsonrpc"),
    ("POST", "/messages?sessionId=x", MCP_JSON, "jsonrpc"),
    ("GET", "/healthz", {}, "json"),
    ("GET", "/", {}, "json"),
    ("GET", "/openapi.json", {}, "json"),
    ("GET", "/no-such-page", {}, "json"),
]


@pytest.mark.parametrize("method, path, extra, shape", ROUTES, ids=[f"{r[0]} {r[1][:40]}" for r in ROUTES])
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:8000", f"localhost.{EVIL}", f"{EVIL}:80@localhost"])
def test_foreign_host_gets_421_in_the_shape_of_the_route(make_oauth_app, method, path, extra, shape, host):
    app = make_oauth_app(ALLOWED_HOSTS=None)  # the default: no PUBLIC_URL, loopback names only
    resp = send(app.test_client(), method, path, host, **extra)
    assert resp.status_code == 421, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert_no_foreign_host(resp)
    text = resp.get_data(as_text=True)
    assert "PUBLIC_URL" in text and "ALLOWED_HOSTS" in text  # tells the operator what to set
    if shape == "html":
        assert resp.mimetype == "text/html" and "Misdirected request" in text
        assert "<script" not in text.lower() and "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        return
    body = resp.get_json()
    if shape == "jsonrpc":
        assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32600 and body["id"] is None
        assert body["error"]["message"].startswith("Misdirected request")
    elif shape == "oauth":
        assert body["error"] == "invalid_request" and body["error_description"].startswith("Misdirected request")
        assert resp.headers["Cache-Control"] == "no-store"
    else:
        assert body["error"] == "misdirected_request" and body["error_description"].startswith("Misdirected request")


def test_a_foreign_host_is_never_echoed_as_markup(make_oauth_app):
    app = make_oauth_app(ALLOWED_HOSTS=None)
    resp = send(app.test_client(), "GET", AUTHORIZE, '"><img src=x onerror=alert(1)>.example')
    assert resp.status_code == 421 and "<img" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_names_are_served_and_the_request_derived_issuer_is_not_cacheable(make_oauth_app, host):
    client = make_oauth_app(ALLOWED_HOSTS=None).test_client()
    resp = send(client, "GET", "/.well-known/oauth-authorization-server", host)
    assert resp.status_code == 200
    assert resp.get_json()["issuer"] == f"http://{host.lower()}"
    assert resp.headers["Cache-Control"] == "no-store"  # built from this request: no shared cache may keep it
    prm = send(client, "GET", "/.well-known/oauth-protected-resource/mcp", host)
    assert prm.status_code == 200 and prm.headers["Cache-Control"] == "no-store"
    assert prm.get_json()["authorization_servers"] == [f"http://{host.lower()}"]


def test_with_public_url_only_public_url_is_advertised_and_it_may_be_cached(make_oauth_app):
    app = make_oauth_app(PUBLIC_URL=PUBLIC, ALLOWED_HOSTS=None)
    client = app.test_client()
    for host in ("connector.example.com", "localhost:8000"):
        resp = send(client, "GET", "/.well-known/oauth-authorization-server", host)
        assert resp.status_code == 200 and resp.get_json()["issuer"] == PUBLIC
        assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert send(client, "GET", "/.well-known/oauth-authorization-server", EVIL).status_code == 421


def test_public_url_host_is_served_even_when_allowed_hosts_is_explicit(make_oauth_app):
    app = make_oauth_app(PUBLIC_URL=PUBLIC, ALLOWED_HOSTS=["localhost"])
    assert "connector.example.com" in app.config["ALLOWED_HOSTS"]
    assert send(app.test_client(), "GET", "/healthz", "connector.example.com").status_code == 200


def test_wildcard_serves_any_host_but_never_cacheably(make_oauth_app):
    client = make_oauth_app(ALLOWED_HOSTS=["*"]).test_client()
    resp = send(client, "GET", "/.well-known/oauth-authorization-server", "tunnel.example")
    assert resp.status_code == 200 and resp.get_json()["issuer"] == "http://tunnel.example"
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.fixture()
def wide_bind(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """gunicorn bound to every interface (as gunicorn.conf.py records it), no PUBLIC_URL, no ALLOWED_HOSTS."""
    for name in ("PUBLIC_URL", "ALLOWED_HOSTS", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONNECTOR_BIND", "0.0.0.0:8000")  # noqa: S104 (what is being tested)
    return {"CONNECTOR_BIND": "0.0.0.0:8000"}  # noqa: S104


@pytest.mark.parametrize("mode", [{"ATTIO_API_KEY": "k"}, {"ATTIO_CLIENT_ID": "i", "ATTIO_CLIENT_SECRET": "s"}],
                         ids=["api_key", "attio_oauth"])
def test_wide_bind_without_public_url_or_allowed_hosts_does_not_start(wide_bind, mode):
    with pytest.raises(ConfigError) as err:
        load_settings({**wide_bind, **mode})
    message = str(err.value)
    assert "PUBLIC_URL" in message and "ALLOWED_HOSTS" in message and "0.0.0.0:8000" in message
    assert load_settings({**wide_bind, **mode, "PUBLIC_URL": PUBLIC})["ALLOWED_HOSTS"] == [
        *LOOPBACK, "connector.example.com"]
    assert load_settings({**wide_bind, **mode, "ALLOWED_HOSTS": "Crm.Example.org"})["ALLOWED_HOSTS"] == [
        "crm.example.org"]


def test_wide_bind_in_demo_mode_serves_loopback_names_only(wide_bind, make_oauth_app):
    assert load_settings(dict(wide_bind))["ALLOWED_HOSTS"] == LOOPBACK
    client = make_oauth_app(ALLOWED_HOSTS=None).test_client()
    assert send(client, "GET", "/.well-known/oauth-authorization-server", EVIL).status_code == 421
    assert send(client, "GET", "/.well-known/oauth-authorization-server", "localhost:8000").status_code == 200
