"""SIGTERM drains open streams with a last event well inside graceful_timeout; a dead demo Attio comes back."""
from __future__ import annotations

import json
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
    assert "draining: 2 open streams told to reconnect" in srv.log()
    # The in-memory session ended with its worker: the client learns so (404) and re-initializes elsewhere.


def test_a_dead_demo_attio_is_started_again(server_factory):
    srv = server_factory(ATTIO_API_URL="", LOG_LEVEL="INFO")
    sid = open_session(srv.mcp_url)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "energy"}}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    first = requests.post(srv.mcp_url, data=json.dumps(call), headers={**accept, **headers(sid)}, timeout=10)
    assert first.status_code == 200 and not first.json()["result"].get("isError"), first.text
    demo_pid = subprocess.run(["pgrep", "-P", str(srv.proc.pid), "-f", "connector.attio.demo"], capture_output=True,
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
    assert "demo Attio exited" in srv.log() and "demo Attio restarted" in srv.log()


def test_the_supervisor_restarts_a_crash_but_not_a_deliberate_stop():
    from connector.attio.demo.runner import SupervisedDemo

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
