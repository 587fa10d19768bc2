"""Several workers share one Attio rate budget (issue 11's Done-when): a demo Attio that allows 5 reads a second per
token, a load far above that from concurrent callers spread over two gevent workers, and no 429 reaches a caller
while the budget (counted in Redis) holds. Two controls show the test can fail: without the budget the same load
gets Attio's 429 back, and two instances each counting alone (no shared Redis) together go past the limit."""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Iterator

import pytest
import requests

from tests.conftest import need
from tests.modern_client import post

from .test_redis_cache import empty_redis_db, redis_up

pytestmark = [pytest.mark.integration, pytest.mark.slow]
APP = "tests.integration.testing_app:app"
REDIS_URL = "redis://127.0.0.1:6379/4"  # no other test uses database 4; emptied before and after
READS_PER_SECOND = 5
LOAD_SECONDS = 4.0
CALLERS = 6
RATE_LIMITED = ("rate limit", "Too many calls to Attio")


@pytest.fixture(scope="module")
def limited_attio() -> Iterator[Any]:
    """A demo Attio of its own with Attio's 429s at READS_PER_SECOND (and as many writes)."""
    from attio_demo import start_demo_attio

    demo = start_demo_attio(testing=True, rate_limits=f"read={READS_PER_SECOND},write={READS_PER_SECOND}")
    yield demo
    demo.stop()


def _demo_statuses(demo: Any) -> Counter:
    log = requests.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]
    return Counter(e["status"] for e in log if e["path"].startswith("/v2/"))


def _load(urls: list[str]) -> tuple[list[str], set[str]]:
    """CALLERS threads call `search` for LOAD_SECONDS through fresh connections and, every second call, keep a
    worker busy a moment and ask which one it was (so calls spread over the workers); (what every failed search
    said, the worker pids)."""
    failures: list[str] = []
    pids: set[str] = set()
    done = Counter()
    deadline = time.monotonic() + LOAD_SECONDS
    lock = threading.Lock()

    def caller(n: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            url = urls[(n + i) % len(urls)]
            if i % 2 == 0:
                # Busy for a moment without yielding: meanwhile new connections go to the other worker.
                r = post(url, "tools/call", {"name": "test_worker_pid", "arguments": {"hold": 0.3}}, rid=f"{n}-{i}")
                with lock:
                    pids.add(r.json()["result"]["content"][0]["text"])
                continue
            r = post(url, "tools/call", {"name": "search", "arguments": {"query": "energy"}}, rid=f"{n}-{i}")
            result = r.json().get("result") if r.status_code == 200 else None
            with lock:
                done["calls"] += 1
                if result is None or result.get("isError"):
                    failures.append(result["content"][0]["text"] if result else f"HTTP {r.status_code}: {r.text}")

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert done["calls"] >= CALLERS, done
    return failures, pids


def _start(server_factory: Any, demo: Any, **env: str) -> Any:
    # No read cache: every search goes to Attio.
    return server_factory(APP, ATTIO_API_URL=demo.url, CACHE_TTL_SECONDS="0", **env)


def _reset(demo: Any) -> None:
    requests.post(f"{demo.url}/_admin/requests/reset", timeout=5).raise_for_status()


def test_two_workers_sharing_the_budget_in_redis_keep_429s_from_callers(server_factory, limited_attio):
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    with empty_redis_db(REDIS_URL):
        srv = _start(server_factory, limited_attio, CONNECTOR_WORKERS="2", REDIS_URL=REDIS_URL,
                     ATTIO_RATE_LIMITS=f"read={READS_PER_SECOND},write={READS_PER_SECOND}",
                     ATTIO_RATE_WAIT_SECONDS="10")
        try:
            _reset(limited_attio)
            started = time.monotonic()
            failures, pids = _load([srv.mcp_url])
            took = time.monotonic() - started
            statuses = _demo_statuses(limited_attio)
        finally:
            srv.stop()
    print(f"\nbudget in Redis, 2 workers: Attio answered {dict(statuses)} in {took:.1f} s; "
          f"{len(failures)} failed calls; workers {sorted(pids)}")
    assert len(pids) == 2, pids  # both workers served the load
    assert failures == [], failures[:3]
    assert statuses[200] >= READS_PER_SECOND * 2, statuses  # the load did reach Attio, at its pace
    # The budget counts a moving second, Attio a clock second: at a second's edge a call sent a few
    # milliseconds late can still meet a 429. It is retried after Retry-After and never reaches the caller.
    assert statuses[429] <= 3, statuses


def test_control_without_the_budget_the_same_load_gets_attios_429(server_factory, limited_attio):
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    with empty_redis_db(REDIS_URL):
        srv = _start(server_factory, limited_attio, CONNECTOR_WORKERS="2", REDIS_URL=REDIS_URL,
                     ATTIO_RATE_LIMITS="off", ATTIO_MAX_ATTEMPTS="1")
        try:
            _reset(limited_attio)
            failures, _ = _load([srv.mcp_url])
            statuses = _demo_statuses(limited_attio)
        finally:
            srv.stop()
    print(f"\nno budget: Attio answered {dict(statuses)}; {len(failures)} failed calls")
    assert statuses[429] > 10, statuses
    assert failures and all(any(w in f for w in RATE_LIMITED) for f in failures), failures[:3]


def test_control_two_instances_counting_alone_go_past_the_limit(server_factory, limited_attio):
    """Each instance keeps the budget in its own memory (no REDIS_URL): together they send twice the limit."""
    servers = [_start(server_factory, limited_attio, ATTIO_MAX_ATTEMPTS="1", ATTIO_RATE_WAIT_SECONDS="10",
                      ATTIO_RATE_LIMITS=f"read={READS_PER_SECOND},write={READS_PER_SECOND}") for _ in range(2)]
    try:
        _reset(limited_attio)
        failures, _ = _load([s.mcp_url for s in servers])
        statuses = _demo_statuses(limited_attio)
    finally:
        for s in servers:
            s.stop()
    print(f"\nbudget per instance: Attio answered {dict(statuses)}; {len(failures)} failed calls")
    assert statuses[429] > 3, statuses
    assert any("rate limit" in f for f in failures), failures[:3]
