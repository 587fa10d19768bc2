"""HTTP pieces both MCP transports share: the Origin guard, error replies, SSE framing, long-lived streams.

Knows Flask, not Attio.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

from flask import Response, request

from .. import jsoncodec
from ..web import check_origin, rpc_error
from . import jsonrpc
from .stream_gate import KEEPALIVE_DUE

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
KEEPALIVE_BYTES = KEEPALIVE.encode()
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


def outbox_stream(ext: Any, session: Any, key: str, first: str, on_close: Any = None) -> Iterator[bytes]:
    """A long-lived SSE body: `first`, then the session's outbox, a keep-alive comment when idle.

    Holds a stream slot for `key` while open; ends when the session closes or the server shuts down. Bytes, and
    one generator with no other in between (the response passes it straight to gunicorn): what an idle stream's
    greenlet keeps while it waits is as small as it can be.
    """
    box = session.outbox
    with ext.gate.hold(key, session.transport, box, None):  # None: the drain wakes it as a close does
        try:
            yield first.encode()
            while not session.closed and not ext.shutting_down:
                message = box.get()
                if message is None:
                    break
                yield KEEPALIVE_BYTES if message is KEEPALIVE_DUE else sse_event(message).encode()
            if ext.shutting_down and not session.closed:
                for event in drain_outbox(session, ext.gate.drain_wait):
                    yield event.encode()
                yield DRAIN_EVENT.encode()
        finally:
            session.stream_open = False
            if on_close is not None:
                on_close()


def long_lived(body: Iterator[bytes]) -> Response:
    """The response of a long-lived stream: its generator goes to the server as it is (no wrapper iterators),
    and the request object is let go once the view returns (the WSGI environ outlives it otherwise)."""
    request.environ.pop("werkzeug.request", None)
    return Response(body, mimetype="text/event-stream", headers=SSE_HEADERS, direct_passthrough=True)


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
        if message is not None and message is not KEEPALIVE_DUE:
            yield sse_event(message)
    if replies_here and not session.closed:
        unfinished = list(session.in_flight.values())
        for entry in unfinished:
            entry.cancelled.set()  # its late result is dropped (a cancelled request gets no response)
        for entry in unfinished:
            yield sse_event(restarting_error(entry.request_id))


def client_key() -> str:
    """Who a stream belongs to for the per-client cap: the token subject when known, else the address."""
    caller = getattr(request, "mcp_caller", None)
    subject = getattr(caller, "subject", None)
    if subject and subject != "anonymous":
        return f"sub:{subject}"
    return f"ip:{request.remote_addr}"
