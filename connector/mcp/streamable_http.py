"""Streamable HTTP transport (2025-03-26 … 2025-11-25): POST/GET/DELETE/HEAD on /mcp.

A request is answered with JSON unless the call emits a notification or a
server→client request first; then the reply switches to an SSE stream.
"""
from __future__ import annotations

import contextvars
import time
from typing import Any, Callable, Iterator

import gevent
import gevent.queue
from flask import Blueprint, Response, current_app, request

from . import jsonrpc, stateless_http, versions
from ..web import check_origin, json_response, rpc_error
from .http_common import (KEEPALIVE, SSE_HEADERS, accepts, client_key, guard, long_lived, not_json_body,
                          not_streamable, outbox_stream, restarting_error, sse_event)
from .jsonrpc import INVALID_REQUEST, JsonRpcError
from .versions import STREAMABLE_VERSIONS

bp = Blueprint("mcp_streamable", __name__)

SESSION_HEADER = "Mcp-Session-Id"
VERSION_HEADER = "MCP-Protocol-Version"
ALLOW = "GET, POST, DELETE, HEAD"


def _ext() -> Any:
    return current_app.extensions["mcp"]




@bp.route("/mcp", methods=["POST"])
@bp.route("/mcp/", methods=["POST"])
def post() -> Response:
    """Receive one message (or a 2025-03-26 batch) from the client."""
    caller, refused = guard(_ext())
    if refused is not None:
        return refused
    if not (accepts("application/json") or accepts("text/event-stream")):
        return rpc_error(406, INVALID_REQUEST,
                         "Not Acceptable: Accept must list application/json and text/event-stream")
    refused = not_json_body()
    if refused is not None:
        return refused
    try:
        data = jsonrpc.load_json(request.get_data(cache=False))
    except JsonRpcError as exc:
        return json_response(exc.to_wire(), 400)
    header_version = request.headers.get(VERSION_HEADER)
    if versions.is_modern(header_version, data):
        return stateless_http.answer(data, caller)  # 2026-07-28: Mcp-Session-Id and Last-Event-ID play no part
    ext = _ext()
    session_id = request.headers.get(SESSION_HEADER)
    session = ext.sessions.get(session_id) if session_id else None
    if session is not None and ext.auth_enabled and session.subject != caller.subject:
        session = None  # a session belongs to the subject that opened it; others do not see it
    if isinstance(data, list):
        return _batch(data, session, session_id, header_version, caller)
    try:
        msg = jsonrpc.validate_message(data)
    except JsonRpcError as exc:
        return json_response(exc.to_wire(), 400)
    if msg.get("method") == "initialize":
        return _initialize(msg, caller)
    problem = _session_problem(session, session_id, header_version)
    if problem is not None:
        return problem
    if not jsonrpc.is_request(msg):
        ext.server.handle(msg, session, caller, lambda m: False)
        return Response(status=202)
    refused = ext.refuse_scope(caller, msg)
    if refused is not None:
        return refused
    return _answer(msg, session, caller)


def _session_problem(session: Any, session_id: str | None, header_version: str | None) -> Response | None:
    if not session_id:
        return rpc_error(400, INVALID_REQUEST,
                         f"Bad Request: {SESSION_HEADER} header is required; send initialize first")
    if session is None:
        return rpc_error(404, INVALID_REQUEST, "Session not found: it expired or was terminated; initialize a new one")
    if session.transport != "streamable":
        return rpc_error(400, INVALID_REQUEST, "Bad Request: that session belongs to the /sse transport")
    if header_version and header_version not in STREAMABLE_VERSIONS:
        return rpc_error(400, INVALID_REQUEST, f"Bad Request: unsupported {VERSION_HEADER} {header_version!r}; "
                         f"supported: {', '.join(STREAMABLE_VERSIONS)}")
    return None


def _initialize(msg: dict[str, Any], caller: Any) -> Response:
    ext = _ext()
    if not jsonrpc.is_request(msg):
        return rpc_error(400, INVALID_REQUEST, "Invalid Request: initialize must be a request with an id")
    try:
        result, attrs = ext.server.initialize(msg.get("params"), STREAMABLE_VERSIONS)
    except JsonRpcError as exc:
        exc.id = msg["id"]
        return json_response(exc.to_wire(), 400)
    key = client_key()
    refused = ext.new_sessions.refuse(key, msg["id"])
    if refused is not None:
        return refused
    session = ext.sessions.create("streamable", subject=caller.subject, client_key=key, **attrs)
    ext.log_first_contact(session, request)
    return json_response(jsonrpc.result(msg["id"], result), headers={SESSION_HEADER: session.id})


def _batch(items: list[Any], session: Any, session_id: str | None, header_version: str | None,
           caller: Any) -> Response:
    """2025-03-26 batches; later versions refuse them."""
    version = session.protocol_version if session is not None else (header_version or "2025-03-26")
    if version != "2025-03-26":
        return rpc_error(400, INVALID_REQUEST,
                         f"Invalid Request: JSON-RPC batches are not allowed in protocol version {version}")
    if not items:
        return rpc_error(400, INVALID_REQUEST, "Invalid Request: empty batch")
    if any(isinstance(i, dict) and i.get("method") == "initialize" for i in items):
        return rpc_error(400, INVALID_REQUEST, "Invalid Request: initialize must not be part of a batch")
    problem = _session_problem(session, session_id, header_version)
    if problem is not None:
        return problem
    replies = []
    for item in items:
        try:
            msg = jsonrpc.validate_message(item)
        except JsonRpcError as exc:
            replies.append(exc.to_wire())
            continue
        reply = _ext().server.handle(msg, session, caller, lambda m: False)
        if reply is not None:
            replies.append(reply)
    return json_response(replies) if replies else Response(status=202)


# Methods that never emit anything before their result run inline, without a greenlet hand-off.
SILENT_METHODS = frozenset({"ping", "tools/list", "resources/list", "resources/templates/list", "prompts/list",
                            "logging/setLevel", "resources/subscribe", "resources/unsubscribe"})


def _needs_live_stream(ext: Any, msg: dict[str, Any]) -> bool:
    """A call streams live when the client asked for progress or the tool talks back to the client."""
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    meta = params.get("_meta")
    if isinstance(meta, dict) and meta.get("progressToken") is not None:
        return True
    if msg["method"] != "tools/call":
        return False
    tool = ext.registry.tools.get(params.get("name")) if isinstance(params.get("name"), str) else None
    return bool(tool and tool.streaming)


def _answer(msg: dict[str, Any], session: Any, caller: Any) -> Response:
    """Run a request; JSON if it finishes without emitting, else an SSE stream."""
    ext = _ext()
    if msg["method"] in SILENT_METHODS:
        return json_response(ext.server.handle(msg, session, caller, lambda m: False))
    can_stream = accepts("text/event-stream")
    if not (can_stream and _needs_live_stream(ext, msg)):
        return _answer_inline(ext, msg, session, caller, can_stream)
    events: gevent.queue.Queue = gevent.queue.Queue()

    def emit(message: dict[str, Any]) -> bool:
        if not can_stream:
            return False
        events.put(("message", message))
        return True

    def work() -> None:
        try:
            reply = ext.server.handle(msg, session, caller, emit)
        except BaseException:  # pragma: no cover - handle() already turns errors into replies
            reply = JsonRpcError(jsonrpc.INTERNAL_ERROR, "Internal error", id=msg["id"]).to_wire()
        events.put(("final", reply))

    # The request's context (its id for the logs, its trace) goes along into the greenlet.
    gevent.spawn(contextvars.copy_context().run, work)
    ext.gate.on_drain(events, ("drain", None))  # the worker stopping: finish within the drain time or say so
    wait = ext.first_event_wait if can_stream else None
    try:
        kind, payload = events.get(timeout=wait)
    except gevent.queue.Empty:
        kind, payload = "quiet", None  # slow call: open the stream now so proxies see a first byte
    if kind == "final" and (accepts("application/json") or payload is None):
        return json_response(payload) if payload is not None else Response(status=202)
    return Response(_stream(ext, session, kind, payload, events.get, msg["id"]), status=200,
                    mimetype="text/event-stream", headers=SSE_HEADERS)


def _answer_inline(ext: Any, msg: dict[str, Any], session: Any, caller: Any, can_stream: bool) -> Response:
    """Run the call in this greenlet (the common, cheapest path); log notifications it emits are
    delivered just before the result, on an SSE reply."""
    buffered: list[dict[str, Any]] = []

    def emit(message: dict[str, Any]) -> bool:
        if not can_stream or "id" in message:  # a server→client request needs a live stream
            return False
        buffered.append(message)
        return True

    reply = ext.server.handle(msg, session, caller, emit)
    if not buffered or not accepts("text/event-stream"):
        return json_response(reply) if reply is not None else Response(status=202)
    events = iter([("message", m) for m in buffered[1:]] + [("final", reply)])
    return Response(_stream(ext, session, "message", buffered[0], lambda timeout=None: next(events)), status=200,
                    mimetype="text/event-stream", headers=SSE_HEADERS)


def _stream(ext: Any, session: Any, kind: str, payload: Any,
            next_event: Callable[..., tuple[str, Any]], request_id: Any = None) -> Iterator[str]:
    """The SSE body of one request's reply; ends after the response. When the worker starts to stop ("drain"),
    the request has the drain time to finish; then it is cancelled and answered with a "server restarting"
    error."""
    stream_id = ext.next_stream_id()
    seq = 0
    deadline: float | None = None

    def frame(message: Any) -> str:
        nonlocal seq
        seq += 1
        return sse_event(message, event_id=f"{stream_id}-{seq}")

    if session.protocol_version >= "2025-11-25":
        yield sse_event(None, event=None, event_id=f"{stream_id}-0", retry_ms=1000)
    elif kind in ("quiet", "drain"):
        yield KEEPALIVE
    while True:
        if kind == "final":
            if payload is not None:
                yield frame(payload)
            return
        if kind == "message":
            yield frame(payload)
        if kind == "drain":
            deadline = time.monotonic() + ext.gate.drain_wait
        timeout = ext.keepalive_interval
        if deadline is not None:
            timeout = max(0.01, min(timeout, deadline - time.monotonic()))
        try:
            kind, payload = next_event(timeout=timeout)
        except gevent.queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                session.cancel_local(request_id)
                yield frame(restarting_error(request_id))
                return
            kind, payload = "quiet", None
            yield KEEPALIVE


@bp.route("/mcp", methods=["GET"])
@bp.route("/mcp/", methods=["GET"])
def listen() -> Response:
    """The optional standalone stream for server-initiated messages."""
    if request.method == "HEAD":  # Flask routes HEAD to GET views; a probe must not open a stream
        return probe()
    caller, refused = guard(_ext())
    if refused is not None:
        return refused
    if _modern_without_session():
        return _not_allowed()
    refused = not_streamable("/mcp")
    if refused is not None:
        return refused
    ext = _ext()
    session_id = request.headers.get(SESSION_HEADER)
    session = ext.sessions.get(session_id) if session_id else None
    if session is not None and ext.auth_enabled and session.subject != caller.subject:
        session = None
    problem = _session_problem(session, session_id, request.headers.get(VERSION_HEADER))
    if problem is not None:
        return problem
    if session.stream_open:
        return rpc_error(409, INVALID_REQUEST, "Conflict: this session already has an open GET stream")
    key = client_key()
    refused = ext.gate.refuse(key)
    if refused is not None:
        return refused
    session.stream_open = True
    return long_lived(outbox_stream(ext, session, key, KEEPALIVE))




@bp.route("/mcp", methods=["DELETE"])
@bp.route("/mcp/", methods=["DELETE"])
def terminate() -> Response:
    """End a session."""
    caller, refused = guard(_ext())
    if refused is not None:
        return refused
    if _modern_without_session():
        return _not_allowed()
    ext = _ext()
    session_id = request.headers.get(SESSION_HEADER)
    if not session_id:
        return rpc_error(400, INVALID_REQUEST, f"Bad Request: {SESSION_HEADER} header is required")
    session = ext.sessions.get(session_id)
    if session is None or (ext.auth_enabled and session.subject != caller.subject):
        return rpc_error(404, INVALID_REQUEST, "Session not found")
    ext.sessions.delete(session_id)
    return Response(status=204)


def _modern_without_session() -> bool:
    """A GET or DELETE from a 2026-07-28 client: there is no standalone stream and no session to end."""
    return versions.is_modern(request.headers.get(VERSION_HEADER), None)


def _not_allowed() -> Response:
    return rpc_error(405, INVALID_REQUEST, "Method Not Allowed: 2026-07-28 has no GET stream and no sessions; "
                     "POST each request (subscriptions/listen for change notifications)", headers={"Allow": "POST"})


@bp.route("/mcp", methods=["HEAD", "OPTIONS"])
@bp.route("/mcp/", methods=["HEAD", "OPTIONS"])
def probe() -> Response:
    """Answer HEAD/OPTIONS probes quickly, without a body."""
    refused = check_origin()
    if refused is not None:
        return Response(status=refused.status_code)
    return Response(status=200 if request.method == "HEAD" else 204, headers={"Allow": ALLOW})
