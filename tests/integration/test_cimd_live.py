"""Client ID Metadata Documents against the real server (gunicorn + gevent) and a loopback https document host.

Issue 8 item 1: a document switched after the consent page was shown cannot move the code.
Issue 8 item 2: a host that trickles bytes to many concurrent authorization requests leaves
`/healthz` and `/mcp` answering normally (the fetch holds no database connection, has one deadline,
and concurrent fetches are capped). In-process versions of both are in tests/oauth/test_cimd.py.
"""
from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.oauth.flow import (
    INITIALIZE, REDIRECT, authorize_params, authorize_url, bearer, hidden_fields, live_tokens, pkce_pair,
)
from tests.oauth.hosts import DocHost, document

pytestmark = pytest.mark.integration
DOC = "/oauth/client.json"
ATTACKER = "https://attacker.example/steal"


@pytest.fixture()
def host(tmp_path):
    """A loopback https host for metadata documents."""
    doc_host = DocHost(tmp_path)
    yield doc_host
    doc_host.close()


def test_cimd_code_goes_where_the_consent_page_said_even_if_the_document_switches(server_factory, host):
    url = host.url(DOC)
    host.serve(DOC, document(url, [REDIRECT], "ChatGPT"), cache_control="no-store")
    srv = server_factory(AUTH_DISABLED="false", CIMD_ALLOW_LOOPBACK="true", CIMD_CA_BUNDLE=host.ca_bundle)
    resource = f"{srv.url}/mcp"
    browser = requests.Session()

    # Without redirect_uri the code's destination would come from a document that can change: refused locally.
    _, challenge = pkce_pair()
    refused = browser.get(srv.url + authorize_url(authorize_params(url, challenge, redirect_uri=None,
                                                                   resource=resource)), timeout=10)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "redirect_uri is required" in refused.text

    def allow_after_switch() -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        page = browser.get(srv.url + authorize_url(authorize_params(url, challenge, resource=resource)), timeout=10)
        assert page.status_code == 200, page.text[:500]
        assert 'id="redirect-host">client.example<' in page.text and "its name is not verified" in page.text
        # The document is switched to the attacker's callback while the person reads the page.
        host.serve(DOC, document(url, [ATTACKER], "ChatGPT"), cache_control="no-store")
        answer = browser.post(srv.url + "/oauth/authorize", data={**hidden_fields(page.text), "decision": "allow"},
                              allow_redirects=False, timeout=10)
        assert answer.status_code == 303, answer.text[:500]
        assert answer.headers["Location"].startswith(REDIRECT + "?")
        return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0], verifier

    def redeem(code: str, verifier: str, redirect_uri: str) -> requests.Response:
        return requests.post(srv.url + "/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": url,
            "redirect_uri": redirect_uri, "resource": resource}, timeout=10)

    code, verifier = allow_after_switch()
    stolen = redeem(code, verifier, ATTACKER)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"

    code, verifier = allow_after_switch()
    tokens = redeem(code, verifier, REDIRECT)
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    assert requests.post(srv.mcp_url, json=INITIALIZE, headers=bearer(tokens["access_token"]),
                         timeout=10).status_code == 200
    refreshed = requests.post(srv.url + "/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": url,
        "resource": resource}, timeout=10)
    assert refreshed.status_code == 200, refreshed.text  # a no-store document still serves its own flow
    assert host.hits[DOC] == 1  # fetched once, when the first request started


def test_a_trickling_cimd_host_leaves_healthz_and_mcp_answering(server_factory, pg_url, host):
    url = host.url("/slow.json")
    body = json.dumps(document(url, [REDIRECT])).encode() + b" " * 400  # valid JSON, ~12 minutes at 1 byte/s
    host.serve("/slow.json", body, trickle_seconds=1.0)
    srv = server_factory(AUTH_DISABLED="false", DATABASE_URL=pg_url, CIMD_ALLOW_LOOPBACK="true",
                         CIMD_CA_BUNDLE=host.ca_bundle, CIMD_FETCH_DEADLINE="6")
    tokens = live_tokens(srv.url)
    answered: list[int] = []
    concurrent = 16

    def authorize(i: int) -> None:
        _, challenge = pkce_pair()
        params = authorize_params(url, challenge, resource=f"{srv.url}/mcp", state=f"s{i}")
        answered.append(requests.get(srv.url + authorize_url(params), timeout=120).status_code)

    threads = [threading.Thread(target=authorize, args=(i,), daemon=True) for i in range(concurrent)]
    for thread in threads:
        thread.start()
    try:
        # Until every request is either answered or hanging on the host (bounded, in case neither happens).
        until = time.monotonic() + 90
        while len(answered) + host.active < concurrent and time.monotonic() < until:
            time.sleep(0.05)
        assert host.active >= 1, answered
        health = requests.get(srv.url + "/healthz", timeout=60)
        mcp = requests.post(srv.mcp_url, json=INITIALIZE, headers=bearer(tokens["access_token"]), timeout=60)
        assert host.active >= 1  # the fetches were still hanging while these were answered
        assert health.status_code == 200
        assert mcp.status_code == 200, mcp.text[:300]
    finally:
        host.close()
        for thread in threads:
            thread.join(timeout=60)
    assert len(answered) == concurrent and set(answered) <= {400, 503}, answered  # refused, never a 500
