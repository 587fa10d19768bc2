"""The in-worker memory of verified access tokens (connector/auth/verified.py) and its bounds.

A worker remembers a token it verified for at most TOKEN_CACHE_SECONDS (5) and never past the token's expiry;
a revocation in the same worker evicts at once, one elsewhere is honoured within the bound, or at once through
Redis. The memory is keyed by the token's keyed hash: another token never finds its entry.

The clocks of the memory (and of the resource check) are replaced by one the test moves, so "within the bound"
and "at once" are shown without waiting.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from connector.auth import resource as auth_resource
from connector.auth.models import Token
from connector.auth.verified import Verified, VerifiedTokens
from connector.identity import Caller
from connector.mcp.registry import Tool, ToolResult

from . import flow

READ = "attio:read offline_access"


class Clock:
    """A monotonic and a wall clock that move only when told."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall_now = time.time()

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.wall_now

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_now += seconds


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """One clock for the memory and for the resource check's idea of now (so the store agrees on expiry)."""
    clock = Clock()

    class _Now(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(clock.wall(), tz or timezone.utc)

    monkeypatch.setattr(auth_resource, "datetime", _Now)
    return clock


def use_clock(app: Flask, clock: Clock) -> VerifiedTokens:
    cache: VerifiedTokens = app.extensions["verified_tokens"]
    cache.monotonic, cache.wall = clock.monotonic, clock.wall
    return cache


class Lookups:
    """Counts the statements that read oauth_tokens (one per lookup of an access token)."""

    def __init__(self, app: Flask) -> None:
        self.count = 0
        event.listen(app.extensions["db"].engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM oauth_tokens" in statement:
            self.count += 1


def _revoke(client: Any, token: str, client_id: str) -> Any:
    return client.post("/oauth/revoke", data={"token": token, "client_id": client_id})


def _status(client: Any, token: str) -> int:
    return flow.mcp_initialize(client, token).status_code


def test_a_verified_token_is_not_looked_up_again_within_the_bound(app, client, public_client, clock):
    use_clock(app, clock)
    tokens = flow.authorized(client, public_client["client_id"], scope=READ)
    lookups = Lookups(app)
    assert _status(client, tokens["access_token"]) == 200
    assert lookups.count == 1
    clock.advance(4.9)
    for _ in range(3):
        assert _status(client, tokens["access_token"]) == 200
    assert lookups.count == 1  # remembered
    clock.advance(0.1)  # TOKEN_CACHE_SECONDS (5) after it was verified: asked again
    assert _status(client, tokens["access_token"]) == 200
    assert lookups.count == 2


def test_token_cache_seconds_zero_looks_every_call_up(make_oauth_app):
    app = make_oauth_app(TOKEN_CACHE_SECONDS=0)
    client = app.test_client()
    tokens = flow.authorized(client, flow.register(client)["client_id"], scope=READ)
    lookups = Lookups(app)
    for _ in range(3):
        assert _status(client, tokens["access_token"]) == 200
    assert lookups.count == 3 and len(app.extensions["verified_tokens"]) == 0


def test_a_revocation_in_this_worker_is_honoured_at_once(app, client, public_client, clock):
    use_clock(app, clock)
    cid = public_client["client_id"]
    tokens = flow.authorized(client, cid, scope=READ)
    other = flow.authorized(client, cid, scope=READ)  # another grant of the same client: not touched
    assert _status(client, tokens["access_token"]) == 200 and _status(client, other["access_token"]) == 200
    assert _revoke(client, tokens["refresh_token"], cid).status_code == 200
    assert _status(client, tokens["access_token"]) == 401  # no time has passed
    assert _status(client, other["access_token"]) == 200


def test_a_revocation_in_another_worker_is_honoured_within_the_bound(make_oauth_app, tmp_path, clock):
    shared = {"DATABASE_URL": flow.sqlite_url(tmp_path / "shared.sqlite")}
    ours, theirs = make_oauth_app(**shared), make_oauth_app(**shared)  # two workers on one store, no Redis
    use_clock(ours, clock)
    client = ours.test_client()
    cid = flow.register(client)["client_id"]
    tokens = flow.authorized(client, cid, scope=READ)
    assert _status(client, tokens["access_token"]) == 200
    clock.advance(1.0)
    assert _revoke(theirs.test_client(), tokens["refresh_token"], cid).status_code == 200
    assert _status(theirs.test_client(), tokens["access_token"]) == 401  # the revoking worker: at once
    clock.advance(3.9)
    assert _status(client, tokens["access_token"]) == 200  # 4.9 s after it was verified: still remembered here
    clock.advance(0.1)
    assert _status(client, tokens["access_token"]) == 401  # the bound: 5 s


def test_an_expired_token_is_refused_at_once(make_oauth_app, clock):
    app = make_oauth_app(ACCESS_TOKEN_TTL=60)
    use_clock(app, clock)
    client = app.test_client()
    tokens = flow.authorized(client, flow.register(client)["client_id"], scope=READ)
    assert tokens["expires_in"] == 60
    with app.app_context():
        row = app.extensions["db"].session.query(Token).one()
        expires = row.access_expires_at.replace(tzinfo=timezone.utc).timestamp()
    # Verified 1 s before its expiry (within the bound, so the memory would otherwise keep it 5 s).
    clock.wall_now = expires - 1.0
    lookups = Lookups(app)
    assert _status(client, tokens["access_token"]) == 200
    clock.advance(0.5)
    assert _status(client, tokens["access_token"]) == 200
    assert lookups.count == 1
    clock.advance(0.5)  # its expiry: refused at once, not 5 s later
    resp = flow.mcp_initialize(client, tokens["access_token"])
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert len(app.extensions["verified_tokens"]) == 0


def _entry(grant: str = "g_1", expires_at: float = 0.0) -> Verified:
    return Verified(subject="demo:demo-user", client_id="c_1", grant_id=grant, scopes=frozenset({"attio:read"}),
                    resource="http://localhost/mcp", expires_at=expires_at)


def test_an_entry_never_outlives_its_token(clock):
    cache = VerifiedTokens(5, monotonic=clock.monotonic, wall=clock.wall)
    cache.put("d1", _entry(expires_at=clock.wall() + 2.0), cache.generation)  # the token has 2 s left
    clock.advance(1.999)
    assert cache.get("d1") is not None
    clock.advance(0.001)
    assert cache.get("d1") is None and len(cache) == 0
    cache.put("d2", _entry(expires_at=clock.wall()), cache.generation)  # expired when verified: not kept
    assert len(cache) == 0


def test_the_bound_is_never_above_five_seconds(clock):
    cache = VerifiedTokens(60, monotonic=clock.monotonic, wall=clock.wall)
    cache.put("d", _entry(expires_at=clock.wall() + 3600), cache.generation)
    clock.advance(5.0)
    assert cache.seconds == 5 and cache.get("d") is None


def test_a_lookup_racing_a_revocation_is_not_remembered(clock):
    cache = VerifiedTokens(5, monotonic=clock.monotonic, wall=clock.wall)
    started = cache.generation  # a lookup begins…
    cache.evict(["g_1"])  # …a revocation is committed meanwhile…
    cache.put("d", _entry(expires_at=clock.wall() + 3600), started)  # …what it read may be stale: dropped
    assert cache.get("d") is None


def test_a_full_memory_drops_its_oldest_entries(clock):
    cache = VerifiedTokens(5, max_entries=3, monotonic=clock.monotonic, wall=clock.wall)
    for n in range(5):
        cache.put(f"d{n}", _entry(grant=f"g{n}", expires_at=clock.wall() + 3600), cache.generation)
    assert len(cache) == 3 and cache.get("d0") is None and cache.get("d4") is not None


def test_another_token_never_finds_an_entry_it_does_not_own(app, client, public_client, clock):
    use_clock(app, clock)
    registry = app.extensions["mcp"].registry
    registry.add_tool(Tool(name="fixture_write", description="A write tool for the cache test.", scope="attio:write",
                           handler=lambda ctx, args: ToolResult.text(f"written for {ctx.caller.subject}")))
    cid = public_client["client_id"]
    writer = flow.authorized(client, cid, scope="attio:read attio:write offline_access")
    reader = flow.authorized(client, cid, scope=READ)
    writer_session = flow.mcp_session(client, writer["access_token"])
    reader_session = flow.mcp_session(client, reader["access_token"])
    assert len(app.extensions["verified_tokens"]) == 2  # both remembered, each under its own key
    allowed = flow.tool_call(client, writer["access_token"], "fixture_write", {}, writer_session)
    assert allowed.status_code == 200 and '"isError":false' in allowed.get_data(as_text=True)
    refused = flow.tool_call(client, reader["access_token"], "fixture_write", {}, reader_session)
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    # A near miss of a remembered token is just an unknown token.
    near = writer["access_token"][:-1] + ("A" if writer["access_token"][-1] != "A" else "B")
    assert _status(client, near) == 401
    # Keyed by the keyed hash, never the token; no entry holds either token.
    cache = app.extensions["verified_tokens"]
    with app.app_context():
        assert set(cache._entries) == {app.extensions["keyring"].digest(t["access_token"]) for t in (writer, reader)}
    held = repr(cache._entries)
    assert writer["access_token"] not in held and reader["access_token"] not in held


def test_the_audience_is_checked_on_every_use(app, client, public_client, clock):
    use_clock(app, clock)
    tokens = flow.authorized(client, public_client["client_id"], scope=READ)
    assert _status(client, tokens["access_token"]) == 200  # remembered for /mcp
    resp = client.post("/messages?sessionId=none", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                       headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert resp.status_code == 401 and "resource" in resp.get_json()["error"]["message"]


# ------------------------------------------------------------------------------------------------ through Redis
# Two gunicorn workers sharing Redis: tests/integration/test_token_cache_workers.py.


@pytest.fixture()
def feeds() -> Iterator[list[Any]]:
    """Apps whose revocation feeds are stopped at the end of the test."""
    started: list[Any] = []
    yield started
    for app in started:
        app.extensions["revocation_feed"].stop()


def test_with_redis_unreachable_nothing_is_cached(make_oauth_app, clock, feeds):
    app = make_oauth_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there: the feed never subscribes
    feeds.append(app)
    cache = use_clock(app, clock)
    client = app.test_client()
    tokens = flow.authorized(client, flow.register(client)["client_id"], scope=READ)
    lookups = Lookups(app)
    # Sessions would need that Redis too, so the guard itself is asked (what every MCP request does first).
    with app.test_request_context("/mcp", method="POST", headers=flow.bearer(tokens["access_token"])):
        from flask import request

        for _ in range(3):  # the token still works, looked up every time: a revocation could go by unheard
            caller = auth_resource.authenticate(request)
            assert isinstance(caller, Caller) and caller.subject == "demo:demo-user"
    assert lookups.count == 3 and len(cache) == 0
    assert not app.extensions["revocation_feed"].subscribed
