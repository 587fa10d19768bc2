"""The records family: search, query, get, create, upsert, update, delete and related records.

The tools live in `records_read.py` and `records_write.py`; this module holds what they share
(the record summary every tool returns, its output schema, cache-aware loading and invalidation)
and registers both halves.
"""
from __future__ import annotations

from typing import Any, Callable

from ..attio.errors import AttioNotFound
from ..attio.render import record_title, record_url, render_value
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, ToolError
from . import workspace
from .common import forget_record, object_schema, record_key

RECORD_URI = "attio://records/{object}/{record_id}"  # a record as an MCP resource (the template in resources.py)

MAX_RESOLVED = 10  # referenced records named per get_record (through the tenant cache)
_HIDDEN = frozenset({"record_id"})

RECORD_SUMMARY = object_schema({
    "id": {"type": "string", "description": "'<object>:<record id>', the id every record tool takes."},
    "object": {"type": "string"}, "record_id": {"type": "string"}, "title": {"type": "string"},
    "url": {"type": "string"},
    "values": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
               "description": "Each filled attribute's values as readable text, by attribute slug."},
}, ["id", "object", "record_id", "title", "url", "values"])

HIT_SCHEMA = object_schema({"id": {"type": "string"}, "object": {"type": "string"},
                            "record_id": {"type": "string"}, "title": {"type": "string"},
                            "url": {"type": "string"}}, ["id", "object", "record_id", "title", "url"])


def url_for(ctx: ToolContext, obj: str, rid: str, record: dict[str, Any] | None = None) -> str:
    """The record's page in the Attio web app (its web_url when Attio gave one)."""
    if record and record.get("web_url"):
        return record["web_url"]
    slug = workspace.workspace(ctx).get("workspace_slug", "")
    return record_url(slug, obj, rid, workspace.singular(ctx, obj))


def hit(ctx: ToolContext, obj: str, rid: str, title: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """The short form of a record: id, object, record id, title and url."""
    return {"id": f"{obj}:{rid}", "object": obj, "record_id": rid, "title": title,
            "url": url_for(ctx, obj, rid, record)}


def summarize(ctx: ToolContext, record: dict[str, Any], obj: str,
              resolve: Callable[[str, str], str | None] | None = None) -> dict[str, Any]:
    """A record as the tools return it: id, title, url and every filled attribute as readable text."""
    rid = (record.get("id") or {}).get("record_id", "")
    values: dict[str, list[str]] = {}
    members = workspace.member_names(ctx)  # cached: owners and creators read as names
    for slug, items in (record.get("values") or {}).items():
        if slug in _HIDDEN or not items:
            continue
        shown = [render_value(i, resolve=resolve, resolve_actor=members.get) for i in items if isinstance(i, dict)]
        shown = [s for s in shown if s]
        if shown:
            values[slug] = shown
    title = record_title(record, obj, singular=workspace.singular(ctx, obj))
    return {**hit(ctx, obj, rid, title, record), "values": values}


def summary_text(ctx: ToolContext, summary: dict[str, Any], heading: str | None = None) -> str:
    """A summary as text: a heading line, then '<Attribute title>: <values>' per filled attribute."""
    titles = workspace.attribute_titles(ctx, summary["object"])
    lines = [heading or f"{workspace.singular(ctx, summary['object'])}: {summary['title']}",
             f"id: {summary['id']}", f"url: {summary['url']}"]
    for slug, shown in summary["values"].items():
        lines.append(f"{titles.get(slug, slug)}: {', '.join(shown)}".replace("\n", "\n  "))
    return "\n".join(lines)


def hit_line(item: dict[str, Any]) -> str:
    """One line per record in list results."""
    return f"- {item['title']} ({item['id']}) {item['url']}"


def load_record(ctx: ToolContext, obj: str, rid: str) -> dict[str, Any]:
    """One record through the tenant cache, or a ToolError saying it does not exist."""
    try:
        return ctx.services.cached(ctx.caller, record_key(obj, rid), lambda: ctx.attio.get_record(obj, rid))
    except AttioNotFound:
        raise ToolError(f"No {obj} record with id {rid} exists in this workspace (it may have been deleted). "
                        "Use search_records to find a current id.") from None


def resolver(ctx: ToolContext) -> Callable[[str, str], str | None]:
    """Names referenced records (up to MAX_RESOLVED, cached) and workspace members."""
    members = workspace.member_names(ctx)
    budget = [MAX_RESOLVED]

    def resolve(target: str, target_id: str) -> str | None:
        if target == "workspace-member":
            return members.get(target_id)
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        try:
            found = ctx.services.cached(ctx.caller, record_key(target, target_id),
                                        lambda: ctx.attio.get_record(target, target_id))
        except AttioNotFound:
            return None
        return record_title(found, target)
    return resolve


def references(record: dict[str, Any] | None) -> set[tuple[str, str]]:
    """Every (object, record id) a record points to through record-reference values."""
    out: set[tuple[str, str]] = set()
    for items in ((record or {}).get("values") or {}).values():
        for v in items or ():
            if isinstance(v, dict) and v.get("attribute_type") == "record-reference" and v.get("target_record_id"):
                out.add((v.get("target_object") or "", v["target_record_id"]))
    return out


def written_references(values: dict[str, Any]) -> set[tuple[str, str]]:
    """The (object, record id) pairs named by converted write values (their reverse sides change too)."""
    out: set[tuple[str, str]] = set()
    for raw in values.values():
        for v in raw if isinstance(raw, list) else [raw]:
            if isinstance(v, dict) and v.get("target_object") and v.get("target_record_id"):
                out.add((v["target_object"], v["target_record_id"]))
    return out


def forget_touched(ctx: ToolContext, obj: str, rid: str, *records: dict[str, Any] | None,
                   extra: set[tuple[str, str]] = frozenset()) -> None:
    """Drop cached reads of a written record and of every record on the other side of its references, and tell
    the clients listening for updates of those records' resources (subscriptions/listen)."""
    touched = {(obj, rid)} | set(extra)
    for record in records:
        touched |= references(record)
    for o, r in sorted(touched):
        if o and r:
            forget_record(ctx, o, r)
            ctx.changed("resourceUpdated", RECORD_URI.format(object=o, record_id=r))


def register(registry: Registry) -> None:
    """Add the record tools: reads first, then writes."""
    from . import records_read, records_write

    records_read.register(registry)
    records_write.register(registry)
    registry.announces.add("resourceUpdated")  # forget_touched announces every record a write changed
