"""Issue 8 item 8: one caller cannot evict another's MCP sessions; new sessions are rate-limited per subject.

Two real subjects (api_key accounts alice and bob) get tokens through the OAuth flow and open sessions
with `initialize`; in process (memory store) and against gunicorn + gevent with both session stores.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector.auth.crypto import hash_password
from connector.auth.models import User
from tests.conftest import need

from . import flow

PASSWORD = "correct horse battery"
PING = {"jsonrpc": "2.0", "id": "p", "method": "ping"}


def add_users(app: Any, *names: str) -> None:
    with app.app_context():
        session = app.extensions["db"].session
        for name in names:
            session.add(User(id=f"u-{name}", username=name, password_hash=hash_password(PASSWORD)))
        session.commit()


@pytest.fixture()
def two_users(make_oauth_app):
    """An api_key-mode app with alice and bob; returns (app, {name: access token})."""
    def build(**settings: Any) -> tuple[Any, dict[str, str]]:
        app = make_oauth_app(ATTIO_API_KEY="test-attio-key", **settings)
        add_users(app, "alice", "bob")
        tokens = {}
        for name in ("alice", "bob"):
            browser = app.test_client()
            cid = flow.register(browser)["client_id"]
            verifier, challenge = flow.pkce_pair()
            _, fields = flow.open_consent(browser, flow.authorize_params(cid, challenge))
            answer = flow.decide(browser, fields, username=name, password=PASSWORD)
            assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
            resp = flow.token_request(browser, grant_type="authorization_code", client_id=cid, code_verifier=verifier,
                                      code=flow.location_query(answer)["code"], redirect_uri=flow.REDIRECT,
                                      resource=flow.MCP_RESOURCE)
            tokens[name] = resp.get_json()["access_token"]
        return app, tokens
    return build


def ping(client: Any, token: str, sid: str) -> int:
    return client.post("/mcp", json=PING, headers=flow.bearer(token, **{
        "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"})).status_code


def test_one_subject_opening_max_sessions_does_not_evict_another_subjects_session(two_users):
    app, tokens = two_users(MAX_SESSIONS=20)
    client = app.test_client()
    bobs = flow.mcp_session(client, tokens["bob"])
    alices = [flow.mcp_session(client, tokens["alice"]) for _ in range(20)]
    assert ping(client, tokens["bob"], bobs) == 200  # the heaviest caller (alice) paid for the room
    assert ping(client, tokens["alice"], alices[0]) == 404 and ping(client, tokens["alice"], alices[-1]) == 200
    assert len(app.extensions["mcp"].sessions) == 20


def test_per_subject_cap_evicts_that_subjects_least_recently_used_session(two_users):
    app, tokens = two_users(MAX_SESSIONS_PER_SUBJECT=3)
    client = app.test_client()
    bobs = [flow.mcp_session(client, tokens["bob"]) for _ in range(3)]
    first, second, third = (flow.mcp_session(client, tokens["alice"]) for _ in range(3))
    assert ping(client, tokens["alice"], first) == 200  # used: now `second` is the least recently used
    fourth = flow.mcp_session(client, tokens["alice"])
    assert ping(client, tokens["alice"], second) == 404
    assert [ping(client, tokens["alice"], s) for s in (first, third, fourth)] == [200, 200, 200]
    assert [ping(client, tokens["bob"], s) for s in bobs] == [200, 200, 200]


def test_initialize_is_rate_limited_per_subject_with_a_json_rpc_429(two_users):
    app, tokens = two_users(RATE_LIMITS_ENABLED=True, RATE_LIMIT_INITIALIZE="3/hour")
    client = app.test_client()
    for _ in range(3):
        flow.mcp_session(client, tokens["alice"])
    refused = flow.mcp_initialize(client, tokens["alice"])
    assert refused.status_code == 429, refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3601
    body = refused.get_json()
    assert body["jsonrpc"] == "2.0" and body["id"] == flow.INITIALIZE["id"]
    assert body["error"]["code"] == -32600 and "Too many new sessions" in body["error"]["message"]
    assert "Mcp-Session-Id" not in refused.headers
    assert flow.mcp_initialize(client, tokens["bob"]).status_code == 200  # another subject is not affected


# ---------------------------------------------------------------- gunicorn + gevent, memory and Redis stores

REDIS_URL = "redis://127.0.0.1:6379/12"


def live_token(base: str, username: str) -> str:
    """The whole OAuth flow against a live api_key-mode server, signing in as `username`."""
    browser = requests.Session()
    reg = browser.post(f"{base}/oauth/register", json={"redirect_uris": [flow.REDIRECT],
                                                        "token_endpoint_auth_method": "none"}, timeout=10).json()
    verifier, challenge = flow.pkce_pair()
    page = browser.get(base + flow.authorize_url(flow.authorize_params(
        reg["client_id"], challenge, scope="attio:read", resource=f"{base}/mcp")), timeout=10)
    answer = browser.post(f"{base}/oauth/authorize", data={**flow.hidden_fields(page.text), "decision": "allow",
                                                           "username": username, "password": PASSWORD},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:300]
    resp = browser.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0],
        "client_id": reg["client_id"], "redirect_uri": flow.REDIRECT, "code_verifier": verifier,
        "resource": f"{base}/mcp"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def live_open(srv: Any, token: str) -> str:
    resp = requests.post(srv.mcp_url, json=flow.INITIALIZE, headers=flow.bearer(token), timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.headers["Mcp-Session-Id"]


def live_ping(srv: Any, token: str, sid: str) -> int:
    return requests.post(srv.mcp_url, json=PING, timeout=10, headers={
        **flow.bearer(token), "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18",
        "Connection": "close"}).status_code


@pytest.mark.integration
@pytest.mark.parametrize("store", ["memory", "redis"])
def test_live_caps_evict_only_the_heavy_subjects_sessions(server_factory, tmp_path, store):
    env = {"AUTH_DISABLED": "false", "ATTIO_API_KEY": "test-attio-key", "MAX_SESSIONS": "3",
           "MAX_SESSIONS_PER_SUBJECT": "3", "DATABASE_URL": flow.sqlite_url(tmp_path / "live.sqlite")}
    if store == "redis":
        from tests.integration.test_redis_cache import redis_up

        need(redis_up(), "Redis is not running on 127.0.0.1:6379")
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env.update(REDIS_URL=REDIS_URL, CONNECTOR_WORKERS="2")  # the cap holds across workers
    seed = flow.make_app(env["DATABASE_URL"], ATTIO_API_KEY="test-attio-key")  # migrates the file
    add_users(seed, "alice", "bob")
    srv = server_factory(**env)
    try:
        alice, bob = live_token(srv.url, "alice"), live_token(srv.url, "bob")
        bobs = live_open(srv, bob)
        alices = [live_open(srv, alice) for _ in range(5)]
        assert live_ping(srv, bob, bobs) == 200
        assert live_ping(srv, alice, alices[0]) == 404 and live_ping(srv, alice, alices[-1]) == 200
        if store == "redis":
            members = redis.Redis.from_url(REDIS_URL).zrange("attio-connector:mcp:caller:sub:user:u-alice", 0, -1)
            assert sorted(m.decode() for m in members) == sorted(alices[-3:])
    finally:
        srv.stop()
        if store == "redis":
            redis.Redis.from_url(REDIS_URL).flushdb()
