"""With REDIS_URL set, Attio reads are cached in Redis (shared by workers) and the tools still answer."""
from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Iterator

import pytest

from tests.conftest import need

from .test_attio_upstream import call, upstream_calls
from .test_http_edges import open_session

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/15"


@contextmanager
def empty_redis_db(url: str) -> Iterator[str]:
    """The machine's Redis database `url`, emptied before and after (skips, or fails under CI, without Redis)."""
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_workspace_facts_come_from_redis(server_factory, reset_demo):
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    srv = server_factory(REDIS_URL=REDIS_URL)
    sid = open_session(srv.mcp_url)
    first = call(srv, sid, 1, "search", {"query": "energy"})
    assert not first["isError"]
    keys = [k.decode() for k in client.keys("attio-connector:*")]
    assert any(k.endswith(":self") for k in keys) and any(k.endswith(":objects") for k in keys)
    assert not any("demo-attio-key" in k for k in keys)  # keys carry a fingerprint, never the token
    # a second server sharing the Redis cache needs no schema calls at all
    other = server_factory(REDIS_URL=REDIS_URL)
    from tests.conftest import _admin
    _admin(reset_demo, "/_admin/requests/reset")
    sid2 = open_session(other.mcp_url)
    again = call(other, sid2, 1, "search", {"query": "energy"})
    assert again["structuredContent"] == first["structuredContent"]
    assert upstream_calls(reset_demo) == [("POST", "/v2/objects/records/search")]
    client.flushdb()
