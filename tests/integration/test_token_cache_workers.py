"""Two gunicorn + gevent workers sharing Redis: a revocation made through one worker is honoured by the other at
once (connector/auth/revocation_feed.py), while a row changed behind the server's back is honoured within
TOKEN_CACHE_SECONDS (connector/auth/verified.py).

Each worker is reached over its own keep-alive connection (found by asking the `test_worker_pid` tool while the
other worker is kept busy), so the test knows which worker answers what.
"""
from __future__ import annotations

import http.client
import itertools
import json
import sqlite3
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.oauth import flow

from .test_redis_cache import empty_redis_db

REDIS_URL = "redis://127.0.0.1:6379/6"  # no other test uses database 6; emptied before and after
CACHE_SECONDS = 4
IDS = itertools.count(10)  # JSON-RPC ids never repeat in the shared session


@pytest.fixture()
def redis_db6() -> Iterator[str]:
    with empty_redis_db(REDIS_URL) as url:
        yield url


def live_tokens(base: str) -> dict[str, Any]:
    """The whole demo-mode flow over HTTP (registration, consent, code exchange): the token response + client_id."""
    browser = requests.Session()
    reg = browser.post(f"{base}/oauth/register", json={"redirect_uris": [flow.REDIRECT],
                                                        "token_endpoint_auth_method": "none"}, timeout=10).json()
    verifier, challenge = flow.pkce_pair()
    page = browser.get(f"{base}/oauth/authorize?" + urlencode(flow.authorize_params(
        reg["client_id"], challenge, scope="attio:read offline_access", resource=f"{base}/mcp")), timeout=10)
    answer = browser.post(f"{base}/oauth/authorize", data={**flow.hidden_fields(page.text), "decision": "allow"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:300]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    resp = browser.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": reg["client_id"],
        "redirect_uri": flow.REDIRECT, "code_verifier": verifier, "resource": f"{base}/mcp"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return {**resp.json(), "client_id": reg["client_id"]}


class Worker:
    """A keep-alive connection, and so one worker."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, bytes]:
        raw = body if isinstance(body, str) else json.dumps(body)
        self.conn.request("POST", path, body=raw, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def initialize(self, token: str) -> int:
        return self.post("/mcp", flow.INITIALIZE, flow.bearer(token))[0]

    def worker_pid(self, token: str, session: str, hold: float = 0.0) -> str:
        status, raw = self.post("/mcp", {"jsonrpc": "2.0", "id": next(IDS), "method": "tools/call", "params": {
            "name": "test_worker_pid", "arguments": {"hold": hold}}},
            flow.bearer(token, **{"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}))
        assert status == 200 and b'"result"' in raw, raw[:300]
        return json.loads(raw)["result"]["content"][0]["text"]


def one_connection_per_worker(port: int, token: str, session: str) -> dict[str, Worker]:
    """Two keep-alive connections, each held by a different worker."""
    first = Worker(port)
    workers = {first.worker_pid(token, session): first}
    for _ in range(20):
        if len(workers) == 2:
            break
        # Keep the known worker busy (a loop that never yields): the next connection is accepted by the other.
        busy = threading.Thread(target=first.worker_pid, args=(token, session, 0.5))
        busy.start()
        time.sleep(0.1)
        other = Worker(port)
        workers.setdefault(other.worker_pid(token, session), other)
        busy.join()
    assert len(workers) == 2, workers
    return workers


def revoke_behind_the_servers_back(db_path: str, client_id: str) -> None:
    """What a hand edit (or a store restored from a backup) does: the rows change, nobody is told."""
    with sqlite3.connect(db_path) as conn:
        now = datetime.now(timezone.utc).isoformat(sep=" ")
        assert conn.execute("UPDATE oauth_tokens SET revoked_at = ? WHERE client_id = ?", (now, client_id)).rowcount


@pytest.mark.integration
def test_a_revocation_through_one_worker_is_honoured_by_the_other_at_once(server_factory, redis_db6, tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    srv = server_factory("tests.integration.testing_app:app", AUTH_DISABLED="false", CONNECTOR_WORKERS="2",
                         REDIS_URL=REDIS_URL, RATE_LIMITS_ENABLED="false", DATABASE_URL=f"sqlite:///{db_path}",
                         TOKEN_CACHE_SECONDS=str(CACHE_SECONDS))
    told, untold = live_tokens(srv.url), live_tokens(srv.url)  # two grants of two clients
    init = requests.post(srv.mcp_url, json=flow.INITIALIZE, headers=flow.bearer(told["access_token"]), timeout=10)
    assert init.status_code == 200, init.text
    workers = one_connection_per_worker(srv.port, told["access_token"], init.headers["Mcp-Session-Id"])
    (pid_a, a), (pid_b, b) = workers.items()

    # Both workers verify both tokens (which starts their revocation feeds), then, subscribed, remember them.
    for worker in (a, b):
        assert worker.initialize(told["access_token"]) == 200 and worker.initialize(untold["access_token"]) == 200
    time.sleep(0.5)
    for worker in (a, b):
        assert worker.initialize(told["access_token"]) == 200 and worker.initialize(untold["access_token"]) == 200

    revoke_behind_the_servers_back(db_path, untold["client_id"])
    status, raw = a.post("/oauth/revoke", urlencode({"token": told["refresh_token"], "client_id": told["client_id"]}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw[:300]
    assert a.initialize(told["access_token"]) == 401  # the revoking worker: evicted before it answered
    # The other worker hears it through Redis: refused long before its memory would have run out.
    deadline = time.monotonic() + CACHE_SECONDS / 2
    while b.initialize(told["access_token"]) != 401:
        assert time.monotonic() < deadline, f"worker {pid_b} still accepted a token revoked through worker {pid_a}"
        time.sleep(0.02)
    # Control: the token revoked behind the servers' back is still remembered by both (so the one above was
    # remembered too, and only the feed can have evicted it)…
    assert b.initialize(untold["access_token"]) == 200 and a.initialize(untold["access_token"]) == 200
    # …and refused by both once TOKEN_CACHE_SECONDS have passed.
    time.sleep(CACHE_SECONDS)
    assert b.initialize(untold["access_token"]) == 401 and a.initialize(untold["access_token"]) == 401
