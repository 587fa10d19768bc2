"""The feature methods: tools, resources, prompts and completion.

Each handler takes `(ctx, params)` and returns a result dict, or raises
`JsonRpcError`. Tool failures become `isError` results, never protocol errors.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

from marshmallow import Schema, ValidationError, fields, validate

from .. import jsoncodec, metrics
from . import confirmation, cursors, jsonrpc, mrtr
from .context import Cancelled, ClientRequestError, ToolContext
from .jsonrpc import INVALID_PARAMS, RESOURCE_NOT_FOUND, JsonRpcError
from .registry import ToolError, ToolResult

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # tools/list etc.: the product (46 tools) fits on one page, as most clients read only the first
MAX_COMPLETIONS = 100


class _Params(Schema):
    class Meta:
        unknown = "include"


class ListParams(_Params):
    """Params of any paginated list method."""

    cursor = fields.String(allow_none=True)


class CallParams(_Params):
    """`tools/call` params."""

    name = fields.String(required=True, validate=validate.Length(min=1))
    arguments = fields.Dict(load_default=dict, allow_none=True)


class ReadParams(_Params):
    """`resources/read`, `resources/subscribe` and `resources/unsubscribe` params."""

    uri = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class GetPromptParams(_Params):
    """`prompts/get` params."""

    name = fields.String(required=True)
    arguments = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict, allow_none=True)


class RefSchema(_Params):
    """A completion reference."""

    type = fields.String(required=True, validate=validate.OneOf(["ref/prompt", "ref/resource"]))
    name = fields.String()
    uri = fields.String()


class ArgumentSchema(_Params):
    """The argument being completed."""

    name = fields.String(required=True)
    value = fields.String(required=True)


class CompleteParams(_Params):
    """`completion/complete` params."""

    ref = fields.Nested(RefSchema, required=True)
    argument = fields.Nested(ArgumentSchema, required=True)
    context = fields.Dict(load_default=dict)


_INSTANCES: dict[type[Schema], Schema] = {}


def _load(schema: type[Schema], params: Any) -> dict[str, Any]:
    # Schema instances are reusable and building one costs more than the load itself.
    instance = _INSTANCES.get(schema) or _INSTANCES.setdefault(schema, schema())
    try:
        return instance.load(params or {})
    except ValidationError as exc:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: {jsonrpc.describe_validation(exc)}") from None


def _page(items: list[Any], params: Any, key: str) -> dict[str, Any]:
    """Slice `items` by the opaque cursor; deterministic order."""
    cursor = _load(ListParams, params).get("cursor")
    start = 0
    if cursor:
        try:
            start = cursors.decode_offset(cursor)
        except ValueError:
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: cursor is not one this server issued") from None
        if start > len(items):
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: cursor is out of range")
    out: dict[str, Any] = {key: [i.descriptor() for i in items[start:start + PAGE_SIZE]]}
    if start + PAGE_SIZE < len(items):
        out["nextCursor"] = cursors.encode_offset(start + PAGE_SIZE)
    return out


def _registry(ctx: ToolContext) -> Any:
    return ctx.registry


def list_tools(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`tools/list`."""
    return _page(list(_registry(ctx).tools.values()), params, "tools")


def screened(ctx: ToolContext, source: str, result: dict[str, Any]) -> dict[str, Any]:
    """The one choke point for what leaves: the registry's result filter (set by the app factory to the
    prompt-injection screening of connector.security) sees every tools/call, resources/read and
    prompts/get result before it is sent."""
    screen = getattr(_registry(ctx), "result_filter", None)
    return screen(ctx, source, result) if screen is not None else result


def call_tool(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`tools/call`: unknown tool is a protocol error; everything else an `isError` result."""
    p = _plain_call(params) or _load(CallParams, params)
    tool = _registry(ctx).tools.get(p["name"])
    if tool is None:
        raise JsonRpcError(INVALID_PARAMS, f"Unknown tool: {p['name']}")
    started, outcome = time.perf_counter(), "protocol_error"  # a JSON-RPC error reply
    try:
        result = screened(ctx, tool.name, _run_tool(ctx, tool, p["arguments"] or {}))
        outcome = "tool_error" if result.get("isError") else "ok"
        return result
    except Cancelled:
        outcome = "cancelled"
        raise
    except mrtr.InputRequired:
        outcome = "input_required"
        raise
    finally:
        metrics.TOOL_CALLS.labels(tool.name, outcome).observe(time.perf_counter() - started)


def _plain_call(params: Any) -> dict[str, Any] | None:
    """Everyday `tools/call` params read at a glance (a non-empty name, arguments an object or null or absent);
    None sends them through CallParams (tests/unit/test_envelope_fast_path.py checks the two agree)."""
    if type(params) is not dict:
        return None
    name, arguments = params.get("name"), params.get("arguments")
    if type(name) is not str or not name or not (arguments is None or type(arguments) is dict):
        return None
    return {**params, "name": name, "arguments": {} if arguments is None and "arguments" not in params
            else arguments}


def _run_tool(ctx: ToolContext, tool: Any, raw: dict[str, Any]) -> dict[str, Any]:
    if not ctx.caller.has_scope(tool.scope):
        return ToolResult.error(f"This tool needs the {tool.scope} scope, which your token lacks. "
                                "Reconnect and grant it.").to_wire()
    check = getattr(_registry(ctx), "argument_check", None)
    problem = check(tool, raw) if check is not None else None
    if problem:
        return ToolResult.error(f"Invalid arguments for {tool.name}: {problem}").to_wire()
    raw, token = confirmation.split_token(raw) if tool.destructive else (raw, None)
    try:
        args = tool.load_args(raw)
    except ValidationError as exc:
        return ToolResult.error(f"Invalid arguments for {tool.name}: {jsonrpc.describe_validation(exc)}").to_wire()
    try:
        if tool.destructive:
            ctx.pending = confirmation.begin(ctx.confirmations, ctx.caller, tool.name, args, token)
        outcome = tool.handler(ctx, args)
    except (Cancelled, mrtr.Interrupt, JsonRpcError):  # a malformed inputResponses answer is a protocol error
        raise
    except confirmation.NotConfirmed as exc:  # nothing was changed: not an error, the next step for the model
        return ToolResult(content=[{"type": "text", "text": exc.text}], structured=exc.structured).to_wire()
    except (ToolError, ClientRequestError, confirmation.ConfirmationRefused) as exc:
        return ToolResult.error(str(exc)).to_wire()
    except Exception:
        log.exception("tool %s failed", tool.name)
        return ToolResult.error(f"{tool.name} failed unexpectedly; the error was logged on the server.").to_wire()
    if ctx.pending is not None and ctx.pending.how is None:
        log.error("destructive tool %s returned without ctx.confirm(): a bug in the tool", tool.name)
    if isinstance(outcome, dict):
        outcome = ToolResult(content=[{"type": "text", "text": compact_json(outcome)}], structured=outcome)
    return outcome.to_wire()


def compact_json(value: Any) -> str:
    """Compact JSON for text blocks."""
    return jsoncodec.dumps_text(value)


def list_resources(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`resources/list`."""
    return _page(list(_registry(ctx).resources.values()), params, "resources")


def list_templates(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`resources/templates/list`."""
    return _page(list(_registry(ctx).templates), params, "resourceTemplates")


def read_resource(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`resources/read`: a fixed resource first, then the templates."""
    uri = _load(ReadParams, params)["uri"]
    registry = _registry(ctx)
    try:
        if uri in registry.resources:
            contents = registry.resources[uri].read(ctx)
        else:
            found = registry.find_template(uri)
            if found is None:
                raise LookupError(uri)
            template, variables = found
            contents = template.read(ctx, **variables)
    except LookupError:
        raise JsonRpcError(_not_found(ctx), f"Resource not found: {uri} (no resource has that URI)",
                           data={"uri": uri}) from None
    except ToolError as exc:
        if exc.kind == "upstream":
            raise JsonRpcError(jsonrpc.INTERNAL_ERROR, str(exc), data={"uri": uri}) from None
        raise JsonRpcError(_not_found(ctx), f"Resource not found: {uri} ({exc})", data={"uri": uri}) from None
    return screened(ctx, "resources/read", {"contents": contents})


def _not_found(ctx: ToolContext) -> int:
    """Resource not found: -32602 from 2026-07-28 on, -32002 for session clients."""
    return INVALID_PARAMS if ctx.stateless else RESOURCE_NOT_FOUND


def subscribe(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`resources/subscribe`."""
    uri = _load(ReadParams, params)["uri"]
    if ctx.session is not None:
        ctx.session.subscriptions.add(uri)
        ctx.session.save()
    return {}


def unsubscribe(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`resources/unsubscribe`."""
    uri = _load(ReadParams, params)["uri"]
    if ctx.session is not None:
        ctx.session.subscriptions.discard(uri)
        ctx.session.save()
    return {}


def list_prompts(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`prompts/list`."""
    return _page(list(_registry(ctx).prompts.values()), params, "prompts")


def get_prompt(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`prompts/get`: required arguments are checked before rendering."""
    p = _load(GetPromptParams, params)
    prompt = _registry(ctx).prompts.get(p["name"])
    if prompt is None:
        raise JsonRpcError(INVALID_PARAMS, f"Unknown prompt: {p['name']}")
    args = p["arguments"] or {}
    missing = [a.name for a in prompt.arguments if a.required and not args.get(a.name)]
    if missing:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: prompt {prompt.name} needs {', '.join(missing)}")
    try:
        messages = prompt.render(ctx, args)
    except ToolError as exc:
        raise JsonRpcError(INVALID_PARAMS, str(exc)) from None
    out: dict[str, Any] = {"messages": messages}
    if prompt.description:
        out["description"] = prompt.description
    return screened(ctx, "prompts/get", out)


def complete(ctx: ToolContext, params: Any) -> dict[str, Any]:
    """`completion/complete` for prompt arguments and template variables."""
    p = _load(CompleteParams, params)
    ref, arg = p["ref"], p["argument"]
    registry = _registry(ctx)
    completer: Callable[..., list[str]] | None = None
    if ref["type"] == "ref/prompt":
        prompt = registry.prompts.get(ref.get("name", ""))
        if prompt is None:
            raise JsonRpcError(INVALID_PARAMS, f"Unknown prompt: {ref.get('name')}")
        completer = prompt.complete
    else:
        template = next((t for t in registry.templates if t.uri_template == ref.get("uri")), None)
        if template is None:
            raise JsonRpcError(INVALID_PARAMS, f"Unknown resource template: {ref.get('uri')}")
        completer = template.complete
    values: list[str] = []
    if completer is not None:
        try:
            values = list(completer(ctx, arg["name"], arg["value"], (p.get("context") or {}).get("arguments") or {}))
        except ToolError:
            values = []  # completion is a convenience; an upstream hiccup means "no suggestions"
    return {"completion": {"values": values[:MAX_COMPLETIONS], "total": len(values),
                           "hasMore": len(values) > MAX_COMPLETIONS}}


# Methods 2026-07-28 removed (subscriptions/listen replaces them): served to session clients only.
SESSION_ONLY = frozenset({"resources/subscribe", "resources/unsubscribe"})

METHODS: dict[str, Callable[[ToolContext, Any], dict[str, Any]]] = {
    "tools/list": list_tools,
    "tools/call": call_tool,
    "resources/list": list_resources,
    "resources/templates/list": list_templates,
    "resources/read": read_resource,
    "resources/subscribe": subscribe,
    "resources/unsubscribe": unsubscribe,
    "prompts/list": list_prompts,
    "prompts/get": get_prompt,
    "completion/complete": complete,
}
