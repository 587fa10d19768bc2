"""Workspace members: `list_members` and `find_member` (for task assignees, deal owners, comment authors).

Attio's `GET /v2/workspace_members` is not paginated and has no search, so the list is read once per
tenant (`workspace.members`, cached like the schema) and paged and matched here.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import workspace
from .common import READ, READ_SCOPE, object_schema, result
from .paging import PageArgs, decode_cursor, page_fields

MEMBER_SCHEMA = object_schema({
    "member_id": {"type": "string"}, "name": {"type": "string"},
    "email": {"type": ["string", "null"]}, "access_level": {"type": ["string", "null"]},
}, ["member_id", "name", "email", "access_level"])

LIST_OUTPUT = object_schema({"members": {"type": "array", "items": MEMBER_SCHEMA},
                             "next_cursor": {"type": ["string", "null"]}}, ["members", "next_cursor"])
FIND_OUTPUT = object_schema({"query": {"type": "string"},
                             "members": {"type": "array", "items": MEMBER_SCHEMA}}, ["query", "members"])


class ListMembersArgs(PageArgs):
    """Arguments of `list_members`: just the page."""


class FindMemberArgs(Schema):
    """Arguments of `find_member`."""

    query = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "Part of a member's name or email address, matched "
                                                   "case-insensitively, e.g. \"maya\" or \"@acme.com\"."})


def members(ctx: ToolContext) -> list[dict[str, Any]]:
    """Every workspace member as {member_id, name, email, access_level} (the workspace's cached directory)."""
    return [{"member_id": m["id"], "name": m["name"] or m["email"], "email": m["email"] or None,
             "access_level": m["access_level"] or None} for m in workspace.members(ctx)]


def _line(m: dict[str, Any]) -> str:
    email = f" <{m['email']}>" if m["email"] else ""
    return f"- {m['name']}{email} · {m['access_level'] or 'unknown access'} · member id {m['member_id']}"


def list_members(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Every workspace member, one page at a time."""
    offset, limit = decode_cursor(args.get("cursor")), args["limit"]
    everyone = members(ctx)
    page = everyone[offset:offset + limit + 1]
    shown = page[:limit]
    out = {"members": shown, **page_fields(page, offset, limit)}
    lines = [f"{len(everyone)} workspace member(s); showing {len(shown)}:"] + [_line(m) for m in shown]
    if out["next_cursor"]:
        lines.append(f"More: call list_members with cursor {out['next_cursor']!r}.")
    return result(ctx, out, "\n".join(lines))


def find_member(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Members whose name or email contains the query (case-insensitive)."""
    query = args["query"].strip()
    needle = query.casefold()
    if not needle:
        raise ToolError("Pass a non-empty query: part of a member's name or email address.")
    found = [m for m in members(ctx)
             if needle in m["name"].casefold() or needle in (m["email"] or "").casefold()]
    if not found:
        raise ToolError(f"No workspace member matches {query!r} (by name or email). Try a shorter part of "
                        "the name or email, or call list_members to see everyone.")
    text = f"{len(found)} member(s) match {query!r}:\n" + "\n".join(_line(m) for m in found)
    return result(ctx, {"query": query, "members": found}, text)


def register(registry: Registry) -> None:
    """Add `list_members` and `find_member`."""
    registry.add_tool(Tool(
        name="list_members", title="List workspace members", handler=list_members, args=ListMembersArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the people who use this Attio workspace (workspace members, not CRM contacts). "
                     "Use it to find who can own a deal or be assigned a task. Returns {\"members\":[{"
                     "\"member_id\",\"name\",\"email\",\"access_level\"}],\"next_cursor\"}; access_level is "
                     "admin, member or suspended. Example: {\"limit\": 25}.")))
    registry.add_tool(Tool(
        name="find_member", title="Find a workspace member", handler=find_member, args=FindMemberArgs,
        output_schema=FIND_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Find workspace members whose name or email address contains the query "
                     "(case-insensitive), e.g. to get the member_id or email of a deal owner or task "
                     "assignee. Returns {\"query\",\"members\":[{\"member_id\",\"name\",\"email\","
                     "\"access_level\"}]}; an error when nobody matches. Example: {\"query\": \"maya\"}.")))
