"""Three gevent workers, no sticky routing, 2026-07-28 clients: every request can land on any worker — plain
calls, multi round-trip calls (the requestState is all the next worker needs), and a subscriptions/listen stream
that hears writes made through the other workers (the change feed goes through Redis)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.modern_client import Listening, post

from .test_redis_cache import empty_redis_db

pytestmark = pytest.mark.integration
APP = "tests.integration.testing_app:app"
REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture(scope="module")
def three_workers(server_factory):
    with empty_redis_db(REDIS_URL):
        yield server_factory(APP, CONNECTOR_WORKERS="3", REDIS_URL=REDIS_URL, SSE_KEEPALIVE_SECONDS="1")


def _text(r: requests.Response) -> str:
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["resultType"] == "complete", result
    return result["content"][0]["text"]


def test_plain_calls_spread_over_the_workers(three_workers):
    def call(i: int) -> str:
        return _text(post(three_workers.mcp_url, "tools/call", {"name": "test_worker_pid",
                                                                "arguments": {"hold": 0.2}}, rid=i))

    with ThreadPoolExecutor(6) as pool:
        pids = set(pool.map(call, range(24)))
    assert len(pids) >= 2, pids  # a busy worker leaves new connections to the others: no worker is special
    search = post(three_workers.mcp_url, "tools/call", {"name": "search", "arguments": {"query": "energy"}})
    assert json.loads(_text(search))["results"]
    assert "Mcp-Session-Id" not in search.headers


def test_multi_round_calls_finish_on_whichever_worker_takes_each_round(three_workers):
    caps = {"elicitation": {}}
    call = {"name": "test_input_required_result_multi_round", "arguments": {}}
    for attempt in range(8):
        first = post(three_workers.mcp_url, "tools/call", call, rid=f"{attempt}-1", capabilities=caps).json()
        assert first["result"]["resultType"] == "input_required", first
        second = post(three_workers.mcp_url, "tools/call", {
            **call, "requestState": first["result"]["requestState"],
            "inputResponses": {"step1": {"action": "accept", "content": {"name": "Ada"}}}},
            rid=f"{attempt}-2", capabilities=caps).json()
        assert set(second["result"]["inputRequests"]) == {"step2"}, second
        third = post(three_workers.mcp_url, "tools/call", {
            **call, "requestState": second["result"]["requestState"],
            "inputResponses": {"step2": {"action": "accept", "content": {"color": "teal"}}}},
            rid=f"{attempt}-3", capabilities=caps)
        assert _text(third) == "Ada likes teal"


def _new_person(url: str, name: str) -> tuple[str, str]:
    made = post(url, "tools/call", {"name": "create_record", "arguments": {"object": "people",
                                                                          "values": {"name": name}}},
                extra={"Mcp-Param-Object": "people"})
    assert made.status_code == 200, made.text
    obj, rid = made.json()["result"]["structuredContent"]["id"].split(":")
    return obj, rid


def test_a_listen_stream_hears_writes_made_through_other_workers(three_workers):
    obj, rid = _new_person(three_workers.mcp_url, "Feed Listener")
    uri = f"attio://records/{obj}/{rid}"
    stream = Listening(three_workers.mcp_url, {"resourceSubscriptions": [uri]}, rid="sub-1",
                       done=lambda frames: len(frames) == 7)
    assert stream.wait_ready(), stream.frames
    for i in range(6):
        done = post(three_workers.mcp_url, "tools/call", {"name": "update_record", "arguments": {
            "id": f"{obj}:{rid}", "values": {"job_title": f"Title {i}"}}}, rid=f"w{i}")
        assert done.status_code == 200 and not done.json()["result"]["isError"], done.text
    received = stream.join()
    ack, updates = received[0], received[1:]
    assert ack["params"]["notifications"] == {"resourceSubscriptions": [uri]}
    assert len(updates) == 6, received
    assert all(u["method"] == "notifications/resources/updated" and u["params"]["uri"] == uri for u in updates)
    assert all(u["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1" for u in updates)
