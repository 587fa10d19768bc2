"""The in-memory workspace: objects, records, lists, notes, tasks, threads and members.

Stored records, entries, notes and tasks are kept in their API shapes, so a read returns
the stored dict itself (JSON encoding never mutates it). Writes never edit a stored dict
in place: they build a new one and swap it in under `lock`, so a reader always sees one
whole version. Nothing here blocks or yields, which is what gevent needs.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

from .errors import AttioError, invalid, not_found
from .search import search_entry
from .schema import ListDef, ObjectDef, build_objects, uid
from .values import identity, normalize, stamp

SYSTEM = {"type": "system", "id": None}


class Workspace:
    """One Attio workspace held in memory."""

    def __init__(self, name: str, slug: str, created_at: str) -> None:
        self.id = uid("workspace", slug)
        self.name, self.slug, self.created_at = name, slug, created_at
        self.lock = threading.RLock()
        self.objects: dict[str, ObjectDef] = build_objects(self.id, created_at)
        self.objects_by_key: dict[str, ObjectDef] = {}
        for o in self.objects.values():
            self.objects_by_key[o.api_slug] = self.objects_by_key[o.id] = o
        self.lists: dict[str, ListDef] = {}
        self.lists_by_key: dict[str, ListDef] = {}
        self.members: list[dict[str, Any]] = []
        self.members_by_key: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        # The newer surfaces (attio-api-2026.md): plan and alpha switches, meetings, call recordings,
        # emails, files, saved views, merges.
        self.plan = "pro"  # "enterprise" opens POST /v2/sql
        self.emails_enabled = False  # Attio enables the emails API per workspace while it is in alpha
        self.meetings: dict[str, dict[str, Any]] = {}
        self.synced_meetings: set[str] = set()  # made by calendar sync: the API may not delete them
        self.recordings: dict[str, dict[str, Any]] = {}  # call_recording_id → stored recording
        self.emails: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}  # file_id → file, folder or connected entry
        self.file_contents: dict[str, bytes] = {}
        self.views: dict[str, dict[str, Any]] = {}  # view_id → {"meta", "container", "filter", "sorts", …}
        self.merged_into: dict[str, str] = {}  # a merged-away record id → the record it became
        self.merging: set[str] = set()  # new records of merges still being applied (202)
        self.pending: list[tuple[float, Callable[[], None]]] = []  # asynchronous work: (due, apply)

    # --- set-up ---------------------------------------------------------------------------
    def add_member(self, first: str, last: str, email: str, access: str, created_at: str) -> dict[str, Any]:
        """Add a workspace member."""
        m = {"id": {"workspace_id": self.id, "workspace_member_id": uid(self.id, "member", email)},
             "first_name": first, "last_name": last, "avatar_url": None, "email_address": email,
             "created_at": created_at, "access_level": access}
        self.members.append(m)
        self.members_by_key[m["id"]["workspace_member_id"]] = self.members_by_key[email.lower()] = m
        return m

    def add_list(self, api_slug: str, name: str, parent: str, specs: list,
                 creator: dict[str, Any]) -> ListDef:
        """Add a list on a parent object."""
        lst = ListDef(self.id, api_slug, name, parent, specs, self.created_at, creator)
        self.lists[api_slug] = self.lists_by_key[api_slug] = self.lists_by_key[lst.id] = lst
        return lst

    # --- lookups --------------------------------------------------------------------------
    def object_def(self, key: str) -> ObjectDef:
        """The object with this slug or UUID, else 404."""
        obj = self.objects_by_key.get(key)
        if obj is None:
            raise not_found(f'Object with slug/ID "{key}" not found.')
        return obj

    def list_def(self, key: str, message: str = 'List with slug/ID "{}" not found.') -> ListDef:
        """The list with this slug or UUID, else 404 (message varies by endpoint, as in Attio)."""
        lst = self.lists_by_key.get(key)
        if lst is None:
            raise not_found(message.format(key))
        return lst

    def record(self, obj: ObjectDef, rid: str) -> dict[str, Any]:
        """A stored record, else 404 (`merge_in_progress` for the new record of a merge still applying)."""
        rec = obj.records.get(rid)
        if rec is None:
            if rid in self.merging:
                raise AttioError(404, "merge_in_progress",
                                 f'Record with ID "{rid}" is the result of a merge that is still in progress. '
                                 "Try again shortly.")
            raise not_found(f'Record with ID "{rid}" not found.')
        return rec

    def entry(self, lst: ListDef, eid: str) -> dict[str, Any]:
        """A stored list entry, else 404."""
        ent = lst.entries.get(eid)
        if ent is None:
            raise not_found(f'List entry with ID "{eid}" not found.')
        return ent

    def member(self, key: str) -> dict[str, Any]:
        """A workspace member by id (or email), else 404."""
        m = self.members_by_key.get(key.lower() if "@" in key else key)
        if m is None:
            raise not_found(f'Workspace member with ID "{key}" not found.')
        return m

    def own_domains(self) -> set[str]:
        """The workspace's own email domains (its members'): Attio makes no records for them."""
        return {m["email_address"].rsplit("@", 1)[1].lower() for m in self.members}

    def member_for(self, item: dict[str, Any]) -> dict[str, Any]:
        """The member an actor/assignee input names, else 400 `value_not_found`."""
        email = item.get("workspace_member_email_address") or item.get("email_address")
        if isinstance(email, str):
            m = self.members_by_key.get(email.lower())
            if m is None:
                raise invalid(f'Workspace member with email address "{email}" not found.', "value_not_found")
            return m
        mid = item.get("referenced_actor_id") or item.get("workspace_member_id") or item.get("id")
        kind = item.get("referenced_actor_type", item.get("type", "workspace-member"))
        m = self.members_by_key.get(mid) if isinstance(mid, str) and "@" not in mid else None
        if kind != "workspace-member" or m is None:
            raise invalid(f'Workspace member with ID "{mid}" not found.', "value_not_found")
        return m

    def match_reference(self, obj: ObjectDef, item: dict[str, Any]) -> str:
        """The record id a reference names, by `target_record_id` or one unique attribute."""
        rid = item.get("target_record_id")
        if rid is not None:
            if not isinstance(rid, str) or rid not in obj.records:
                raise invalid(f'Record with ID "{rid}" not found in object "{obj.api_slug}".',
                              "value_not_found")
            return rid
        keys = [k for k in item if k != "target_object"]
        attr = obj.attr(keys[0]) if len(keys) == 1 else None
        if attr is None or not attr.is_unique:
            raise invalid("A record reference needs target_record_id or exactly one unique matching "
                          "attribute.")
        wanted = {identity(v) for v in normalize(self, attr, item[keys[0]], SYSTEM, "")}
        for rec in list(obj.records.values()):
            if any(identity(v) in wanted for v in rec["values"][attr.slug]):
                return rec["id"]["record_id"]
        raise invalid(f'No record in "{obj.api_slug}" matches the given "{attr.slug}".', "value_not_found")

    def iter_records(self, obj: ObjectDef) -> list[dict[str, Any]]:
        """A snapshot of an object's records in creation order."""
        return list(obj.records.values())

    def entries_of_record(self, rid: str) -> Iterator[tuple[ListDef, dict[str, Any]]]:
        """Every (list, entry) whose parent is this record."""
        for lst in list(self.lists.values()):
            for ent in list(lst.entries.values()):
                if ent["parent_record_id"] == rid:
                    yield lst, ent

    # --- record storage -------------------------------------------------------------------
    def blank_values(self, container: Any, at: str, actor: dict[str, Any]) -> dict[str, list]:
        """Values for a new record or entry: every slug present, `created_at`/`created_by` set."""
        values: dict[str, list] = {a.slug: [] for a in container.attrs}
        values["created_at"] = [stamp({"value": at}, "timestamp", SYSTEM, at)]
        by = {"referenced_actor_type": actor["type"], "referenced_actor_id": actor["id"]}
        values["created_by"] = [stamp(by, "actor-reference", SYSTEM, at)]
        return values

    def new_record(self, obj: ObjectDef, rid: str, created_at: str, actor: dict[str, Any]) -> dict[str, Any]:
        """An empty record skeleton with its system values set."""
        values = self.blank_values(obj, created_at, actor)
        values["record_id"] = [stamp({"value": rid}, "text", actor, created_at)]
        return {"id": {"workspace_id": self.id, "object_id": obj.id, "record_id": rid},
                "created_at": created_at,
                "web_url": f"https://app.attio.com/{self.slug}/{obj.url_noun}/{rid}", "values": values}

    def put_record(self, obj: ObjectDef, rec: dict[str, Any]) -> None:
        """Store (or replace) a record and refresh its search entry."""
        rid = rec["id"]["record_id"]
        obj.records[rid] = rec
        obj.search[rid] = search_entry(obj, rec)

    def set_values(self, obj: ObjectDef, rid: str, slug: str, values: list[dict[str, Any]]) -> None:
        """Replace one attribute's values on a stored record (copy-on-write)."""
        rec = obj.records.get(rid)
        if rec is not None:
            self.put_record(obj, {**rec, "values": {**rec["values"], slug: values}})

    def remove_record(self, obj: ObjectDef, rid: str, actor: dict[str, Any], at: str, *,
                      keep_entries: bool = False) -> None:
        """Delete a record, its inverse references and (unless a merge moves them on) its list entries."""
        rec = obj.records.pop(rid)
        obj.search.pop(rid, None)
        for a in obj.attrs:
            if a.inverse:
                old = {v["target_record_id"] for v in rec["values"][a.slug]}
                self.sync_inverse(obj, rid, a, old, set(), actor, at)
        for lst, ent in list(self.entries_of_record(rid)) if not keep_entries else []:
            lst.entries.pop(ent["id"]["entry_id"], None)

    def sync_inverse(self, obj: ObjectDef, rid: str, attr: Any, old: set[str], new: set[str],
                     actor: dict[str, Any], at: str) -> None:
        """Keep the other side of a relationship (company.team ↔ person.company) in step."""
        tobj = self.objects[attr.target]
        inv = tobj.attr(attr.inverse)
        if inv is None:
            return
        for t in old - new:
            if t in tobj.records:
                cur = tobj.records[t]["values"][inv.slug]
                self.set_values(tobj, t, inv.slug, [v for v in cur if v["target_record_id"] != rid])
        for t in new - old:
            if t not in tobj.records:
                continue
            cur = tobj.records[t]["values"][inv.slug]
            ref = stamp({"target_object": obj.api_slug, "target_record_id": rid}, "record-reference", actor,
                        at)
            if inv.is_multiselect:
                if all(v["target_record_id"] != rid for v in cur):
                    self.set_values(tobj, t, inv.slug, cur + [ref])
                continue
            for v in cur:  # a single-valued inverse moves: its previous holder lets go
                prev = v["target_record_id"]
                if prev != rid and prev in obj.records:
                    pv = obj.records[prev]["values"][attr.slug]
                    self.set_values(obj, prev, attr.slug, [x for x in pv if x["target_record_id"] != t])
            self.set_values(tobj, t, inv.slug, [ref])

    # --- asynchronous work ----------------------------------------------------------------
    def later(self, delay: float, apply: Callable[[], None]) -> None:
        """Do `apply` once `delay` seconds have passed (at the next request after that), or now if 0."""
        if delay <= 0:
            with self.lock:
                apply()
            return
        with self.lock:
            self.pending.append((time.monotonic() + delay, apply))

    def settle(self) -> None:
        """Apply the asynchronous work that is due (called before every request)."""
        if not self.pending:
            return
        now = time.monotonic()
        with self.lock:
            due = [p for p in self.pending if p[0] <= now]
            self.pending = [p for p in self.pending if p[0] > now]
            for _, apply in sorted(due, key=lambda p: p[0]):
                apply()

    # --- self -----------------------------------------------------------------------------
    def actor_for_token(self, token: str) -> dict[str, Any]:
        """The `api-token` actor that writes made with this token are attributed to."""
        return {"type": "api-token", "id": uid(self.id, "token", token)}
