"""Comment threads on records and list entries: read them, add a comment, delete one (reference §7.8)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioBadRequest, AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from . import workspace
from .activity import actor_name, indent, member_label, resolve_member, when
from .common import DESTRUCTIVE, READ, READ_SCOPE, WRITE, WRITE_SCOPE, check_uuid, no_such, result
from .paging import ATTIO_PAGE_MAX, PageArgs, decode_cursor, fetch_capped, page_fields
from .readback import described, DIFFERENCES, differences_text, field_difference
from .records.view import REF_SCHEMA, RecordLabels, load_id, ref_text
from .workspace import members, object_slug_by_id

ENTRY_SCHEMA = {"type": "object", "properties": {"list": {"type": "string"}, "entry_id": {"type": "string"}},
                "required": ["list", "entry_id"]}
COMMENT_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "thread_id": {"type": "string"}, "author": {"type": "string"},
    "author_id": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "content": {"type": "string"},
    "resolved": {"type": "boolean"}},
    "required": ["id", "thread_id", "author", "author_id", "created_at", "content", "resolved"]}
THREAD_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "created_at": {"type": "string"},
    "comments": {"type": "array", "items": COMMENT_SCHEMA}}, "required": ["id", "created_at", "comments"]}
_TARGET = {"record": {"anyOf": [REF_SCHEMA, {"type": "null"}]},
           "entry": {"anyOf": [ENTRY_SCHEMA, {"type": "null"}]}}
LIST_OUTPUT = {"type": "object", "properties": {
    "threads": {"type": "array", "items": THREAD_SCHEMA}, **_TARGET, "next_cursor": {"type": ["string", "null"]}},
    "required": ["threads", "record", "entry", "next_cursor"]}
ADD_OUTPUT = {"type": "object", "properties": {"comment": COMMENT_SCHEMA, **_TARGET, "differences": DIFFERENCES},
              "required": ["comment", "record", "entry", "differences"]}
DELETE_OUTPUT = {"type": "object", "properties": {
    "deleted": {"type": "boolean"}, "comment": COMMENT_SCHEMA, **_TARGET,
    "thread_deleted": {"type": "boolean", "description": "True when the whole thread went with its first comment."}},
    "required": ["deleted", "comment", "record", "entry", "thread_deleted"]}
WHERE = ("Pass exactly one target: record_id (as search returns it, e.g. \"deals:<uuid>\"), or list and entry_id "
         "for a list entry")


class _Target(Schema):
    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "The record whose comments these are, as search returns it, e.g. \"deals:<uuid>\"."})
    list = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "For a list entry's comments: the list's slug or id (with entry_id)."})
    entry_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                             metadata={"description": "For a list entry's comments: the entry's id (with list)."})


class ListCommentsArgs(PageArgs, _Target):
    """Arguments of `list_comments`."""

    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=ATTIO_PAGE_MAX),
                           metadata={"description": "How many threads to return (1-50, default 10)."})


class AddCommentArgs(_Target):
    """Arguments of `add_comment`."""

    content = fields.String(required=True, validate=validate.Length(min=1, max=10_000), metadata={
        "description": "The comment, plain text. Mentioning a member's email address notifies them."})
    thread_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "Reply in this existing thread (id from list_comments) instead of starting a new one."})
    author = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200), metadata={
        "description": ("The workspace member to post as (email, name or id). Default: the member who "
                        "linked the Attio connection, else the first admin member.")})


class DeleteCommentArgs(Schema):
    """Arguments of `delete_comment`."""

    comment_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The comment's id, as list_comments returns it (a UUID)."})


def _comment(ctx: ToolContext, c: dict[str, Any]) -> dict[str, Any]:
    author = c.get("author") or {}
    return {"id": (c.get("id") or {}).get("comment_id", ""), "thread_id": c.get("thread_id") or "",
            "author": actor_name(ctx, author), "author_id": author.get("id"),
            "created_at": c.get("created_at") or "", "content": c.get("content_plaintext") or "",
            "resolved": bool(c.get("resolved_at"))}


def _comment_text(c: dict[str, Any]) -> str:
    flag = " (resolved)" if c["resolved"] else ""
    return f"  - {c['author']}, {when(c['created_at'])}{flag}; comment id {c['id']}\n{indent(c['content'], '      ')}"


def _target(ctx: ToolContext, args: dict[str, Any], labels: RecordLabels, thread: bool = False) -> dict[str, Any]:
    """Which of record / entry / thread the arguments name: exactly one."""
    given = [k for k, ok in (("record_id", args["record_id"]), ("list and entry_id", args["list"] or
                                                                 args["entry_id"]),
                              ("thread_id", thread and args.get("thread_id"))) if ok]
    if len(given) != 1:
        also = ", or thread_id to reply in an existing thread" if thread else ""
        problem = "both " + " and ".join(given) if given else "no target"
        raise ToolError(f"{WHERE}{also}. Got {problem}.")
    if args["record_id"]:
        obj, rid, record = load_id(ctx, args["record_id"])
        return {"record": labels.add(obj, rid, record), "entry": None, "obj": obj, "rid": rid}
    if given[0] == "thread_id":
        return {"record": None, "entry": None, "thread_id": check_uuid(args["thread_id"], "thread_id")}
    if not (args["list"] and args["entry_id"]):
        raise ToolError(f"{WHERE}: list and entry_id go together.")
    return {"record": None, "entry": {"list": args["list"], "entry_id": check_uuid(args["entry_id"], "entry_id")}}


def _where(target: dict[str, Any]) -> str:
    if target["record"]:
        return ref_text(target["record"])
    e = target["entry"]
    return f"entry {e['entry_id']} of list {e['list']}"


def list_comments(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The comment threads of a record or a list entry, each with its comments in order."""
    offset, limit, labels = decode_cursor(args["cursor"]), args["limit"], RecordLabels(ctx)
    target = _target(ctx, args, labels)
    if target["record"]:
        where = {"obj": target["obj"], "record_id": target["rid"]}
    else:
        where = {"list_id": target["entry"]["list"], "entry_id": target["entry"]["entry_id"]}
    items = fetch_capped(lambda o, n: ctx.attio.list_threads(**where, limit=n, offset=o), offset, limit)
    threads = [{"id": (t.get("id") or {}).get("thread_id", ""), "created_at": t.get("created_at") or "",
                "comments": [_comment(ctx, c) for c in t.get("comments") or []]} for t in items[:limit]]
    out = {"threads": threads, "record": target["record"], "entry": target["entry"],
           **page_fields(items, offset, limit)}
    count = sum(len(t["comments"]) for t in threads)
    lines = [f"{count} comment(s) in {len(threads)} thread(s) on {_where(target)}"
             + (" (more threads: pass next_cursor)." if out["next_cursor"] else ".")]
    for t in threads:
        lines.append(f"Thread {t['id']} (started {when(t['created_at'])}):")
        lines += [_comment_text(c) for c in t["comments"]]
    return result(ctx, out, "\n".join(lines))


def _author(ctx: ToolContext, who: str | None) -> dict[str, Any]:
    if who:
        return resolve_member(ctx, who, "author")
    everyone = members(ctx)
    # The member who linked this Attio credential (attio_oauth mode) writes as themselves.
    linked = workspace.workspace(ctx).get("authorized_by_workspace_member_id")
    mine = [m for m in everyone if linked and m["id"] == linked]
    if mine:
        return mine[0]
    admins = [m for m in everyone if m["access_level"] == "admin"] or everyone
    if not admins:
        raise ToolError("This workspace has no members to post the comment as; Attio needs a member author.")
    return admins[0]


def add_comment(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Comment on a record or list entry (a new thread), or reply in an existing thread."""
    labels = RecordLabels(ctx)
    target = _target(ctx, args, labels, thread=True)
    author = _author(ctx, args["author"])
    try:
        if target.get("thread_id"):
            created = ctx.attio.create_comment(args["content"], author["id"], thread_id=target["thread_id"])
        elif target["record"]:
            created = ctx.attio.create_comment(args["content"], author["id"], record=(target["obj"], target["rid"]))
        else:
            e = target["entry"]
            created = ctx.attio.create_comment(args["content"], author["id"], entry=(e["list"], e["entry_id"]))
    except (AttioNotFound, AttioBadRequest) as exc:
        if target.get("thread_id") and (isinstance(exc, AttioNotFound) or exc.code == "value_not_found"):
            raise no_such("comment thread", target["thread_id"], "list_comments shows current thread ids.") from None
        raise
    try:  # read back what Attio stored
        created = ctx.attio.get_comment((created.get("id") or {}).get("comment_id", ""))
    except AttioNotFound:
        pass  # deleted meanwhile: what the write answered is all there is
    diffs = field_difference("content", args["content"], created.get("content_plaintext"))
    record, entry = created.get("record"), created.get("entry")
    if record:
        target["record"] = labels(object_slug_by_id(ctx, record.get("object_id") or ""), record.get("record_id"))
    elif entry and not target["entry"]:
        target["entry"] = {"list": entry.get("list_id") or "", "entry_id": entry.get("entry_id") or ""}
    comment = _comment(ctx, created)
    text = (f"Comment added by {member_label(author)} in thread {comment['thread_id']} on {_where(target)}:\n"
            + _comment_text(comment))
    said = differences_text(diffs)
    return result(ctx, {"comment": comment, "record": target["record"], "entry": target["entry"],
                        "differences": diffs}, text + (f"\n{said}" if said else ""))


def _place(ctx: ToolContext, c: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    """The record (with its title) or the list entry an Attio comment is on."""
    record, entry = c.get("record"), c.get("entry")
    if record:
        ref = labels(object_slug_by_id(ctx, record.get("object_id") or ""), record.get("record_id") or "")
        return {"record": ref, "entry": None}
    return {"record": None, "entry": {"list": (entry or {}).get("list_id") or "",
                                      "entry_id": (entry or {}).get("entry_id") or ""}}


def delete_comment(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Delete one comment once the user has confirmed it; a thread's first comment takes the thread with it."""
    cid = check_uuid(args["comment_id"], "comment_id")
    try:
        raw = ctx.attio.get_comment(cid)
        comment, place = _comment(ctx, raw), _place(ctx, raw, RecordLabels(ctx))
        thread = ctx.attio.get_thread(comment["thread_id"]).get("comments") or []
        first = not thread or (thread[0].get("id") or {}).get("comment_id") == cid
        said = " ".join(comment["content"].split())
        action = (f"Permanently delete the comment by {comment['author']} ({when(comment['created_at'])}) on "
                  f'{_where(place)} (comment id {cid}): "{said[:200]}{"…" if len(said) > 200 else ""}".')
        if first and len(thread) > 1:
            action += f" It opens its thread, so the whole thread goes with it ({len(thread)} comments)."
        ctx.confirm(action + " This cannot be undone.")
        ctx.attio.delete_comment(cid)
    except AttioNotFound:
        raise no_such("comment", cid, "list_comments shows current comment ids.", already=True) from None
    out = {"deleted": True, "comment": comment, **place, "thread_deleted": first}
    gone = f" with its thread {comment['thread_id']}" if first else ""
    return result(ctx, out, f"Deleted{gone}, on {_where(place)}:\n" + _comment_text(comment))


def register(registry: Registry) -> None:
    """Add `list_comments`, `add_comment` and `delete_comment`."""
    registry.add_tool(Tool(
        name="list_comments", title="List Attio comments", handler=list_comments, args=ListCommentsArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Read the comment threads on an Attio record (record_id from search) or on a list entry "
                     "(list + entry_id). Returns {\"threads\":[{\"id\",\"created_at\",\"comments\":[{\"id\","
                     "\"author\",\"created_at\",\"content\",\"resolved\"}]}],\"record\":{\"id\",\"title\",\"url\"},"
                     "\"next_cursor\"}, comments oldest first; up to 50 threads per page. Reply with add_comment "
                     "and a thread id. Example: {\"record_id\": \"deals:90f061f2-6efc-57e3-9798-04e0024625eb\"}.")))
    registry.add_tool(Tool(
        name="add_comment", title="Add Attio comment", handler=add_comment, args=AddCommentArgs,
        output_schema=ADD_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Post a plain-text comment in Attio: on a record (record_id from search; starts a new "
                     "thread), on a list entry (list + entry_id), or as a reply in an existing thread "
                     "(thread_id from list_comments). Attio only accepts workspace members as authors: pass "
                     "author (email or name); by default the comment is posted as the member who linked the Attio "
                     "connection (else the first admin member). Mentioning a member's email notifies them. "
                     "Returns the comment and its thread id. Example: "
                     "{\"record_id\": \"deals:90f061f2-6efc-57e3-9798-04e0024625eb\", \"content\": "
                     "\"Legal approved the MSA.\"}.")))
    registry.add_tool(Tool(
        name="delete_comment", title="Delete Attio comment", handler=delete_comment, args=DeleteCommentArgs,
        output_schema=DELETE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE,
        description=("Permanently delete one comment by its id (from list_comments). Deleting the first comment "
                     "of a thread deletes the whole thread (Attio's rule); thread_deleted says so. This cannot be "
                     "undone, so nothing is deleted on a first call: the user is asked, or the call returns "
                     "status \"confirmation_required\" with a confirmation_token to send back only after the user "
                     "agrees. Returns the deleted comment. "
                     "Example: {\"comment_id\": \"649e34f4-c39a-4f4d-99ef-48a36bef8f04\"}.")))
