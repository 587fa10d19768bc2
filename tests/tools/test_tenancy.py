"""Two people linked to two different Attio workspaces never see each other's cached data."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.conftest import _admin
from tests.integration.oauth_helpers import hidden_fields
from tests.integration.test_oauth_modes import _authorize_url, _call, _pkce, _register, _token

pytestmark = pytest.mark.integration
BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"  # in the demo-sales workspace only


def _linked_token(srv, demo, workspace: str) -> str:
    """Run our consent + Attio's sign-in for `workspace`; returns our access token."""
    client_id = _register(srv)
    verifier, challenge = _pkce()
    browser = requests.Session()
    page = browser.get(_authorize_url(srv, client_id, challenge, "attio:read attio:write"), timeout=10)
    to_attio = browser.post(srv.url + "/oauth/authorize", data={**hidden_fields(page.text), "decision": "allow"},
                            allow_redirects=False, timeout=10)
    back = browser.get(to_attio.headers["Location"] + f"&demo_auto_approve={workspace}", allow_redirects=False,
                       timeout=10)
    done = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(done.headers["Location"]).query)["code"][0]
    return _token(srv, client_id, code, verifier)["access_token"]


@pytest.fixture(scope="module")
def oauth_server(server_factory, demo_attio):
    from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET

    _admin(demo_attio, "/_admin/reset")
    return server_factory(AUTH_DISABLED="false", ATTIO_CLIENT_ID=DEMO_OAUTH_CLIENT_ID,
                          ATTIO_CLIENT_SECRET=DEMO_OAUTH_CLIENT_SECRET, ATTIO_OAUTH_URL=demo_attio.url,
                          CACHE_TTL_SECONDS="300")


def test_two_workspaces_never_share_cached_reads(oauth_server, demo_attio):
    sales = _linked_token(oauth_server, demo_attio, "demo-sales")
    northwind = _linked_token(oauth_server, demo_attio, "northwind")
    # demo-sales reads Brightwave: the record and the workspace facts are now cached for that tenant
    first = _call(oauth_server, sales, "fetch", {"id": BRIGHTWAVE}).json()["result"]
    assert first["isError"] is False and first["structuredContent"]["title"] == "Brightwave Energy"
    assert "/demo-sales/" in first["structuredContent"]["url"]
    # the same id through the Northwind credential must not come from demo-sales' cache
    other = _call(oauth_server, northwind, "fetch", {"id": BRIGHTWAVE}).json()["result"]
    assert other["isError"] is True
    assert "No companies record with id" in other["content"][0]["text"]
    # search results and workspace links stay per tenant too
    hits = _call(oauth_server, northwind, "search", {"query": ""}).json()["result"]["structuredContent"]["results"]
    assert hits and all("/northwind/" in h["url"] for h in hits)
    assert not any(h["title"] == "Brightwave Energy" for h in hits)
    again = _call(oauth_server, sales, "fetch", {"id": BRIGHTWAVE}).json()["result"]
    assert again["structuredContent"] == first["structuredContent"]
