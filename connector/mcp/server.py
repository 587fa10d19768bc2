"""Method dispatch for MCP: lifecycle, ping, logging, cancellation, and the feature methods.

Transport-independent: a transport validates the envelope, finds the session,
and calls `McpServer.handle(message, …)` with an `emit` for notifications.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any, Callable

from marshmallow import Schema, ValidationError, fields, validate

from . import features, jsonrpc
from .confirmation import Confirmations
from .context import Caller, Cancelled, ToolContext
from .jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, JsonRpcError
from .registry import Registry
from .sessions import LOG_LEVELS, Session
from .tracing import request_span

log = logging.getLogger(__name__)

STREAMABLE_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26")
LEGACY_VERSIONS = ("2024-11-05",)
SUPPORTED_VERSIONS = STREAMABLE_VERSIONS + LEGACY_VERSIONS
LATEST = STREAMABLE_VERSIONS[0]


class InitializeParams(Schema):
    """`initialize` params."""

    protocolVersion = fields.String(required=True)
    capabilities = fields.Dict(load_default=dict)
    clientInfo = fields.Dict(load_default=dict)


class SetLevelParams(Schema):
    """`logging/setLevel` params."""

    level = fields.String(required=True, validate=validate.OneOf(LOG_LEVELS))


class CancelledParams(Schema):
    """`notifications/cancelled` params."""

    requestId = fields.Raw(required=True)
    reason = fields.String()


def load_params(schema: Schema, params: Any) -> dict[str, Any]:
    """Validate params with marshmallow, raising -32602 with the field named."""
    try:
        return schema.load(params or {}, unknown="include")
    except ValidationError as exc:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: {jsonrpc.describe_validation(exc)}") from None


class McpServer:
    """The protocol core: one instance per app, shared by every transport."""

    def __init__(self, registry: Registry, services: Any, *, name: str, version: str,
                 title: str, instructions: str | None = None) -> None:
        self.registry = registry
        self.services = services
        self.info = {"name": name, "version": version, "title": title}
        self.instructions = instructions
        # McpExtension.init_app replaces this with one keyed by SECRET_KEY; a bare server gets a random key.
        self.confirmations = Confirmations([secrets.token_urlsafe(32)], ttl=300)
        self._methods: dict[str, Callable[..., dict[str, Any]]] = {
            "ping": lambda ctx, params: {},
            "logging/setLevel": self._set_level,
            **features.METHODS,
        }

    def negotiate(self, requested: str, allowed: tuple[str, ...]) -> str:
        """Echo the client's version when we support it, else offer our latest."""
        return requested if requested in allowed else allowed[0]

    def initialize(self, params: Any, allowed: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The `initialize` result and the session attributes it settles."""
        p = load_params(InitializeParams(), params)
        version = self.negotiate(p["protocolVersion"], allowed)
        caps: dict[str, Any] = {
            "tools": {"listChanged": False},
            "resources": {"subscribe": any(r.subscribable for r in self.registry.resources.values()),
                          "listChanged": False},
            "prompts": {"listChanged": False},
            "logging": {},
            "completions": {},
        }
        out: dict[str, Any] = {"protocolVersion": version, "capabilities": caps, "serverInfo": dict(self.info)}
        if self.instructions:
            out["instructions"] = self.instructions
        meta = self.services.describe() if hasattr(self.services, "describe") else None
        if meta:
            out["_meta"] = {"attio-connector/workspace": meta}
        attrs = {"protocol_version": version, "client_info": p["clientInfo"], "client_capabilities": p["capabilities"]}
        return out, attrs

    def handle(self, msg: dict[str, Any], session: Session | None, caller: Caller,
               emit: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """Handle one validated message; returns the response for a request, else None."""
        if jsonrpc.is_response(msg):
            if session is not None:
                session.deliver(msg)
            return None
        method = msg["method"]
        if jsonrpc.is_notification(msg):
            self._notify(method, msg.get("params"), session)
            return None
        req_id = msg["id"]
        in_flight = session.begin(req_id) if session is not None else None
        if session is not None and in_flight is None:
            return JsonRpcError(jsonrpc.INVALID_REQUEST,
                                f"Invalid Request: request id {req_id!r} is already in flight in this session",
                                id=req_id).to_wire()
        params = msg.get("params") or {}
        meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
        ctx = ToolContext(services=self.services, caller=caller, session=session, emit=emit, request_id=req_id,
                          progress_token=meta.get("progressToken"), in_flight=in_flight, meta=meta,
                          confirmations=self.confirmations)
        span = request_span(method, params, meta, req_id, session.id if session is not None else None)
        try:
            with span as current:
                handler = self._methods.get(method)
                if handler is None:
                    raise JsonRpcError(METHOD_NOT_FOUND, f"Method not found: {method}")
                result = handler(ctx, params)
                if isinstance(result, dict) and result.get("isError"):
                    current.set_attribute("error.type", "tool_error")
            response = jsonrpc.result(req_id, result)
        except JsonRpcError as exc:
            exc.id = req_id
            response = exc.to_wire()
        except Cancelled:
            response = None
        except Exception:  # a bug of ours must not kill the stream or the worker
            log.exception("unhandled error in %s", method)
            response = JsonRpcError(jsonrpc.INTERNAL_ERROR, f"Internal error while handling {method}",
                                    id=req_id).to_wire()
        finally:
            if session is not None:
                session.end(req_id)
        if ctx.cancelled:
            return None  # a cancelled request gets no response
        return response

    def _notify(self, method: str, params: Any, session: Session | None) -> None:
        if session is None:
            return
        if method == "notifications/initialized":
            session.initialized = True
            session.save()
        elif method == "notifications/cancelled":
            try:
                p = CancelledParams().load(params or {}, unknown="include")
            except ValidationError:
                return  # a malformed notification gets no answer by definition
            session.cancel(p["requestId"])

    def _set_level(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        p = load_params(SetLevelParams(), params)
        if ctx.session is not None:
            ctx.session.log_level = p["level"]
            ctx.session.save()
        return {}
