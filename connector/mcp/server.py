"""Method dispatch for MCP, both eras: the 2025 lifecycle (initialize, ping, logging, cancellation) on a
session, the stateless 2026-07-28 requests (server/discover, input_required results, caching hints), and the
feature methods they share.

Transport-independent: a transport validates the envelope, finds the session (legacy) or checks the request's
`_meta` (modern), and calls `handle` or `handle_stateless` with an `emit` for notifications.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any, Callable

from marshmallow import Schema, ValidationError, fields, validate

from . import features, jsonrpc, mrtr
from .confirmation import Confirmations
from .context import Caller, Cancelled, Services, ToolContext
from .jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, JsonRpcError
from .registry import Registry
from .request_meta import SERVER_INFO, RequestMeta
from .sessions import LOG_LEVELS, InFlight, Session
from .subscriptions import ChangeFeed
from .tracing import request_span
from .versions import LEGACY_VERSIONS, STREAMABLE_VERSIONS, SUPPORTED_VERSIONS  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

LIST_TTL_MS = 300_000  # the lists change only on deploy (or with a list_changed notification)
READ_TTL_MS = 30_000


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

    def __init__(self, registry: Registry, services: Services, *, name: str, version: str,
                 title: str, instructions: str | None = None) -> None:
        self.registry = registry
        self.services = services
        self.info = {"name": name, "version": version, "title": title}
        self.instructions = instructions
        self.extensions: set[str] = set()
        self.tasks: Any = None  # the tasks extension's TaskManager (connector.mcp.tasks), when McpExtension adds it
        # McpExtension.init_app replaces this with one keyed by SECRET_KEY; a bare server gets a random key.
        self.confirmations = Confirmations([secrets.token_urlsafe(32)], ttl=300)
        # McpExtension.init_app replaces these too: requestState keyed by SECRET_KEY, the feed shared via Redis.
        self.request_states = mrtr.RequestStates([secrets.token_urlsafe(32)])
        self.changes = ChangeFeed()
        # ttlMs and cacheScope of the cacheable results (2026-07-28): the lists are the same for everyone;
        # anything read is someone's workspace data.
        self.cache_hints: dict[str, tuple[int, str]] = {
            "server/discover": (LIST_TTL_MS, "public"), "tools/list": (LIST_TTL_MS, "public"),
            "prompts/list": (LIST_TTL_MS, "public"), "resources/list": (LIST_TTL_MS, "public"),
            "resources/templates/list": (LIST_TTL_MS, "public"), "resources/read": (READ_TTL_MS, "private")}
        self._methods: dict[str, Callable[..., dict[str, Any]]] = {
            "ping": lambda ctx, params: {},
            "logging/setLevel": self._set_level,
            **features.METHODS,
        }
        self._stateless_methods: dict[str, Callable[..., dict[str, Any]]] = {
            "server/discover": lambda ctx, params: self.discover(),
            **{m: f for m, f in features.METHODS.items() if m not in features.SESSION_ONLY},
        }

    def offers(self) -> dict[str, bool]:
        """The change notifications `subscriptions/listen` can deliver (the registry says which it announces)."""
        announced = self.registry.announces
        return {"toolsListChanged": "toolsListChanged" in announced,
                "promptsListChanged": "promptsListChanged" in announced,
                "resourcesListChanged": "resourcesListChanged" in announced,
                "resourceSubscriptions": "resourceUpdated" in announced,
                "taskIds": self.tasks is not None}

    def capabilities(self) -> dict[str, Any]:
        """What this server offers a 2026-07-28 client."""
        offers = self.offers()
        caps: dict[str, Any] = {
            "tools": {"listChanged": offers["toolsListChanged"]},
            "resources": {"subscribe": offers["resourceSubscriptions"], "listChanged": offers["resourcesListChanged"]},
            "prompts": {"listChanged": offers["promptsListChanged"]},
            "logging": {},
            "completions": {},
        }
        if self.extensions:
            caps["extensions"] = {name: {} for name in sorted(self.extensions)}
        return caps

    def discover(self) -> dict[str, Any]:
        """`server/discover`: the versions we speak, what we offer, how to use us."""
        out: dict[str, Any] = {"supportedVersions": list(SUPPORTED_VERSIONS), "capabilities": self.capabilities()}
        if self.instructions:
            out["instructions"] = self.instructions
        meta = self.services.describe()
        if meta:
            out["_meta"] = {"attio-connector/workspace": meta}
        return out

    def add_extension(self, name: str, methods: dict[str, Callable[..., dict[str, Any]]]) -> None:
        """Serve an extension's methods to stateless clients and advertise it (e.g. io.modelcontextprotocol/tasks).
        An extension may wrap a core method for them too (the tasks extension's tools/call and tools/list)."""
        self.extensions.add(name)
        self._stateless_methods.update(methods)

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
        meta = self.services.describe()
        if meta:
            out["_meta"] = {"attio-connector/workspace": meta}
        attrs = {"protocol_version": version, "client_info": p["clientInfo"], "client_capabilities": p["capabilities"]}
        return out, attrs

    def handle(self, msg: dict[str, Any], session: Session | None, caller: Caller,
               emit: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """Handle one validated message of a legacy (session) client; returns the response for a request."""
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
                          confirmations=self.confirmations, changes=self.changes,
                          registry=self.registry)
        try:
            response = self._dispatch(self._methods, method, params, ctx, session.id if session else None)
        finally:
            if session is not None:
                session.end(req_id)
        return None if ctx.cancelled else response  # a cancelled request gets no response

    def handle_stateless(self, msg: dict[str, Any], request_meta: RequestMeta, caller: Caller,
                         emit: Callable[[dict[str, Any]], bool],
                         in_flight: InFlight) -> tuple[dict[str, Any] | None, int]:
        """Handle one 2026-07-28 request: no session; everything it needs is in the request. Returns the
        response (None if the client went away first) and its HTTP status (400 for the errors the transport
        spec puts there, 404 for an unknown method, else 200)."""
        method, req_id = msg["method"], msg["id"]
        params = msg.get("params") or {}
        ctx = ToolContext(services=self.services, caller=caller, session=None, emit=emit, request_id=req_id,
                          progress_token=request_meta.raw.get("progressToken"), in_flight=in_flight,
                          meta=request_meta.raw, confirmations=self.confirmations, request_meta=request_meta,
                          changes=self.changes, registry=self.registry)
        if method in mrtr.SUPPORTED_METHODS:
            try:  # the binding (two digests) only when there is a state to open
                ctx.state = self.request_states.open(params["requestState"], mrtr.binding(method, params, caller)) \
                    if "requestState" in params else {}
                responses = mrtr.load_responses(params.get("inputResponses"))
            except JsonRpcError as exc:
                exc.id = req_id
                return exc.to_wire(), 200
            ctx.answers = {**(ctx.state.pop("answers", None) or {}), **responses}
        response = self._dispatch(self._stateless_methods, method, params, ctx, None)
        if response is None or ctx.cancelled:
            return None, 200
        if "result" in response:
            response["result"] = self._finish(method, params, caller, response["result"])
        return response, ctx.http_status

    def _finish(self, method: str, params: dict[str, Any], caller: Caller, result: dict[str, Any]) -> dict[str, Any]:
        """A stateless result as sent: its resultType, our identity, caching hints where the method has them."""
        if isinstance(result, mrtr.InputRequired):
            state = self.request_states.seal(mrtr.binding(method, params, caller), result.state)
            return {**mrtr.input_required_result(result.requests, state),
                    "_meta": {SERVER_INFO: self.identity()}}
        out = {"resultType": "complete", **result}
        out["_meta"] = {**(result.get("_meta") or {}), SERVER_INFO: self.identity()}
        hint = self.cache_hints.get(method)
        if hint is not None:
            out.setdefault("ttlMs", hint[0])
            out.setdefault("cacheScope", hint[1])
        return out

    def identity(self) -> dict[str, Any]:
        """serverInfo: name, version, title."""
        return dict(self.info)

    def _dispatch(self, table: dict[str, Callable[..., Any]], method: str, params: dict[str, Any],
                  ctx: ToolContext, session_id: str | None) -> dict[str, Any] | None:
        """Run one request's handler inside its span; any failure becomes its JSON-RPC error response."""
        req_id = ctx.request_id
        span = request_span(method, params, ctx.meta, req_id, session_id)
        try:
            with span as current:
                handler = table.get(method)
                if handler is None:
                    raise JsonRpcError(METHOD_NOT_FOUND, f"Method not found: {method}", http_status=404)
                try:
                    result = handler(ctx, params)
                except mrtr.InputRequired as asked:
                    if method not in mrtr.SUPPORTED_METHODS or ctx.request_meta is None:
                        raise
                    result = asked  # turned into the input_required result by _finish
                except mrtr.MissingCapability as missing:
                    raise missing.error() from None
                if isinstance(result, dict) and result.get("isError"):
                    current.set_attribute("error.type", "tool_error")
            return jsonrpc.result(req_id, result)
        except JsonRpcError as exc:
            exc.id = req_id
            ctx.http_status = exc.http_status or 200
            return exc.to_wire()
        except Cancelled:
            return None  # a cancelled request gets no response
        except Exception:  # a bug of ours must not kill the stream or the worker
            log.exception("unhandled error in %s", method)
            return JsonRpcError(jsonrpc.INTERNAL_ERROR, f"Internal error while handling {method}",
                                id=req_id).to_wire()

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
