"""Legacy HTTP+SSE transport (2024-11-05): GET /sse opens the stream, POST /messages sends.

Every reply and notification travels on the GET stream; the POST only gets 202.
"""
from __future__ import annotations

import contextvars
from typing import Any

import gevent
import gevent.queue
from flask import Blueprint, Response, current_app, request

from . import jsonrpc
from ..web import check_origin, rpc_error
from .http_common import client_key, guard, long_lived, not_json_body, not_streamable, outbox_stream, sse_event
from .jsonrpc import INVALID_REQUEST, JsonRpcError
from .versions import HANDSHAKE_VERSIONS

bp = Blueprint("mcp_sse", __name__)


def _ext() -> Any:
    return current_app.extensions["mcp"]


@bp.route("/sse", methods=["GET"])
@bp.route("/sse/", methods=["GET"])
def open_stream() -> Response:
    """Open a session and its event stream; the first event names the POST endpoint."""
    if request.method == "HEAD":  # Flask routes HEAD to GET views; a probe must not open a stream
        return probe()
    caller, refused = guard(_ext())
    if refused is not None:
        return refused
    refused = not_streamable("/sse")
    if refused is not None:
        return refused
    ext = _ext()
    key = client_key()
    refused = ext.gate.refuse(key) or ext.new_sessions.refuse(key)
    if refused is not None:
        return refused
    session = ext.sessions.create("sse", protocol_version="2024-11-05", subject=caller.subject, client_key=key)
    session.stream_open = True
    # A relative path keeps the proxy prefix and the client's own origin (the SDK insists on it).
    endpoint = f"{request.script_root}/messages?sessionId={session.id}"
    # The session lives exactly as long as its stream: a client that goes away takes it along.
    return long_lived(outbox_stream(ext, session, key, sse_event(endpoint, event="endpoint"),
                                    on_close=lambda: ext.sessions.delete(session.id)))


@bp.route("/sse", methods=["HEAD"])
@bp.route("/sse/", methods=["HEAD"])
def probe() -> Response:
    """Answer HEAD probes without opening a stream."""
    refused = check_origin()
    return Response(status=refused.status_code if refused is not None else 200)


@bp.route("/messages", methods=["POST"])
@bp.route("/messages/", methods=["POST"])
def post_message() -> Response:
    """Accept one message for a session; the answer goes out on its stream."""
    caller, refused = guard(_ext())
    if refused is not None:
        return refused
    ext = _ext()
    session_id = request.args.get("sessionId") or request.args.get("session_id")
    if not session_id:
        return rpc_error(400, INVALID_REQUEST, "Bad Request: the sessionId query parameter is required")
    session = ext.sessions.get(session_id)
    if session is None or session.transport != "sse" or (ext.auth_enabled and session.subject != caller.subject):
        return rpc_error(404, INVALID_REQUEST, "Session not found: open a new stream with GET /sse")
    refused = not_json_body()
    if refused is not None:
        return refused
    try:
        data = jsonrpc.load_json(request.get_data(cache=False))
        if isinstance(data, list):
            raise JsonRpcError(INVALID_REQUEST, "Invalid Request: the 2024-11-05 transport takes one message per POST")
        msg = jsonrpc.validate_message(data)
    except JsonRpcError as exc:
        return rpc_error(400, exc.code, exc.message, msg_id=exc.id)

    def emit(message: dict[str, Any]) -> bool:
        return session.post(message)

    if msg.get("method") == "initialize" and jsonrpc.is_request(msg):
        try:
            result, attrs = ext.server.initialize(msg.get("params"), HANDSHAKE_VERSIONS)
        except JsonRpcError as exc:
            exc.id = msg["id"]
            emit(exc.to_wire())
            return Response("Accepted", status=202)
        for name, value in attrs.items():
            setattr(session, name, value)
        session.save()
        ext.log_first_contact(session, request)
        emit(jsonrpc.result(msg["id"], result))
        return Response("Accepted", status=202)
    if not jsonrpc.is_request(msg):
        ext.server.handle(msg, session, caller, emit)
        return Response("Accepted", status=202)
    refused = ext.refuse_scope(caller, msg)
    if refused is not None:
        return refused
    def work() -> None:
        reply = ext.server.handle(msg, session, caller, emit)
        if reply is not None:
            emit(reply)

    # The request's context (its id for the logs, its trace) goes along into the greenlet.
    gevent.spawn(contextvars.copy_context().run, work)
    return Response("Accepted", status=202)
