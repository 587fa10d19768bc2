"""The drain of one worker, in-process: what a stream sends at its end, and what a draining worker answers.
(tests/integration/test_restarts.py drives the same through SIGTERM on the real server.)"""
from __future__ import annotations

import json
import time

import gevent
import pytest

from connector.mcp.http_common import drain_outbox
from connector.mcp.sessions import Session
from tests.apps import migrated_app
from tests.security.conftest import McpClient

NOTE = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "queued"}}


def events(chunks: list[str]) -> list[str]:
    return [line for chunk in chunks for line in chunk.splitlines() if line.startswith("data: ")]


def test_a_legacy_stream_sends_what_is_queued_then_replies_in_time_then_restarting_errors():
    session = Session(id="s", transport="sse")
    session.outbox.put(NOTE)
    slow, quick = session.begin(7), session.begin(8)
    assert slow is not None and quick is not None

    def finish_quick() -> None:
        gevent.sleep(0.05)
        session.end(8)
        session.post({"jsonrpc": "2.0", "id": 8, "result": {"content": []}})

    gevent.spawn(finish_quick)
    started = time.monotonic()
    sent = events(list(drain_outbox(session, wait=0.4)))
    took = time.monotonic() - started
    assert sent[0] == "data: " + json.dumps(NOTE, separators=(",", ":"))
    assert sent[1] == 'data: {"jsonrpc":"2.0","id":8,"result":{"content":[]}}'
    assert sent[2].startswith('data: {"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"Server restarting')
    assert len(sent) == 3 and 0.35 < took < 1.0, (sent, took)
    assert slow.cancelled.is_set() and not quick.cancelled.is_set()  # request 7's late result is dropped


def test_a_legacy_stream_with_nothing_running_ends_at_once():
    session = Session(id="s", transport="sse")
    started = time.monotonic()
    assert list(drain_outbox(session, wait=5)) == []
    assert time.monotonic() - started < 0.1


def test_a_streamable_get_stream_does_not_wait_for_requests_answered_on_their_own_posts():
    session = Session(id="s", transport="streamable")
    session.outbox.put(NOTE)
    entry = session.begin(3)
    started = time.monotonic()
    sent = events(list(drain_outbox(session, wait=5)))
    assert len(sent) == 1 and '"queued"' in sent[0]
    assert time.monotonic() - started < 0.1 and not entry.cancelled.is_set()


@pytest.fixture()
def app(demo_attio, tmp_path):
    return migrated_app({"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                         "DATABASE_URL": f"sqlite:///{tmp_path / 'connector.sqlite'}", "LOG_LEVEL": "WARNING"},
                        environ={})


def test_a_draining_worker_refuses_new_streams_and_ends_its_in_memory_sessions(app):
    client = McpClient(app)
    assert client.rpc("ping", {}) == {}
    assert app.extensions["mcp"].shutdown(wait=0.1) == 0
    http = app.test_client()
    refused = http.get("/sse", headers={"Accept": "text/event-stream"})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["message"] == "Server restarting; open the stream again in a second"
    # The session lived in this worker's memory: its next use gets 404, and the client initializes anew.
    gone = client.rpc("ping", {}, raw=True)
    assert gone.status_code == 404 and "initialize a new one" in gone.get_json()["error"]["message"]
    stream = http.get("/mcp", headers={**client.headers, "Accept": "text/event-stream"})
    assert stream.status_code == 404
