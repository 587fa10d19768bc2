"""Two gevent workers sharing sessions through Redis: any worker serves any request of a session."""
from __future__ import annotations

import json
import threading

import pytest
import requests


from .test_http_edges import headers, open_session, post
from .test_redis_cache import empty_redis_db

pytestmark = pytest.mark.integration
APP = "tests.integration.testing_app:app"
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(scope="module")
def two_workers(server_factory):
    with empty_redis_db(REDIS_URL):
        yield server_factory(APP, CONNECTOR_WORKERS="2", REDIS_URL=REDIS_URL, SSE_KEEPALIVE_SECONDS="1")


def fresh_post(url, body, hdrs):
    """A new connection per request, so the kernel spreads them over both workers."""
    with requests.Session() as s:
        return s.post(url, data=json.dumps(body), timeout=10, headers={
            "Accept": "application/json, text/event-stream", "Content-Type": "application/json",
            "Connection": "close", **hdrs})


def test_streamable_session_works_on_every_worker(two_workers):
    sid = open_session(two_workers.mcp_url)
    for i in range(30):
        r = fresh_post(two_workers.mcp_url, {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                             "params": {"name": "search", "arguments": {"query": "energy"}}},
                       headers(sid))
        assert r.status_code == 200, (i, r.text)
        assert r.json()["result"]["structuredContent"]["results"]
    level = fresh_post(two_workers.mcp_url, {"jsonrpc": "2.0", "id": 99, "method": "logging/setLevel",
                                             "params": {"level": "error"}}, headers(sid))
    assert level.json()["result"] == {}
    assert requests.delete(two_workers.mcp_url, headers=headers(sid), timeout=5).status_code == 204
    for i in range(6):
        gone = fresh_post(two_workers.mcp_url, {"jsonrpc": "2.0", "id": i, "method": "ping"}, headers(sid))
        assert gone.status_code == 404


def test_legacy_sse_replies_reach_the_stream_whichever_worker_takes_the_post(two_workers):
    with requests.get(two_workers.url + "/sse", headers={"Accept": "text/event-stream"}, stream=True,
                      timeout=15) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == "event: endpoint"
        endpoint = next(lines)[len("data: "):]
        for i in range(12):
            r = fresh_post(two_workers.url + endpoint, {"jsonrpc": "2.0", "id": i, "method": "ping"}, {})
            assert r.status_code == 202, r.text
        seen = set()
        for line in lines:
            if line.startswith("data: "):
                seen.add(json.loads(line[6:])["id"])
                if len(seen) == 12:
                    break
        assert seen == set(range(12))


def test_client_answer_to_a_sampling_request_crosses_workers(two_workers):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {"sampling": {}}, "clientInfo": {"name": "t", "version": "1"}}}
    sid = post(two_workers.mcp_url, init).headers["Mcp-Session-Id"]
    answers: list[int] = []
    threads: list[threading.Thread] = []
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "test_sampling",
                                                                       "arguments": {"prompt": "hi"}}}
    with requests.post(two_workers.mcp_url, json=call, stream=True, timeout=15,
                       headers={"Accept": "application/json, text/event-stream", **headers(sid)}) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            if not line.startswith("data: ") or not line[6:].strip():
                continue
            msg = json.loads(line[6:])
            if msg.get("method") == "sampling/createMessage":
                reply = {"jsonrpc": "2.0", "id": msg["id"], "result": {
                    "role": "assistant", "content": {"type": "text", "text": "pong"}, "model": "m"}}
                t = threading.Thread(target=lambda: answers.append(
                    fresh_post(two_workers.mcp_url, reply, headers(sid)).status_code))
                t.start()
                threads.append(t)
            elif msg.get("id") == 2:
                assert msg["result"]["content"][0]["text"] == "LLM response: pong"
                break
    for t in threads:
        t.join(10)
    assert answers == [202]
