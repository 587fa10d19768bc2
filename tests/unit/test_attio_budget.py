"""The Attio rate budget: which limits a call counts against, waiting for room, refusing past the longest wait,
per credential and per limit, shared by two "workers" through a real Redis database, and the client using it."""
from __future__ import annotations

import logging
import socket
import time

import pytest
import responses

from connector.attio.budget import ATTIO_LIMITS, AttioBudget, classes, parse_limits
from connector.attio.client import AttioClient
from connector.attio.errors import AttioBudgetExhausted, AttioRateLimited
from connector.attio.provider import make_budget
from connector.config import ConfigError, load_settings
from tests.conftest import need
from tests.integration.test_redis_cache import empty_redis_db, redis_up
from tests.unit.test_attio_client import BASE, TOKEN, attio_error

REDIS_DB = "redis://127.0.0.1:6379/3"  # no other test uses database 3; emptied before and after


class Naps:
    """A real sleep that remembers each nap."""

    def __init__(self) -> None:
        self.naps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.naps.append(seconds)
        time.sleep(seconds)


@pytest.mark.parametrize("method, path, expected", [
    ("GET", "/v2/objects/people/records/r1", ["read"]),
    ("POST", "/v2/objects/people/records/query", ["read"]),
    ("POST", "/v2/lists/sales/entries/query", ["read"]),
    ("POST", "/v2/objects/records/search", ["read"]),
    ("POST", "/v2/objects/people/records", ["write"]),
    ("DELETE", "/v2/notes/n1", ["write"]),
    ("GET", "/v2/notes", ["note_listing", "read"]),
    ("GET", "/v2/notes/n1", ["read"]),
    ("POST", "/v2/sql", ["sql", "read"]),
    ("POST", "/v2/objects/people/records/merge", ["merge", "write"]),
    ("POST", "/v2/meetings/m1/call_recordings", ["recording_create", "write"]),
    ("GET", "/v2/meetings/m1/call_recordings", ["read"]),
    ("POST", "/v2/files/upload", ["file_upload", "write"]),
])
def test_each_call_counts_against_its_own_limit_first_then_reads_or_writes(method, path, expected):
    assert classes(method, path) == expected


@pytest.mark.parametrize("raw, changed", [
    ("attio", {}), ("", {}), ("  ATTIO ", {}),
    ("off", dict.fromkeys(ATTIO_LIMITS)),
    ("read=3,write=2", {"read": 3, "write": 2}),
    ("sql=off, note_listing = 1", {"sql": None, "note_listing": 1}),
])
def test_limits_setting(raw, changed):
    assert parse_limits(raw) == {**ATTIO_LIMITS, **changed}


@pytest.mark.parametrize("raw, says", [("reads=3", "the names are read, write"), ("read", "name=calls-per-second"),
                                       ("read=0", "read must be a whole number"), ("sql=1.5", "sql must be"),
                                       ("merge=10001", "from 1 to 10000")])
def test_bad_limits_stop_the_start_naming_the_setting(raw, says):
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"ATTIO_RATE_LIMITS": raw})
    assert str(info.value).startswith(f"ATTIO_RATE_LIMITS={raw!r} is invalid: ") and says in str(info.value)
    with pytest.raises(ConfigError):
        load_settings(environ={}, overrides={"ATTIO_RATE_LIMITS": raw})


def test_settings_build_the_budget_the_operator_asked_for():
    cfg = load_settings(environ={"ATTIO_RATE_WAIT_SECONDS": "2.5"})
    budget = make_budget(cfg)
    assert budget is not None and not budget.shared and budget.max_wait == 2.5
    assert {n: i.amount for n, i in budget.items.items()} == ATTIO_LIMITS
    assert make_budget(load_settings(environ={"ATTIO_RATE_LIMITS": "off"})) is None
    with pytest.raises(ConfigError, match="ATTIO_RATE_WAIT_SECONDS"):
        load_settings(environ={"ATTIO_RATE_WAIT_SECONDS": "61"})


def test_a_full_limit_makes_the_call_wait_for_the_oldest_place():
    budget, naps = AttioBudget({"sql": 2}), Naps()
    started = time.monotonic()
    for _ in range(2):
        assert budget.acquire("cred", "POST", "/v2/sql", sleep=naps) == 0
    waited = budget.acquire("cred", "POST", "/v2/sql", sleep=naps)
    took = time.monotonic() - started
    assert naps and 0.5 < waited < 1.2 and 0.9 < took < 1.5, (waited, took, naps)


def test_past_the_longest_wait_the_call_is_refused_without_being_sent():
    budget, naps = AttioBudget({"merge": 1}, max_wait=0.3), Naps()
    budget.acquire("cred", "POST", "/v2/objects/people/records/merge", sleep=naps)
    started = time.monotonic()
    with pytest.raises(AttioBudgetExhausted) as info:
        budget.acquire("cred", "POST", "/v2/objects/people/records/merge", sleep=naps)
    assert time.monotonic() - started < 0.5 and sum(naps.naps) <= 0.3
    err = info.value
    assert isinstance(err, AttioRateLimited) and err.code == "rate_budget_exhausted" and err.status is None
    text = err.tool_message()
    assert "record merges (5 a second)" in text and "Nothing was sent to Attio" in text


def test_credentials_and_limits_are_counted_apart():
    budget, naps = AttioBudget({"sql": 1, "read": 100}, max_wait=0), Naps()
    budget.acquire("alice", "POST", "/v2/sql", sleep=naps)
    budget.acquire("bob", "POST", "/v2/sql", sleep=naps)  # another credential: its own budget
    for _ in range(5):
        budget.acquire("alice", "GET", "/v2/objects", sleep=naps)  # reads are not SQL
    with pytest.raises(AttioBudgetExhausted):
        budget.acquire("alice", "POST", "/v2/sql", sleep=naps)
    assert naps.naps == []


def test_unlimited_classes_never_wait():
    budget, naps = AttioBudget({**dict.fromkeys(ATTIO_LIMITS), "write": 1}, max_wait=0), Naps()
    for _ in range(50):
        budget.acquire("cred", "GET", "/v2/notes", sleep=naps)
    assert naps.naps == []


def test_two_workers_share_one_budget_through_redis():
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    with empty_redis_db(REDIS_DB):
        one, two = (AttioBudget({"read": 3}, REDIS_DB, max_wait=0) for _ in range(2))
        assert one.shared and two.shared
        naps = Naps()
        one.acquire("cred", "GET", "/v2/objects", sleep=naps)
        two.acquire("cred", "GET", "/v2/objects", sleep=naps)
        one.acquire("cred", "GET", "/v2/objects", sleep=naps)
        with pytest.raises(AttioBudgetExhausted):
            two.acquire("cred", "GET", "/v2/objects", sleep=naps)
        two.acquire("other", "GET", "/v2/objects", sleep=naps)
        patient = AttioBudget({"read": 3}, REDIS_DB, max_wait=2)
        started = time.monotonic()
        assert patient.acquire("cred", "GET", "/v2/objects", sleep=naps) > 0.5
        assert 0.5 < time.monotonic() - started < 1.5


def test_with_redis_down_the_budget_lets_calls_through_and_says_so(caplog):
    budget = AttioBudget({"read": 1}, "redis://127.0.0.1:1/0", max_wait=0,
                         storage_options={"socket_timeout": 0.2, "socket_connect_timeout": 0.2})
    with caplog.at_level(logging.WARNING, logger="connector.attio.budget"):
        for _ in range(3):
            assert budget.acquire("cred", "GET", "/v2/objects", sleep=Naps()) == 0
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "Attio rate budget skipped: Redis unavailable" in warnings[0]


def test_a_redis_that_does_not_answer_costs_one_timeout_then_is_skipped_for_a_while():
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        budget = AttioBudget({"read": 1}, url, max_wait=0,
                             storage_options={"socket_timeout": 0.3, "socket_connect_timeout": 0.3})
        started = time.monotonic()
        budget.acquire("cred", "GET", "/v2/objects", sleep=Naps())
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            budget.acquire("cred", "GET", "/v2/objects", sleep=Naps())
        rest = time.monotonic() - started
    assert 0.25 < first < 2 and rest < 0.1, (first, rest)


# -- the client under a budget ------------------------------------------------------------------


def test_the_client_waits_its_turn_and_a_retried_429_takes_a_place_again():
    naps = Naps()
    client = AttioClient(BASE, TOKEN, sleep=naps, budget=AttioBudget({"read": 1}, max_wait=3))
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v2/objects", status=429, headers={"Retry-After": "0"},
                 json=attio_error(429, "rate_limit_exceeded", "Rate limit exceeded", "rate_limit_error"))
        rsps.get(f"{BASE}/v2/objects", json={"data": []})
        started = time.monotonic()
        assert client.list_objects() == []
        took = time.monotonic() - started
        # The retry waited for the second's place in the budget, not just for Retry-After.
        assert len(rsps.calls) == 2 and took > 0.9, took


def test_a_call_refused_by_the_budget_never_reaches_attio():
    client = AttioClient(BASE, TOKEN, sleep=Naps(), budget=AttioBudget({"sql": 1}, max_wait=0.1))
    with responses.RequestsMock() as rsps:
        rsps.post(f"{BASE}/v2/sql", json={"data": {"rows": []}})
        client.run_sql("SELECT 1")
        with pytest.raises(AttioBudgetExhausted):
            client.run_sql("SELECT 2")
        assert len(rsps.calls) == 1


def test_bound_clients_and_clients_of_one_credential_share_its_budget():
    budget = AttioBudget({"write": 1}, max_wait=0)
    first = AttioClient(BASE, TOKEN, budget=budget)
    again = AttioClient(BASE, TOKEN, budget=budget).bound(lambda: None)
    other = AttioClient(BASE, TOKEN + "2", budget=budget)
    with responses.RequestsMock() as rsps:
        rsps.delete(f"{BASE}/v2/notes/n1", json={})
        rsps.delete(f"{BASE}/v2/notes/n2", json={})
        first.delete_note("n1")
        other.delete_note("n2")
        with pytest.raises(AttioBudgetExhausted):
            again.delete_note("n1")
    assert first.credential == again.credential != other.credential and TOKEN not in first.credential
