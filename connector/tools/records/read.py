"""Record reads: `search_records`, `query_records`, `get_record`, `get_related_records`."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ...mcp.context import ToolContext
from ...mcp.registry import Registry, Tool, ToolError, ToolResult
from .. import workspace
from ..common import READ, READ_SCOPE, object_schema, parse_record_id, result
from ..paging import PageArgs, decode_cursor, encode_cursor, page_fields
from ..attributes import attribute_map
from .filters import check_filter, check_sorts
from .view import (HIT_SCHEMA, RECORD_SUMMARY, hit, hit_line, load, load_id, named, resolver,
                   summarize, summary_text)

OBJECT_FIELD = {"validate": validate.Length(min=1, max=100)}


def _objects_check(ctx: ToolContext, wanted: list[str]) -> list[str]:
    known = workspace.objects(ctx)
    for obj in wanted:
        if obj not in known:
            raise ToolError(f'Unknown object "{obj}". Objects in this workspace: {", ".join(known)}.')
    return wanted


# -- search_records -----------------------------------------------------------------------------

class SearchRecordsArgs(Schema):
    """Arguments of `search_records`."""

    query = fields.String(required=True, validate=validate.Length(min=1, max=500),
                          metadata={"description": "Name, email, domain or phone to look for, e.g. \"brightwave\"."})
    objects = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=None,
                          validate=validate.Length(min=1, max=20),
                          metadata={"description": "Object slugs to search, e.g. [\"people\"]; default: every object."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50),
                           metadata={"description": "How many matches to return (1-50, default 10)."})


SEARCH_OUTPUT = object_schema({"query": {"type": "string"}, "results": {"type": "array", "items": HIT_SCHEMA}},
                              ["query", "results"])


def search_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Fuzzy search in one Attio call."""
    objects = _objects_check(ctx, args["objects"] or list(workspace.objects(ctx)))
    hits = ctx.attio.search_records(args["query"].strip(), objects, limit=args["limit"])
    results = []
    for h in hits:
        obj, rid = h.get("object_slug") or "", (h.get("id") or {}).get("record_id") or ""
        if obj and rid:
            title = (h.get("record_text") or "").strip() or f"{workspace.singular(ctx, obj)} {rid}"
            results.append(hit(ctx, obj, rid, title))
    text = "\n".join(hit_line(r) for r in results) if results else f'No records match "{args["query"]}".'
    return result(ctx, {"query": args["query"], "results": results}, text)


# -- query_records ------------------------------------------------------------------------------

class SortArgs(Schema):
    """One sort: an attribute slug and a direction."""

    attribute = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "Attribute slug to sort by, e.g. \"name\"."})
    direction = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]),
                              metadata={"description": "\"asc\" (default) or \"desc\"."})
    field = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                          metadata={"description": "Optional property of the value, e.g. \"last_name\"."})


class QueryRecordsArgs(PageArgs):
    """Arguments of `query_records`."""

    object = fields.String(required=True, **OBJECT_FIELD,
                           metadata={"description": "Object slug, e.g. \"companies\", \"people\", \"deals\".",
                                     "x-mcp-header": "Object"})
    filter = fields.Dict(load_default=None, allow_none=True,
                         metadata={"description": "Attio filter, e.g. {\"stage\": \"In Progress\"} or "
                                                  "{\"name\": {\"$contains\": \"energy\"}}; combine with "
                                                  "$and/$or/$not."})
    sorts = fields.List(fields.Nested(SortArgs), load_default=None, allow_none=True,
                        validate=validate.Length(max=5),
                        metadata={"description": "Sort order, e.g. "
                                                 "[{\"attribute\": \"name\", \"direction\": \"asc\"}]."})


QUERY_OUTPUT = object_schema({"object": {"type": "string"}, "records": {"type": "array", "items": RECORD_SUMMARY},
                              "next_cursor": {"type": ["string", "null"]}}, ["object", "records", "next_cursor"])


def query_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Filtered, sorted, paged records of one object."""
    obj, limit = args["object"], args["limit"]
    offset = decode_cursor(args.get("cursor"))
    slugs = list(attribute_map(ctx, obj))
    if args.get("filter"):
        check_filter(args["filter"], obj, slugs)
    sorts = check_sorts(args.get("sorts"), obj, slugs)
    rows = ctx.attio.query_records(obj, filter=args.get("filter") or None, sorts=sorts or None,
                                   limit=limit + 1, offset=offset)
    records = [summarize(ctx, r, obj) for r in rows[:limit]]
    out = {"object": obj, "records": records, **page_fields(rows, offset, limit)}
    lines = [f"{len(records)} {obj} record(s)" + (" (more: pass next_cursor)" if out["next_cursor"] else "")]
    titles = workspace.attribute_titles(ctx, obj)
    for r in records:
        lines.append(hit_line(r))
        shown = "; ".join(f"{titles.get(k, k)}: {', '.join(v)}" for k, v in r["values"].items())
        if shown:
            lines.append("  " + shown.replace("\n", " "))
    return result(ctx, out, "\n".join(lines))


# -- get_record ---------------------------------------------------------------------------------

class RecordIdArgs(Schema):
    """Arguments of `get_record`."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "Record id '<object>:<record id>' as search_records returns it."})


def get_record(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """One record with every filled attribute, read through the tenant cache."""
    obj, _, record = load_id(ctx, args["id"])
    summary = summarize(ctx, record, obj, resolve=resolver(ctx))
    return result(ctx, summary, summary_text(ctx, summary))


# -- get_related_records ------------------------------------------------------------------------

class RelatedArgs(PageArgs):
    """Arguments of `get_related_records`."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "Record id '<object>:<record id>', e.g. a company."})
    relation = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "Only this relation (a record-reference attribute slug), "
                                                      "e.g. \"team\" or \"associated_deals\"; default: all."})


RELATION_SCHEMA = object_schema({
    "relation": {"type": "string"}, "title": {"type": "string"}, "total": {"type": "integer"},
    "records": {"type": "array", "items": HIT_SCHEMA}}, ["relation", "title", "total", "records"])
RELATED_OUTPUT = object_schema({
    "id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
    "relations": {"type": "array", "items": RELATION_SCHEMA}, "next_cursor": {"type": ["string", "null"]},
}, ["id", "title", "url", "relations", "next_cursor"])


def _related_hit(ctx: ToolContext, target: str, rid: str) -> dict[str, Any]:
    record = named(ctx, target, rid)
    if record is None:
        return hit(ctx, target, rid, f"(deleted {workspace.singular(ctx, target)})")
    return {k: v for k, v in summarize(ctx, record, target).items() if k != "values"}


def get_related_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Follow a record's record-reference attributes (a company's team, deals, …)."""
    obj, rid = parse_record_id(args["id"])
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    refs = {s: a for s, a in attribute_map(ctx, obj).items() if a.get("type") == "record-reference"}
    relation = args.get("relation")
    if relation is not None and relation not in refs:
        raise ToolError(f'"{relation}" is not a relation of {obj}. Relations (record-reference attributes): '
                        f'{", ".join(refs) or "none"}.')
    record = load(ctx, obj, rid)
    me = summarize(ctx, record, obj)
    relations, more = [], False
    for slug, attr in refs.items():
        if relation is not None and slug != relation:
            continue
        items = [v for v in (record.get("values") or {}).get(slug) or [] if v.get("target_record_id")]
        if not items and relation is None:
            continue
        page = items[offset:offset + limit]
        more = more or len(items) > offset + limit
        relations.append({"relation": slug, "title": attr.get("title") or slug, "total": len(items),
                          "records": [_related_hit(ctx, v.get("target_object") or "", v["target_record_id"])
                                      for v in page]})
    out = {"id": me["id"], "title": me["title"], "url": me["url"], "relations": relations,
           "next_cursor": encode_cursor(offset + limit) if more else None}
    lines = [f"Related to {me['title']} ({me['id']}):"]
    for rel in relations:
        lines.append(f"{rel['title']} ({rel['relation']}, {rel['total']}):")
        lines.extend(["  " + hit_line(h) for h in rel["records"]] or ["  (none)"])
    if not relations:
        lines.append("  (no related records)")
    return result(ctx, out, "\n".join(lines))


def register(registry: Registry) -> None:
    """Add the record read tools."""
    registry.add_tool(Tool(
        name="search_records", title="Search records", handler=search_records, args=SearchRecordsArgs,
        output_schema=SEARCH_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Fuzzy-search Attio records (people, companies, deals, …) by name, email, domain or phone, "
                     "in one call. Use it to find a record's id before get_record, update_record or "
                     "get_related_records. Returns {\"results\":[{\"id\",\"object\",\"record_id\",\"title\","
                     "\"url\"}]}, best match first. "
                     "Example: {\"query\": \"brightwave\", \"objects\": [\"companies\"]}.")))
    registry.add_tool(Tool(
        name="query_records", title="Query records", handler=query_records, args=QueryRecordsArgs,
        output_schema=QUERY_OUTPUT, annotations=READ, scope=READ_SCOPE, task_support="optional",
        description=("List the records of one object that match a filter, sorted and paged. Use it for exact "
                     "questions (all deals in a stage, people at a domain, companies founded after a date); use "
                     "search_records for fuzzy lookups. Filter grammar: {\"<attribute slug>\": value} for "
                     "equality, or {\"<slug>\": {\"<operator>\": value}} with operators $eq $in $not_empty $contains "
                     "$starts_with $ends_with $lt $lte $gt $gte, a property such as {\"email_addresses\": "
                     "{\"email_domain\": {\"$eq\": \"acme.com\"}}}, combined with $and/$or/$not. Returns "
                     "{\"records\":[{\"id\",\"title\",\"url\",\"values\"}],\"next_cursor\"}. Example: "
                     "{\"object\": \"deals\", \"filter\": {\"stage\": \"In Progress\"}, "
                     "\"sorts\": [{\"attribute\": \"name\"}], \"limit\": 10}.")))
    registry.add_tool(Tool(
        name="get_record", title="Get record", handler=get_record, args=RecordIdArgs,
        output_schema=RECORD_SUMMARY, annotations=READ, scope=READ_SCOPE,
        description=("Read one Attio record by id ('<object>:<record id>' from search_records or query_records). "
                     "Returns {\"id\",\"title\",\"url\",\"values\"} with every filled attribute as readable text "
                     "(references as 'Name (<object>:<record id>)'). "
                     "Example: {\"id\": \"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\"}.")))
    registry.add_tool(Tool(
        name="get_related_records", title="Get related records", handler=get_related_records, args=RelatedArgs,
        output_schema=RELATED_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the records linked to a record: a company's team (people) and deals, a person's "
                     "company and deals, a deal's company and people. Pass relation to follow one link only. "
                     "Returns {\"relations\":[{\"relation\",\"title\",\"total\",\"records\":[{\"id\",\"title\","
                     "\"url\"}]}]}. Example: {\"id\": \"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\", "
                     "\"relation\": \"team\"}.")))
