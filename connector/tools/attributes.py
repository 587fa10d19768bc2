"""Attribute definitions of objects and lists, and their select options and statuses, cached per tenant.

What a write may set, what a filter may name and what the schema tools show all come from here.
"""
from __future__ import annotations

from typing import Any

from ..attio.errors import AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import ToolError
from . import workspace
from .workspace import SCHEMA_TTL


def attribute_defs(ctx: ToolContext, target: str, kind: str = "objects") -> list[dict[str, Any]]:
    """The attribute definitions of an object (kind="objects") or a list (kind="lists"), cached."""
    def load() -> list[dict[str, Any]]:
        return ctx.attio.list_attributes(target, target=kind)
    try:
        return ctx.services.cached(ctx.caller, f"attrdefs:{kind}:{target}", load, ttl=SCHEMA_TTL)
    except AttioNotFound:
        if kind == "lists":
            raise ToolError(f'Unknown list "{target}". Call list_lists to see the lists of this workspace '
                            "and pass one's api_slug.") from None
        known = ", ".join(workspace.objects(ctx)) or "none"
        raise ToolError(f'Unknown object "{target}". Objects in this workspace: {known}.') from None


def attribute_map(ctx: ToolContext, target: str, kind: str = "objects") -> dict[str, dict[str, Any]]:
    """Attribute definitions by api_slug, in schema order."""
    return {a["api_slug"]: a for a in attribute_defs(ctx, target, kind) if a.get("api_slug")}


def writable_slugs(attrs: dict[str, dict[str, Any]]) -> list[str]:
    """The slugs a write may set, in schema order."""
    return [slug for slug, a in attrs.items() if a.get("is_writable", True) and not a.get("is_archived")]


def option_items(ctx: ToolContext, target: str, attr: dict[str, Any], kind: str = "objects") -> list[dict[str, Any]]:
    """A select attribute's options or a status attribute's statuses as Attio gives them (not archived), cached."""
    slug, kind_of = attr["api_slug"], attr.get("type")
    if kind_of not in ("select", "status"):
        return []

    def load() -> list[dict[str, Any]]:
        if kind_of == "select":
            return ctx.attio.list_options(target, slug, target=kind)
        return ctx.attio.list_statuses(target, slug, target=kind)
    items = ctx.services.cached(ctx.caller, f"attropts:{kind}:{target}:{slug}", load, ttl=SCHEMA_TTL)
    return [o for o in items if o.get("title") and not o.get("is_archived")]


def option_id(item: dict[str, Any]) -> str:
    """The id of a select option or status (Attio's `id.option_id` / `id.status_id`), lower-cased."""
    ids = item.get("id") or {}
    return str(ids.get("option_id") or ids.get("status_id") or "").lower()


def attribute_options(ctx: ToolContext, target: str, attr: dict[str, Any], kind: str = "objects") -> list[str]:
    """The titles of a select attribute's options or a status attribute's statuses (not archived), cached."""
    return [o["title"] for o in option_items(ctx, target, attr, kind)]


def reference_targets(ctx: ToolContext, attr: dict[str, Any]) -> list[str]:
    """The object slugs a record-reference attribute may point to (every object when unrestricted)."""
    allowed = ((attr.get("config") or {}).get("record_reference") or {}).get("allowed_object_ids")
    objects = workspace.objects(ctx)
    if not allowed:
        return list(objects)
    by_id = {o.get("object_id"): slug for slug, o in objects.items()}
    return [by_id.get(i, i) for i in allowed]


def describe_attribute(attr: dict[str, Any]) -> dict[str, Any]:
    """An attribute definition as the schema tools show it.

    `options` / `statuses` are included when the caller attached them to `attr` under those keys
    (a list of titles or of Attio option objects), e.g. from `attribute_options`.
    """
    out: dict[str, Any] = {
        "slug": attr.get("api_slug", ""), "title": attr.get("title") or attr.get("api_slug", ""),
        "type": attr.get("type", ""), "writable": bool(attr.get("is_writable", True)),
        "required": bool(attr.get("is_required")), "unique": bool(attr.get("is_unique")),
        "multiselect": bool(attr.get("is_multiselect")),
    }
    for key in ("options", "statuses"):
        items = attr.get(key)
        if isinstance(items, list):
            out[key] = [i.get("title", "") if isinstance(i, dict) else str(i) for i in items
                        if not (isinstance(i, dict) and i.get("is_archived"))]
    return out
