"""A small closed-loop HTTP/1.1 load generator: gevent greenlets on raw keep-alive sockets.

Used by `bench/run.py` when `wrk` is not on PATH; needs only gevent (a project dependency).
Each greenlet holds one keep-alive connection and sends the same pre-built request again
as soon as the previous response has been read in full. Run it in its own process:

    .venv/bin/python -m bench.loadgen --url http://127.0.0.1:8001/search --method POST \
        --body '{"query": "energy"}' --header 'Content-Type: application/json' \
        --duration 10 --concurrency 32 --expect '"results":'

It prints one JSON object: requests completed inside the window, throughput, latency
percentiles (ms), errors by kind, and the generator's own CPU time per request.

A response counts as an error when its status is not 200, when its body carries a JSON-RPC
error (`"error":{`) or a tool error (`"isError":true`), when it lacks the `--expect` marker,
or when the connection fails (the greenlet then reconnects). A body containing `{{id}}` gets
a fresh integer there on every request (unique JSON-RPC ids within one MCP session).
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402

ERROR_MARKERS = (b'"isError":true', b'"error":{')


class Stats:
    """Shared by all greenlets of one run (gevent: no locking needed)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.recording = False
        self.stop = False
        self.example_error: str | None = None

    def error(self, kind: str, detail: str = "") -> None:
        if self.recording:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if self.example_error is None and detail:
                self.example_error = detail[:300]


ID_PLACEHOLDER = b"{{id}}"


def build_request(method: str, host: str, port: int, target: str, headers: list[str], body: bytes
                  ) -> Callable[[], bytes]:
    """A function returning the raw bytes of the next request.

    Without `{{id}}` in the body every request is the same pre-built bytes; with it, each request
    gets the next integer there (JSON-RPC ids must not repeat while in flight in one session).
    """
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += headers
    head = "\r\n".join(lines).encode("latin-1")
    if ID_PLACEHOLDER not in body:
        if body or method not in ("GET", "HEAD"):
            head += f"\r\nContent-Length: {len(body)}".encode()
        fixed = head + b"\r\n\r\n" + body
        return lambda: fixed
    before, after = body.split(ID_PLACEHOLDER, 1)
    counter = itertools.count(1000)

    def next_request() -> bytes:
        payload = b"%s%d%s" % (before, next(counter), after)
        return b"%s\r\nContent-Length: %d\r\n\r\n%s" % (head, len(payload), payload)
    return next_request


def read_response(sock: socket.socket, buf: bytearray) -> tuple[int, bytes, bool]:
    """One response from the connection: (status, body, server wants close). `buf` keeps leftovers."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        buf += chunk
    head = bytes(buf[:end]).lower()
    del buf[:end + 4]
    status = int(head[9:12])
    close = b"\r\nconnection: close" in head
    pos = head.find(b"\r\ncontent-length:")
    if pos >= 0:
        eol = head.find(b"\r\n", pos + 2)
        length = int(head[pos + 17:eol if eol > 0 else len(head)])
        while len(buf) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside the body")
            buf += chunk
        body = bytes(buf[:length])
        del buf[:length]
        return status, body, close
    if b"\r\ntransfer-encoding: chunked" in head:
        parts = []
        while True:
            while (eol := buf.find(b"\r\n")) < 0:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed inside a chunk size")
                buf += chunk
            size = int(bytes(buf[:eol]).split(b";")[0], 16)
            del buf[:eol + 2]
            while len(buf) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed inside a chunk")
                buf += chunk
            if size == 0:  # no trailers are sent by gunicorn
                del buf[:2]
                return status, b"".join(parts), close
            parts.append(bytes(buf[:size]))
            del buf[:size + 2]
    # No length: the body runs to the end of the connection.
    while chunk := sock.recv(65536):
        buf += chunk
    body = bytes(buf)
    buf.clear()
    return status, body, True


def connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def worker(host: str, port: int, next_request: Callable[[], bytes], expect: bytes | None, stats: Stats) -> None:
    """One keep-alive connection, requests back to back until told to stop."""
    sock: socket.socket | None = None
    buf = bytearray()
    perf = time.perf_counter
    latencies = stats.latencies
    while not stats.stop:
        try:
            if sock is None:
                sock = connect(host, port)
                buf.clear()
            t0 = perf()
            sock.sendall(next_request())
            status, body, close = read_response(sock, buf)
            elapsed = perf() - t0
        except (OSError, ValueError) as exc:
            stats.error("connection", f"{type(exc).__name__}: {exc}")
            if sock is not None:
                sock.close()
                sock = None
            gevent.sleep(0.01)
            continue
        if close:
            sock.close()
            sock = None
        if not stats.recording:
            continue
        latencies.append(elapsed)
        if status != 200:
            stats.error(f"http_{status}", body[:300].decode("utf-8", "replace"))
        elif any(m in body for m in ERROR_MARKERS):
            stats.error("error_in_body", body[:300].decode("utf-8", "replace"))
        elif expect is not None and expect not in body:
            stats.error("unexpected_body", body[:300].decode("utf-8", "replace"))
    if sock is not None:
        sock.close()


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(round(pct / 100.0 * len(sorted_values) + 0.5))))
    return sorted_values[rank - 1]


def run(url: str, method: str, headers: list[str], body: bytes, duration: float, concurrency: int,
        expect: bytes | None, warmup: float = 0.0) -> dict[str, Any]:
    """Drive the load; returns the summary (latencies in ms)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    next_request = build_request(method, host, port, target or "/", headers, body)
    stats = Stats()
    greenlets = [gevent.spawn(worker, host, port, next_request, expect, stats) for _ in range(concurrency)]
    if warmup > 0:
        gevent.sleep(warmup)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    stats.recording = True
    gevent.sleep(duration)
    stats.recording = False
    elapsed = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats.stop = True
    gevent.joinall(greenlets, timeout=10)
    gevent.killall([g for g in greenlets if not g.dead], block=False)
    lat = sorted(stats.latencies)
    count = len(lat)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "generator": "python-gevent",
        "requests": count,
        "seconds": elapsed,
        "rps": count / elapsed if elapsed else 0.0,
        "p50_ms": percentile(lat, 50) * 1000,
        "p95_ms": percentile(lat, 95) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": (lat[-1] * 1000) if lat else float("nan"),
        "mean_ms": (sum(lat) / count * 1000) if count else float("nan"),
        "errors": sum(stats.errors.values()),
        "errors_by_kind": stats.errors,
        "example_error": stats.example_error,
        "generator_cpu_s": cpu,
        "generator_cpu_us_per_req": (cpu / count * 1e6) if count else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--body", default="", help="request body; {{id}} becomes a fresh integer per request")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of unrecorded load first")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--expect", default=None, help="a byte string every good body contains")
    args = parser.parse_args(argv)
    result = run(args.url, args.method.upper(), args.header, args.body.encode(), args.duration,
                 args.concurrency, args.expect.encode() if args.expect else None, args.warmup)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
