"""One error shape per audience: JSON-RPC errors on the MCP paths, plain JSON elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from .mcp import jsonrpc
from .outages import failing_part, log_outage, unavailable
from .web import MCP_PREFIXES, json_response, rpc_error

log = logging.getLogger(__name__)


def _is_mcp() -> bool:
    return request.path.startswith(MCP_PREFIXES)


def handle_http_error(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (404, 405, 413 …) in the caller's protocol shape."""
    status = exc.code or 500
    if status == 413:
        message = f"Request body too large: the limit is {request.max_content_length} bytes"
    else:
        message = f"{exc.name}: {exc.description}" if exc.description else exc.name
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if _is_mcp():
        return rpc_error(status, jsonrpc.INVALID_REQUEST, message, headers=headers)
    return json_response({"error": exc.name.lower().replace(" ", "_"), "error_description": message}, status, headers)


def handle_unexpected(exc: Exception) -> Response:
    """A dependency outage answers 503 (connector.outages); anything else is a bug of ours: log it, answer 500
    without details."""
    part = failing_part(exc)
    if part is not None:
        log_outage(part, exc)
        return unavailable(part)
    log.exception("unhandled error on %s %s", request.method, request.path)
    report = current_app.extensions.get("error_reporter")
    if report is not None:
        report(exc)
    if _is_mcp():
        return rpc_error(500, jsonrpc.INTERNAL_ERROR, "Internal error; it was logged on the server")
    return json_response({"error": "server_error", "error_description": "Internal error; it was logged"}, 500)


def register_errorhandlers(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
