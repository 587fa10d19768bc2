"""Streamable HTTP for 2026-07-28 clients: one POST per request, no session, any worker.

`streamable_http.post` hands a request here once `versions.is_modern` says it is one. The request's `_meta` and
mirrored headers are checked (400 with -32602 / -32020 / -32022), then it runs: a JSON reply, or an SSE stream
scoped to the request when it reports progress or logs (closing that stream cancels the call). A
`subscriptions/listen` request opens the long-lived stream of change notifications it asked for.
"""
from __future__ import annotations

import contextvars
import time
from typing import Any, Iterator

import gevent
import gevent.queue
from flask import Response, current_app, request

from . import headers, jsonrpc, request_meta, subscriptions, tasks
from ..web import json_response, rpc_error
from .http_common import (KEEPALIVE, KEEPALIVE_BYTES, SSE_HEADERS, accepts, client_key, long_lived, restarting_error,
                          sse_event)
from .jsonrpc import INVALID_REQUEST, JsonRpcError
from .request_meta import SUBSCRIPTION_ID, RequestMeta
from .sessions import InFlight
from .stream_gate import KEEPALIVE_DUE
from .versions import MODERN_VERSIONS

LISTEN = "subscriptions/listen"
# The methods whose handlers may report progress or log while they run.
MAY_EMIT = frozenset({"tools/call", "prompts/get", "resources/read"})


def _ext() -> Any:
    return current_app.extensions["mcp"]


def _error(exc: JsonRpcError, req_id: Any) -> Response:
    exc.id = req_id
    return json_response(exc.to_wire(), exc.http_status or 200)


def answer(data: Any, caller: Any) -> Response:
    """Serve one stateless POST body."""
    if isinstance(data, list):
        return rpc_error(400, INVALID_REQUEST, "Invalid Request: JSON-RPC batches are not part of 2026-07-28")
    try:
        msg = jsonrpc.validate_message(data)
    except JsonRpcError as exc:
        return json_response(exc.to_wire(), 400)
    if jsonrpc.is_response(msg):
        return rpc_error(400, INVALID_REQUEST, "Invalid Request: a 2026-07-28 client sends no JSON-RPC responses; "
                         "input goes back as inputResponses on a retry of the request")
    if jsonrpc.is_notification(msg):
        return Response(status=202)  # none is defined for HTTP; closing a stream is how a client cancels
    req_id = msg["id"]
    try:
        header = (request.headers.get("MCP-Protocol-Version") or "").strip()
        if header and header not in MODERN_VERSIONS and not _declares_version(msg):
            raise request_meta.unsupported_version(header)  # e.g. a 2025 session naming a version nobody speaks
        meta = request_meta.load(msg.get("params"))
        headers.check_standard(request.headers, msg, meta.version)
        request_meta.check_version(meta)
        _check_tool_headers(msg)
    except JsonRpcError as exc:
        return _error(exc, req_id)
    ext = _ext()
    refused = ext.refuse_scope(caller, msg)
    if refused is not None:
        return refused
    if msg["method"] == LISTEN:
        return _listen(ext, msg, meta, caller)
    if msg["method"] in MAY_EMIT and accepts("text/event-stream") and (
            meta.log_level is not None or meta.raw.get("progressToken") is not None):
        return _live(ext, msg, meta, caller)
    reply, status = ext.server.handle_stateless(msg, meta, caller, lambda m: False, InFlight(req_id))
    return json_response(reply, status) if reply is not None else Response(status=202)


def _declares_version(msg: dict[str, Any]) -> bool:
    params = msg.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and request_meta.PROTOCOL_VERSION in meta


def _check_tool_headers(msg: dict[str, Any]) -> None:
    """The Mcp-Param-* headers of a tools/call, against the tool's x-mcp-header parameters."""
    if msg["method"] != "tools/call":
        return
    params = msg.get("params") or {}
    tool = _ext().registry.tools.get(params.get("name")) if isinstance(params.get("name"), str) else None
    if tool is not None:
        headers.check_params(request.headers, tool.mirrored, params.get("arguments") or {})


def _live(ext: Any, msg: dict[str, Any], meta: RequestMeta, caller: Any) -> Response:
    """Run the request in its own greenlet; its notifications, then its reply, go on an SSE stream scoped to it
    (plain JSON if the reply comes before anything else)."""
    events: gevent.queue.Queue = gevent.queue.Queue()
    in_flight = InFlight(msg["id"])

    def emit(message: dict[str, Any]) -> bool:
        events.put(("message", message))
        return True

    def work() -> None:
        reply, status = ext.server.handle_stateless(msg, meta, caller, emit, in_flight)
        events.put(("final", (reply, status)))

    gevent.spawn(contextvars.copy_context().run, work)
    ext.gate.on_drain(events, ("drain", None))
    try:
        kind, payload = events.get(timeout=ext.first_event_wait)
    except gevent.queue.Empty:
        kind, payload = "quiet", None
    if kind == "final":
        reply, status = payload
        return json_response(reply, status) if reply is not None else Response(status=202)
    return Response(_request_stream(ext, kind, payload, events, in_flight), status=200,
                    mimetype="text/event-stream", headers=SSE_HEADERS)


def _request_stream(ext: Any, kind: str, payload: Any, events: gevent.queue.Queue,
                    in_flight: InFlight) -> Iterator[str]:
    """The SSE body of one request: its notifications, then its reply. The client closing it cancels the call;
    a worker stopping gives the call the drain time, then answers "server restarting"."""
    deadline: float | None = None
    finished = False
    try:
        while True:
            if kind == "final":
                finished = True
                reply = payload[0]
                if reply is not None:
                    yield sse_event(reply)
                return
            if kind == "message":
                yield sse_event(payload)
            elif kind == "quiet":
                yield KEEPALIVE
            elif kind == "drain":
                deadline = time.monotonic() + ext.gate.drain_wait
            timeout = ext.keepalive_interval if deadline is None else max(0.01, deadline - time.monotonic())
            try:
                kind, payload = events.get(timeout=timeout)
            except gevent.queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    yield sse_event(restarting_error(in_flight.request_id))
                    return
                kind, payload = "quiet", None
    finally:
        if not finished:
            in_flight.cancelled.set()  # the client closed the stream, or the drain ran out: stop the work


def _listen(ext: Any, msg: dict[str, Any], meta: RequestMeta, caller: Any) -> Response:
    """`subscriptions/listen`: acknowledge the honoured filter, then stream the changes it selects. Task status
    notifications (`taskIds`) need the tasks extension declared on the request (-32021)."""
    if not accepts("text/event-stream"):
        return rpc_error(406, INVALID_REQUEST, "Not Acceptable: subscriptions/listen answers with an SSE stream; "
                         "Accept must list text/event-stream")
    req_id = msg["id"]
    wanted = (msg.get("params") or {}).get("notifications")
    if ext.server.tasks is not None and isinstance(wanted, dict) and "taskIds" in wanted \
            and meta.extension(tasks.EXTENSION) is None:
        return _error(tasks.missing_extension("task status notifications belong to the tasks extension"), req_id)
    try:
        listener, honoured = subscriptions.accept(msg.get("params"), req_id, ext.server.offers(),
                                                  owner=tasks.owner_of(caller),
                                                  tenant=ext.server.services.tenant(caller))
    except JsonRpcError as exc:
        exc.http_status = 400
        return _error(exc, req_id)
    key = client_key()
    refused = ext.gate.refuse(key, msg_id=req_id)
    if refused is not None:
        return refused
    ack = sse_event(jsonrpc.notification("notifications/subscriptions/acknowledged",
                                         {"_meta": {SUBSCRIPTION_ID: req_id}, "notifications": honoured}))
    ext.server.changes.join(listener)
    return long_lived(_listen_stream(ext, listener, key, ack.encode()))


def _listen_stream(ext: Any, listener: subscriptions.Listener, key: str, ack: bytes) -> Iterator[bytes]:
    """The stream of one subscription: its acknowledgement, then each change it asked for, keep-alives while
    quiet; when the worker stops, the request's complete result (the client listens again elsewhere)."""
    drained = object()
    box = listener.queue
    with ext.gate.hold(key, "streamable", box, drained):
        try:
            yield ack
            while not ext.shutting_down:
                change = box.get()
                if change is drained:
                    break
                yield KEEPALIVE_BYTES if change is KEEPALIVE_DUE else sse_event(listener.notification(change)).encode()
            # The server ends the subscription: a complete result says it ended on purpose (re-listen elsewhere).
            yield sse_event(jsonrpc.result(listener.subscription_id, {"resultType": "complete", "_meta": {
                SUBSCRIPTION_ID: listener.subscription_id, request_meta.SERVER_INFO: ext.server.identity()}})).encode()
        finally:
            ext.server.changes.leave(listener)
