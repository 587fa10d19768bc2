"""HTTP pieces both MCP transports share: the Origin guard, error replies, SSE framing, stream caps.

Knows Flask, not Attio.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from contextlib import contextmanager, suppress
from typing import Any, Callable, Iterator

from flask import Response, request

from .. import jsoncodec, metrics
from ..web import check_origin, rpc_error
from . import jsonrpc

SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx and Heroku-style routers must not buffer the stream
    "Connection": "keep-alive",
}


def guard(ext: Any) -> tuple[Any, Response | None]:
    """Origin first, then authentication: (caller, None) or (None, the refusal)."""
    refused = check_origin()
    if refused is not None:
        return None, refused
    outcome = ext.authenticate(request)
    if isinstance(outcome, Response):
        return None, outcome
    request.mcp_caller = outcome
    return outcome, None


def not_json_body() -> Response | None:
    """415 unless the body is declared as JSON."""
    ctype = (request.mimetype or "").lower()
    if ctype == "application/json":
        return None
    return rpc_error(415, jsonrpc.INVALID_REQUEST,
                     f"Unsupported Media Type: Content-Type must be application/json, not {ctype or 'missing'}")


def not_streamable(path: str) -> Response | None:
    """406 unless the client accepts an SSE stream."""
    if accepts("text/event-stream"):
        return None
    return rpc_error(406, jsonrpc.INVALID_REQUEST,
                     f"Not Acceptable: GET {path} opens an SSE stream; Accept must list text/event-stream")


def accepts(mime: str) -> bool:
    """True when the request's Accept header allows `mime` (wildcards count)."""
    header = request.headers.get("Accept")
    if not header:
        return True
    major = mime.split("/")[0]
    for part in header.split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in (mime, f"{major}/*", "*/*"):
            return True
    return False


def sse_event(data: Any = None, *, event: str | None = "message", event_id: str | None = None,
              retry_ms: int | None = None) -> str:
    """One Server-Sent Event; `data=None` gives an empty data line (a priming event)."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    if event and data is not None:
        lines.append(f"event: {event}")
    if data is None:
        lines.append("data:")
    else:
        text = data if isinstance(data, str) else jsoncodec.dumps_text(data)
        lines.extend(f"data: {line}" for line in text.split("\n"))
    return "\n".join(lines) + "\n\n"


KEEPALIVE = ": keepalive\n\n"
# The last thing a stream sends when the worker stops: reconnect in a second (to another worker or instance).
DRAIN_EVENT = "retry: 1000\n: server restarting; reconnect\n\n"
# A request still running when the drain time is up is answered with this (JSON-RPC's implementation-defined
# server error range) and cancelled.
SERVER_RESTARTING = -32000
RESTARTING_MESSAGE = "Server restarting: the request was not finished; retry it"
# How long a drained stream still waits for messages another worker routes to it through Redis.
BUS_SETTLE_SECONDS = 0.5


def restarting_error(request_id: Any) -> dict[str, Any]:
    """The reply to a request the worker could not finish before it stopped."""
    return jsonrpc.JsonRpcError(SERVER_RESTARTING, RESTARTING_MESSAGE, data={"retryAfterSeconds": 1},
                                id=request_id).to_wire()


def outbox_stream(ext: Any, session: Any, key: str, first: str, on_close: Any = None) -> Iterator[str]:
    """A long-lived SSE body: `first`, then the session's outbox, a keep-alive comment when idle.

    Holds a stream slot for `key` while open; ends when the session closes or the server shuts down.
    """
    with ext.gate.hold(key, session.transport):
        ext.gate.on_drain(session.outbox, None)  # a None wakes the loop below
        try:
            yield first
            for message in queued(session.outbox, ext.keepalive_interval, None,
                                  lambda: not session.closed and not ext.shutting_down):
                yield KEEPALIVE if message is KEEPALIVE else sse_event(message)
            if ext.shutting_down and not session.closed:
                yield from drain_outbox(session, ext.gate.drain_wait)
                yield DRAIN_EVENT
        finally:
            session.stream_open = False
            if on_close is not None:
                on_close()


def queued(queue: Any, interval: float, wake: Any, going: Callable[[], bool]) -> Iterator[Any]:
    """What arrives on a long-lived stream's queue, and KEEPALIVE after each `interval` seconds of quiet, while
    `going()`; ends at the `wake` item (the drain's, or a close)."""
    import gevent.queue

    while going():
        try:
            item = queue.get(timeout=interval)
        except gevent.queue.Empty:
            yield KEEPALIVE
            continue
        if item is wake:
            return
        yield item


def drain_outbox(session: Any, wait: float) -> Iterator[str]:
    """The end of a long-lived stream when the worker stops: what is queued for it and, on a legacy SSE stream
    (which carries the replies), the replies of requests running here that finish within `wait` seconds; each
    request still running then gets a "server restarting" error and is cancelled."""
    import gevent.queue

    deadline = time.monotonic() + wait
    replies_here = session.transport == "sse"
    settle = BUS_SETTLE_SECONDS if session.bus is not None else 0.0  # replies published by another greenlet's I/O
    while not session.closed:
        now = time.monotonic()
        if replies_here and session.in_flight and now < deadline:
            timeout = deadline - now
        else:
            timeout = min(settle, max(0.0, deadline + settle - now))
        try:
            message = session.outbox.get(timeout=timeout) if timeout > 0 else session.outbox.get_nowait()
        except gevent.queue.Empty:
            break
        if message is not None:
            yield sse_event(message)
    if replies_here and not session.closed:
        unfinished = list(session.in_flight.values())
        for entry in unfinished:
            entry.cancelled.set()  # its late result is dropped (a cancelled request gets no response)
        for entry in unfinished:
            yield sse_event(restarting_error(entry.request_id))


class StreamGate:
    """Caps open streams per client and in total, so plain POSTs always find a connection slot; when the worker
    stops, refuses new streams and wakes the open ones so they end."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.draining = False
        self.drain_wait = 0.0
        # Queues of open streams and the item that wakes each when the drain starts (weak: a stream that ends
        # or is never read leaves nothing behind).
        self._wake: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        metrics.STREAM_CAP.set(total)
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def open_streams(self) -> int:
        """How many streams are open in this worker."""
        return sum(self._open.values())

    def on_drain(self, queue: Any, item: Any) -> None:
        """Put `item` into `queue` when the drain starts (at once if it has)."""
        if self.draining:
            queue.put_nowait(item)
        else:
            self._wake[queue] = item

    def drain(self, wait: float) -> int:
        """Refuse new streams from now on; wake every open stream, giving the requests they carry `wait` seconds
        to finish. Returns how many were woken."""
        import gevent.queue

        self.drain_wait, self.draining = wait, True
        woken = list(self._wake.items())
        self._wake.clear()
        for queue, item in woken:
            # A full queue: its stream is busy and sees the drain at its next message.
            with suppress(gevent.queue.Full):
                queue.put_nowait(item)
        return len(woken)

    def refuse(self, client: str) -> Response | None:
        """An error reply if one more stream for `client` would exceed a cap, or the worker is stopping."""
        if self.draining:
            return rpc_error(503, jsonrpc.INVALID_REQUEST, "Server restarting; open the stream again in a second",
                             headers={"Retry-After": "1"})
        if self._open[client] >= self.per_client:
            metrics.STREAMS_REFUSED.labels("client").inc()
            return rpc_error(429, jsonrpc.INVALID_REQUEST,
                             f"Too many open streams for this client (limit {self.per_client}); close one and retry",
                             headers={"Retry-After": "5"})
        if self.open_streams >= self.total:
            metrics.STREAMS_REFUSED.labels("total").inc()
            return rpc_error(503, jsonrpc.INVALID_REQUEST,
                             f"Server stream capacity reached ({self.total} open streams); retry shortly",
                             headers={"Retry-After": "5"})
        return None

    @contextmanager
    def hold(self, client: str, transport: str = "streamable") -> Iterator[None]:
        """Count a stream as open for the duration of the block."""
        gauge = metrics.OPEN_STREAMS.labels(transport)
        with self._lock:
            self._open[client] += 1
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()
            with self._lock:
                self._open[client] -= 1
                if self._open[client] <= 0:
                    del self._open[client]


def client_key() -> str:
    """Who a stream belongs to for the per-client cap: the token subject when known, else the address."""
    caller = getattr(request, "mcp_caller", None)
    subject = getattr(caller, "subject", None)
    if subject and subject != "anonymous":
        return f"sub:{subject}"
    return f"ip:{request.remote_addr}"
