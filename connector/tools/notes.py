"""Notes on records: list, create, delete. Attio has no note update (reference §7.6).

Also home to the small helpers the activity families (notes, tasks, comments) share:
record references with titles and links, actor and member names, timestamps, and paging of
Attio endpoints capped at 50 items per call.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, Callable

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..attio.render import record_title, record_url
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import workspace
from .common import (DESTRUCTIVE, READ, READ_SCOPE, WRITE, WRITE_SCOPE, PageArgs, check_uuid, decode_cursor,
                     page_fields, parse_record_id, record_key, result)

ATTIO_PAGE_MAX = 50  # notes and threads: Attio's hard cap per call
LABEL_BUDGET = 10  # record titles looked up per call (cached); the rest show id + link only

# -- shared helpers (notes, tasks, comments) ------------------------------------------------


def when(ts: Any) -> str:
    """An Attio timestamp as '2026-12-01 17:00 UTC' ('' for none)."""
    text = str(ts or "").strip()
    try:
        return datetime.fromisoformat(text[:19]).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def actor_name(ctx: ToolContext, actor: dict[str, Any] | None) -> str:
    """Who did something: a member's name, else what kind of actor it was."""
    kind, ident = (actor or {}).get("type"), (actor or {}).get("id")
    if kind == "workspace-member":
        return workspace.member_names(ctx).get(ident or "") or f"workspace member {ident}"
    return {"api-token": "an API token", "system": "Attio (system)", "app": "an app"}.get(kind or "", "unknown")


def object_slug_by_id(ctx: ToolContext, object_id: str) -> str:
    """The api_slug of an object UUID (the UUID itself if the object is unknown)."""
    for slug, meta in workspace.objects(ctx).items():
        if meta.get("object_id") == object_id:
            return slug
    return object_id


def check_object(ctx: ToolContext, obj: str, raw: str | None = None) -> None:
    """A ToolError listing this workspace's objects when `obj` is not one of them."""
    known = workspace.objects(ctx)
    if obj not in known:
        where = f" in {raw!r}" if raw and raw != obj else ""
        raise ToolError(f"Unknown object {obj!r}{where}: this workspace's objects are "
                        f"{', '.join(sorted(known))}. Use an id exactly as search returns it.")


def load_record(ctx: ToolContext, raw_id: str) -> tuple[str, str, dict[str, Any]]:
    """(object, record id, record) for a '<object>:<uuid>' id, read through the tenant cache."""
    obj, rid = parse_record_id(raw_id)
    check_object(ctx, obj, raw_id)
    try:
        record = ctx.services.cached(ctx.caller, record_key(obj, rid), lambda: ctx.attio.get_record(obj, rid))
    except AttioNotFound:
        raise ToolError(f"No {obj} record with id {rid} exists in this workspace (it may have been deleted). "
                        "Run search again to get a current id.") from None
    return obj, rid, record


class RecordLabels:
    """'<object>:<uuid>' → {"id", "title", "url"}, naming at most LABEL_BUDGET records per call."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx, self.budget, self.seen = ctx, LABEL_BUDGET, {}
        self.slug = workspace.workspace(ctx).get("workspace_slug", "")

    def add(self, obj: str, rid: str, record: dict[str, Any]) -> dict[str, Any]:
        """Remember a record already read."""
        url = record.get("web_url") or record_url(self.slug, obj, rid, workspace.singular(self.ctx, obj))
        self.seen[(obj, rid)] = {"id": f"{obj}:{rid}", "title": record_title(record, obj), "url": url}
        return self.seen[(obj, rid)]

    def __call__(self, obj: str, rid: str) -> dict[str, Any]:
        if (obj, rid) in self.seen:
            return self.seen[(obj, rid)]
        if self.budget > 0 and obj in workspace.objects(self.ctx):
            self.budget -= 1
            try:
                return self.add(obj, rid, self.ctx.services.cached(
                    self.ctx.caller, record_key(obj, rid), lambda: self.ctx.attio.get_record(obj, rid)))
            except AttioNotFound:
                pass
        url = record_url(self.slug, obj, rid, workspace.singular(self.ctx, obj))
        self.seen[(obj, rid)] = {"id": f"{obj}:{rid}", "title": None, "url": url}
        return self.seen[(obj, rid)]


def ref_text(ref: dict[str, Any]) -> str:
    """'Brightwave Energy (companies:<uuid>, <url>)'."""
    inner = f"{ref['id']}, {ref['url']}"
    return f"{ref['title']} ({inner})" if ref.get("title") else inner


def indent(text: str, prefix: str = "    ") -> str:
    """CRM text indented so that its lines cannot pose as fields of the rendering."""
    return prefix + (text or "").strip().replace("\n", "\n" + prefix)


def fetch_capped(fetch: Callable[[int, int], list[Any]], offset: int, limit: int) -> list[Any]:
    """One page plus a look-ahead item from an endpoint capped at 50 per call (limit ≤ 50)."""
    items = fetch(offset, min(limit + 1, ATTIO_PAGE_MAX))
    if limit >= ATTIO_PAGE_MAX and len(items) >= ATTIO_PAGE_MAX:
        items = items + fetch(offset + ATTIO_PAGE_MAX, 1)
    return items


# -- workspace members (tasks and comments) -------------------------------------------------


def members(ctx: ToolContext) -> list[dict[str, Any]]:
    """Every workspace member as {"id", "name", "email", "access_level"} (cached per tenant)."""
    def load() -> list[dict[str, Any]]:
        out = []
        for m in ctx.attio.list_members():
            name = " ".join(p for p in (m.get("first_name"), m.get("last_name")) if p)
            out.append({"id": (m.get("id") or {}).get("workspace_member_id", ""), "name": name,
                        "email": m.get("email_address") or "", "access_level": m.get("access_level") or ""})
        return out
    return ctx.services.cached(ctx.caller, "members:activity", load, ttl=workspace.SCHEMA_TTL)


def _fold(text: str) -> str:
    """Case- and accent-insensitive form ("Tomás" == "tomas")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def member_label(m: dict[str, Any]) -> str:
    """'Maya Chen <maya.chen@example.com>'."""
    return f"{m['name']} <{m['email']}>" if m["name"] else m["email"] or m["id"]


def resolve_member(ctx: ToolContext, who: str, what: str = "member") -> dict[str, Any]:
    """The one member an email, full name, first or last name, or member id names; else a ToolError."""
    everyone, key = members(ctx), _fold(who.strip())
    if not key:
        raise ToolError(f"The {what} is empty: pass a workspace member's email address or name.")
    exact = [m for m in everyone if key in (m["id"].lower(), _fold(m["email"]), _fold(m["name"]))]
    found = exact or [m for m in everyone if key in (_fold(p) for p in m["name"].split())]
    if len(found) == 1:
        return found[0]
    known = "; ".join(member_label(m) for m in (found or everyone)) or "none"
    if found:
        raise ToolError(f"The {what} {who!r} matches several workspace members: {known}. Pass an email address.")
    raise ToolError(f"No workspace member matches {what} {who!r}. The workspace members are: {known}. "
                    "Pass one of these email addresses or names.")


REF_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": ["string", "null"]},
                                              "url": {"type": "string"}}, "required": ["id", "title", "url"]}

# -- notes ----------------------------------------------------------------------------------

NO_UPDATE = ("Attio has no way to edit a note: to change one, create a new note (and delete the old one with "
             "delete_note if it should go).")
NOTE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "record": REF_SCHEMA,
    "author": {"type": "string"}, "created_at": {"type": "string"}, "content": {"type": "string"}},
    "required": ["id", "title", "record", "author", "created_at", "content"]}
LIST_OUTPUT = {"type": "object", "properties": {
    "notes": {"type": "array", "items": NOTE_SCHEMA}, "record": {"anyOf": [REF_SCHEMA, {"type": "null"}]},
    "next_cursor": {"type": ["string", "null"]}}, "required": ["notes", "record", "next_cursor"]}
ONE_OUTPUT = {"type": "object", "properties": {"note": NOTE_SCHEMA}, "required": ["note"]}
DELETE_OUTPUT = {"type": "object", "properties": {"deleted": {"type": "boolean"}, "note": NOTE_SCHEMA},
                 "required": ["deleted", "note"]}


class ListNotesArgs(PageArgs):
    """Arguments of `list_notes`."""

    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "Only notes on this record: an id as search returns it, e.g. \"companies:<uuid>\". "
                       "Leave out to list notes across the workspace."})
    object = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "Only notes on records of this object, e.g. \"deals\" (when no record_id is given)."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=ATTIO_PAGE_MAX),
                           metadata={"description": "How many notes to return (1-50, default 10)."})


class CreateNoteArgs(Schema):
    """Arguments of `create_note`."""

    record_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The record to attach the note to, as search returns it, e.g. \"people:<uuid>\"."})
    title = fields.String(required=True, validate=validate.Length(min=1, max=500),
                          metadata={"description": "The note's title, e.g. \"Discovery call\"."})
    content = fields.String(required=True, validate=validate.Length(min=1, max=100_000),
                            metadata={"description": "The note's body (markdown unless format says plaintext)."})
    format = fields.String(load_default="markdown", validate=validate.OneOf(["markdown", "plaintext"]), metadata={
        "description": "\"markdown\" (default: headings 1-3, lists, bold, italic, strikethrough, highlight, "
                       "links) or \"plaintext\"."})


class DeleteNoteArgs(Schema):
    """Arguments of `delete_note`."""

    note_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The note's id, as list_notes returns it (a UUID)."})


def _note(ctx: ToolContext, note: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    return {"id": (note.get("id") or {}).get("note_id", ""), "title": note.get("title") or "Untitled",
            "record": labels(note.get("parent_object") or "", note.get("parent_record_id") or ""),
            "author": actor_name(ctx, note.get("created_by_actor")), "created_at": note.get("created_at") or "",
            "content": note.get("content_markdown") or note.get("content_plaintext") or ""}


def _note_text(n: dict[str, Any]) -> str:
    title = " ".join(n["title"].split())  # one line, so a title cannot pose as more of the rendering
    return (f"Note \"{title}\" on {ref_text(n['record'])}\n  by {n['author']}, {when(n['created_at'])}; "
            f"note id {n['id']}\n{indent(n['content'])}")


def list_notes(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Notes of one record, of one object, or of the whole workspace."""
    offset, limit, labels = decode_cursor(args["cursor"]), args["limit"], RecordLabels(ctx)
    obj, rid, record_ref = args["object"], None, None
    if args["record_id"]:
        obj, rid, record = load_record(ctx, args["record_id"])
        if args["object"] and args["object"] != obj:
            raise ToolError(f"object {args['object']!r} contradicts record_id {args['record_id']!r}: "
                            "pass only record_id.")
        record_ref = labels.add(obj, rid, record)
    elif obj:
        check_object(ctx, obj)
    items = fetch_capped(lambda o, n: ctx.attio.list_notes(parent_object=obj, parent_record_id=rid, limit=n,
                                                           offset=o), offset, limit)
    notes = [_note(ctx, n, labels) for n in items[:limit]]
    out = {"notes": notes, "record": record_ref, **page_fields(items, offset, limit)}
    where = ref_text(record_ref) if record_ref else (f"{obj} records" if obj else "this workspace")
    head = f"{len(notes)} note(s) on {where}" + (" (more: pass next_cursor)." if out["next_cursor"] else ".")
    return result(ctx, out, "\n\n".join([head, *(_note_text(n) for n in notes)]))


def create_note(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Create a note on a record."""
    obj, rid, record = load_record(ctx, args["record_id"])
    labels = RecordLabels(ctx)
    labels.add(obj, rid, record)
    try:
        created = ctx.attio.create_note(obj, rid, args["title"], args["content"], format=args["format"])
    except AttioNotFound:
        raise ToolError(f"No {obj} record with id {rid} exists in this workspace (it may have been deleted). "
                        "Run search again to get a current id.") from None
    note = _note(ctx, created, labels)
    return result(ctx, {"note": note}, "Created.\n" + _note_text(note))


def delete_note(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Delete one note once the user has confirmed it (read first, so both say what is deleted)."""
    nid = check_uuid(args["note_id"], "note_id")
    try:
        note = _note(ctx, ctx.attio.get_note(nid), RecordLabels(ctx))
        ctx.confirm(f'Permanently delete the note "{" ".join(note["title"].split())}" on '
                    f"{ref_text(note['record'])} (note id {nid}). This cannot be undone.")
        ctx.attio.delete_note(nid)
    except AttioNotFound:
        raise ToolError(f"No note with id {nid} exists in this workspace (it may have been deleted already). "
                        "list_notes shows current note ids.") from None
    return result(ctx, {"deleted": True, "note": note}, "Deleted.\n" + _note_text(note))


def register(registry: Registry) -> None:
    """Add `list_notes`, `create_note` and `delete_note`."""
    registry.add_tool(Tool(
        name="list_notes", title="List Attio notes", handler=list_notes, args=ListNotesArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List notes in Attio: the notes on one record (record_id from search), on all records of "
                     "one object, or across the workspace when neither is given. Returns {\"notes\":[{\"id\","
                     "\"title\",\"record\":{\"id\",\"title\",\"url\"},\"author\",\"created_at\",\"content\"}],"
                     "\"next_cursor\"} with the content as markdown; up to 50 per page. Notes cannot be edited "
                     "(create a new one instead). "
                     "Example: {\"record_id\": \"companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5\", \"limit\": 10}.")))
    registry.add_tool(Tool(
        name="create_note", title="Create Attio note", handler=create_note, args=CreateNoteArgs,
        output_schema=ONE_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=("Add a note to an Attio record (a person, company, deal or other record; get its id from "
                     "search). Content is markdown by default, or plaintext. Returns the created note with its "
                     f"id and a link to the record. {NO_UPDATE} Example: {{\"record_id\": "
                     "\"people:0174bfac-74b9-41de-b757-c6fa2a68ab00\", \"title\": \"Call recap\", "
                     "\"content\": \"## Next steps\\n- Send pricing\"}.")))
    registry.add_tool(Tool(
        name="delete_note", title="Delete Attio note", handler=delete_note, args=DeleteNoteArgs,
        output_schema=DELETE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE,
        description=("Permanently delete one Attio note by its id (from list_notes). This cannot be undone, so "
                     "nothing is deleted on a first call: the user is asked, or the call returns status "
                     "\"confirmation_required\" with a confirmation_token to send back only after the user agrees. "
                     "Returns the deleted note so you can tell the user what was removed. Notes cannot be "
                     "edited: to change one, create the new version with create_note, then delete the old one. "
                     "Example: {\"note_id\": \"ff3f3bd4-40f4-4f80-8187-cd02385af424\"}.")))
