"""Records as MCP resources (`attio://records/{object}/{record_id}`) and the workspace schema."""
from __future__ import annotations

from typing import Any

from ..mcp.context import ToolContext
from ..mcp.features import compact_json
from ..mcp.registry import Registry, Resource, ResourceTemplate
from . import workspace
from .common import parse_record_id
from .records.view import RECORD_URI, document

RECORD_TEMPLATE = RECORD_URI
MAX_SUGGESTIONS = 20


def read_record(ctx: ToolContext, object: str, record_id: str) -> list[dict[str, Any]]:
    """A record rendered as markdown text."""
    obj, rid = parse_record_id(f"{object}:{record_id}")
    record, title, text = document(ctx, obj, rid)
    return [{"uri": f"attio://records/{obj}/{rid}", "mimeType": "text/markdown", "text": f"# {title}\n\n{text}"}]


def read_schema(ctx: ToolContext) -> list[dict[str, Any]]:
    """The workspace's objects and their attribute titles, as JSON."""
    objs = workspace.objects(ctx)
    body = {"workspace": workspace.workspace(ctx).get("workspace_name"),
            "objects": [{"api_slug": slug, "singular": o["singular"], "plural": o["plural"],
                         "attributes": workspace.attribute_titles(ctx, slug)} for slug, o in objs.items()]}
    return [{"uri": "attio://schema", "mimeType": "application/json", "text": compact_json(body)}]


def complete_record(ctx: ToolContext, name: str, value: str, context: dict[str, str]) -> list[str]:
    """Suggest object slugs, then record ids (by name) within the chosen object."""
    if name == "object":
        return [slug for slug in workspace.objects(ctx) if slug.startswith(value.lower())]
    if name == "record_id":
        obj = context.get("object")
        objects = [obj] if obj else ["companies", "people", "deals"]
        hits = ctx.attio.search_records(value, objects, limit=MAX_SUGGESTIONS)
        return [(h.get("id") or {}).get("record_id") for h in hits if (h.get("id") or {}).get("record_id")]
    return []


def register(registry: Registry) -> None:
    """Add the record template and the schema resource."""
    registry.add_template(ResourceTemplate(
        uri_template=RECORD_TEMPLATE, name="attio-record", title="Attio record", mime_type="text/markdown",
        description="One Attio record (companies, people, deals or a custom object) rendered as readable text.",
        read=read_record, complete=complete_record))
    registry.add_resource(Resource(
        uri="attio://schema", name="attio-schema", title="Attio workspace schema", mime_type="application/json",
        description="The workspace's objects and their attributes (slug → title).", read=read_schema))
