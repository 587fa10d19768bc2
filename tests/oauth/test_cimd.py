"""Client ID Metadata Documents (issue 8 items 1, 2 and 6), against the Flask test client and loopback hosts.

1. The redirect URI is decided when the consent page is shown and bound to the code; a document that
   changes afterwards can neither move the code nor be silently accepted.
2. No database connection is held across a network call (CIMD, Attio, Attio's OAuth); one deadline
   for the whole fetch; concurrent fetches capped; failures remembered briefly.
6. Only globally routable addresses on port 443 are contacted, and every fetch failure reads the same.

The document host is a real https server on 127.0.0.1 (tests/oauth/hosts.py); the end-to-end
versions against gunicorn + gevent are in tests/integration/test_cimd_live.py.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from html import unescape
from typing import Any, Callable

import pytest
import urllib3.util.connection
from flask import Flask

from connector.auth.models import AuthCode, OAuthClient

from . import flow
from .flow import MCP_RESOURCE, REDIRECT, error_of, location_base, location_query, rows, set_columns
from .hosts import DocHost, WatchingProxy, document

DOC = "/oauth/client.json"
ATTACKER = "https://attacker.example/steal"
CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
PAST = datetime.now(timezone.utc) - timedelta(days=1)


@pytest.fixture()
def host(tmp_path: Any) -> Any:
    """A loopback https host for metadata documents."""
    doc_host = DocHost(tmp_path)
    yield doc_host
    doc_host.close()


@pytest.fixture()
def cimd_app(make_oauth_app: Callable[..., Flask], host: DocHost) -> Callable[..., Flask]:
    """An app that may fetch documents from loopback and trusts the host's certificate."""
    def build(**overrides: Any) -> Flask:
        return make_oauth_app(CIMD_ALLOW_LOOPBACK=True, CIMD_CA_BUNDLE=host.ca_bundle, **overrides)
    return build


def publish(host: DocHost, redirect_uris: tuple[str, ...] = (REDIRECT,), name: str = "CIMD Test Client",
            cache: str | None = "max-age=3600", path: str = DOC, **answer: Any) -> str:
    """Serve a document at `path`; its URL (the client id)."""
    url = host.url(path)
    host.serve(path, document(url, list(redirect_uris), name), cache_control=cache, **answer)
    return url


def open_consent(client: Any, client_id: str, redirect_uri: str | None = REDIRECT) -> tuple[Any, dict, str]:
    """GET /oauth/authorize for `client_id`: (response, hidden fields, PKCE verifier)."""
    verifier, challenge = flow.pkce_pair()
    resp, fields = flow.open_consent(client, flow.authorize_params(client_id, challenge, redirect_uri=redirect_uri))
    return resp, fields, verifier


def detail(resp: Any) -> str:
    """The detail line of a local error page."""
    found = re.search(r'id="error-detail">([^<]*)<', resp.get_data(as_text=True))
    assert found, resp.get_data(as_text=True)[:800]
    return unescape(found.group(1))


# ---------------------------------------------------------------------------------------------- item 1


def test_cimd_authorize_without_redirect_uri_is_a_local_error_page(cimd_app, host):
    url = publish(host, (REDIRECT,))  # a single redirect URI: Authlib alone would default to it
    client = cimd_app().test_client()
    resp, _, _ = open_consent(client, url, redirect_uri=None)
    assert resp.status_code == 400 and "Location" not in resp.headers and resp.mimetype == "text/html"
    assert "redirect_uri is required" in detail(resp)


def test_cimd_allow_uses_the_redirect_decided_at_consent_and_never_refetches(cimd_app, host):
    url = publish(host, (REDIRECT,), name="ChatGPT", cache="max-age=1")
    app = cimd_app()
    client = app.test_client()
    page, fields, verifier = open_consent(client, url)
    assert page.status_code == 200 and host.hits[DOC] == 1
    # The document is switched to the attacker's callback and its (one second) lifetime runs out.
    host.serve(DOC, document(url, [ATTACKER], "ChatGPT"), cache_control="max-age=1")
    set_columns(app, OAuthClient, OAuthClient.client_id == url, expires_at=PAST)
    answer = flow.decide(client, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert location_base(answer) == REDIRECT
    assert host.hits[DOC] == 1  # Allow used the stored document
    (code,) = rows(app, AuthCode)
    assert code.redirect_uri == REDIRECT


def test_cimd_document_changed_since_consent_is_refused(cimd_app, host):
    url = publish(host, (REDIRECT,), name="Calendar Helper")
    app = cimd_app()
    first = app.test_client()
    page, fields, _ = open_consent(first, url)
    assert page.status_code == 200
    # Meanwhile the document changes and another authorization request (its lifetime over) fetches it again.
    host.serve(DOC, document(url, [REDIRECT, ATTACKER], "ChatGPT"))
    set_columns(app, OAuthClient, OAuthClient.client_id == url, expires_at=PAST)
    again, _, _ = open_consent(app.test_client(), url, redirect_uri=ATTACKER)
    assert again.status_code == 200 and host.hits[DOC] == 2
    answer = flow.decide(first, fields)
    assert answer.status_code == 409 and "Location" not in answer.headers
    assert "changed" in answer.get_data(as_text=True)
    assert rows(app, AuthCode) == []


def test_cimd_no_store_document_works_for_the_flow_that_fetched_it(cimd_app, host):
    url = publish(host, (REDIRECT,), cache="no-store")
    app = cimd_app()
    client = app.test_client()
    page, fields, verifier = open_consent(client, url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    answer = flow.decide(client, fields)
    assert answer.status_code == 303
    issued = flow.Issued(code=location_query(answer)["code"], verifier=verifier, client_id=url,
                         redirect_uri=REDIRECT, state="state-123")
    tokens = flow.exchange(client, issued)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    refreshed = flow.refresh(client, tokens.get_json()["refresh_token"], url)
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    assert host.hits[DOC] == 1


def test_cimd_client_named_chatgpt_on_an_unknown_host_is_not_verified(cimd_app, host):
    url = publish(host, (CHATGPT,), name="ChatGPT")
    page, _, _ = open_consent(cimd_app().test_client(), url, redirect_uri=CHATGPT)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="warnings"' in html
    assert "its name is not verified" in html and "127.0.0.1" in html


def test_code_is_bound_to_the_redirect_uri_it_was_sent_to(app, client):
    cid = flow.register(client)["client_id"]  # one registered redirect URI: authorize may omit it

    def code_for(redirect_uri: str | None) -> tuple[str, str]:
        page, fields, verifier = open_consent(client, cid, redirect_uri=redirect_uri)
        answer = flow.decide(client, fields)
        assert answer.status_code == 303 and location_base(answer) == REDIRECT
        return location_query(answer)["code"], verifier

    def redeem(code: str, verifier: str, redirect_uri: str | None) -> Any:
        return flow.token_request(client, grant_type="authorization_code", code=code, code_verifier=verifier,
                                  client_id=cid, redirect_uri=redirect_uri, resource=MCP_RESOURCE)

    code, verifier = code_for(None)
    assert [c.redirect_uri for c in rows(app, AuthCode)] == [REDIRECT]  # never ""
    wrong = redeem(code, verifier, ATTACKER)
    assert wrong.status_code == 400 and error_of(wrong) == "invalid_grant"
    # Omitted at authorize: the token request may omit it too (RFC 6749 §4.1.3)…
    code, verifier = code_for(None)
    assert redeem(code, verifier, None).status_code == 200
    # …but once sent at authorize it must be repeated.
    code, verifier = code_for(REDIRECT)
    assert error_of(redeem(code, verifier, None)) == "invalid_grant"


@pytest.mark.parametrize(("cache_control", "seconds"), [
    ("max-age=1", 60), ("no-store", 60), ("no-cache, max-age=600", 60), ("max-age=600", 600),
    ("max-age=99999999", 86400), ("", 3600), ("max-age=nonsense", 3600)])
def test_document_cache_lifetime_is_clamped(cache_control, seconds):
    from connector.auth.cimd import cache_lifetime

    assert cache_lifetime(cache_control) == timedelta(seconds=seconds)


# ---------------------------------------------------------------------------------------------- item 2


def test_no_database_connection_is_held_while_the_document_is_fetched(cimd_app, host):
    url = publish(host)
    app = cimd_app()
    held: list[int] = []
    host.on_request = lambda path: held.append(app.extensions["db"].engine.pool.checkedout())
    page, _, _ = open_consent(app.test_client(), url)
    assert page.status_code == 200
    assert held == [0]


def test_one_deadline_for_the_whole_fetch_of_a_host_that_trickles_bytes(cimd_app, host):
    # 25 bytes a fifth of a second apart, then the rest: each read is quick, the whole takes 5 s.
    url = publish(host, trickle_seconds=0.2, trickle_bytes=25)
    app = cimd_app(CIMD_FETCH_DEADLINE=1)
    page, _, _ = open_consent(app.test_client(), url)
    assert page.status_code == 400 and "Location" not in page.headers
    assert detail(page) == "The app's client metadata document could not be fetched."
    assert rows(app, OAuthClient) == []


def test_failed_fetches_are_remembered_briefly(cimd_app, host):
    url = host.url("/missing.json")  # 404
    app = cimd_app(CIMD_FAILURE_CACHE_SECONDS=60)
    for _ in range(3):
        page, _, _ = open_consent(app.test_client(), url)
        assert page.status_code == 400
    assert host.hits["/missing.json"] == 1


@pytest.mark.parametrize(("settings", "second_host"), [
    ({"CIMD_MAX_FETCHES_PER_HOST": 1}, "127.0.0.1"),              # same host
    ({"CIMD_MAX_FETCHES": 1, "CIMD_MAX_FETCHES_PER_HOST": 5}, "localhost"),  # another host, overall cap
])
def test_concurrent_fetches_are_capped(cimd_app, host, settings, second_host):
    release = threading.Event()
    slow = publish(host, path="/slow.json", hold=release, hold_max=10)
    other = host.url("/other.json", host=second_host)
    host.serve("/other.json", document(other, [REDIRECT]))
    app = cimd_app(**settings)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(open_consent, app.test_client(), slow)
        while host.active < 1 and not waiting.done():
            time.sleep(0.01)
        refused, _, _ = open_consent(app.test_client(), other)
        release.set()
        assert waiting.result()[0].status_code == 200
    assert refused.status_code == 503, refused.get_data(as_text=True)[:300]
    assert "try again" in detail(refused) and host.hits["/other.json"] == 0
    assert open_consent(app.test_client(), other)[0].status_code == 200  # not remembered as a failure


def test_no_database_connection_is_held_while_a_tool_calls_attio(make_oauth_app, demo_attio):
    holder: dict[str, Flask] = {}
    seen: list[int] = []
    proxy = WatchingProxy(demo_attio.url, lambda path: seen.append(
        holder["app"].extensions["db"].engine.pool.checkedout()))
    try:
        app = holder["app"] = make_oauth_app(ATTIO_API_URL=proxy.url)
        client = app.test_client()
        tokens = flow.authorized(client, flow.register(client)["client_id"])
        seen.clear()
        resp = flow.tool_call(client, tokens["access_token"], "search", {"query": "energy"})
        assert resp.status_code == 200 and resp.get_json()["result"]["isError"] is False
    finally:
        proxy.close()
    assert seen and set(seen) == {0}


def test_no_database_connection_is_held_while_attio_oauth_is_called(make_oauth_app, demo_attio):
    from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET

    base = "http://127.0.0.1:8999"
    holder: dict[str, Flask] = {}
    seen: list[tuple[str, int]] = []
    proxy = WatchingProxy(demo_attio.url, lambda path: seen.append(
        (path, holder["app"].extensions["db"].engine.pool.checkedout())))
    try:
        app = holder["app"] = make_oauth_app(
            PUBLIC_URL=base, ATTIO_API_URL=demo_attio.url, ATTIO_OAUTH_URL=proxy.url, UPSTREAM_INTROSPECT_SECONDS=0,
            ATTIO_CLIENT_ID=DEMO_OAUTH_CLIENT_ID, ATTIO_CLIENT_SECRET=DEMO_OAUTH_CLIENT_SECRET)
        browser = flow.client_at(app, base)
        cid = flow.register(browser)["client_id"]
        tokens = flow.tokens_at(browser, cid, base, scope="attio:read offline_access")
        fresh = flow.refresh(browser, tokens["refresh_token"], cid, resource=f"{base}/mcp")
        assert fresh.status_code == 200, fresh.get_data(as_text=True)
    finally:
        proxy.close()
    paths = [path for path, _ in seen]
    assert "/oauth/token" in paths and paths.count("/oauth/introspect") >= 2  # at the link, and on refresh
    assert {held for _, held in seen} == {0}, seen


# ---------------------------------------------------------------------------------------------- item 6


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Resolve *.example names to the address set in `.table`; record connections to anything but loopback
    and refuse them (no network beyond loopback), let loopback ones through."""
    attempts: Any = type("Attempts", (list,), {})()
    attempts.table = {}
    real_resolve, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".example"):
            address = attempts.table[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_resolve(host, port, *args, **kwargs)

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        if address[0] in ("127.0.0.1", "::1"):
            return real_connect(address, *args, **kwargs)
        attempts.append(address)
        raise OSError("no network beyond loopback in tests")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    return attempts


@pytest.mark.parametrize(("url", "address"), [
    ("https://meta.example/client.json", "100.100.100.200"),   # cloud metadata, in 100.64.0.0/10
    ("https://meta.example/client.json", "100.64.0.1"),        # carrier-grade NAT (shared address space)
    ("https://meta.example/client.json", "10.1.2.3"),
    ("https://meta.example/client.json", "169.254.169.254"),
    ("https://meta.example/client.json", "127.0.0.1"),         # loopback without the test setting
    ("https://meta.example/client.json", "192.0.2.10"),        # documentation range
    ("https://meta.example/client.json", "::ffff:10.0.0.1"),   # IPv4-mapped private
    ("https://meta.example:8443/client.json", "93.184.215.14"),  # a public address, but not port 443
])
def test_only_global_addresses_on_port_443_are_contacted(make_oauth_app, connections, url, address):
    connections.table["meta.example"] = address
    page, _, _ = open_consent(make_oauth_app().test_client(), url)
    assert page.status_code == 400 and "Location" not in page.headers
    assert connections == []


def test_a_global_address_on_port_443_is_contacted(make_oauth_app, connections):
    connections.table["meta.example"] = "93.184.215.14"
    page, _, _ = open_consent(make_oauth_app().test_client(), "https://meta.example/client.json")
    assert page.status_code == 400  # the (recorded, refused) connection failed
    assert connections == [("93.184.215.14", 443)]


def test_every_fetch_failure_shows_one_generic_message(cimd_app, host, tmp_path, connections):
    other = DocHost(tmp_path / "other")  # its certificate is not the one the app trusts
    try:
        other_url = other.url("/client.json")
        other.serve("/client.json", document(other_url, [REDIRECT]))
        host.serve("/error.json", b"oops", status=500)
        host.serve("/html.json", b"<html>not json</html>")
        host.serve("/big.json", b"{" + b" " * 6000 + b"}")
        connections.table["internal.example"] = "10.0.0.7"
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            closed_port = unused.getsockname()[1]
        urls = [f"https://127.0.0.1:{closed_port}/client.json",  # connection refused
                other_url,                                          # TLS verification fails
                host.url("/missing.json"), host.url("/error.json"),  # HTTP 404 / 500
                host.url("/html.json"), host.url("/big.json"),      # not JSON, over 5 KB
                "https://internal.example/client.json"]             # a private address
        app = cimd_app()
        details = []
        for url in urls:
            page, _, _ = open_consent(app.test_client(), url)
            assert page.status_code == 400, url
            details.append(detail(page))
    finally:
        other.close()
    assert set(details) == {"The app's client metadata document could not be fetched."}, details

