"""`/v2` routes for lists and entries, notes, tasks, workspace members, threads and comments."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from . import activity
from . import records as writes
from .errors import camel_400, invalid, not_found
from .query import run_query
from .views import through_view
from .web import json_response, ok, query_int, read_json

bp = Blueprint("demo_misc", __name__)


# --- lists and entries -------------------------------------------------------------------
@bp.get("/lists")
def list_lists() -> Response:
    """Every list, in sidebar order (not paginated)."""
    return ok([lst.meta for lst in g.ws.lists.values()])


@bp.get("/lists/<lst>")
def get_list(lst: str) -> Response:
    """One list by slug or UUID."""
    return ok(g.ws.list_def(lst).meta)


@bp.post("/lists/<lst>/entries/query")
def query_entries(lst: str) -> Response:
    """Filter, sort and page a list's entries (through a saved view with `filter_view_id`)."""
    ld = g.ws.list_def(lst)
    return ok(run_query(g.ws, ld, list(ld.entries.values()), through_view(g.ws, ld, read_json(default={}))))


@bp.post("/lists/<lst>/entries")
def create_entry(lst: str) -> Response:
    """Add a record to a list."""
    ld = g.ws.list_def(lst, 'Could not find list with slug/ID "{}".')
    return ok(writes.create_entry(g.ws, ld, read_json(), g.actor))


@bp.put("/lists/<lst>/entries")
def assert_entry(lst: str) -> Response:
    """Assert a list entry by its parent record."""
    ld = g.ws.list_def(lst, 'List with slug/ID "{}" was not found.')
    return ok(writes.assert_entry(g.ws, ld, read_json(), g.actor))


@bp.get("/lists/<lst>/entries/<eid>")
def get_entry(lst: str, eid: str) -> Response:
    """One list entry."""
    return ok(g.ws.entry(g.ws.list_def(lst), eid))


@bp.patch("/lists/<lst>/entries/<eid>")
def patch_entry(lst: str, eid: str) -> Response:
    """Update an entry, appending multiselect values."""
    return ok(writes.update_entry(g.ws, g.ws.list_def(lst), eid, read_json(), g.actor, overwrite=False))


@bp.put("/lists/<lst>/entries/<eid>")
def put_entry(lst: str, eid: str) -> Response:
    """Update an entry, overwriting multiselect values."""
    return ok(writes.update_entry(g.ws, g.ws.list_def(lst), eid, read_json(), g.actor, overwrite=True))


@bp.delete("/lists/<lst>/entries/<eid>")
def delete_entry(lst: str, eid: str) -> Response:
    """Remove an entry → `{}`."""
    writes.delete_entry(g.ws, g.ws.list_def(lst), eid)
    return json_response({})


# --- notes -------------------------------------------------------------------------------
@bp.get("/notes")
def list_notes() -> Response:
    """Notes, optionally of one parent (limit default 10, max 50; rate limited to 10 a second)."""
    notes = list(g.ws.notes.values())
    pobj, pid = request.args.get("parent_object"), request.args.get("parent_record_id")
    if pobj:
        slug = g.ws.object_def(pobj).api_slug
        notes = [n for n in notes if n["parent_object"] == slug]
    if pid:
        notes = [n for n in notes if n["parent_record_id"] == pid]
    offset = query_int("offset", 0)
    return ok(notes[offset:offset + query_int("limit", 10, 50)])


@bp.post("/notes")
def create_note() -> Response:
    """Create a note on a record."""
    return ok(activity.create_note(g.ws, read_json(), g.actor))


@bp.get("/notes/<nid>")
def get_note(nid: str) -> Response:
    """One note."""
    return ok(activity.note(g.ws, nid))


@bp.patch("/notes/<nid>")
def update_note(nid: str) -> Response:
    """Change a note's title and/or content."""
    return ok(activity.update_note(g.ws, nid, read_json()))


@bp.delete("/notes/<nid>")
def delete_note(nid: str) -> Response:
    """Delete a note → `{}`."""
    activity.note(g.ws, nid)
    with g.ws.lock:
        g.ws.notes.pop(nid, None)
    return json_response({})


# --- tasks -------------------------------------------------------------------------------
def _task_filter(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    args = request.args
    if args.get("linked_object"):
        oid = g.ws.object_def(args["linked_object"]).id
        tasks = [t for t in tasks if any(r["target_object_id"] == oid for r in t["linked_records"])]
    if args.get("linked_record_id"):
        rid = args["linked_record_id"]
        tasks = [t for t in tasks if any(r["target_record_id"] == rid for r in t["linked_records"])]
    if "assignee" in args:
        who = args["assignee"]
        if who in ("", "null"):
            tasks = [t for t in tasks if not t["assignees"]]
        else:
            m = g.ws.members_by_key.get(who.lower() if "@" in who else who)
            mid = m["id"]["workspace_member_id"] if m else None
            tasks = [t for t in tasks if any(a["referenced_actor_id"] == mid for a in t["assignees"])]
    if "is_completed" in args:
        flag = args["is_completed"].lower()
        if flag not in ("true", "false"):
            raise invalid('Query parameter "is_completed" must be true or false.')
        tasks = [t for t in tasks if t["is_completed"] == (flag == "true")]
    return tasks


@bp.get("/tasks")
def list_tasks() -> Response:
    """Tasks, oldest first unless `sort` says otherwise (limit default 500)."""
    tasks = _task_filter(list(g.ws.tasks.values()))
    sort = request.args.get("sort") or "created_at:asc"
    field, _, direction = sort.partition(":")
    if field not in ("created_at", "completed_at") or direction not in ("asc", "desc"):
        raise invalid('Query parameter "sort" must be one of created_at:asc, created_at:desc, '
                      "completed_at:asc, completed_at:desc.")
    present = [t for t in tasks if t[field]]
    present.sort(key=lambda t: t[field], reverse=direction == "desc")
    tasks = present + [t for t in tasks if not t[field]]
    offset = query_int("offset", 0)
    return ok(tasks[offset:offset + query_int("limit", 500)])


@bp.post("/tasks")
def create_task() -> Response:
    """Create a task (all six fields required)."""
    return ok(activity.create_task(g.ws, read_json(), g.actor))


@bp.get("/tasks/<tid>")
def get_task(tid: str) -> Response:
    """One task."""
    return ok(activity.task(g.ws, tid))


@bp.patch("/tasks/<tid>")
def patch_task(tid: str) -> Response:
    """Update a task's deadline, completion, linked records or assignees."""
    return ok(activity.update_task(g.ws, tid, read_json()))


@bp.delete("/tasks/<tid>")
def delete_task(tid: str) -> Response:
    """Delete a task → `{}`."""
    activity.task(g.ws, tid)
    with g.ws.lock:
        g.ws.tasks.pop(tid, None)
    return json_response({})


# --- members, threads, comments ----------------------------------------------------------
@bp.get("/workspace_members")
def list_members() -> Response:
    """Every workspace member (not paginated)."""
    return ok(g.ws.members)


@bp.get("/workspace_members/<mid>")
def get_member(mid: str) -> Response:
    """One workspace member."""
    m = g.ws.members_by_key.get(mid)
    if m is None or m["id"]["workspace_member_id"] != mid:
        raise not_found(f'Workspace member with ID "{mid}" not found.')
    return ok(m)


@bp.get("/threads")
def list_threads() -> Response:
    """Threads on a record (`record_id`+`object`) or an entry (`entry_id`+`list`); limit 10, max 50."""
    args, threads = request.args, list(g.ws.threads.values())
    pairs = (("record_id", "object"), ("entry_id", "list"))
    if any(bool(args.get(a)) != bool(args.get(b)) for a, b in pairs):
        raise invalid('Pass "record_id" together with "object", or "entry_id" together with "list".')
    if args.get("record_id"):
        want = {"record_id": args["record_id"], "object_id": g.ws.object_def(args["object"]).id}
        threads = [t for t in threads if t["comments"][0]["record"] == want]
    if args.get("entry_id"):
        want = {"entry_id": args["entry_id"], "list_id": g.ws.list_def(args["list"]).id}
        threads = [t for t in threads if t["comments"][0]["entry"] == want]
    offset = query_int("offset", 0)
    return ok(threads[offset:offset + query_int("limit", 10, 50)])


@bp.get("/threads/<tid>")
def get_thread(tid: str) -> Response:
    """One thread with its comments."""
    t = g.ws.threads.get(tid)
    if t is None:
        raise not_found(f'Thread with ID "{tid}" was not found.')
    return ok(t)


@bp.post("/comments")
@camel_400
def create_comment() -> Response:
    """Comment on a thread, a record or a list entry (its 400s say `statusCode`, as Attio's spec declares)."""
    return ok(activity.create_comment(g.ws, read_json()))


@bp.get("/comments/<cid>")
def get_comment(cid: str) -> Response:
    """One comment."""
    c = g.ws.comments.get(cid)
    if c is None:
        raise not_found(f'Comment with ID "{cid}" was not found.')
    return ok(c)


@bp.delete("/comments/<cid>")
def delete_comment(cid: str) -> Response:
    """Delete a comment (the head comment takes its thread with it) → `{}`."""
    activity.delete_comment(g.ws, cid)
    return json_response({})
