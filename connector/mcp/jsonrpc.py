"""JSON-RPC 2.0 envelopes: parsing, validation and error objects.

Transport-independent. A transport hands raw bytes to `parse_body`; what comes
back is either a list of validated messages or a `JsonRpcError` to send.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import jsonbody

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
RESOURCE_NOT_FOUND = -32002  # 2025-11-25 and earlier; 2026-07-28 answers -32602 (INVALID_PARAMS)
REQUEST_CANCELLED = -32800  # only used internally; cancelled requests get no response
# The sub-range the MCP specification reserves (2026-07-28, basic/index "Error codes").
HEADER_MISMATCH = -32020
MISSING_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022

MAX_DEPTH = jsonbody.MAX_DEPTH


class JsonRpcError(Exception):
    """An error to be answered as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None, id: Any = None,
                 http_status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data, self.id = code, message, data, id
        # The HTTP status a stateless (2026-07-28) reply carries; None: 200, the JSON-RPC error in the body.
        self.http_status = http_status

    def to_wire(self) -> dict[str, Any]:
        """The error response object."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return {"jsonrpc": "2.0", "id": self.id, "error": err}


class _Id(fields.Field):
    """A request id: a string or an integer (not a bool, not null)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError("must be a string or an integer")
        return value


class MessageSchema(Schema):
    """Any JSON-RPC 2.0 message: request, notification, response or error."""

    jsonrpc = fields.String(required=True, validate=validate.Equal("2.0", error="must be exactly \"2.0\""))
    id = _Id()
    method = fields.String(validate=validate.Length(min=1, max=256))
    params = fields.Dict()
    result = fields.Dict()
    error = fields.Dict()

    @validates_schema
    def _shape(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_method = "method" in data
        is_response = "result" in data or "error" in data
        if has_method and is_response:
            raise ValidationError("a message cannot carry both method and result/error")
        if not has_method and not is_response:
            raise ValidationError("a message needs a method (request/notification) or a result/error (response)")
        if is_response and "id" not in data:
            raise ValidationError("a response needs an id")


_SCHEMA = MessageSchema()


def load_json(body: bytes) -> Any:
    """Parse bytes as JSON: JsonRpcError -32700 when it is not JSON (or holds an unpaired surrogate escape),
    -32600 when it nests deeper than MAX_DEPTH."""
    try:
        return jsonbody.parse(body)
    except jsonbody.JsonBodyError as exc:
        if exc.too_deep:
            raise JsonRpcError(INVALID_REQUEST, f"Invalid Request: {exc.reason}") from None
        raise JsonRpcError(PARSE_ERROR, f"Parse error: {exc.reason}") from None


def validate_message(raw: Any) -> dict[str, Any]:
    """Validate one message object; raises JsonRpcError(-32600) naming the problem."""
    if not isinstance(raw, dict):
        raise JsonRpcError(INVALID_REQUEST, "Invalid Request: a message must be a JSON object")
    if plainly_valid(raw):
        return raw
    msg_id = raw.get("id") if isinstance(raw.get("id"), (str, int)) and not isinstance(raw.get("id"), bool) else None
    try:
        # Keep unknown members (e.g. a client's extra keys) out of the way, but intact.
        _SCHEMA.load({k: raw[k] for k in MessageSchema._declared_fields if k in raw})
    except ValidationError as exc:
        raise JsonRpcError(INVALID_REQUEST, f"Invalid Request: {_describe(exc.messages)}", id=msg_id) from None
    return raw


def plainly_valid(raw: dict[str, Any]) -> bool:
    """The everyday request or notification, recognised at a glance: `"jsonrpc": "2.0"`, a method of 1-256
    characters, an id that is a string or an integer if any, params an object if any, no result or error. Every
    message it accepts MessageSchema accepts (tests/unit/test_envelope_fast_path.py checks that on generated
    messages); anything else goes through the schema, which also words the errors."""
    if raw.get("jsonrpc") != "2.0" or "result" in raw or "error" in raw:
        return False
    method = raw.get("method")
    if type(method) is not str or not 0 < len(method) <= 256:
        return False
    if "id" in raw and type(raw["id"]) not in (str, int):
        return False
    return "params" not in raw or type(raw["params"]) is dict


def _describe(messages: Any) -> str:
    """Flatten marshmallow messages into one readable sentence."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            text = _describe(value)
            parts.append(text if key == "_schema" else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(messages, list):
        return "; ".join(_describe(m) for m in messages)
    return str(messages)


def describe_validation(exc: ValidationError) -> str:
    """A readable sentence for a marshmallow ValidationError."""
    return _describe(exc.messages)


def is_request(msg: dict[str, Any]) -> bool:
    """True for a request (method + id)."""
    return "method" in msg and "id" in msg


def is_notification(msg: dict[str, Any]) -> bool:
    """True for a notification (method, no id)."""
    return "method" in msg and "id" not in msg


def is_response(msg: dict[str, Any]) -> bool:
    """True for a response or error response."""
    return "method" not in msg


def result(msg_id: Any, value: dict[str, Any]) -> dict[str, Any]:
    """A success response."""
    return {"jsonrpc": "2.0", "id": msg_id, "result": value}


def notification(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A notification message."""
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    return msg
