"""Idle streams at the cap, on the real server (gunicorn + gevent): a full worker refuses the next stream with the
protocol's error and keeps answering tool calls; the file-descriptor limit decides how many it may hold.
The 10,000-stream figures are bench/capacity.py's (docs/benchmarks.md); this is the same behaviour at 30."""
from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.modern_client import body as modern_body, headers as modern_headers

from .test_http_edges import headers as session_headers, open_session, post

pytestmark = pytest.mark.integration

CAP, PER_CLIENT = 30, 10


def _request(port: int, method: str, path: str, headers: dict[str, str], payload: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    if method == "POST":
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Stream:
    """One stream request from a chosen loopback source address (the server's per-client cap counts addresses)."""

    def __init__(self, port: int, source: str, kind: str, rid: str = "sub") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        if kind == "sse":
            raw = _request(port, "GET", "/sse", {"Accept": "text/event-stream"})
        else:
            msg = modern_body("subscriptions/listen", {"notifications": {"toolsListChanged": True}}, rid=rid)
            raw = _request(port, "POST", "/mcp", modern_headers(msg), json.dumps(msg).encode())
        self.sock.sendall(raw)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self._recv()
        head, self.rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        if self.status == 200:  # the first event: the endpoint, or the subscription's acknowledgement
            while b"\n\n" not in self.rest:
                self.rest += self._recv()
        else:
            while len(self.rest) < int(self.headers["content-length"]):
                self.rest += self._recv()
            self.sock.close()

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def error(self) -> dict:
        return json.loads(self.rest)

    def read_until(self, marker: bytes, timeout: float) -> bool:
        """True once `marker` arrives (after the first event)."""
        self.sock.settimeout(timeout)
        seen, deadline = b"", time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            seen += self._recv()
        return marker in seen

    def close(self) -> None:
        self.sock.close()


def _search_2026(url: str) -> dict:
    msg = modern_body("tools/call", {"name": "search", "arguments": {"query": "energy"}}, rid="call-1")
    req = urllib.request.Request(url, data=json.dumps(msg).encode(), method="POST",
                                 headers={**modern_headers(msg), "Connection": "close"})
    with urllib.request.urlopen(req, timeout=15) as r:
        assert r.status == 200
        return json.loads(r.read())


@pytest.fixture(scope="module")
def capped(server_factory):
    return server_factory(MAX_STREAMS=str(CAP), MAX_STREAMS_PER_CLIENT=str(PER_CLIENT), SSE_KEEPALIVE_SECONDS="1")


def test_at_the_cap_the_next_stream_is_refused_with_the_protocols_error_and_tool_calls_are_answered(capped):
    # Three clients (addresses), each at its own cap, half legacy SSE and half subscriptions/listen: 30 in all.
    streams = [Stream(capped.port, f"127.0.0.{2 + i // PER_CLIENT}", "sse" if i % 2 else "listen", rid=f"sub-{i}")
               for i in range(CAP)]
    try:
        assert [s.status for s in streams] == [200] * CAP
        assert all(b"event: endpoint" in s.rest for s in streams[1::2])
        assert all(b"notifications/subscriptions/acknowledged" in s.rest for s in streams[::2])

        # Stream 31 from a new client: the worker is full (503); the listen refusal answers the request's id.
        for kind, rid in (("sse", None), ("listen", "sub-31")):
            extra = Stream(capped.port, "127.0.0.9", kind, rid=rid or "x")
            assert extra.status == 503 and extra.headers["retry-after"] == "5"
            err = extra.error()
            assert err["jsonrpc"] == "2.0" and err["id"] == rid and err["error"]["code"] == -32600
            assert err["error"]["message"] == f"Server stream capacity reached ({CAP} open streams); retry shortly"
        # From a client at its own cap: that cap's refusal (429).
        extra = Stream(capped.port, "127.0.0.2", "sse")
        assert extra.status == 429 and extra.headers["retry-after"] == "5"
        assert extra.error()["error"]["message"] == (f"Too many open streams for this client (limit {PER_CLIENT}); "
                                                     "close one and retry")

        # Tool calls are still answered, 2026-07-28 and in a 2025 session, each on a new connection.
        found = _search_2026(capped.mcp_url)["result"]
        assert not found["isError"] and found["structuredContent"]["results"]
        sid = open_session(capped.mcp_url)
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search",
                                                                              "arguments": {"query": "energy"}}}
        reply = post(capped.mcp_url, call, session_headers(sid))
        assert reply.status_code == 200 and reply.json()["result"]["structuredContent"]["results"]

        # Every held stream is alive: each gets its keep-alive (1 s here) from the worker's one sweep.
        assert all(s.read_until(b": keepalive", timeout=5) for s in streams)
    finally:
        for s in streams:
            s.close()
    # Closed streams free their slots once the server notices (a keep-alive write fails): a new client gets in.
    deadline, status = time.monotonic() + 15, None
    while time.monotonic() < deadline and status != 200:
        time.sleep(0.5)
        again = Stream(capped.port, "127.0.0.9", "listen")
        status = again.status
        again.close()
    assert status == 200


def _worker_pid(master: int) -> int:
    for task in Path(f"/proc/{master}/task").iterdir():
        children = (task / "children").read_text().split()
        if children:
            return int(children[0])
    raise AssertionError("no worker")


def _open_files_limit(pid: int) -> tuple[int, int]:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if x.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def _start_limited(demo_url: str, tmp_path: Path, nofile: tuple[int, int], **env: str) -> tuple:
    port = free_port()
    full = {**os.environ, "ATTIO_API_URL": demo_url, "AUTH_DISABLED": "true", "LOG_LEVEL": "WARNING",
            "ACCESS_LOG": "/dev/null", "SSE_KEEPALIVE_SECONDS": "1", "BIND": f"127.0.0.1:{port}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "SECRET_KEY": "test-secret-key-" + "x" * 32, **env}
    full.pop("PORT", None)
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=full, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc, port, log
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(log.read_text())


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=25)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_the_worker_raises_its_soft_file_limit_to_fit_its_connections(demo_attio, tmp_path):
    proc, _, _ = _start_limited(demo_attio.url, tmp_path, (512, 8192), MAX_STREAMS="1000")
    try:
        # worker_connections = 1000 + 2000; the soft limit is raised to that plus the reserve, within the hard one.
        assert _open_files_limit(_worker_pid(proc.pid)) == (3000 + 256, 8192)
    finally:
        _stop(proc)


def test_a_hard_file_limit_too_low_lowers_the_stream_cap_to_fit_and_says_so(demo_attio, tmp_path):
    proc, port, log = _start_limited(demo_attio.url, tmp_path, (400, 400))
    streams = []
    try:
        # 400 descriptors: 144 connections, of which 44 streams (a fifth, at least 100, stays for requests).
        assert "capacity: the file-descriptor limit (hard 400) holds 144 connections, not 12000" in log.read_text()
        assert _open_files_limit(_worker_pid(proc.pid)) == (400, 400)
        streams = [Stream(port, f"127.0.1.{1 + i // 20}", "listen", rid=f"s{i}") for i in range(44)]
        assert [s.status for s in streams] == [200] * 44
        extra = Stream(port, "127.0.2.1", "sse")
        assert extra.status == 503
        assert extra.error()["error"]["message"] == "Server stream capacity reached (44 open streams); retry shortly"
        found = _search_2026(f"http://127.0.0.1:{port}/mcp")["result"]
        assert not found["isError"] and found["structuredContent"]["results"]
    finally:
        for s in streams:
            s.close()
        _stop(proc)
