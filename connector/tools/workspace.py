"""Cached facts about the caller's workspace that every tool needs: slug, objects, attribute titles, members."""
from __future__ import annotations

from typing import Any

from ..mcp.context import ToolContext

SCHEMA_TTL = 300  # objects and attributes change rarely; five minutes keeps them fresh enough


def workspace(ctx: ToolContext) -> dict[str, Any]:
    """`/v2/self` for the caller's credential (workspace id, name and slug)."""
    return ctx.services.cached(ctx.caller, "self", lambda: ctx.attio.self_info(), ttl=SCHEMA_TTL)


def objects(ctx: ToolContext) -> dict[str, dict[str, Any]]:
    """Objects by api_slug, with their singular and plural nouns."""
    def load() -> dict[str, dict[str, Any]]:
        return {o["api_slug"]: {"singular": o.get("singular_noun") or o["api_slug"],
                                "plural": o.get("plural_noun") or o["api_slug"],
                                "object_id": (o.get("id") or {}).get("object_id")}
                for o in ctx.attio.list_objects() if o.get("api_slug")}
    return ctx.services.cached(ctx.caller, "objects", load, ttl=SCHEMA_TTL)


def object_slug_by_id(ctx: ToolContext, object_id: str) -> str:
    """The api_slug of an object UUID (the UUID itself if the object is unknown)."""
    for slug, meta in objects(ctx).items():
        if meta.get("object_id") == object_id:
            return slug
    return object_id


def attribute_titles(ctx: ToolContext, object_slug: str) -> dict[str, str]:
    """Attribute api_slug → human title for one object."""
    def load() -> dict[str, str]:
        return {a["api_slug"]: a.get("title") or a["api_slug"] for a in ctx.attio.list_attributes(object_slug)}
    return ctx.services.cached(ctx.caller, f"attrs:{object_slug}", load, ttl=SCHEMA_TTL)


def members(ctx: ToolContext) -> list[dict[str, str]]:
    """Every workspace member as {"id", "name" (first and last; may be empty), "email", "access_level"}: the one
    read of `GET /v2/workspace_members` (not paginated, no search) per tenant and TTL."""
    def load() -> list[dict[str, str]]:
        out = []
        for m in ctx.attio.list_members():
            out.append({"id": (m.get("id") or {}).get("workspace_member_id", ""),
                        "name": " ".join(p for p in (m.get("first_name"), m.get("last_name")) if p),
                        "email": m.get("email_address") or "", "access_level": m.get("access_level") or ""})
        return out
    return ctx.services.cached(ctx.caller, "members:directory", load, ttl=SCHEMA_TTL)


def member_names(ctx: ToolContext) -> dict[str, str]:
    """Workspace member id → full name (or email)."""
    return {m["id"]: m["name"] or m["email"] for m in members(ctx)}


def singular(ctx: ToolContext, object_slug: str) -> str:
    """The singular noun of an object ("Person"), falling back to the slug."""
    return objects(ctx).get(object_slug, {}).get("singular", object_slug)
