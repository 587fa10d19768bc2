"""The pieces an idle stream is made of, in-process: its Mailbox, and the StreamGate that counts it, sends its
keep-alives and ends it on drain. (tests/integration/test_stream_capacity.py drives them through gunicorn.)"""
from __future__ import annotations

import time

import gevent
import pytest
from flask import Flask

from connector.mcp.mailbox import Empty, Full, Mailbox
from connector.mcp.stream_gate import KEEPALIVE_DUE, StreamGate


def test_a_mailbox_is_a_bounded_fifo():
    box = Mailbox(maxsize=2)
    box.put_nowait("a")
    box.put("b")
    with pytest.raises(Full):
        box.put_nowait("c")
    assert len(box) == 2 and box.qsize() == 2
    assert [box.get(), box.get_nowait()] == ["a", "b"]
    with pytest.raises(Empty):
        box.get_nowait()


def test_a_waiting_reader_is_woken_by_a_put_and_gives_up_at_its_timeout():
    box = Mailbox(maxsize=5)
    got = []
    reader = gevent.spawn(lambda: got.append(box.get()))
    gevent.sleep(0.05)
    assert got == [] and not reader.dead
    box.put_nowait("hello")
    reader.join(1)
    assert got == ["hello"]
    started = time.monotonic()
    with pytest.raises(Empty):
        box.get(timeout=0.1)
    assert 0.08 < time.monotonic() - started < 1
    box.put_nowait("late")  # after a timed-out wait: delivered to the next get, nothing switches in between
    assert box.get(timeout=1) == "late"


def test_a_writer_waits_for_room_up_to_its_timeout():
    box = Mailbox(maxsize=1)
    box.put_nowait(1)
    with pytest.raises(Full):
        box.put(2, timeout=0.05)
    gevent.spawn_later(0.05, box.get)
    started = time.monotonic()
    box.put(2, timeout=2)
    assert time.monotonic() - started < 1 and box.get_nowait() == 2


def test_taken_at_says_when_the_reader_last_took_something():
    box = Mailbox(maxsize=2)
    made = box.taken_at
    gevent.sleep(0.02)
    box.put_nowait("x")
    box.get()
    assert box.taken_at > made


@pytest.fixture
def gate():
    with Flask(__name__).app_context():  # the refusals are Flask responses
        yield StreamGate(total=3, per_client=2, keepalive_interval=0.2)


def test_the_gate_counts_open_streams_per_client_and_in_total(gate):
    boxes = [Mailbox(5) for _ in range(3)]
    with gate.hold("ip:a", "sse", boxes[0], None), gate.hold("ip:a", "sse", boxes[1], None):
        assert gate.open_streams == 2
        refused = gate.refuse("ip:a", msg_id="sub-1")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
        assert refused.get_json()["error"]["code"] == -32600 and refused.get_json()["id"] == "sub-1"
        assert "Too many open streams for this client (limit 2)" in refused.get_json()["error"]["message"]
        assert gate.refuse("ip:b") is None
        with gate.hold("ip:b", "streamable", boxes[2], None):
            refused = gate.refuse("ip:c")
            assert refused.status_code == 503
            assert "Server stream capacity reached (3 open streams)" in refused.get_json()["error"]["message"]
    assert gate.open_streams == 0 and gate.refuse("ip:a") is None


def test_a_quiet_stream_gets_a_keepalive_each_interval_and_a_busy_one_does_not_pile_them_up(gate):
    quiet, busy = Mailbox(5), Mailbox(5)
    busy.put_nowait("unread")  # its stream is stuck writing: nothing more is added
    with gate.hold("ip:a", "sse", quiet, None), gate.hold("ip:b", "sse", busy, None):
        started = time.monotonic()
        assert quiet.get(timeout=2) is KEEPALIVE_DUE
        first = time.monotonic() - started
        assert quiet.get(timeout=2) is KEEPALIVE_DUE
        second = time.monotonic() - started - first
        assert 0.15 < first < 0.6 and 0.15 < second < 0.6, (first, second)
        assert len(busy) == 1
    gevent.sleep(0.4)
    assert len(quiet) == 0  # closed streams get nothing, and the sweep stops with the last one
    assert gate._sweeper is None or gate._sweeper.dead


def test_the_drain_wakes_every_open_stream_and_refuses_new_ones(gate):
    box = Mailbox(5)
    ended = object()
    with gate.hold("ip:a", "sse", box, ended):
        assert gate.drain(wait=1.0) == 1
        assert box.get(timeout=1) is ended
        refused = gate.refuse("ip:z")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        late = Mailbox(5)
        with gate.hold("ip:b", "sse", late, ended):  # a stream let in just before: woken at once
            assert late.get_nowait() is ended
