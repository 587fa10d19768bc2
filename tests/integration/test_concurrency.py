"""In-flight ids, cancellation and stream caps under the real gevent worker."""
from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from .test_http_edges import headers, open_session, post

pytestmark = pytest.mark.integration

APP = "tests.integration.testing_app:app"


@pytest.fixture(scope="module")
def test_server(server_factory):
    return server_factory(APP, SSE_KEEPALIVE_SECONDS="1", FIRST_EVENT_WAIT_SECONDS="0.5")


def call(i, name, args):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}}


def test_duplicate_in_flight_id_is_rejected_not_hung(test_server):
    sid = open_session(test_server.mcp_url)
    first: dict = {}
    t = threading.Thread(target=lambda: first.update(r=post(test_server.mcp_url, call(7, "test_slow", {"seconds": 1.5}),
                                                            headers(sid), )))
    t.start()
    time.sleep(0.3)
    dup = post(test_server.mcp_url, call(7, "test_slow", {"seconds": 0.1}), headers(sid))
    assert dup.status_code == 200
    assert dup.json()["error"]["code"] == -32600 and "already in flight" in dup.json()["error"]["message"]
    t.join(10)
    text = first["r"].text
    assert '"slept"' in text


def test_cancellation_stops_the_call_and_sends_no_response(test_server):
    sid = open_session(test_server.mcp_url)
    out: dict = {}

    def run():
        out["r"] = post(test_server.mcp_url, call("c1", "test_slow", {"seconds": 5}), headers(sid))

    t = threading.Thread(target=run)
    started = time.monotonic()
    t.start()
    time.sleep(0.8)
    r = post(test_server.mcp_url, {"jsonrpc": "2.0", "method": "notifications/cancelled",
                                   "params": {"requestId": "c1", "reason": "user"}}, headers(sid))
    assert r.status_code == 202
    t.join(10)
    assert time.monotonic() - started < 4
    assert '"slept"' not in out["r"].text and '"result"' not in out["r"].text
    # the id is free again
    again = post(test_server.mcp_url, call("c1", "test_slow", {"seconds": 0.1}), headers(sid))
    assert '"slept"' in again.text


def test_slow_call_switches_to_sse_with_priming_event(test_server):
    sid = open_session(test_server.mcp_url)
    r = post(test_server.mcp_url, call(3, "test_slow", {"seconds": 1}), headers(sid))
    assert r.headers["Content-Type"].startswith("text/event-stream")
    events = [e for e in r.text.split("\n\n") if e.strip()]
    assert events[0].startswith("id: ") and "data:" in events[0] and "retry:" in events[0]
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert final["id"] == 3 and final["result"]["content"][0]["text"] == "slept"


def test_sampling_round_trip_over_post_sse(test_server):
    sid = open_session(test_server.mcp_url)
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {"sampling": {}}, "clientInfo": {"name": "t", "version": "1"}}}
    r = post(test_server.mcp_url, body)
    sid = r.headers["Mcp-Session-Id"]
    with requests.post(test_server.mcp_url, json=call(2, "test_sampling", {"prompt": "hi"}), stream=True, timeout=10,
                       headers={"Accept": "application/json, text/event-stream", **headers(sid)}) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data: ") and line[6:].strip():
                msg = json.loads(line[6:])
                if msg.get("method") == "sampling/createMessage":
                    assert msg["params"]["maxTokens"] == 100
                    answer = {"jsonrpc": "2.0", "id": msg["id"], "result": {
                        "role": "assistant", "content": {"type": "text", "text": "pong"}, "model": "m"}}
                    assert post(test_server.mcp_url, answer, headers(sid)).status_code == 202
                elif msg.get("id") == 2:
                    assert msg["result"]["content"][0]["text"] == "LLM response: pong"
                    break


@pytest.mark.parametrize("total,per_client,expect", [(10, 2, 429), (2, 10, 503)])
def test_stream_caps_refuse_loudly_and_posts_still_answered(server_factory, total, per_client, expect):
    srv = server_factory(APP, MAX_STREAMS=str(total), MAX_STREAMS_PER_CLIENT=str(per_client), SSE_KEEPALIVE_SECONDS="1")
    streams = [requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=10)
               for _ in range(2)]
    try:
        assert all(s.status_code == 200 for s in streams)
        extra = requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, timeout=10)
        assert extra.status_code == expect
        assert extra.headers["Retry-After"]
        assert "stream" in extra.json()["error"]["message"].lower()
        sid = open_session(srv.mcp_url)
        r = post(srv.mcp_url, call(1, "search", {"query": "acme"}), headers(sid))
        assert r.status_code == 200 and "results" in r.text
    finally:
        for s in streams:
            s.close()
    # a closed stream frees its slot
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        again = requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=10)
        ok = again.status_code == 200
        again.close()
        if ok:
            break
        time.sleep(0.5)
    assert ok
