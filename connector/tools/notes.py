"""Notes on records: list, create, update, delete (reference §7.6; notes became editable, 2026 reference §10)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from .activity import actor_name, indent, one_line, when
from .common import (DESTRUCTIVE, IDEMPOTENT_WRITE, READ, READ_SCOPE, WRITE, WRITE_SCOPE, check_uuid, forget_notes,
                     no_such, notes_key, result)
from .paging import ATTIO_PAGE_MAX, PageArgs, decode_cursor, fetch_capped, page_fields
from .readback import described, DIFFERENCES, differences_text, field_difference
from .records.view import REF_SCHEMA, RecordLabels, check_object, load_id, not_found, ref_text

# -- notes ----------------------------------------------------------------------------------

NOTE_IDS = "list_notes shows current note ids."
RECENT = 10  # the latest notes `fetch` shows with a record
NOTE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "record": REF_SCHEMA,
    "author": {"type": "string"}, "created_at": {"type": "string"}, "content": {"type": "string"}},
    "required": ["id", "title", "record", "author", "created_at", "content"]}
LIST_OUTPUT = {"type": "object", "properties": {
    "notes": {"type": "array", "items": NOTE_SCHEMA}, "record": {"anyOf": [REF_SCHEMA, {"type": "null"}]},
    "next_cursor": {"type": ["string", "null"]}}, "required": ["notes", "record", "next_cursor"]}
ONE_OUTPUT = {"type": "object", "properties": {"note": NOTE_SCHEMA, "differences": DIFFERENCES},
              "required": ["note", "differences"]}
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


class UpdateNoteArgs(Schema):
    """Arguments of `update_note`: only the given fields change."""

    note_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The note's id, as list_notes returns it (a UUID)."})
    title = fields.String(validate=validate.Length(min=1, max=500),
                          metadata={"description": "The new title; leave out to keep it."})
    content = fields.String(validate=validate.Length(min=1, max=100_000), metadata={
        "description": "The new body, replacing the whole content; leave out to keep it."})
    format = fields.String(load_default="markdown", validate=validate.OneOf(["markdown", "plaintext"]), metadata={
        "description": "How content is written: \"markdown\" (default) or \"plaintext\"."})


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
    return (f"Note \"{one_line(n['title'])}\" on {ref_text(n['record'])}\n  by {n['author']}, {when(n['created_at'])}; "
            f"note id {n['id']}\n{indent(n['content'])}")


def _content(text: Any) -> str:
    """Note content compared line by line, without the trailing spaces and blank lines Attio may trim."""
    return "\n".join(line.rstrip() for line in str(text or "").strip().splitlines() if line.strip())


def _preview(text: Any) -> str | None:
    said = one_line(str(text or ""))
    return (said[:117] + "…" if len(said) > 120 else said) or None


def _written(ctx: ToolContext, answer: dict[str, Any], sent: dict[str, Any], labels: RecordLabels,
             head: str) -> ToolResult:
    """The written note read back from Attio, with the title or content it did not store as sent."""
    try:
        stored = ctx.attio.get_note((answer.get("id") or {}).get("note_id", ""))
    except AttioNotFound:
        stored = answer  # deleted meanwhile: what the write answered is all there is
    diffs = []
    if sent.get("title") is not None:
        diffs += field_difference("title", sent["title"], stored.get("title"))
    if sent.get("content") is not None:
        field = "content_plaintext" if sent.get("format") == "plaintext" else "content_markdown"
        diffs += field_difference("content", sent["content"], stored.get(field), key=_content, show=_preview)
    note = _note(ctx, stored, labels)
    said = differences_text(diffs)
    return result(ctx, {"note": note, "differences": diffs},
                  f"{head}\n{_note_text(note)}" + (f"\n{said}" if said else ""))


def recent(ctx: ToolContext, obj: str, rid: str) -> list[dict[str, Any]]:
    """A record's latest notes (what `fetch` shows), through the tenant cache: every note write through the
    connector drops them (`forget_notes`), as does a write that merges or deletes the record."""
    return ctx.services.cached(ctx.caller, notes_key(obj, rid),
                               lambda: ctx.attio.list_notes(parent_object=obj, parent_record_id=rid, limit=RECENT))


def _forget_parent(ctx: ToolContext, note: dict[str, Any]) -> None:
    """Drop the cached notes of the record a note is on."""
    if note.get("parent_object") and note.get("parent_record_id"):
        forget_notes(ctx, note["parent_object"], note["parent_record_id"])


def list_notes(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Notes of one record, of one object, or of the whole workspace."""
    offset, limit, labels = decode_cursor(args["cursor"]), args["limit"], RecordLabels(ctx)
    obj, rid, record_ref = args["object"], None, None
    if args["record_id"]:
        obj, rid, record = load_id(ctx, args["record_id"])
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
    obj, rid, record = load_id(ctx, args["record_id"])
    labels = RecordLabels(ctx)
    labels.add(obj, rid, record)
    try:
        created = ctx.attio.create_note(obj, rid, args["title"], args["content"], format=args["format"])
    except AttioNotFound:
        raise not_found(obj, rid) from None
    finally:
        forget_notes(ctx, obj, rid)  # also when the answer was lost: the note may exist all the same
    return _written(ctx, created, args, labels, "Created.")


def update_note(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Change a note's title and/or content (PATCH: what is left out stays)."""
    nid = check_uuid(args["note_id"], "note_id")
    if "title" not in args and "content" not in args:
        raise ToolError("Nothing to update: pass title, content or both.")
    change = {k: args[k] for k in ("title", "content") if k in args}
    try:
        updated = ctx.attio.update_note(nid, format=args["format"] if "content" in args else None, **change)
    except AttioNotFound:
        raise no_such("note", nid, NOTE_IDS) from None
    _forget_parent(ctx, updated)
    return _written(ctx, updated, {**change, "format": args["format"]}, RecordLabels(ctx), "Updated.")


def delete_note(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Delete one note once the user has confirmed it (read first, so both say what is deleted)."""
    nid = check_uuid(args["note_id"], "note_id")
    try:
        stored = ctx.attio.get_note(nid)
        note = _note(ctx, stored, RecordLabels(ctx))
        ctx.confirm(f'Permanently delete the note "{one_line(note["title"])}" on '
                    f"{ref_text(note['record'])} (note id {nid}). This cannot be undone.")
        try:
            ctx.attio.delete_note(nid)
        finally:
            _forget_parent(ctx, stored)
    except AttioNotFound:
        raise no_such("note", nid, NOTE_IDS, already=True) from None
    return result(ctx, {"deleted": True, "note": note}, "Deleted.\n" + _note_text(note))


def register(registry: Registry) -> None:
    """Add `list_notes`, `create_note`, `update_note` and `delete_note`."""
    registry.add_tool(Tool(
        name="list_notes", title="List Attio notes", handler=list_notes, args=ListNotesArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List notes in Attio: the notes on one record (record_id from search), on all records of "
                     "one object, or across the workspace when neither is given. Returns {\"notes\":[{\"id\","
                     "\"title\",\"record\":{\"id\",\"title\",\"url\"},\"author\",\"created_at\",\"content\"}],"
                     "\"next_cursor\"} with the content as markdown; up to 50 per page; update_note edits one. "
                     "Example: {\"record_id\": \"companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5\", \"limit\": 10}.")))
    registry.add_tool(Tool(
        name="create_note", title="Create Attio note", handler=create_note, args=CreateNoteArgs,
        output_schema=ONE_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Add a note to an Attio record (a person, company, deal or other record; get its id from "
                     "search). Content is markdown by default, or plaintext. Returns the created note with its "
                     "id and a link to the record; update_note changes it later. Example: {\"record_id\": "
                     "\"people:0174bfac-74b9-41de-b757-c6fa2a68ab00\", \"title\": \"Call recap\", "
                     "\"content\": \"## Next steps\\n- Send pricing\"}.")))
    registry.add_tool(Tool(
        name="update_note", title="Update Attio note", handler=update_note, args=UpdateNoteArgs,
        output_schema=ONE_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described("Edit an Attio note by its id (from list_notes): a new title, and/or new content that "
                              "replaces the whole body (markdown by default, or plaintext). Fields left out stay as "
                              "they are; a note cannot move to another record. Returns the note as stored. Example: "
                              "{\"note_id\": \"ff3f3bd4-40f4-4f80-8187-cd02385af424\", \"content\": \"## Recap\\n- "
                              "Pricing sent\"}.")))
    registry.add_tool(Tool(
        name="delete_note", title="Delete Attio note", handler=delete_note, args=DeleteNoteArgs,
        output_schema=DELETE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE,
        description=("Permanently delete one Attio note by its id (from list_notes). This cannot be undone, so "
                     "nothing is deleted on a first call: the user is asked, or the call returns status "
                     "\"confirmation_required\" with a confirmation_token to send back only after the user agrees. "
                     "Returns the deleted note so you can tell the user what was removed. To change a note rather "
                     "than remove it, use update_note. "
                     "Example: {\"note_id\": \"ff3f3bd4-40f4-4f80-8187-cd02385af424\"}.")))
