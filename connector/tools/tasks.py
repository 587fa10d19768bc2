"""Tasks: list (by assignee, record, completion), create, update, delete (reference §7.7).

Attio reads a task's links as `target_object_id` (a UUID) and writes them as `target_object`
(a slug); every output here shows links as '<object>:<uuid>' ids, as search returns them.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..attio.paths import UNSET
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from .activity import actor_name, indent, member_label, one_line, parse_deadline, resolve_member, when
from .common import DESTRUCTIVE, IDEMPOTENT_WRITE, READ, READ_SCOPE, WRITE, WRITE_SCOPE, check_uuid, no_such, result
from . import workspace
from .paging import PageArgs, decode_cursor, page_fields
from .readback import described, DIFFERENCES, differences_text, field_difference, instant, set_differences
from .records.view import REF_SCHEMA, RecordLabels, load_id, ref_text
from .workspace import members, object_slug_by_id

SCAN_PAGE, SCAN_MAX = 500, 2000  # deadline order is not Attio's: scan up to 2000 tasks and sort them here
TASK_IDS = "list_tasks shows current task ids."
SORTS = {"oldest": "created_at:asc", "newest": "created_at:desc"}


# -- arguments -----------------------------------------------------------------------------

def _actors(ctx: ToolContext, names: list[str]) -> list[dict[str, str]]:
    ids = dict.fromkeys(resolve_member(ctx, n, "assignee")["id"] for n in names)
    return [{"referenced_actor_type": "workspace-member", "referenced_actor_id": i} for i in ids]


def _links(ctx: ToolContext, ids: list[str], labels: RecordLabels) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for raw in ids:
        obj, rid, record = load_id(ctx, raw)
        labels.add(obj, rid, record)
        link = {"target_object": obj, "target_record_id": rid}
        if link not in out:
            out.append(link)
    return out


_MEMBER = {"description": "A workspace member's email address, full name or member id."}
_RECORD = {"description": "A record id as search returns it, e.g. \"companies:<uuid>\"."}
_DEADLINE = ("\"2026-12-01\" (a bare date means 17:00 UTC that day) or an ISO 8601 date-time such as "
             "\"2026-12-01T09:30:00Z\" (an offset is converted to UTC; none means UTC)")


class ListTasksArgs(PageArgs):
    """Arguments of `list_tasks`."""

    assignee = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "Only tasks assigned to this member: email, name or id."})
    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "Only tasks linked to this record, as search returns it, e.g. \"deals:<uuid>\"."})
    completed = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "true: only completed tasks; false: only open tasks; leave out for both."})
    sort = fields.String(load_default="deadline", validate=validate.OneOf(["deadline", "newest", "oldest"]),
                         metadata={"description": "\"deadline\" (soonest first, no deadline last; default), "
                                                  "\"newest\" or \"oldest\" (by creation)."})


class CreateTaskArgs(Schema):
    """Arguments of `create_task`."""

    content = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                            metadata={"description": "What to do, plain text (max 2000 characters). Cannot be "
                                                     "changed later."})
    deadline = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50),
                             metadata={"description": f"When it is due: {_DEADLINE}. Leave out for none."})
    assignees = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_MEMBER),
                            load_default=list, validate=validate.Length(max=20),
                            metadata={"description": "Who does it: members' emails or names (default: nobody)."})
    record_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_RECORD),
                             load_default=list, validate=validate.Length(max=20),
                             metadata={"description": "Records the task is about, as search returns their ids."})


class UpdateTaskArgs(Schema):
    """Arguments of `update_task`: only the given fields change."""

    task_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The task's id, as list_tasks returns it (a UUID)."})
    content = fields.String(metadata={"description": "Not changeable: Attio task content is immutable, so "
                                                     "passing it is refused. Create a new task instead."})
    deadline = fields.String(allow_none=True, validate=validate.Length(max=50),
                             metadata={"description": f"New deadline: {_DEADLINE}; null removes it."})
    is_completed = fields.Boolean(metadata={"description": "true marks the task done, false reopens it."})
    assignees = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_MEMBER),
                            validate=validate.Length(max=20), metadata={
                                "description": "The complete new list of assignees (replaces the current one; "
                                               "[] unassigns everyone)."})
    record_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_RECORD),
                             validate=validate.Length(max=20), metadata={
                                 "description": "The complete new list of linked records (replaces the current "
                                                "one; [] unlinks all)."})


class TaskIdArgs(Schema):
    """Arguments of `delete_task`."""

    task_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The task's id, as list_tasks returns it (a UUID)."})


# -- output ----------------------------------------------------------------------------------

MEMBER_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                                 "email": {"type": "string"}}, "required": ["id", "name", "email"]}
TASK_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "content": {"type": "string"}, "deadline": {"type": ["string", "null"]},
    "is_completed": {"type": "boolean"}, "completed_at": {"type": ["string", "null"]},
    "assignees": {"type": "array", "items": MEMBER_SCHEMA}, "records": {"type": "array", "items": REF_SCHEMA},
    "created_at": {"type": "string"}, "created_by": {"type": "string"}},
    "required": ["id", "content", "deadline", "is_completed", "completed_at", "assignees", "records",
                 "created_at", "created_by"]}
LIST_OUTPUT = {"type": "object", "properties": {"tasks": {"type": "array", "items": TASK_SCHEMA},
                                                "next_cursor": {"type": ["string", "null"]}},
               "required": ["tasks", "next_cursor"]}
ONE_OUTPUT = {"type": "object", "properties": {"task": TASK_SCHEMA, "differences": DIFFERENCES},
              "required": ["task", "differences"]}
DELETE_OUTPUT = {"type": "object", "properties": {"deleted": {"type": "boolean"}, "task": TASK_SCHEMA},
                 "required": ["deleted", "task"]}
IMMUTABLE = ("A task's content cannot be changed: Attio makes task content immutable once the task exists. "
             "To reword it, create a new task with create_task (and delete or complete this one). update_task "
             "changes only deadline, is_completed, assignees and record_ids.")


def _task(ctx: ToolContext, t: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    by_id = {m["id"]: m for m in members(ctx)}
    people = []
    for a in t.get("assignees") or []:
        mid = a.get("referenced_actor_id") or ""
        m = by_id.get(mid, {"name": "", "email": ""})
        people.append({"id": mid, "name": m["name"] or m["email"] or f"member {mid}", "email": m["email"]})
    records = [labels(object_slug_by_id(ctx, r.get("target_object_id") or ""), r.get("target_record_id") or "")
               for r in t.get("linked_records") or []]
    return {"id": (t.get("id") or {}).get("task_id", ""), "content": t.get("content_plaintext") or "",
            "deadline": t.get("deadline_at"), "is_completed": bool(t.get("is_completed")),
            "completed_at": t.get("completed_at"), "assignees": people, "records": records,
            "created_at": t.get("created_at") or "", "created_by": actor_name(ctx, t.get("created_by_actor"))}


def _task_text(t: dict[str, Any]) -> str:
    facts = [f"due {when(t['deadline'])}" if t["deadline"] else "no deadline",
             f"assigned to {', '.join(a['name'] for a in t['assignees'])}" if t["assignees"] else "unassigned",
             f"done {when(t['completed_at'])}" if t["is_completed"] and t["completed_at"] else "",
             f"created by {t['created_by']} {when(t['created_at'])}", f"task id {t['id']}"]
    lines = [f"- [{'x' if t['is_completed'] else ' '}] " + indent(t["content"], "  ").strip(),
             "  " + "; ".join(f for f in facts if f)]
    lines += [f"  linked: {ref_text(r)}" for r in t["records"]]
    return "\n".join(lines)


def _deadline_key(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t.get("deadline_at") is None, t.get("deadline_at") or "", t.get("created_at") or "",
            (t.get("id") or {}).get("task_id", ""))


def _written(ctx: ToolContext, answer: dict[str, Any], sent: dict[str, Any], labels: RecordLabels,
             head: str) -> ToolResult:
    """The written task read back from Attio, with every field not stored as sent."""
    try:
        stored = ctx.attio.get_task((answer.get("id") or {}).get("task_id", ""))
    except AttioNotFound:
        stored = answer  # deleted meanwhile: what the write answered is all there is
    task = _task(ctx, stored, labels)
    diffs = []
    if "content" in sent:
        diffs += field_difference("content", sent["content"], stored.get("content_plaintext"))
    if "deadline_at" in sent:
        diffs += field_difference("deadline", sent["deadline_at"], stored.get("deadline_at"), key=instant, show=when)
    if "is_completed" in sent:
        diffs += field_difference("is_completed", sent["is_completed"], bool(stored.get("is_completed")), key=bool,
                                  show=lambda x: str(bool(x)).lower())
    names = workspace.member_names(ctx)
    if "assignees" in sent:
        diffs += set_differences("assignees", {a["referenced_actor_id"]: names.get(a["referenced_actor_id"], "")
                                               for a in sent["assignees"]},
                                 {a["id"]: a["name"] for a in task["assignees"]})
    if "linked_records" in sent:
        diffs += set_differences("record_ids", {f'{r["target_object"]}:{r["target_record_id"]}':
                                                f'{r["target_object"]}:{r["target_record_id"]}'
                                                for r in sent["linked_records"]},
                                 {r["id"]: r["id"] for r in task["records"]})
    said = differences_text(diffs)
    return result(ctx, {"task": task, "differences": diffs},
                  f"{head}\n{_task_text(task)}" + (f"\n{said}" if said else ""))


# -- handlers --------------------------------------------------------------------------------

def list_tasks(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Tasks filtered by assignee, linked record and completion; sorted by deadline or creation."""
    offset, limit, labels = decode_cursor(args["cursor"]), args["limit"], RecordLabels(ctx)
    filters: dict[str, Any] = {"is_completed": args["completed"]}
    said = []
    if args["assignee"]:
        who = resolve_member(ctx, args["assignee"], "assignee")
        filters["assignee"] = who["id"]
        said.append(f"assigned to {member_label(who)}")
    if args["record_id"]:
        obj, rid, record = load_id(ctx, args["record_id"])
        filters.update(linked_object=obj, linked_record_id=rid)
        said.append(f"linked to {ref_text(labels.add(obj, rid, record))}")
    if args["completed"] is not None:
        said.append("completed" if args["completed"] else "open")
    if args["sort"] == "deadline":
        found: list[dict[str, Any]] = []
        while True:
            batch = ctx.attio.list_tasks(limit=SCAN_PAGE, offset=len(found), sort=SORTS["oldest"], **filters)
            found += batch
            if len(batch) < SCAN_PAGE or len(found) >= SCAN_MAX:
                break
        items = sorted(found, key=_deadline_key)[offset:offset + limit + 1]
    else:
        items = ctx.attio.list_tasks(limit=limit + 1, offset=offset, sort=SORTS[args["sort"]], **filters)
    tasks = [_task(ctx, t, labels) for t in items[:limit]]
    out = {"tasks": tasks, **page_fields(items, offset, limit)}
    head = (f"{len(tasks)} task(s)" + (" " + ", ".join(said) if said else "") + f", sorted by {args['sort']}"
            + (" (more: pass next_cursor)." if out["next_cursor"] else "."))
    return result(ctx, out, "\n".join([head, *(_task_text(t) for t in tasks)]))


def create_task(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Create a task; Attio needs all six fields, so absent ones get their defaults."""
    labels = RecordLabels(ctx)
    deadline = parse_deadline(args["deadline"])
    assignees = _actors(ctx, args["assignees"])
    links = _links(ctx, args["record_ids"], labels)
    created = ctx.attio.create_task(args["content"], deadline_at=deadline, is_completed=False,
                                    linked_records=links, assignees=assignees)
    sent = {"content": args["content"], "deadline_at": deadline, "is_completed": False, "linked_records": links,
            "assignees": assignees}
    return _written(ctx, created, sent, labels, "Created task:")


def update_task(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Change deadline, completion, assignees or linked records; content is refused."""
    if "content" in args:
        raise ToolError(IMMUTABLE)
    tid = check_uuid(args["task_id"], "task_id")
    if not set(args) & {"deadline", "is_completed", "assignees", "record_ids"}:
        raise ToolError("Nothing to update: pass at least one of deadline, is_completed, assignees or record_ids.")
    labels = RecordLabels(ctx)
    change: dict[str, Any] = {"deadline_at": parse_deadline(args["deadline"]) if "deadline" in args else UNSET,
                              "is_completed": args.get("is_completed")}
    if "assignees" in args:
        change["assignees"] = _actors(ctx, args["assignees"])
    if "record_ids" in args:
        change["linked_records"] = _links(ctx, args["record_ids"], labels)
    try:
        updated = ctx.attio.update_task(tid, **change)
    except AttioNotFound:
        raise no_such("task", tid, TASK_IDS) from None
    sent = {k: v for k, v in change.items() if v is not UNSET and not (k == "is_completed" and v is None)}
    return _written(ctx, updated, sent, labels, "Updated task:")


def delete_task(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Delete one task once the user has confirmed it (read first, so both say what is deleted)."""
    tid = check_uuid(args["task_id"], "task_id")
    try:
        task = _task(ctx, ctx.attio.get_task(tid), RecordLabels(ctx))
        ctx.confirm(f'Permanently delete the task "{one_line(task["content"])}" (task id {tid}). '
                    "This cannot be undone.")
        ctx.attio.delete_task(tid)
    except AttioNotFound:
        raise no_such("task", tid, TASK_IDS, already=True) from None
    return result(ctx, {"deleted": True, "task": task}, "Deleted task:\n" + _task_text(task))


def register(registry: Registry) -> None:
    """Add `list_tasks`, `create_task`, `update_task` and `delete_task`."""
    registry.add_tool(Tool(
        name="list_tasks", title="List Attio tasks", handler=list_tasks, args=ListTasksArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List tasks in Attio, filtered by assignee (a member's email or name), by linked record "
                     "(record_id from search) and by completion, sorted by deadline (default) or creation. "
                     "Returns {\"tasks\":[{\"id\",\"content\",\"deadline\",\"is_completed\",\"assignees\","
                     "\"records\":[{\"id\",\"title\",\"url\"}],…}],\"next_cursor\"}. Use a task id with "
                     "update_task. Example: {\"assignee\": \"maya.chen@example.com\", \"completed\": false}.")))
    registry.add_tool(Tool(
        name="create_task", title="Create Attio task", handler=create_task, args=CreateTaskArgs,
        output_schema=ONE_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Create a task in Attio: plain-text content (max 2000 characters, cannot be changed "
                     "later), an optional deadline (a bare date such as \"2026-12-01\" means 17:00 UTC that day), "
                     "assignees by email or name (default: nobody) and the records it is about (ids from "
                     "search). The task starts open. Returns the created task with its id. Example: "
                     "{\"content\": \"Send the pricing proposal\", \"deadline\": \"2026-12-01\", "
                     "\"assignees\": [\"maya.chen@example.com\"], \"record_ids\": "
                     "[\"deals:90f061f2-6efc-57e3-9798-04e0024625eb\"]}.")))
    registry.add_tool(Tool(
        name="update_task", title="Update Attio task", handler=update_task, args=UpdateTaskArgs,
        output_schema=ONE_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described("Change an Attio task (id from list_tasks): its deadline (null removes it), is_completed "
                     "(mark done or reopen), assignees or linked records; the two lists replace the current "
                     "ones. Only the fields you pass change. The content cannot be changed (Attio makes it "
                     "immutable): create a new task instead. Returns the updated task. Example: "
                     "{\"task_id\": \"649e34f4-c39a-4f4d-99ef-48a36bef8f04\", \"is_completed\": true}.")))
    registry.add_tool(Tool(
        name="delete_task", title="Delete Attio task", handler=delete_task, args=TaskIdArgs,
        output_schema=DELETE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE,
        description=("Permanently delete one Attio task by its id (from list_tasks). This cannot be undone, so "
                     "nothing is deleted on a first call: the user is asked, or the call returns status "
                     "\"confirmation_required\" with a confirmation_token to send back only after the user agrees. "
                     "To close a finished task prefer update_task with is_completed true. Returns the deleted task. "
                     "Example: {\"task_id\": \"649e34f4-c39a-4f4d-99ef-48a36bef8f04\"}.")))
