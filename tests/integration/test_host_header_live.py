"""Issue 8 item 11 against gunicorn + gevent as `make run` starts it: bound to 127.0.0.1, no PUBLIC_URL, auth on.

Whatever the path, a request naming another Host gets 421 with a body saying what to set, and the
OAuth metadata never carries a foreign host nor is cacheable by a shared cache.
"""
from __future__ import annotations

import pytest
import requests

from tests.oauth import flow

pytestmark = pytest.mark.integration

EVIL = "evil.example"


@pytest.fixture(scope="module")
def live(server_factory):
    return server_factory(AUTH_DISABLED="false")


ROUTES = [
    ("GET", "/.well-known/oauth-authorization-server", {}),
    ("GET", "/.well-known/oauth-protected-resource/mcp", {}),
    ("GET", "/.well-known/oauth-protected-resource/sse", {}),
    ("GET", flow.authorize_url(flow.authorize_params("c_x", flow.pkce_pair()[1])), {}),
    ("POST", "/oauth/token", {"data": {"grant_type": "authorization_code", "code": "x"}}),
    ("POST", "/oauth/register", {"json": {"redirect_uris": [flow.REDIRECT]}}),
    ("GET", "/healthz", {}),
    ("GET", "/", {}),
    ("POST", "/mcp", {"json": flow.INITIALIZE, "headers": flow.MCP_HEADERS}),
    ("GET", "/sse", {"headers": {"Accept": "text/event-stream"}}),
]


@pytest.mark.parametrize("method, path, extra", ROUTES, ids=[f"{r[0]} {r[1][:40]}" for r in ROUTES])
def test_foreign_host_gets_421_with_a_clear_body(live, method, path, extra):
    extra = dict(extra)
    headers = {**extra.pop("headers", {}), "Host": EVIL}
    resp = requests.request(method, live.url + path, headers=headers, timeout=10, allow_redirects=False, **extra)
    assert resp.status_code == 421, (resp.status_code, resp.text[:300])
    assert "Misdirected request" in resp.text and "PUBLIC_URL" in resp.text and "ALLOWED_HOSTS" in resp.text
    assert f"//{EVIL}" not in resp.text and "Location" not in resp.headers


def test_metadata_names_only_the_real_host_and_is_not_shared_cacheable(live):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp"):
        resp = requests.get(live.url + path, timeout=10)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "no-store"  # the issuer came from this request's Host
        assert EVIL not in resp.text and live.url in resp.text
    assert requests.get(live.url + "/.well-known/oauth-authorization-server", timeout=10).json()["issuer"] == live.url
