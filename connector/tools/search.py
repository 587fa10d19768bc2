"""`search` and `fetch`: the two tools ChatGPT's connectors, deep research and company knowledge call.

Their shapes follow OpenAI's contract exactly: one text item holding JSON, the
same object as `structuredContent`.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..mcp.context import ToolContext
from ..mcp.features import compact_json
from ..mcp.registry import Registry, Tool, ToolResult
from . import notes, workspace
from .common import READ, parse_record_id, result
from .records import view

SEARCH_OBJECTS = ("people", "companies", "deals")
SEARCH_LIMIT = 20


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


def search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Fuzzy search across people, companies and deals: one Attio call."""
    query = args["query"].strip()
    ctx.progress(0, 2, "Searching Attio")
    hits = ctx.attio.search_records(query, list(SEARCH_OBJECTS), limit=SEARCH_LIMIT)
    ctx.progress(1, 2, f"{len(hits)} matches")
    results = []
    link = view.linker(ctx) if hits else None
    for hit in hits:
        obj = hit.get("object_slug") or ""
        rid = (hit.get("id") or {}).get("record_id")
        if not obj or not rid:
            continue
        title = (hit.get("record_text") or "").strip() or f"{workspace.singular(ctx, obj)} {rid}"
        results.append({"id": f"{obj}:{rid}", "title": title, "url": link(obj, rid)})  # type: ignore[misc]
    ctx.progress(2, 2, "Done")
    return result(ctx, {"results": results})


def fetch(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The full text of one record, with its notes.

    Served from the tenant cache when it can be: the record and its latest notes are cached reads that the
    connector's writes drop, and the rendered result is derived from them (kept while they are unchanged)."""
    obj, rid = parse_record_id(args["id"])
    ctx.progress(0, 2, "Reading the record")
    record, title, text = view.document(ctx, obj, rid)
    ctx.progress(1, 2, "Reading notes")
    latest = notes.recent(ctx, obj, rid)
    space = workspace.workspace(ctx)
    structured, body = ctx.services.derived(ctx.caller, f"fetch:{obj}:{rid}", (record, text, latest, space),
                                            lambda: _fetched(ctx, obj, rid, record, title, text, latest, space))
    ctx.progress(2, 2, "Done")
    return result(ctx, dict(structured), body)


def _fetched(ctx: ToolContext, obj: str, rid: str, record: dict[str, Any], title: str, text: str,
             latest: list[dict[str, Any]], space: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """fetch's result (structured, and as the JSON text OpenAI's contract asks for) from what was read."""
    if latest:
        text += "\n\nNotes:\n" + "\n\n".join(
            f"- {n.get('title') or 'Untitled'} ({(n.get('created_at') or '')[:10]})\n  "
            + (n.get("content_plaintext") or "").strip().replace("\n", "\n  ") for n in latest)
    metadata = {"object": obj, "record_id": rid, "workspace": space.get("workspace_slug", "")}
    if ctx.services.mode == "demo":
        metadata["source"] = "demo workspace (sample data)"
    structured = {"id": f"{obj}:{rid}", "title": title, "text": text, "url": view.url(ctx, obj, rid, record),
                  "metadata": metadata}
    return structured, compact_json(structured)


def register(registry: Registry) -> None:
    """Add `search` and `fetch`."""
    registry.add_tool(Tool(
        name="search", title="Search Attio", handler=search, args=SearchArgs, output_schema=SEARCH_OUTPUT,
        annotations=READ, scope="attio:read",
        description=("Search the Attio CRM for companies, people and deals by name, email address, domain or "
                     "phone number. Returns up to 20 matches as {\"results\":[{\"id\",\"title\",\"url\"}]}; pass an "
                     "id to `fetch` for the full record. Example: {\"query\": \"acme\"}.")))
    registry.add_tool(Tool(
        name="fetch", title="Fetch Attio record", handler=fetch, args=FetchArgs, output_schema=FETCH_OUTPUT,
        annotations=READ, scope="attio:read",
        description=("Read one Attio record (company, person or deal) by the id returned from `search`. Returns "
                     "{\"id\",\"title\",\"text\",\"url\",\"metadata\"} where text lists every filled attribute and "
                     "the record's recent notes. "
                     "Example: {\"id\": \"companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5\"}.")))
