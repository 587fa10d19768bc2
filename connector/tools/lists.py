"""Lists and their entries: list lists, read/filter entries, add a record, update entry values, remove.

A list (e.g. a sales pipeline) holds entries; each entry points at one parent record and carries its own
values (the pipeline stage, a priority). Lists are named by api_slug, UUID or name (`schema.find_list`);
entry values are written through `values.to_attio_values(kind="lists")`, so friendly values work and an
unknown slug or option is explained.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioBadRequest, AttioNotFound
from ..attio.render import record_title, render_value
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import schema, workspace
from .common import (DESTRUCTIVE, READ, READ_SCOPE, WRITE, WRITE_SCOPE, check_uuid, object_schema, parse_record_id,
                     result)
from .paging import PageArgs, decode_cursor, page_fields
from .attributes import attribute_map
from .readback import described, DIFFERENCES, differences_text, value_differences
from .records.view import not_found
from .values import to_attio_values

# Entry attributes every list has; the entry's created_at is shown once, at the top level.
_HIDDEN = frozenset({"created_at", "created_by", "entry_id"})

LIST_SCHEMA = object_schema({
    "list_id": {"type": "string"}, "api_slug": {"type": "string"}, "name": {"type": "string"},
    "parent_object": {"type": "string"}, "access": {"type": ["string", "null"]},
}, ["list_id", "api_slug", "name", "parent_object", "access"])
ENTRY_SCHEMA = object_schema({
    "entry_id": {"type": "string"}, "record_id": {"type": "string"}, "record_title": {"type": "string"},
    "created_at": {"type": ["string", "null"]},
    "values": {"type": "object", "additionalProperties": {"type": "string"}},
}, ["entry_id", "record_id", "record_title", "created_at", "values"])
LISTS_OUTPUT = object_schema({"lists": {"type": "array", "items": LIST_SCHEMA},
                              "next_cursor": {"type": ["string", "null"]}}, ["lists", "next_cursor"])
ENTRIES_OUTPUT = object_schema({"list": {"type": "string"}, "entries": {"type": "array", "items": ENTRY_SCHEMA},
                                "next_cursor": {"type": ["string", "null"]}}, ["list", "entries", "next_cursor"])
ENTRY_OUTPUT = object_schema({"list": {"type": "string"}, "entry": ENTRY_SCHEMA, "differences": DIFFERENCES},
                             ["list", "entry", "differences"])
REMOVE_OUTPUT = object_schema({"list": {"type": "string"}, "entry_id": {"type": "string"},
                               "removed": {"type": "boolean"}}, ["list", "entry_id", "removed"])

_LIST_DOC = "The list's api_slug (from list_lists), its UUID or its name, e.g. \"sales_pipeline\"."
_ENTRY_DOC = "The entry_id returned by list_entries or add_to_list (a UUID)."


def _list_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": _LIST_DOC, "x-mcp-header": "List"})


class ListListsArgs(PageArgs):
    """Arguments of `list_lists`: just the page."""


class ListEntriesArgs(PageArgs):
    """Arguments of `list_entries`."""

    list = _list_field()
    filter = fields.Dict(load_default=None, allow_none=True, metadata={"description": (
        "Optional Attio filter on the entry's attributes (see list_attributes for the list), e.g. "
        "{\"stage\": \"Negotiation\"} or {\"stage\": {\"$in\": [\"Qualified\", \"Negotiation\"]}}. "
        "Operators: $eq $in $not_empty $contains $starts_with $ends_with $lt $lte $gt $gte $and $or $not.")})


class AddToListArgs(Schema):
    """Arguments of `add_to_list`."""

    list = _list_field()
    record_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The record to add, as '<object>:<record id>' from search, e.g. \"deals:<uuid>\"."})
    values = fields.Dict(load_default=None, allow_none=True, metadata={
        "description": "Optional entry values by attribute slug, e.g. {\"stage\": \"Qualified\"}."})


class UpdateEntryArgs(Schema):
    """Arguments of `update_list_entry`."""

    list = _list_field()
    entry_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": _ENTRY_DOC})
    values = fields.Dict(required=True, metadata={"description": (
        "Entry values by attribute slug; select options and statuses by title (case-insensitive), e.g. "
        "{\"stage\": \"Closed won 🎉\", \"next_step\": \"Send the contract\"}.")})
    mode = fields.String(load_default="append", validate=validate.OneOf(["append", "overwrite"]),
                         metadata={"description": "For multi-value attributes: \"append\" adds to the existing "
                                                  "values (default), \"overwrite\" replaces them."})


class RemoveEntryArgs(Schema):
    """Arguments of `remove_from_list`."""

    list = _list_field()
    entry_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": _ENTRY_DOC})


def _titles(ctx: ToolContext, obj: str, record_ids: list[str]) -> dict[str, str]:
    """Record id → title for the parent records of a page of entries: one query, not one call each."""
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    records = ctx.attio.query_records(obj, filter={"record_id": {"$in": ids}}, limit=len(ids))
    return {(r.get("id") or {}).get("record_id", ""): record_title(r, obj) for r in records}


def entries_view(ctx: ToolContext, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attio entries as {entry_id, record_id, record_title, created_at, values (readable text by slug)}."""
    by_object: dict[str, list[str]] = {}
    for e in raw:
        by_object.setdefault(e.get("parent_object") or "", []).append(e.get("parent_record_id") or "")
    titles = {obj: _titles(ctx, obj, ids) for obj, ids in by_object.items() if obj}
    names = workspace.member_names(ctx)
    out = []
    for e in raw:
        obj, rid = e.get("parent_object") or "", e.get("parent_record_id") or ""
        values = {}
        for slug, items in (e.get("entry_values") or {}).items():
            if slug in _HIDDEN or not items:
                continue
            text = ", ".join(s for s in (render_value(i, resolve_actor=names.get)
                                         for i in items if isinstance(i, dict)) if s)
            if text:
                values[slug] = text
        title = titles.get(obj, {}).get(rid) or f"{workspace.singular(ctx, obj)} {rid}"
        out.append({"entry_id": (e.get("id") or {}).get("entry_id", ""), "record_id": f"{obj}:{rid}",
                    "record_title": title, "created_at": e.get("created_at"), "values": values})
    return out


def entry_text(ctx: ToolContext, lst: dict[str, Any], entry: dict[str, Any]) -> str:
    titles = schema.attribute_titles(ctx, lst["api_slug"], "lists")
    shown = "; ".join(f"{titles.get(k, k)}: {v}" for k, v in entry["values"].items())
    return (f"- {entry['record_title']} ({entry['record_id']}) · entry {entry['entry_id']}"
            + (f"\n  {shown}" if shown else ""))


def _entry_not_found(lst: dict[str, Any], entry_id: str) -> ToolError:
    return ToolError(f"No entry {entry_id} in list {lst['api_slug']!r}. Call list_entries with "
                     f"{{\"list\": \"{lst['api_slug']}\"}} to get current entry ids.")


def _written(ctx: ToolContext, lst: dict[str, Any], raw: dict[str, Any], values: dict[str, Any], head: str, *,
             overwrite: bool = False) -> ToolResult:
    """The written entry read back from Attio, with every value not stored as sent."""
    entry_id = (raw.get("id") or {}).get("entry_id", "")
    try:
        raw = ctx.attio.get_entry(lst["list_id"], entry_id)
    except AttioNotFound:
        pass  # removed meanwhile: what the write answered is all there is
    diffs = value_differences(attribute_map(ctx, lst["api_slug"], "lists"), values, raw.get("entry_values") or {},
                              overwrite=overwrite, name=workspace.member_names(ctx).get)
    entry = entries_view(ctx, [raw])[0]
    said = differences_text(diffs, schema.attribute_titles(ctx, lst["api_slug"], "lists"))
    text = f"{head}\n{entry_text(ctx, lst, entry)}" + (f"\n{said}" if said else "")
    return result(ctx, {"list": lst["api_slug"], "entry": entry, "differences": diffs}, text)


def list_lists(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The workspace's lists, one page at a time."""
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    everything = schema.all_lists(ctx)
    page = everything[offset:offset + limit + 1]
    shown = page[:limit]
    out = {"lists": shown, **page_fields(page, offset, limit)}
    lines = [f"{len(everything)} list(s); showing {len(shown)}:"]
    lines += [f"- {x['name']} (api_slug {x['api_slug']}, holds {x['parent_object']}, access "
              f"{x['access'] or 'none'})" for x in shown]
    if out["next_cursor"]:
        lines.append(f"More: call list_lists with cursor {out['next_cursor']!r}.")
    return result(ctx, out, "\n".join(lines))


def list_entries(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """One page of a list's entries, optionally filtered."""
    lst = schema.find_list(ctx, args["list"])
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    try:
        raw = ctx.attio.query_entries(lst["list_id"], filter=args.get("filter") or None, limit=limit + 1,
                                      offset=offset)
    except AttioBadRequest as exc:
        if exc.code != "filter_error":
            raise
        slugs = ", ".join(schema.attribute_titles(ctx, lst["api_slug"], "lists"))
        raise ToolError(f"{exc.tool_message()} Filter on this list's attribute slugs: {slugs}.") from None
    entries = entries_view(ctx, raw[:limit])
    out = {"list": lst["api_slug"], "entries": entries, **page_fields(raw, offset, limit)}
    head = f"{lst['name']} ({lst['api_slug']}): {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    lines = [head + (" matching the filter" if args.get("filter") else "") + (":" if entries else ".")]
    lines += [entry_text(ctx, lst, e) for e in entries]
    if out["next_cursor"]:
        lines.append(f"More: call list_entries with cursor {out['next_cursor']!r}.")
    return result(ctx, out, "\n".join(lines))


def add_to_list(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Add a record to a list, with optional entry values."""
    lst = schema.find_list(ctx, args["list"])
    obj, rid = parse_record_id(args["record_id"])
    if obj != lst["parent_object"]:
        raise ToolError(f"List {lst['api_slug']!r} holds {lst['parent_object']} records, but {args['record_id']!r} "
                        f"is a {obj} record. Pass a {lst['parent_object']} record id from search.")
    values = to_attio_values(ctx, lst["api_slug"], args["values"], kind="lists") if args.get("values") else {}
    try:
        raw = ctx.attio.add_entry(lst["list_id"], obj, rid, values)
    except AttioBadRequest as exc:
        if exc.code == "value_not_found" and "parent record" in exc.message.lower():
            raise not_found(obj, rid) from None
        raise
    return _written(ctx, lst, raw, values, f"Added to {lst['name']} ({lst['api_slug']}):")


def update_list_entry(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Change an entry's values (e.g. move a deal to another pipeline stage)."""
    lst = schema.find_list(ctx, args["list"])
    entry_id = check_uuid(args["entry_id"], "entry_id")
    if not args["values"]:
        raise ToolError("Pass at least one value to change, e.g. {\"stage\": \"Negotiation\"}; "
                        "call list_attributes with the list's slug to see its attributes.")
    values = to_attio_values(ctx, lst["api_slug"], args["values"], kind="lists")
    try:
        raw = ctx.attio.update_entry(lst["list_id"], entry_id, values, overwrite=args["mode"] == "overwrite")
    except AttioNotFound:
        raise _entry_not_found(lst, entry_id) from None
    return _written(ctx, lst, raw, values, f"Updated the entry in {lst['name']} ({lst['api_slug']}):",
                    overwrite=args["mode"] == "overwrite")


def remove_from_list(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Remove one entry from a list once the user has confirmed it; the record itself stays."""
    lst = schema.find_list(ctx, args["list"])
    entry_id = check_uuid(args["entry_id"], "entry_id")
    try:
        entry = entries_view(ctx, [ctx.attio.get_entry(lst["list_id"], entry_id)])[0]
        values = "; ".join(f"{k}: {v}" for k, v in entry["values"].items())
        ctx.confirm(f'Remove "{entry["record_title"]}" ({entry["record_id"]}) from the list {lst["name"]} '
                    f"({lst['api_slug']}), entry {entry_id}" + (f"; its entry values are lost ({values})" if values
                                                               else "") + ". The record itself stays.")
        ctx.attio.delete_entry(lst["list_id"], entry_id)
    except AttioNotFound:
        raise _entry_not_found(lst, entry_id) from None
    out = {"list": lst["api_slug"], "entry_id": entry_id, "removed": True}
    return result(ctx, out, f"Removed entry {entry_id} from {lst['name']} ({lst['api_slug']}). "
                            "The record itself was not changed.")


def register(registry: Registry) -> None:
    """Add the list tools."""
    registry.add_tool(Tool(
        name="list_lists", title="List Attio lists", handler=list_lists, args=ListListsArgs,
        output_schema=LISTS_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the workspace's lists (pipelines and collections such as a sales pipeline or key "
                     "accounts). Use it to find a list's api_slug before list_entries or add_to_list. Returns "
                     "{\"lists\":[{\"list_id\",\"api_slug\",\"name\",\"parent_object\",\"access\"}],"
                     "\"next_cursor\"}; parent_object is the kind of record the list holds. Example: {}.")))
    registry.add_tool(Tool(
        name="list_entries", title="List entries of a list", handler=list_entries, args=ListEntriesArgs,
        output_schema=ENTRIES_OUTPUT, annotations=READ, scope=READ_SCOPE, task_support="optional",
        description=("Read the entries of one list, optionally filtered on entry attributes, e.g. the deals "
                     "in a pipeline stage. Returns {\"list\",\"entries\":[{\"entry_id\",\"record_id\","
                     "\"record_title\",\"created_at\",\"values\"}],\"next_cursor\"}: record_id is "
                     "'<object>:<uuid>' for fetch, values holds each entry attribute as text (e.g. the stage). "
                     "Example: {\"list\": \"sales_pipeline\", \"filter\": {\"stage\": \"Negotiation\"}}.")))
    registry.add_tool(Tool(
        name="add_to_list", title="Add a record to a list", handler=add_to_list, args=AddToListArgs,
        output_schema=ENTRY_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Add a record to a list as a new entry, optionally with entry values. The record must be "
                     "of the list's parent object (see list_lists); adding it twice makes two entries. Returns "
                     "{\"list\",\"entry\"} with the new entry_id. Example: {\"list\": \"sales_pipeline\", "
                     "\"record_id\": \"deals:<uuid>\", \"values\": {\"stage\": \"Qualified\"}}.")))
    registry.add_tool(Tool(
        name="update_list_entry", title="Update a list entry", handler=update_list_entry, args=UpdateEntryArgs,
        output_schema=ENTRY_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Change the values of one list entry, e.g. move a deal to another pipeline stage. Values "
                     "are keyed by the list's attribute slugs (list_attributes); statuses and select options "
                     "by title, case-insensitive. mode \"append\" adds to multi-value attributes, \"overwrite\" "
                     "replaces them. Returns {\"list\",\"entry\"} as updated. Example: {\"list\": "
                     "\"sales_pipeline\", \"entry_id\": \"<uuid>\", \"values\": {\"stage\": \"Closed won 🎉\"}}.")))
    registry.add_tool(Tool(
        name="remove_from_list", title="Remove an entry from a list", handler=remove_from_list,
        args=RemoveEntryArgs, output_schema=REMOVE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE,
        description=("Remove one entry from a list (its values are lost; the record itself is kept). Use the "
                     "entry_id from list_entries. Nothing is removed on a first call: the user is asked, or the "
                     "call returns status \"confirmation_required\" with a confirmation_token to send back only "
                     "after the user agrees. Returns {\"list\",\"entry_id\",\"removed\": true}. "
                     "Example: {\"list\": \"sales_pipeline\", \"entry_id\": \"<uuid>\"}.")))
