"""Saved views: list an object's or a list's views, and query records or entries through one (reference §7).

A view's filter and sort are Attio's (`filter_view_id` of the records / entries query); views are read-only.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioBadRequest, AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import schema, workspace
from .activity import one_line
from .common import READ, READ_SCOPE, UUID, object_schema, result
from .lists import ENTRY_SCHEMA, entries_view, entry_text
from .paging import NEXT_CURSOR, CursorPageArgs, collect, decode_cursor, page_fields
from .records.view import RECORD_SUMMARY, hit_line, summarize

VIEW_SCAN = 500  # views read to find one by title

VIEW_SCHEMA = object_schema({"id": {"type": "string"}, "title": {"type": "string"}, "created_at": {"type": "string"}},
                            ["id", "title", "created_at"])
LIST_OUTPUT = object_schema({
    "target": {"type": "string"}, "kind": {"type": "string", "enum": ["objects", "lists"]},
    "views": {"type": "array", "items": VIEW_SCHEMA}, "next_cursor": NEXT_CURSOR},
    ["target", "kind", "views", "next_cursor"])
QUERY_OUTPUT = object_schema({
    "target": {"type": "string"}, "kind": {"type": "string", "enum": ["objects", "lists"]}, "view": VIEW_SCHEMA,
    "records": {"type": "array", "items": RECORD_SUMMARY, "description": "An object's records ([] for a list)."},
    "entries": {"type": "array", "items": ENTRY_SCHEMA, "description": "A list's entries ([] for an object)."},
    "next_cursor": NEXT_CURSOR}, ["target", "kind", "view", "records", "entries", "next_cursor"])
_TARGET = {"description": "An object's api_slug (e.g. \"companies\") or a list's (e.g. \"sales_pipeline\")."}


class ListViewsArgs(CursorPageArgs):
    """Arguments of `list_views`."""

    target = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=_TARGET)


class QueryViewArgs(Schema):
    """Arguments of `query_view`."""

    target = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=_TARGET)
    view = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The view's id or its title (from list_views), e.g. \"Enterprise pipeline\"."})
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100),
                           metadata={"description": "How many records or entries to return (1-100, default 25)."})
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                           metadata={"description": "The next_cursor of the previous page, to continue."})


def _view(v: dict[str, Any]) -> dict[str, Any]:
    return {"id": (v.get("id") or {}).get("view_id", ""), "title": v.get("title") or "",
            "created_at": v.get("created_at") or ""}


def _views(ctx: ToolContext, kind: str, slug: str, cursor: str | None, limit: int) -> tuple[list[Any], Any]:
    try:
        views = ctx.attio.list_object_views if kind == "objects" else ctx.attio.list_list_views
        return collect(lambda c, n: views(slug, limit=n, cursor=c), cursor, limit)
    except AttioNotFound:
        raise ToolError(f"Attio knows no {kind[:-1]} {slug!r} to list views of.") from None


def list_views(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """An object's or a list's saved views."""
    kind, slug = schema.resolve_target(ctx, args["target"])
    items, next_cursor = _views(ctx, kind, slug, args["cursor"], args["limit"])
    views = [_view(v) for v in items]
    lines = [f"{len(views)} saved view(s) of the {kind[:-1]} {slug}" + (" (more: pass next_cursor)."
                                                                          if next_cursor else ".")]
    lines += [f"- {one_line(v['title'])} · view id {v['id']}" for v in views]
    return result(ctx, {"target": slug, "kind": kind, "views": views, "next_cursor": next_cursor}, "\n".join(lines))


def _find_view(ctx: ToolContext, kind: str, slug: str, wanted: str) -> dict[str, Any]:
    items, _ = _views(ctx, kind, slug, None, VIEW_SCAN)
    views = [_view(v) for v in items]
    key = wanted.strip().casefold()
    for v in views:
        if key in (v["id"].casefold(), " ".join(v["title"].split()).casefold()):
            return v
    if UUID.match(wanted.strip()):  # a view Attio may hold beyond the ones read: let Attio say
        return {"id": wanted.strip().lower(), "title": "", "created_at": ""}
    known = "; ".join(f"{v['title']} ({v['id']})" for v in views) or "none"
    raise ToolError(f"The {kind[:-1]} {slug} has no view {wanted!r}. Its views: {known}.")


def query_view(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Records (object) or entries (list) as a saved view filters and sorts them."""
    kind, slug = schema.resolve_target(ctx, args["target"])
    view = _find_view(ctx, kind, slug, args["view"])
    offset, limit = decode_cursor(args["cursor"]), args["limit"]
    records: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    try:
        if kind == "objects":
            rows = ctx.attio.query_records(slug, view_id=view["id"], limit=limit + 1, offset=offset)
            records = [summarize(ctx, r, slug) for r in rows[:limit]]
        else:
            lst = schema.find_list(ctx, slug)
            rows = ctx.attio.query_entries(lst["list_id"], view_id=view["id"], limit=limit + 1, offset=offset)
            entries = entries_view(ctx, rows[:limit])
    except (AttioNotFound, AttioBadRequest) as exc:
        if isinstance(exc, AttioBadRequest) and exc.code != "value_not_found":
            raise
        raise ToolError(f"Attio knows no view {view['id']} of the {kind[:-1]} {slug}; list_views shows its "
                        "views.") from None
    out = {"target": slug, "kind": kind, "view": view, "records": records, "entries": entries,
           **page_fields(rows, offset, limit)}
    name = one_line(view["title"]) or view["id"]
    count = (f"{len(records)} record(s)" if kind == "objects"
             else f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
    lines = [f"{count} of {slug} in the view {name}" + (" (more: pass next_cursor)." if out["next_cursor"] else ".")]
    if kind == "objects":
        titles = workspace.attribute_titles(ctx, slug)
        for r in records:
            lines.append(hit_line(r))
            said = "; ".join(f"{titles.get(k, k)}: {', '.join(v)}" for k, v in r["values"].items())
            if said:
                lines.append("  " + said.replace("\n", " "))
    else:
        lines += [entry_text(ctx, schema.find_list(ctx, slug), e) for e in entries]
    return result(ctx, out, "\n".join(lines))


def register(registry: Registry) -> None:
    """Add `list_views` and `query_view`."""
    registry.add_tool(Tool(
        name="list_views", title="List saved views", handler=list_views, args=ListViewsArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the saved views of an object (e.g. companies) or a list (e.g. a sales pipeline): the "
                     "filtered, sorted tables the team keeps in Attio. Query one with query_view. Returns "
                     "{\"target\",\"kind\",\"views\":[{\"id\",\"title\",\"created_at\"}],\"next_cursor\"}. "
                     "Example: {\"target\": \"sales_pipeline\"}.")))
    registry.add_tool(Tool(
        name="query_view", title="Query through a saved view", handler=query_view, args=QueryViewArgs,
        output_schema=QUERY_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Read the records of an object, or the entries of a list, exactly as one of its saved views "
                     "filters and sorts them (view by title or id, from list_views). Returns {\"view\","
                     "\"records\":[…] for an object or \"entries\":[…] for a list,\"next_cursor\"}. Example: "
                     "{\"target\": \"sales_pipeline\", \"view\": \"Late stage\"}.")))
