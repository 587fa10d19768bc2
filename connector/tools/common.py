"""What every tool family shares: annotation presets, ids, errors, results, cache keys (paging: paging.py).

A tool knows nothing of HTTP: it gets `ctx` (caller, Attio client, tenant cache, progress,
log, elicitation) and returns `result(ctx, structured, text)`.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

from marshmallow import Schema, ValidationError

from ..attio.errors import AttioError, AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.features import compact_json
from ..mcp.registry import Registry, ToolError, ToolResult

READ = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
# A write bounded to a known target (create/update by id): not destructive, confirmation is the client's call.
WRITE = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False}
IDEMPOTENT_WRITE = {**WRITE, "idempotentHint": True}
DESTRUCTIVE = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True, "openWorldHint": False}

READ_SCOPE, WRITE_SCOPE = "attio:read", "attio:write"

RECORD_ID = re.compile(r"^(?P<object>[a-z0-9_-]{1,64}):(?P<record>[0-9a-fA-F-]{36})$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def attio_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """The one place an Attio failure becomes a ToolError: its readable message (what went wrong and what to
    do), and whether the thing named is missing or Attio failed. Applied to every handler by `guard`."""
    if getattr(func, "__attio_guarded__", False):
        return func

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AttioError as exc:
            kind = "missing" if isinstance(exc, AttioNotFound) else "upstream"
            raise ToolError(exc.tool_message(), kind=kind) from None

    guarded.__attio_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def guard(registry: Registry) -> None:
    """Put `attio_errors` around every tool handler, resource reader, prompt renderer and completer."""
    for tool in registry.tools.values():
        tool.handler = attio_errors(tool.handler)
    for item in [*registry.resources.values(), *registry.templates]:
        item.read = attio_errors(item.read)
    for entry in [*registry.templates, *registry.prompts.values()]:
        if entry.complete is not None:
            entry.complete = attio_errors(entry.complete)
    for prompt in registry.prompts.values():
        prompt.render = attio_errors(prompt.render)


def no_such(thing: str, ident: str, where: str, *, already: bool = False) -> ToolError:
    """The one "it does not exist" tool error: what was asked for, and where current ids are listed."""
    gone = "it may have been deleted already" if already else "it may have been deleted"
    return ToolError(f"No {thing} with id {ident} exists in this workspace ({gone}). {where}", kind="missing")


def parse_record_id(raw: str) -> tuple[str, str]:
    """Split '<object>:<record uuid>' (as `search` returns it), or raise a ToolError showing the format."""
    m = RECORD_ID.match((raw or "").strip())
    if not m:
        raise ToolError(f"Invalid id {raw!r}: expected '<object>:<record id>' exactly as returned by search, "
                        "e.g. 'companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5'.")
    return m.group("object"), m.group("record").lower()


def check_uuid(raw: str, what: str) -> str:
    """A UUID argument, lower-cased, or a ToolError naming the argument."""
    if not UUID.match((raw or "").strip()):
        raise ToolError(f"Invalid {what} {raw!r}: expected a UUID such as 649e34f4-c39a-4f4d-99ef-48a36bef8f04.")
    return raw.strip().lower()


def result(ctx: ToolContext, structured: dict[str, Any], text: str | None = None) -> ToolResult:
    """A tool result: readable text (JSON when no rendering is given) plus the same data as structuredContent."""
    return ToolResult(content=[{"type": "text", "text": text if text is not None else compact_json(structured)}],
                      structured=structured, meta={"attio-connector/source": ctx.services.describe()})


def record_key(obj: str, record_id: str) -> str:
    """The tenant-cache key of one record (invalidated whenever a tool writes the record)."""
    return f"rec:{obj}:{record_id}"


def notes_key(obj: str, record_id: str) -> str:
    """The tenant-cache key of a record's latest notes (`fetch` shows them; invalidated by every note write)."""
    return f"notes:{obj}:{record_id}"


def forget_record(ctx: ToolContext, obj: str, record_id: str) -> None:
    """Drop a written record's cached reads so the next read sees the write (its notes too: a merge moves them,
    a delete ends them)."""
    ctx.services.forget(ctx.caller, record_key(obj, record_id))
    ctx.services.forget(ctx.caller, notes_key(obj, record_id))


def forget_notes(ctx: ToolContext, obj: str, record_id: str) -> None:
    """Drop a record's cached notes after a note on it was created, changed or deleted."""
    ctx.services.forget(ctx.caller, notes_key(obj, record_id))


def object_schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A small helper for output schemas."""
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def load_or_error(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate a nested structure inside a tool, turning marshmallow's messages into a ToolError."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        from ..mcp.jsonrpc import describe_validation

        raise ToolError(describe_validation(exc)) from None
