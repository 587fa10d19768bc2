"""SIGTERM drains open streams with a last event well inside graceful_timeout; a dead demo Attio comes back."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from tests.conftest import need
from tests.integration.test_http_edges import headers, open_session
from tests.spare_services import SpareRedis

pytestmark = pytest.mark.integration


def read_stream(resp: requests.Response, out: list, done: threading.Event) -> None:
    try:
        for line in resp.iter_lines(decode_unicode=True):
            out.append((time.monotonic(), line))
    except requests.RequestException as exc:
        out.append((time.monotonic(), f"!{exc.__class__.__name__}"))
    finally:
        done.set()


def test_sigterm_drains_every_open_stream_with_a_last_event(server_factory):
    srv = server_factory(GRACEFUL_TIMEOUT="10", SSE_KEEPALIVE_SECONDS="30", ACCESS_LOG="/dev/null", LOG_LEVEL="INFO")
    legacy = requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=30)
    sid = open_session(srv.mcp_url)
    modern = requests.get(srv.mcp_url, headers={"Accept": "text/event-stream", **headers(sid)}, stream=True,
                          timeout=30)
    assert legacy.status_code == 200 and modern.status_code == 200
    streams = []
    for resp in (legacy, modern):
        lines, done = [], threading.Event()
        threading.Thread(target=read_stream, args=(resp, lines, done), daemon=True).start()
        streams.append((lines, done))
    time.sleep(0.5)
    sent = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    for lines, done in streams:
        assert done.wait(8), lines
        texts = [text for _, text in lines]
        assert "retry: 1000" in texts and ": server restarting; reconnect" in texts, texts
        ended = lines[-1][0]
        assert ended - sent < 5, ended - sent  # well inside graceful_timeout (10 s)
    assert srv.proc.wait(timeout=12) == 0
    exited = time.monotonic() - sent
    assert exited < 5, exited  # the worker did not wait out graceful_timeout (10 s) on the ended streams' connections
    log = srv.log()
    assert "draining: 2 open streams told to reconnect" in log
    assert "Worker graceful timeout" not in log and "Error handling request" not in log, log[-2000:]
    assert "Traceback" not in log, log[-2000:]
    # The in-memory session ended with its worker: the client learns so (404) and re-initializes elsewhere.


def test_a_dead_demo_attio_is_started_again(server_factory):
    srv = server_factory(ATTIO_API_URL="", LOG_LEVEL="INFO")
    sid = open_session(srv.mcp_url)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "energy"}}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    first = requests.post(srv.mcp_url, data=json.dumps(call), headers={**accept, **headers(sid)}, timeout=10)
    assert first.status_code == 200 and not first.json()["result"].get("isError"), first.text
    demo_pid = subprocess.run(["pgrep", "-P", str(srv.proc.pid), "-f", "attio_demo"], capture_output=True,
                              text=True).stdout.split()
    assert len(demo_pid) == 1, demo_pid
    subprocess.run(["kill", "-9", demo_pid[0]], check=True)
    deadline, ok = time.monotonic() + 15, False
    while time.monotonic() < deadline and not ok:
        time.sleep(0.5)
        call["id"] += 1
        r = requests.post(srv.mcp_url, data=json.dumps(call), headers={**accept, **headers(sid)}, timeout=10)
        ok = r.status_code == 200 and not r.json()["result"].get("isError")
    assert ok, (r.text, srv.log()[-2500:])
    # The new demo serves calls a moment before the supervisor (polling its health) writes that it restarted it.
    deadline = time.monotonic() + 10
    while "demo Attio restarted" not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "demo Attio exited" in srv.log() and "demo Attio restarted" in srv.log(), srv.log()[-2500:]


def test_the_supervisor_restarts_a_crash_but_not_a_deliberate_stop():
    from attio_demo.runner import SupervisedDemo

    logged: list[str] = []
    demo = SupervisedDemo(log=logged.append, poll=0.1)
    try:
        first = demo.current.process
        first.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and demo.restarts == 0:
            time.sleep(0.1)
        assert demo.restarts == 1 and demo.current.process is not first
        assert requests.get(f"{demo.url}/_admin/health", timeout=5).status_code == 200
        demo.current.process.send_signal(signal.SIGTERM)  # what Ctrl-C or a platform stop does to the group
        time.sleep(1.5)
        assert demo.restarts == 1 and any("not restarting" in line for line in logged), logged
    finally:
        demo.stop()


def test_with_redis_sessions_a_drained_stream_resumes_on_the_other_worker(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed")
    redis_srv = SpareRedis(tmp_path)
    redis_srv.start()
    srv = server_factory(CONNECTOR_WORKERS="2", REDIS_URL=redis_srv.url, GRACEFUL_TIMEOUT="10",
                         SSE_KEEPALIVE_SECONDS="30")
    try:
        sid = open_session(srv.mcp_url)
        stream = requests.get(srv.mcp_url, headers={"Accept": "text/event-stream", **headers(sid)}, stream=True,
                              timeout=30)
        assert stream.status_code == 200
        lines, done = [], threading.Event()
        threading.Thread(target=read_stream, args=(stream, lines, done), daemon=True).start()
        time.sleep(0.5)
        # Stop the worker that holds the stream (SIGTERM to one worker: the master starts a new one).
        workers = subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True, text=True).stdout.split()
        holder = None
        for pid in workers:
            conns = subprocess.run(["ss", "-tnp", "state", "established", f"( sport = :{srv.port} )"],
                                   capture_output=True, text=True).stdout
            if f"pid={pid}," in conns:
                holder = pid
        assert holder is not None, workers
        subprocess.run(["kill", "-TERM", holder], check=True)
        assert done.wait(8), lines
        assert "retry: 1000" in [text for _, text in lines]
        # The session lives in Redis: the client goes on with it on the other worker.
        r = requests.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 5, "method": "tools/list"},
                          headers={"Accept": "application/json, text/event-stream", **headers(sid)}, timeout=10)
        assert r.status_code == 200 and r.json()["result"]["tools"], r.text
    finally:
        srv.stop()
        redis_srv.stop()


def sse_messages(lines: list) -> list[dict]:
    """The JSON-RPC messages among the `data:` lines read so far."""
    out = []
    for _, text in lines:
        if text.startswith("data: {"):
            out.append(json.loads(text[6:]))
    return out


def test_requests_in_flight_on_a_draining_worker_get_their_reply_or_a_restarting_error(server_factory, reset_demo):
    from tests.conftest import _admin

    srv = server_factory(GRACEFUL_TIMEOUT="10", SSE_KEEPALIVE_SECONDS="30", FIRST_EVENT_WAIT_SECONDS="0.2",
                         LOG_LEVEL="INFO", RATE_LIMIT_INITIALIZE="1000/minute")
    # Attio answers the task list in 1.5 s (inside the drain time, 10 s / 3) and a search in 8 s (past it).
    _admin(reset_demo, "/_admin/faults", {"delay_ms": 1500, "count": 1, "path": "/v2/tasks"})
    _admin(reset_demo, "/_admin/faults", {"delay_ms": 8000, "count": 2, "path": "/v2/objects/records/search"})
    json_headers = {"Content-Type": "application/json"}

    # A legacy SSE session with two calls running when the worker is told to stop.
    legacy = requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=30)
    legacy_lines, legacy_done = [], threading.Event()
    threading.Thread(target=read_stream, args=(legacy, legacy_lines, legacy_done), daemon=True).start()
    deadline = time.monotonic() + 5
    while not any(t.startswith("data: /messages") for _, t in legacy_lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    endpoint = srv.url + next(t[6:] for _, t in legacy_lines if t.startswith("data: /messages"))
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2024-11-05", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}}
    assert requests.post(endpoint, data=json.dumps(init), headers=json_headers, timeout=10).status_code == 202
    requests.post(endpoint, data=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                  headers=json_headers, timeout=10)
    for rid, name, args in ((11, "list_tasks", {}), (12, "search", {"query": "energy"})):
        call = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": name, "arguments": args}}
        assert requests.post(endpoint, data=json.dumps(call), headers=json_headers, timeout=10).status_code == 202

    # A Streamable HTTP call whose reply streams (it asked for progress), running when the worker is told to stop.
    sid = open_session(srv.mcp_url)
    call = {"jsonrpc": "2.0", "id": 21, "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "energy"}, "_meta": {"progressToken": "p"}}}
    reply = requests.post(srv.mcp_url, data=json.dumps(call), stream=True, timeout=30,
                          headers={"Accept": "application/json, text/event-stream", **json_headers, **headers(sid)})
    assert reply.headers["Content-Type"].startswith("text/event-stream"), reply.text
    reply_lines, reply_done = [], threading.Event()
    threading.Thread(target=read_stream, args=(reply, reply_lines, reply_done), daemon=True).start()

    # An idle keep-alive connection (as a router's pool holds them) must not keep the worker until graceful_timeout.
    idle = requests.Session()
    assert idle.get(f"{srv.url}/healthz", timeout=5).status_code == 200
    time.sleep(0.5)  # the three calls are waiting on Attio
    worker = subprocess.run(["pgrep", "-P", str(srv.proc.pid), "-f", "gunicorn"], capture_output=True,
                            text=True).stdout.split()
    assert len(worker) == 1, worker
    sent = time.monotonic()
    subprocess.run(["kill", "-TERM", worker[0]], check=True)

    assert legacy_done.wait(8) and reply_done.wait(8), (legacy_lines, reply_lines)
    by_id = {m.get("id"): m for m in sse_messages(legacy_lines)}
    assert "result" in by_id[11] and not by_id[11]["result"].get("isError"), by_id[11]  # finished in time
    assert by_id[12]["error"]["code"] == -32000 and "Server restarting" in by_id[12]["error"]["message"], by_id[12]
    assert [t for _, t in legacy_lines if t][-2:] == ["retry: 1000", ": server restarting; reconnect"]
    final = sse_messages(reply_lines)[-1]
    assert final["id"] == 21 and final["error"]["code"] == -32000, final
    assert any(m.get("method") == "notifications/progress" for m in sse_messages(reply_lines))
    for lines in (legacy_lines, reply_lines):
        assert 3 < lines[-1][0] - sent < 6, lines[-1][0] - sent  # the drain time (3.3 s), then they end
    while time.monotonic() < sent + 9 and os.path.exists(f"/proc/{worker[0]}"):
        time.sleep(0.1)
    exited = time.monotonic() - sent
    assert exited < 6, exited  # well inside graceful_timeout (10 s), the idle connection notwithstanding
    log = srv.log()
    assert "draining: 1 open streams told to reconnect, 1 streamed replies given 3.3s to finish" in log
    assert "draining: 1 idle keep-alive connections closed" in log, log[-2000:]
    assert "Worker graceful timeout" not in log and "Error handling request" not in log and "Traceback" not in log

    # The replacement worker serves a new session.
    deadline, sid2 = time.monotonic() + 10, None
    while sid2 is None and time.monotonic() < deadline:
        try:
            sid2 = open_session(srv.mcp_url)
        except (requests.RequestException, AssertionError):
            time.sleep(0.2)
    assert sid2 is not None and srv.alive()
    r = requests.post(srv.mcp_url, data=json.dumps({"jsonrpc": "2.0", "id": 31, "method": "ping"}),
                      headers={"Accept": "application/json, text/event-stream", **json_headers, **headers(sid)},
                      timeout=5)
    assert r.status_code == 404, r.text
