"""Schema discovery: `list_objects` and `list_attributes` (of an object or a list).

Everything here is workspace configuration that changes rarely, so it is read through the tenant cache
(`SCHEMA_TTL`); `all_lists` and `find_list` are shared with the list tools.
"""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import attributes as attrs
from . import workspace
from .common import READ, READ_SCOPE, object_schema, result
from .paging import PageArgs, decode_cursor, page_fields
from .workspace import SCHEMA_TTL

OBJECT_SCHEMA = object_schema({
    "api_slug": {"type": "string"}, "singular": {"type": "string"}, "plural": {"type": "string"},
    "object_id": {"type": ["string", "null"]},
}, ["api_slug", "singular", "plural", "object_id"])
OBJECTS_OUTPUT = object_schema({"objects": {"type": "array", "items": OBJECT_SCHEMA},
                                "next_cursor": {"type": ["string", "null"]}}, ["objects", "next_cursor"])
ATTRIBUTE_SCHEMA = object_schema({
    "slug": {"type": "string"}, "title": {"type": "string"}, "type": {"type": "string"},
    "writable": {"type": "boolean"}, "required": {"type": "boolean"}, "unique": {"type": "boolean"},
    "multiselect": {"type": "boolean"},
    "options": {"type": "array", "items": {"type": "string"}},
    "statuses": {"type": "array", "items": {"type": "string"}},
}, ["slug", "title", "type", "writable", "required", "unique", "multiselect"])
ATTRIBUTES_OUTPUT = object_schema({
    "target": {"type": "string"}, "kind": {"type": "string", "enum": ["objects", "lists"]},
    "attributes": {"type": "array", "items": ATTRIBUTE_SCHEMA}, "next_cursor": {"type": ["string", "null"]},
}, ["target", "kind", "attributes", "next_cursor"])


class ListObjectsArgs(PageArgs):
    """Arguments of `list_objects`: just the page."""


class ListAttributesArgs(PageArgs):
    """Arguments of `list_attributes`: the object or list, and the page (default: every attribute)."""

    target = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "An object's api_slug (e.g. \"deals\", from list_objects) or a list's api_slug "
                       "(e.g. \"sales_pipeline\", from list_lists)."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100),
                           metadata={"description": "How many attributes to return (1-100, default 100)."})


def all_lists(ctx: ToolContext) -> list[dict[str, Any]]:
    """Every list the credential sees, as {list_id, api_slug, name, parent_object, access}, cached."""
    def load() -> list[dict[str, Any]]:
        return [{"list_id": (x.get("id") or {}).get("list_id", ""), "api_slug": x["api_slug"],
                 "name": x.get("name") or x["api_slug"], "parent_object": (x.get("parent_object") or [""])[0],
                 "access": x.get("workspace_access")}
                for x in ctx.attio.list_lists() if x.get("api_slug")]
    return ctx.services.cached(ctx.caller, "lists", load, ttl=SCHEMA_TTL)


def find_list(ctx: ToolContext, key: str) -> dict[str, Any]:
    """The list named by api_slug, UUID or name (case-insensitive), or a ToolError listing the lists."""
    wanted = key.strip().casefold()
    lists = all_lists(ctx)
    for field in ("api_slug", "list_id", "name"):
        for x in lists:
            if x[field].casefold() == wanted:
                return x
    known = ", ".join(f"{x['api_slug']} ({x['name']})" for x in lists) or "none"
    raise ToolError(f"Unknown list {key!r}. Available lists: {known}. Pass one of these api_slugs.")


def resolve_target(ctx: ToolContext, key: str) -> tuple[str, str]:
    """('objects' | 'lists', api_slug) for an object or list name, or a ToolError listing both."""
    objects = workspace.objects(ctx)
    wanted = key.strip().casefold()
    for slug, o in objects.items():
        if wanted in (slug.casefold(), (o.get("object_id") or "").casefold(), o["singular"].casefold(),
                      o["plural"].casefold()):
            return "objects", slug
    try:
        return "lists", find_list(ctx, key)["api_slug"]
    except ToolError:
        pass
    lists = ", ".join(x["api_slug"] for x in all_lists(ctx)) or "none"
    raise ToolError(f"Unknown object or list {key!r}. Objects: {', '.join(objects) or 'none'}. "
                    f"Lists: {lists}. Pass one of these api_slugs.")


def attributes(ctx: ToolContext, slug: str, kind: str) -> list[dict[str, Any]]:
    """The attributes of an object or list as `describe_attribute` shows them, with option/status titles.

    Built from `values`' cached definitions and options, so the schema is read once per tenant and TTL.
    """
    out = []
    for attr in attrs.attribute_defs(ctx, slug, kind):
        if attr.get("is_archived") or not attr.get("api_slug"):
            continue
        if attr.get("type") in ("select", "status"):
            key = "options" if attr["type"] == "select" else "statuses"
            attr = {**attr, key: attrs.attribute_options(ctx, slug, attr, kind)}
        out.append(attrs.describe_attribute(attr))
    return out


def attribute_titles(ctx: ToolContext, slug: str, kind: str) -> dict[str, str]:
    """Attribute slug → title for an object or list (no option lookups)."""
    return {k: a.get("title") or k for k, a in attrs.attribute_map(ctx, slug, kind).items()}


def list_objects(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The workspace's objects."""
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    everything = [{"api_slug": slug, **o} for slug, o in workspace.objects(ctx).items()]
    page = everything[offset:offset + limit + 1]
    shown = page[:limit]
    out = {"objects": [{k: o.get(k) for k in ("api_slug", "singular", "plural", "object_id")} for o in shown],
           **page_fields(page, offset, limit)}
    lines = [f"{len(everything)} object(s); showing {len(shown)}:"]
    lines += [f"- {o['plural']} (api_slug {o['api_slug']}; one record is a {o['singular']})" for o in shown]
    if out["next_cursor"]:
        lines.append(f"More: call list_objects with cursor {out['next_cursor']!r}.")
    return result(ctx, out, "\n".join(lines))


def _attribute_line(a: dict[str, Any]) -> str:
    flags = [f for f, on in (("read-only", not a["writable"]), ("required", a["required"]),
                             ("unique", a["unique"]), ("multi-value", a["multiselect"])) if on]
    line = f"- {a['slug']} ({a['title']}): {a['type']}" + (f", {', '.join(flags)}" if flags else "")
    for key in ("options", "statuses"):
        if a.get(key):
            line += f"; {key}: {', '.join(a[key])}"
    return line


def list_attributes(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The attributes of one object or list."""
    kind, slug = resolve_target(ctx, args["target"])
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    everything = attributes(ctx, slug, kind)
    page = everything[offset:offset + limit + 1]
    shown = page[:limit]
    out = {"target": slug, "kind": kind, "attributes": shown, **page_fields(page, offset, limit)}
    noun = "object" if kind == "objects" else "list"
    lines = [f"Attributes of the {noun} {slug} ({len(everything)}; showing {len(shown)}):"]
    lines += [_attribute_line(a) for a in shown]
    if out["next_cursor"]:
        lines.append(f"More: call list_attributes with cursor {out['next_cursor']!r}.")
    return result(ctx, out, "\n".join(lines))


def register(registry: Registry) -> None:
    """Add `list_objects` and `list_attributes`."""
    registry.add_tool(Tool(
        name="list_objects", title="List Attio objects", handler=list_objects, args=ListObjectsArgs,
        output_schema=OBJECTS_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the kinds of records in this Attio workspace (objects such as people, companies, "
                     "deals and any custom ones). Use it to learn the api_slug to pass to other tools. "
                     "Returns {\"objects\":[{\"api_slug\",\"singular\",\"plural\",\"object_id\"}],"
                     "\"next_cursor\"}. Example: {}.")))
    registry.add_tool(Tool(
        name="list_attributes", title="List attributes", handler=list_attributes, args=ListAttributesArgs,
        output_schema=ATTRIBUTES_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the attributes (fields) of an object or a list before writing or filtering: each "
                     "with its slug, title, type, whether it is writable, required, unique or multi-value, and "
                     "the allowed titles of select options and statuses (e.g. deal stages). Returns "
                     "{\"target\",\"kind\",\"attributes\":[…],\"next_cursor\"}. "
                     "Example: {\"target\": \"deals\"} or {\"target\": \"sales_pipeline\"}.")))
