"""Notes, tasks, threads and comments: building them from write bodies (attio-api.md §7.6–§7.8)."""
from __future__ import annotations

import re
import uuid
from typing import Any

from .errors import AttioError, body_error, invalid, not_found
from .records import EMPTY_PAYLOAD
from .store import Workspace
from .values import coerce_timestamp, now_ts

MAX_NOTE_CHARS = 100_000
TASK_FIELDS = ("content", "format", "deadline_at", "is_completed", "linked_records", "assignees")
TASK_PATCHABLE = ("deadline_at", "is_completed", "linked_records", "assignees")
_MD = [(re.compile(r"^\s{0,3}#{1,6}\s+"), ""), (re.compile(r"^\s*(?:[-*+]|\d+\.)\s+(?:\[[ xX]\]\s+)?"), ""),
       (re.compile(r"\[([^\]]*)\]\(([^)]*)\)"), r"\1"), (re.compile(r"(\*\*|__|~~|==)(.+?)\1"), r"\2"),
       (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2")]


def markdown_to_plaintext(md: str) -> str:
    """Strip markdown syntax (headings, bullets, emphasis, links) the way Attio's plaintext view does."""
    out = []
    for line in md.split("\n"):
        for pattern, repl in _MD:
            line = pattern.sub(repl, line)
        out.append(line)
    return "\n".join(out)


def _data(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise body_error('expected an object with a "data" object.')
    return body["data"]


def _str(data: dict[str, Any], key: str) -> str:
    v = data.get(key)
    if not isinstance(v, str):
        raise body_error(f'"data.{key}" is required and must be a string.')
    return v


def create_note(ws: Workspace, body: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """POST /v2/notes."""
    data = _data(body)
    pobj, pid, title, fmt, content = (_str(data, k) for k in
                                      ("parent_object", "parent_record_id", "title", "format", "content"))
    if fmt not in ("plaintext", "markdown"):
        raise body_error('"data.format" must be "plaintext" or "markdown".')
    obj = ws.object_def(pobj)
    ws.record(obj, pid)
    if len(content) > MAX_NOTE_CHARS:
        raise AttioError(413, "validation_type",
                         f"Note content is too large (max {MAX_NOTE_CHARS} characters).")
    at = coerce_timestamp(data["created_at"]) if data.get("created_at") is not None else now_ts()
    nid = str(uuid.uuid4())
    meeting = data.get("meeting_id") if isinstance(data.get("meeting_id"), str) else None
    note = {"id": {"workspace_id": ws.id, "note_id": nid}, "parent_object": obj.api_slug,
            "parent_record_id": pid, "title": title, "meeting_id": meeting,
            "content_plaintext": markdown_to_plaintext(content) if fmt == "markdown" else content,
            "content_markdown": content, "tags": [], "created_by_actor": actor, "created_at": at}
    with ws.lock:
        ws.notes[nid] = note
    return note


NOTE_FIELDS = ("title", "format", "content")


def update_note(ws: Workspace, nid: str, body: Any) -> dict[str, Any]:
    """PATCH /v2/notes/{id}: title and/or content (which replaces the whole content); the parent never changes."""
    current = note(ws, nid)
    data = _data(body)
    fixed = sorted(set(data) & {"parent_object", "parent_record_id", "meeting_id", "created_at"})
    if fixed:
        raise invalid(f'"{fixed[0]}" cannot be changed: a note keeps its parent record.', "immutable_value")
    extra = sorted(set(data) - set(NOTE_FIELDS))
    if extra:
        raise body_error(f'unknown field "data.{extra[0]}"; a note update takes title, format and content.')
    if not data:
        raise invalid(EMPTY_PAYLOAD)
    new = dict(current)
    if "title" in data:
        new["title"] = _str(data, "title")
    if "format" in data and data["format"] not in ("plaintext", "markdown"):
        raise body_error('"data.format" must be "plaintext" or "markdown".')
    if "content" in data:
        # Attio does not say what content without a format means (reference §10): the demo asks for one.
        if "format" not in data:
            raise body_error('"data.format" is required with "data.content".')
        content = _str(data, "content")
        if len(content) > MAX_NOTE_CHARS:
            raise AttioError(413, "validation_type",
                             f"Note content is too large (max {MAX_NOTE_CHARS} characters).")
        new["content_markdown"] = content
        new["content_plaintext"] = markdown_to_plaintext(content) if data["format"] == "markdown" else content
    with ws.lock:
        ws.notes[nid] = new
    return new


def note(ws: Workspace, nid: str) -> dict[str, Any]:
    """A stored note, else 404."""
    n = ws.notes.get(nid)
    if n is None:
        raise not_found(f'Note with ID "{nid}" was not found.')
    return n


def _linked_records(ws: Workspace, items: Any) -> list[dict[str, str]]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise body_error('"data.linked_records" must be an array of objects.')
    out: list[dict[str, str]] = []
    for item in items:
        key = item.get("target_object")
        obj = ws.objects_by_key.get(key) if isinstance(key, str) else None
        if obj is None:
            if isinstance(key, str) and key in ws.lists_by_key:
                raise invalid("Only standard or custom object records can be linked to.")
            raise not_found(f'Object with slug/ID "{key}" not found.')
        link = {"target_object_id": obj.id, "target_record_id": ws.match_reference(obj, item)}
        if link not in out:
            out.append(link)
    return out


def _assignees(ws: Workspace, items: Any) -> list[dict[str, str]]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise body_error('"data.assignees" must be an array of objects.')
    ids = dict.fromkeys(ws.member_for(i)["id"]["workspace_member_id"] for i in items)
    return [{"referenced_actor_type": "workspace-member", "referenced_actor_id": i} for i in ids]


def _task_fields(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "deadline_at" in data:
        d = data["deadline_at"]
        out["deadline_at"] = None if d is None else coerce_timestamp(d, "deadline_at")
    if "is_completed" in data:
        if not isinstance(data["is_completed"], bool):
            raise body_error('"data.is_completed" must be a boolean.')
        out["is_completed"] = data["is_completed"]
    if "linked_records" in data:
        out["linked_records"] = _linked_records(ws, data["linked_records"])
    if "assignees" in data:
        out["assignees"] = _assignees(ws, data["assignees"])
    return out


def create_task(ws: Workspace, body: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """POST /v2/tasks: all six fields are required."""
    data = _data(body)
    for k in TASK_FIELDS:
        if k not in data:
            raise body_error(f'"data.{k}" is required.')
    content = _str(data, "content")
    if data["format"] != "plaintext":
        raise body_error('"data.format" must be "plaintext".')
    if len(content) > 2000:
        raise body_error('"data.content" must be at most 2000 characters.')
    fields = _task_fields(ws, data)
    at, tid = now_ts(), str(uuid.uuid4())
    task = {"id": {"workspace_id": ws.id, "task_id": tid}, "content_plaintext": content,
            "deadline_at": fields["deadline_at"], "is_completed": fields["is_completed"],
            "completed_at": at if fields["is_completed"] else None,
            "linked_records": fields["linked_records"],
            "assignees": fields["assignees"], "created_by_actor": actor, "created_at": at}
    with ws.lock:
        ws.tasks[tid] = task
    return task


def task(ws: Workspace, tid: str) -> dict[str, Any]:
    """A stored task, else 404."""
    t = ws.tasks.get(tid)
    if t is None:
        raise not_found(f'Could not find Task with ID "{tid}".')
    return t


def update_task(ws: Workspace, tid: str, body: Any) -> dict[str, Any]:
    """PATCH /v2/tasks/{id}: only deadline, completion, links and assignees change."""
    current = task(ws, tid)
    data = _data(body)
    extra = sorted(set(data) - set(TASK_PATCHABLE))
    if extra:
        raise invalid(f'Cannot update "{extra[0]}": only deadline_at, is_completed, linked_records and '
                      "assignees can be changed on a task.", "immutable_value")
    if not data:
        raise invalid(EMPTY_PAYLOAD)
    fields = _task_fields(ws, data)
    new = {**current, **fields}
    if "is_completed" in fields and fields["is_completed"] != current["is_completed"]:
        new["completed_at"] = now_ts() if fields["is_completed"] else None
    with ws.lock:
        ws.tasks[tid] = new
    return new


def create_comment(ws: Workspace, body: Any) -> dict[str, Any]:
    """POST /v2/comments: on a thread, a record or a list entry."""
    data = _data(body)
    content = _str(data, "content")
    if data.get("format") != "plaintext":
        raise body_error('"data.format" must be "plaintext".')
    author = data.get("author")
    if not isinstance(author, dict) or author.get("type") != "workspace-member":
        raise body_error('"data.author" must be {"type":"workspace-member","id":…}.')
    member = ws.member_for(author)
    targets = [k for k in ("thread_id", "record", "entry") if data.get(k) is not None]
    if len(targets) != 1:
        raise body_error('pass exactly one of "thread_id", "record" or "entry".')
    record = entry = thread = None
    if targets[0] == "thread_id":
        thread = ws.threads.get(data["thread_id"]) if isinstance(data["thread_id"], str) else None
        if thread is None:
            raise invalid("The referenced Thread could not be found, it might have been deleted.",
                          "value_not_found")
        head = thread["comments"][0]
        record, entry = head["record"], head["entry"]
    elif targets[0] == "record":
        r = data["record"]
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) for k in ("object", "record_id")):
            raise body_error('"data.record" must be {"object":…,"record_id":…}.')
        obj = ws.object_def(r["object"])
        ws.record(obj, r["record_id"])
        record = {"record_id": r["record_id"], "object_id": obj.id}
    else:
        e = data["entry"]
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("list", "entry_id")):
            raise body_error('"data.entry" must be {"list":…,"entry_id":…}.')
        lst = ws.list_def(e["list"])
        ws.entry(lst, e["entry_id"])
        entry = {"entry_id": e["entry_id"], "list_id": lst.id}
    at = coerce_timestamp(data["created_at"]) if data.get("created_at") is not None else now_ts()
    cid = str(uuid.uuid4())
    tid = thread["id"]["thread_id"] if thread else str(uuid.uuid4())
    author_id = member["id"]["workspace_member_id"]
    comment = {"id": {"workspace_id": ws.id, "comment_id": cid}, "thread_id": tid,
               "content_plaintext": content, "entry": entry, "record": record, "resolved_at": None,
               "resolved_by": {"type": None, "id": None}, "created_at": at,
               "author": {"type": "workspace-member", "id": author_id}}
    with ws.lock:
        ws.comments[cid] = comment
        old = ws.threads.get(tid)
        ws.threads[tid] = {"id": {"workspace_id": ws.id, "thread_id": tid},
                           "comments": (old["comments"] if old else []) + [comment],
                           "created_at": old["created_at"] if old else at}
    return comment


def delete_comment(ws: Workspace, cid: str) -> None:
    """DELETE /v2/comments/{id}; deleting a thread's head comment deletes the thread."""
    c = ws.comments.get(cid)
    if c is None:
        raise not_found(f'Could not find Comment with ID "{cid}".')
    with ws.lock:
        thread = ws.threads.get(c["thread_id"])
        if thread is None or thread["comments"][0] is c:
            for other in thread["comments"] if thread else [c]:
                ws.comments.pop(other["id"]["comment_id"], None)
            ws.threads.pop(c["thread_id"], None)
        else:
            ws.comments.pop(cid, None)
            ws.threads[c["thread_id"]] = {**thread, "comments": [x for x in thread["comments"] if x is not c]}
