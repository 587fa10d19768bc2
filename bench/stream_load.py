"""The load side of `bench/capacity.py`: opens and holds idle MCP streams, and makes tool calls meanwhile.

Run by the orchestrator as its own process (gevent, raw sockets); it reads one command a line on stdin and
answers each with one JSON line on stdout:

    open                 open --streams streams of --kind (`sse`: GET /sse; `listen`: a 2026-07-28
                         subscriptions/listen POST on /mcp), --per-client of them from each loopback source
                         address 127.1.x.y (the server's per-client cap counts streams by address)
    calls SECONDS CONC   2026-07-28 `tools/call search` for SECONDS on CONC keep-alive connections, plus one
                         greenlet making the same call on a fresh connection each time
    overflow             one more stream from a new address (the total cap's refusal) and one from an address
                         already at its per-client cap (that cap's refusal), each parsed in full
    alive SECONDS        wait until every stream has been open SECONDS, then count those still open that
                         received a keep-alive comment after their first event
    probe                check the streams carry messages: for `sse`, a `ping` POSTed to /messages for a
                         sample of sessions, its reply read on the session's own stream; for `listen`, one
                         record update announced to every stream subscribed to it
    drained SECONDS      (sent right after a SIGTERM to the server) wait for the server to end every stream;
                         how many got their last event and were closed, and when
    close                close every stream; exits

Nothing is counted as success without being parsed: a stream is open when its first event (the endpoint, or
the subscription's acknowledgement) has arrived on a 200 SSE response.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402

from bench.loadgen import percentile, read_response  # noqa: E402

MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "capacity-bench", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}}
OPEN_CONCURRENCY = 64
# What a stream's last event says when the worker drains: legacy SSE's reconnect comment, listen's complete result.
LAST_EVENTS = (b": server restarting; reconnect", b'"resultType":"complete"')
FIRST_EVENT_TIMEOUT = 60.0


def raise_nofile() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE raised to the hard limit; returns (soft, hard) as they are now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def source_address(index: int, block: int = 1) -> str:
    """The `index`th loopback source address of a block (127.<block>.x.y; never 127.0.0.1)."""
    return f"127.{block}.{index // 250}.{index % 250 + 1}"


def modern(method: str, params: dict[str, Any], rid: Any) -> tuple[bytes, dict[str, str]]:
    """A 2026-07-28 request body and the headers that mirror it."""
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": {**params, "_meta": META}},
                      separators=(",", ":")).encode()
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if isinstance(params.get("name"), str):
        headers["Mcp-Name"] = params["name"]
    return body, headers


def raw_request(method: str, host: str, port: int, target: str, headers: dict[str, str], body: bytes = b"",
                close: bool = False) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}",
             f"Connection: {'close' if close else 'keep-alive'}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Stream:
    """One open stream: its socket, what its first event said, and what arrived since."""

    __slots__ = ("sock", "source", "session_id", "opened_at", "last_rx", "keepalives", "data", "closed",
                 "closed_at", "last_event_at", "reader", "arrivals")

    def __init__(self, sock: socket.socket, source: str, session_id: str | None) -> None:
        self.sock, self.source, self.session_id = sock, source, session_id
        self.opened_at = self.last_rx = time.monotonic()
        self.keepalives = 0
        self.data = bytearray()
        self.closed: str | None = None
        self.closed_at: float | None = None
        self.last_event_at: float | None = None  # when the server's last event (a drain's) arrived
        self.arrivals: dict[str, float] = {}  # marker -> when it was first seen
        self.reader: gevent.Greenlet | None = None

    def read_forever(self, markers: list[bytes]) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError as exc:
                self.closed, self.closed_at = f"{type(exc).__name__}: {exc}", time.monotonic()
                return
            if not chunk:
                self.closed, self.closed_at = "closed by the server", time.monotonic()
                return
            self.last_rx = time.monotonic()
            self.keepalives += chunk.count(b": keepalive")
            if any(marker in chunk for marker in LAST_EVENTS):
                self.last_event_at = self.last_rx
            if b"data:" in chunk:
                self.data += chunk
                for marker in markers:
                    if marker in self.data and marker.decode() not in self.arrivals:
                        self.arrivals[marker.decode()] = self.last_rx


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.host, self.port = args.host, args.port
        self.streams: list[Stream] = []
        self.markers: list[bytes] = []
        self.ids = itertools.count(1)

    # -- streams ------------------------------------------------------------------------------

    def _stream_request(self) -> bytes:
        if self.args.kind == "sse":
            return raw_request("GET", self.host, self.port, "/sse", {"Accept": "text/event-stream"})
        params: dict[str, Any] = {"notifications": {"toolsListChanged": True}}
        if self.args.record_uri:
            params["notifications"]["resourceSubscriptions"] = [self.args.record_uri]
        body, headers = modern("subscriptions/listen", params, f"sub-{next(self.ids)}")
        return raw_request("POST", self.host, self.port, "/mcp", headers, body)

    def open_one(self, source: str) -> tuple[Stream | None, dict[str, Any]]:
        """Open one stream from `source`: the Stream, or None and what came back instead."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(FIRST_EVENT_TIMEOUT)
            sock.bind((source, 0))
            sock.connect((self.host, self.port))
            sock.sendall(self._stream_request())
            buf = bytearray()
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the response head")
                buf += chunk
            head, _, rest = bytes(buf).partition(b"\r\n\r\n")
            status = int(head[9:12])
            if status != 200 or b"text/event-stream" not in head.lower():
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                while length is not None and len(rest) < length and (chunk := sock.recv(65536)):
                    rest += chunk
                sock.close()
                return None, {"status": status, "head": head.decode("latin-1"), "body": rest.decode("utf-8", "replace")}
            while b"\n\n" not in rest:  # the first event, inside the first chunk
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the first event")
                rest += chunk
        except OSError as exc:
            sock.close()
            return None, {"status": None, "error": f"{type(exc).__name__}: {exc}"}
        sock.settimeout(None)
        text = rest.decode("utf-8", "replace")
        session_id = None
        if self.args.kind == "sse":
            if "event: endpoint" not in text or "sessionId=" not in text:
                sock.close()
                return None, {"status": 200, "body": text[:300], "error": "no endpoint event"}
            session_id = text.split("sessionId=", 1)[1].split()[0]
        elif "notifications/subscriptions/acknowledged" not in text:
            sock.close()
            return None, {"status": 200, "body": text[:300], "error": "no acknowledgement"}
        return Stream(sock, source, session_id), {"status": 200}

    def open(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        failures: dict[str, int] = {}
        example: dict[str, Any] | None = None
        pool = gevent.pool.Pool(OPEN_CONCURRENCY)

        def one(i: int) -> None:
            nonlocal example
            stream, info = self.open_one(source_address(i // self.args.per_client, self.args.block))
            if stream is None:
                kind = f"http_{info['status']}" if info.get("status") else "connection"
                failures[kind] = failures.get(kind, 0) + 1
                example = example or info
                return
            stream.reader = gevent.spawn(stream.read_forever, self.markers)
            self.streams.append(stream)

        for i in range(self.args.streams):
            pool.spawn(one, i)
        pool.join()
        return {"opened": len(self.streams), "failed": sum(failures.values()), "failures": failures,
                "example_failure": example, "seconds": time.perf_counter() - t0,
                "addresses": (self.args.streams + self.args.per_client - 1) // self.args.per_client}

    def overflow(self) -> dict[str, Any]:
        """The stream past the total cap (a fresh address) and past the per-client cap (a full address)."""
        out: dict[str, Any] = {}
        fresh, full = source_address(0, block=2), source_address(0, self.args.block)
        for label, source in (("total", fresh), ("per_client", full)):
            t0 = time.perf_counter()
            stream, info = self.open_one(source)
            info["ms"] = (time.perf_counter() - t0) * 1000
            if stream is not None:
                stream.sock.close()
                info["error"] = "the stream was opened: no cap refused it"
            else:
                try:
                    info["json"] = json.loads(info.get("body") or "null")
                except ValueError:
                    info["json"] = None
                head = info.get("head", "")
                info["retry_after"] = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                                            if line.lower().startswith("retry-after:")), None)
            out[label] = info
        return out

    # -- tool calls ---------------------------------------------------------------------------

    def _call_once(self, sock: socket.socket | None, buf: bytearray, close: bool
                   ) -> tuple[socket.socket | None, float, str | None]:
        body, headers = modern("tools/call", {"name": "search", "arguments": {"query": self.args.query}},
                               next(self.ids))
        t0 = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection((self.host, self.port), timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf.clear()
            sock.sendall(raw_request("POST", self.host, self.port, "/mcp", headers, body, close=close))
            status, reply, server_close = read_response(sock, buf)
        except (OSError, ValueError) as exc:
            if sock is not None:
                sock.close()
            return None, time.perf_counter() - t0, f"connection: {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        if close or server_close:
            sock.close()
            sock = None
        if status != 200:
            return sock, elapsed, f"http_{status}: {reply[:200].decode('utf-8', 'replace')}"
        try:
            result = json.loads(reply)["result"]
            if result.get("isError") or not result["structuredContent"]["results"]:
                return sock, elapsed, f"tool error: {reply[:200].decode('utf-8', 'replace')}"
        except (ValueError, KeyError, TypeError):
            return sock, elapsed, f"unexpected body: {reply[:200].decode('utf-8', 'replace')}"
        return sock, elapsed, None

    def calls(self, seconds: float, concurrency: int) -> dict[str, Any]:
        latencies: dict[str, list[float]] = {"keep-alive": [], "new connection": []}
        errors: dict[str, int] = {}
        example: list[str] = []
        stop = time.monotonic() + seconds

        def loop(kind: str) -> None:
            sock, buf = None, bytearray()
            while time.monotonic() < stop:
                sock, elapsed, error = self._call_once(sock, buf, close=kind == "new connection")
                latencies[kind].append(elapsed)
                if error is not None:
                    key = error.split(":", 1)[0]
                    errors[key] = errors.get(key, 0) + 1
                    example[:] = example or [error]
            if sock is not None:
                sock.close()

        workers = [gevent.spawn(loop, "keep-alive") for _ in range(concurrency)]
        workers.append(gevent.spawn(loop, "new connection"))
        gevent.joinall(workers)
        out: dict[str, Any] = {"errors": sum(errors.values()), "errors_by_kind": errors,
                               "example_error": example[0] if example else None}
        for kind, values in latencies.items():
            lat = sorted(values)
            out[kind] = {"calls": len(lat), "rps": len(lat) / seconds, "p50_ms": percentile(lat, 50) * 1000,
                         "p95_ms": percentile(lat, 95) * 1000, "p99_ms": percentile(lat, 99) * 1000,
                         "max_ms": (lat[-1] * 1000) if lat else float("nan")}
        return out

    # -- liveness -----------------------------------------------------------------------------

    def alive(self, seconds: float) -> dict[str, Any]:
        newest = max((s.opened_at for s in self.streams), default=time.monotonic())
        gevent.sleep(max(0.0, newest + seconds - time.monotonic()))
        now = time.monotonic()
        still_open = [s for s in self.streams if s.closed is None]
        closed = [s.closed for s in self.streams if s.closed is not None]
        kept_alive = [s for s in still_open if s.keepalives > 0]
        return {"open": len(still_open), "closed": len(closed), "closed_example": closed[0] if closed else None,
                "with_keepalive": len(kept_alive),
                "max_silence_s": max((now - s.last_rx for s in still_open), default=0.0)}

    def probe(self) -> dict[str, Any]:
        if self.args.kind == "sse":
            return self._probe_sse()
        return self._probe_listen()

    def _probe_sse(self) -> dict[str, Any]:
        """A ping over POST /messages for a sample of sessions; each reply must come back on its own stream."""
        sample = random.Random(7).sample(self.streams, min(self.args.probes, len(self.streams)))
        posted, errors, rtts = 0, 0, []
        pool = gevent.pool.Pool(8)

        def ping(stream: Stream) -> None:
            nonlocal posted, errors
            rid = f"probe-{next(self.ids)}"
            marker = f'"id":"{rid}"'.encode()
            self.markers.append(marker)
            body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": "ping"}).encode()
            t0 = time.monotonic()
            sock = None
            try:
                sock = socket.create_connection((self.host, self.port), timeout=30)
                sock.sendall(raw_request("POST", self.host, self.port, f"/messages?sessionId={stream.session_id}",
                                         {"Content-Type": "application/json"}, body, close=True))
                status, _, _ = read_response(sock, bytearray())
            except (OSError, ValueError):
                errors += 1
                return
            finally:
                if sock is not None:
                    sock.close()
            if status != 202:
                errors += 1
                return
            posted += 1
            deadline = t0 + 10
            while marker.decode() not in stream.arrivals and time.monotonic() < deadline:
                gevent.sleep(0.01)
            if marker.decode() in stream.arrivals:
                rtts.append(stream.arrivals[marker.decode()] - t0)

        for stream in sample:
            pool.spawn(ping, stream)
        pool.join()
        lat = sorted(rtts)
        return {"kind": "ping over /messages, reply on the session's stream", "sampled": len(sample),
                "posted": posted, "post_errors": errors, "replies": len(lat),
                "p50_ms": percentile(lat, 50) * 1000, "max_ms": lat[-1] * 1000 if lat else float("nan")}

    def _probe_listen(self) -> dict[str, Any]:
        """One update of the record every stream subscribed to: how many streams heard it, and how fast."""
        if not self.args.record_uri:
            return {"kind": "none (no record to update)"}
        marker = b"notifications/resources/updated"
        self.markers.append(marker)
        _, obj, rid = self.args.record_uri.rsplit("/", 2)
        body, headers = modern("tools/call", {"name": "update_record", "arguments": {
            "id": f"{obj}:{rid}", "values": {"description": f"capacity probe {time.time():.0f}"}}}, "probe-write")
        t0 = time.monotonic()
        with socket.create_connection((self.host, self.port), timeout=60) as sock:
            sock.sendall(raw_request("POST", self.host, self.port, "/mcp", headers, body, close=True))
            status, reply, _ = read_response(sock, bytearray())
        write_ms = (time.monotonic() - t0) * 1000
        deadline = time.monotonic() + 20
        key = marker.decode()
        while time.monotonic() < deadline and sum(key in s.arrivals for s in self.streams) < len(self.streams):
            gevent.sleep(0.05)
        times = sorted(s.arrivals[key] - t0 for s in self.streams if key in s.arrivals)
        return {"kind": "one update_record, announced to every subscribed stream",
                "write_status": status, "write_ok": status == 200 and b'"isError":false' in reply,
                "write_ms": write_ms, "streams": len(self.streams), "heard": len(times),
                "p50_ms": percentile(times, 50) * 1000, "last_ms": times[-1] * 1000 if times else float("nan")}

    def drained(self, seconds: float) -> dict[str, Any]:
        """After the orchestrator's SIGTERM: wait up to `seconds` for the server to end every stream."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and any(s.closed is None for s in self.streams):
            gevent.sleep(0.05)
        closed = [s.closed_at - t0 for s in self.streams if s.closed_at is not None]
        last = [s.last_event_at - t0 for s in self.streams if s.last_event_at is not None]
        return {"streams": len(self.streams), "closed": len(closed), "with_last_event": len(last),
                "all_closed_s": max(closed) if len(closed) == len(self.streams) else None,
                "p50_last_event_s": percentile(sorted(last), 50)}

    def close(self) -> dict[str, Any]:
        for stream in self.streams:
            stream.sock.close()
        gevent.killall([s.reader for s in self.streams if s.reader is not None], block=False)
        return {"closed": len(self.streams)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", choices=("sse", "listen"), required=True)
    parser.add_argument("--streams", type=int, required=True)
    parser.add_argument("--per-client", type=int, required=True)
    parser.add_argument("--query", default="energy")
    parser.add_argument("--record-uri", default=None, help="attio://records/<object>/<id> the listen streams watch")
    parser.add_argument("--probes", type=int, default=200, help="sessions pinged by `probe` (sse)")
    parser.add_argument("--block", type=int, default=1, help="streams come from 127.<block>.x.y")
    args = parser.parse_args(argv)
    load = Load(args)
    soft, hard = raise_nofile()
    print(json.dumps({"ready": True, "nofile": [soft, hard]}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, rest = words[0], words[1:]
        if cmd == "open":
            result = load.open()
        elif cmd == "calls":
            result = load.calls(float(rest[0]), int(rest[1]))
        elif cmd == "overflow":
            result = load.overflow()
        elif cmd == "alive":
            result = load.alive(float(rest[0]))
        elif cmd == "probe":
            result = load.probe()
        elif cmd == "drained":
            result = load.drained(float(rest[0]))
        elif cmd == "close":
            print(json.dumps(load.close()), flush=True)
            return 0
        else:
            result = {"error": f"unknown command {cmd!r}"}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
