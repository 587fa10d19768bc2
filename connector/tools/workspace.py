"""Cached facts about the caller's workspace that every tool needs: slug, objects, attribute titles, members."""
from __future__ import annotations

from typing import Any
from ..mcp.context import ToolContext

SCHEMA_TTL = 300  # objects and attributes change rarely; five minutes keeps them fresh enough


def _services(ctx: ToolContext) -> Any:
    return ctx.services


def workspace(ctx: ToolContext) -> dict[str, Any]:
    """`/v2/self` for the caller's credential (workspace id, name and slug)."""
    return _services(ctx).cached(ctx.caller, "self", lambda: ctx.attio.self_info(), ttl=SCHEMA_TTL)


def objects(ctx: ToolContext) -> dict[str, dict[str, Any]]:
    """Objects by api_slug, with their singular and plural nouns."""
    def load() -> dict[str, dict[str, Any]]:
        return {o["api_slug"]: {"singular": o.get("singular_noun") or o["api_slug"],
                                "plural": o.get("plural_noun") or o["api_slug"],
                                "object_id": (o.get("id") or {}).get("object_id")}
                for o in ctx.attio.list_objects() if o.get("api_slug")}
    return _services(ctx).cached(ctx.caller, "objects", load, ttl=SCHEMA_TTL)


def attribute_titles(ctx: ToolContext, object_slug: str) -> dict[str, str]:
    """Attribute api_slug → human title for one object."""
    def load() -> dict[str, str]:
        return {a["api_slug"]: a.get("title") or a["api_slug"] for a in ctx.attio.list_attributes(object_slug)}
    return _services(ctx).cached(ctx.caller, f"attrs:{object_slug}", load, ttl=SCHEMA_TTL)


def member_names(ctx: ToolContext) -> dict[str, str]:
    """Workspace member id → full name (or email)."""
    def load() -> dict[str, str]:
        out = {}
        for m in ctx.attio.list_members():
            name = " ".join(p for p in (m.get("first_name"), m.get("last_name")) if p) or m.get("email_address") or ""
            out[(m.get("id") or {}).get("workspace_member_id", "")] = name
        return out
    return _services(ctx).cached(ctx.caller, "members", load, ttl=SCHEMA_TTL)


def singular(ctx: ToolContext, object_slug: str) -> str:
    """The singular noun of an object ("Person"), falling back to the slug."""
    return objects(ctx).get(object_slug, {}).get("singular", object_slug)
