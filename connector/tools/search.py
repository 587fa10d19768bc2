"""`search` and `fetch`: the two tools ChatGPT's connectors, deep research and company knowledge call.

Their shapes follow OpenAI's contract exactly: one text item holding JSON, the
same object as `structuredContent`.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..attio.render import record_title, record_url, render_record
from ..mcp.context import ToolContext
from ..mcp.features import compact_json
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import workspace
from .common import parse_record_id as parse_id
from .common import record_key

SEARCH_OBJECTS = ("people", "companies", "deals")
SEARCH_LIMIT = 20
MAX_REFERENCES = 10

READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}


class SearchArgs(Schema):
    """Arguments of `search`."""

    query = fields.String(required=True, validate=validate.Length(max=500),
                          metadata={"description": "Name, email, domain or phone to look for, e.g. \"acme\"."})


class FetchArgs(Schema):
    """Arguments of `fetch`."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "An id returned by search, e.g. \"companies:<record uuid>\"."})


SEARCH_OUTPUT = {
    "type": "object",
    "properties": {"results": {"type": "array", "items": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"}},
        "required": ["id", "title", "url"]}}},
    "required": ["results"],
}

FETCH_OUTPUT = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"},
                   "url": {"type": "string"},
                   "metadata": {"type": "object", "additionalProperties": {"type": "string"}}},
    "required": ["id", "title", "text", "url"],
}


def _result(payload: dict[str, Any], ctx: ToolContext) -> ToolResult:
    meta = ctx.services.describe()
    return ToolResult(content=[{"type": "text", "text": compact_json(payload)}], structured=payload,
                      meta={"attio-connector/source": meta})


def search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Fuzzy search across people, companies and deals: one Attio call."""
    query = args["query"].strip()
    ctx.progress(0, 2, "Searching Attio")
    hits = ctx.attio.search_records(query, list(SEARCH_OBJECTS), limit=SEARCH_LIMIT)
    ctx.progress(1, 2, f"{len(hits)} matches")
    slug = workspace.workspace(ctx).get("workspace_slug", "")
    objects = workspace.objects(ctx)
    results = []
    for hit in hits:
        obj = hit.get("object_slug") or ""
        rid = (hit.get("id") or {}).get("record_id")
        if not obj or not rid:
            continue
        noun = objects.get(obj, {}).get("singular", obj)
        title = (hit.get("record_text") or "").strip() or f"{noun} {rid}"
        results.append({"id": f"{obj}:{rid}", "title": title, "url": record_url(slug, obj, rid, noun)})
    ctx.progress(2, 2, "Done")
    return _result({"results": results}, ctx)




def load_record_text(ctx: ToolContext, obj: str, rid: str) -> tuple[dict[str, Any], str, str]:
    """Fetch one record and render it: (record, title, text)."""
    try:
        record = ctx.services.cached(ctx.caller, record_key(obj, rid), lambda: ctx.attio.get_record(obj, rid))
    except AttioNotFound:
        raise ToolError(f"No {obj} record with id {rid} exists in this workspace (it may have been deleted). "
                        "Run search again to get a current id.") from None
    noun = workspace.singular(ctx, obj)
    titles = workspace.attribute_titles(ctx, obj)
    members = workspace.member_names(ctx)
    budget = [MAX_REFERENCES]

    def resolve(target_object: str, target_id: str) -> str | None:
        if target_object == "workspace-member":
            return members.get(target_id)
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        try:
            target = ctx.services.cached(ctx.caller, record_key(target_object, target_id),
                                         lambda: ctx.attio.get_record(target_object, target_id))
        except AttioNotFound:
            return None
        return record_title(target, target_object)

    text = render_record(record, obj, singular=noun, attribute_titles=titles, resolve=resolve)
    return record, record_title(record, obj), text


def fetch(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The full text of one record, with its notes."""
    obj, rid = parse_id(args["id"])
    ctx.progress(0, 2, "Reading the record")
    record, title, text = load_record_text(ctx, obj, rid)
    ctx.progress(1, 2, "Reading notes")
    notes = ctx.attio.list_notes(parent_object=obj, parent_record_id=rid, limit=10)
    if notes:
        text += "\n\nNotes:\n" + "\n\n".join(
            f"- {n.get('title') or 'Untitled'} ({(n.get('created_at') or '')[:10]})\n  "
            + (n.get("content_plaintext") or "").strip().replace("\n", "\n  ") for n in notes)
    slug = workspace.workspace(ctx).get("workspace_slug", "")
    url = record.get("web_url") or record_url(slug, obj, rid, workspace.singular(ctx, obj))
    metadata = {"object": obj, "record_id": rid, "workspace": slug}
    if ctx.services.mode == "demo":
        metadata["source"] = "demo workspace (sample data)"
    ctx.progress(2, 2, "Done")
    return _result({"id": f"{obj}:{rid}", "title": title, "text": text, "url": url, "metadata": metadata}, ctx)


def register(registry: Registry) -> None:
    """Add `search` and `fetch`."""
    registry.add_tool(Tool(
        name="search", title="Search Attio", handler=search, args=SearchArgs, output_schema=SEARCH_OUTPUT,
        annotations=READ_ONLY, scope="attio:read",
        description=("Search the Attio CRM for companies, people and deals by name, email address, domain or "
                     "phone number. Returns up to 20 matches as {\"results\":[{\"id\",\"title\",\"url\"}]}; pass an "
                     "id to `fetch` for the full record. Example: {\"query\": \"acme\"}.")))
    registry.add_tool(Tool(
        name="fetch", title="Fetch Attio record", handler=fetch, args=FetchArgs, output_schema=FETCH_OUTPUT,
        annotations=READ_ONLY, scope="attio:read",
        description=("Read one Attio record (company, person or deal) by the id returned from `search`. Returns "
                     "{\"id\",\"title\",\"text\",\"url\",\"metadata\"} where text lists every filled attribute and "
                     "the record's recent notes. "
                     "Example: {\"id\": \"companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5\"}.")))
