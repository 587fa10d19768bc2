"""Merging two records (attio-api-2026.md §2): a NEW record; both originals gone for good.

Per attribute the primary's values win, the secondary's are kept where the primary has none. Whatever pointed
at either original (relationships, list entries, notes, tasks, comments, meetings, files) points at the new
record. A repeat answers 404: the originals no longer exist. With `DemoSettings.merge_delay_seconds` > 0 the
merge answers 202 and reading the new record gives 404 `merge_in_progress` until it is applied.
"""
from __future__ import annotations

import uuid
from typing import Any

from .errors import body_error, invalid, not_found
from .schema import ObjectDef
from .store import Workspace
from .values import now_ts


def _ids(body: Any) -> tuple[str, str]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in
                                             ("primary_record_id", "secondary_record_id")):
        raise body_error('expected {"data": {"primary_record_id": …, "secondary_record_id": …}}.')
    return data["primary_record_id"], data["secondary_record_id"]


def _original(obj: ObjectDef, rid: str) -> dict[str, Any]:
    rec = obj.records.get(rid)
    if rec is None:
        raise not_found(f'Record with ID "{rid}" not found.')
    return rec


def merge(ws: Workspace, obj: ObjectDef, body: Any, actor: dict[str, Any], delay: float) -> tuple[str, bool]:
    """POST /v2/objects/{o}/records/merge → (new record id, applied already)."""
    primary_id, secondary_id = _ids(body)
    if primary_id == secondary_id:
        raise invalid("A record cannot be merged with itself.", "self_merge")
    with ws.lock:
        primary, secondary = _original(obj, primary_id), _original(obj, secondary_id)
        at, new_id = now_ts(), str(uuid.uuid4())
        rec = ws.new_record(obj, new_id, at, actor)
        for a in obj.attrs:
            if a.slug in ("record_id", "created_at", "created_by"):
                continue
            rec["values"][a.slug] = primary["values"][a.slug] or secondary["values"][a.slug]
        for rid in (primary_id, secondary_id):
            ws.remove_record(obj, rid, actor, at, keep_entries=True)
            ws.merged_into[rid] = new_id
        ws.merging.add(new_id)

    def apply() -> None:
        ws.put_record(obj, rec)
        for a in obj.attrs:
            if a.inverse and rec["values"][a.slug]:
                ws.sync_inverse(obj, new_id, a, set(), {v["target_record_id"] for v in rec["values"][a.slug]},
                                actor, at)
        _repoint(ws, obj, {primary_id, secondary_id}, new_id)
        ws.merging.discard(new_id)
    ws.later(delay, apply)
    return new_id, delay <= 0


def _repoint(ws: Workspace, obj: ObjectDef, old: set[str], new: str) -> None:
    """Everything that named an original names the new record."""
    for lst in list(ws.lists.values()):
        for eid, ent in list(lst.entries.items()):
            if ent["parent_record_id"] in old:
                lst.entries[eid] = {**ent, "parent_record_id": new}
    for nid, note in list(ws.notes.items()):
        if note["parent_record_id"] in old:
            ws.notes[nid] = {**note, "parent_record_id": new}
    for tid, task in list(ws.tasks.items()):
        links = [{**r, "target_record_id": new} if r["target_record_id"] in old else r for r in task["linked_records"]]
        ws.tasks[tid] = {**task, "linked_records": _unique(links, "target_record_id")}
    for cid, c in list(ws.comments.items()):
        if c["record"] and c["record"]["record_id"] in old:
            ws.comments[cid] = {**c, "record": {**c["record"], "record_id": new}}
    for thread_id, t in list(ws.threads.items()):
        ws.threads[thread_id] = {**t, "comments": [ws.comments.get(c["id"]["comment_id"], c) for c in t["comments"]]}
    for mid, m in list(ws.meetings.items()):
        links = [{**r, "record_id": new} if r["record_id"] in old else r for r in m["linked_records"]]
        ws.meetings[mid] = {**m, "linked_records": _unique(links, "record_id")}
    for fid, f in list(ws.files.items()):
        if f["record_id"] in old:
            ws.files[fid] = {**f, "record_id": new}


def _unique(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        if item[key] not in seen:
            seen.add(item[key])
            out.append(item)
    return out
