"""The deterministic demo workspaces: "Demo Sales Co" and "Northwind Traders".

Every id is a uuid5 of (workspace, kind, key), and every timestamp is fixed, so a
record id seen today is the same after a reset or on another machine (`uid`). The data
itself is in `seed_data.py`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .activity import markdown_to_plaintext
from .schema import uid
from .seed_data import COMPANIES, DEALS, KEY_ACCOUNTS, NOTES, PEOPLE, PIPELINE, TASKS
from .seed_engagement import add_meeting, seed_engagement
from .store import Workspace
from .values import coerce_timestamp, fmt_ts, normalize

_BASE = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Seeder:
    """Adds records and activity with fixed ids and timestamps."""

    def __init__(self, ws: Workspace) -> None:
        self.ws, self.step = ws, 0
        self.members: dict[str, dict[str, Any]] = {}

    def at(self) -> str:
        """The next fixed timestamp (each call moves seven hours on)."""
        self.step += 1
        return fmt_ts(_BASE + timedelta(hours=7 * self.step, minutes=13 * self.step % 60,
                                        microseconds=137_013 * self.step % 1_000_000))

    def actor(self, member: str) -> dict[str, Any]:
        """The workspace-member actor of a seeded member."""
        return {"type": "workspace-member", "id": self.members[member]["id"]["workspace_member_id"]}

    def rid(self, obj: str, key: str) -> str:
        """The fixed id of a seeded record."""
        return uid(self.ws.id, obj, key)

    def record(self, obj_slug: str, key: str, values: dict[str, Any], member: str) -> None:
        """Add a record from write-format values, keeping relationships in step."""
        ws, obj, at, actor = self.ws, self.ws.objects[obj_slug], self.at(), self.actor(member)
        rec = ws.new_record(obj, self.rid(obj_slug, key), at, actor)
        for slug, raw in values.items():
            rec["values"][slug] = normalize(ws, obj.attr(slug), raw, actor, at, system=True)
        ws.put_record(obj, rec)
        for a in obj.attrs:
            if a.inverse and rec["values"][a.slug]:
                targets = {v["target_record_id"] for v in rec["values"][a.slug]}
                ws.sync_inverse(obj, rec["id"]["record_id"], a, set(), targets, actor, at)

    def ref(self, obj: str, key: str) -> dict[str, str]:
        """A record-reference input to a seeded record."""
        return {"target_object": obj, "target_record_id": self.rid(obj, key)}

    def company(self, key: str, name: str, domain: str, desc: str, loc: tuple, cats: list,
                founded: str | None,
                size: str | None, arr: str | None, member: str) -> None:
        """Add a company."""
        location = dict(zip(("line_1", "locality", "region", "postcode", "country_code"), loc))
        values = {"name": name, "domains": [domain], "description": desc, "primary_location": location,
                  "categories": cats, "foundation_date": founded, "employee_range": size,
                  "estimated_arr_usd": arr,
                  "linkedin": f"linkedin.com/company/{domain.split('.')[0]}"}
        self.record("companies", key, {k: v for k, v in values.items() if v is not None}, member)

    def person(self, key: str, first: str, last: str, email: str, phone: str, title: str, company: str | None,
               city: str, region: str, country: str, member: str) -> None:
        """Add a person (linked to a company when given)."""
        values: dict[str, Any] = {
            "name": {"first_name": first, "last_name": last, "full_name": f"{first} {last}"},
            "email_addresses": [email], "phone_numbers": [{"original_phone_number": phone}],
            "job_title": title,
            "primary_location": {"locality": city, "region": region, "country_code": country}}
        if company:
            values["company"] = self.ref("companies", company)
        self.record("people", key, values, member)

    def note(self, obj: str, key: str, member: str, title: str, md: str) -> None:
        """Add a markdown note on a record."""
        nid, at = uid(self.ws.id, "note", title), self.at()
        self.ws.notes[nid] = {"id": {"workspace_id": self.ws.id, "note_id": nid}, "parent_object": obj,
                              "parent_record_id": self.rid(obj, key), "title": title, "meeting_id": None,
                              "content_plaintext": markdown_to_plaintext(md), "content_markdown": md,
                              "tags": [],
                              "created_by_actor": self.actor(member), "created_at": at}

    def task(self, key: str, content: str, deadline: str | None, done: bool, assignees: list[str],
             links: list[tuple[str, str]]) -> None:
        """Add a task."""
        tid, at = uid(self.ws.id, "task", key), self.at()
        self.ws.tasks[tid] = {
            "id": {"workspace_id": self.ws.id, "task_id": tid}, "content_plaintext": content,
            "deadline_at": coerce_timestamp(deadline) if deadline else None, "is_completed": done,
            "completed_at": self.at() if done else None,
            "linked_records": [{"target_object_id": self.ws.objects[o].id, "target_record_id": self.rid(o, k)}
                               for o, k in links],
            "assignees": [{"referenced_actor_type": "workspace-member",
                           "referenced_actor_id": self.actor(m)["id"]} for m in assignees],
            "created_by_actor": self.actor(assignees[0]), "created_at": at}

    def entry(self, list_slug: str, obj: str, key: str, values: dict[str, Any], member: str) -> str:
        """Add a list entry; returns its id."""
        ws, lst, at, actor = self.ws, self.ws.lists[list_slug], self.at(), self.actor(member)
        eid = uid(ws.id, "entry", list_slug, key)
        ev = ws.blank_values(lst, at, actor)
        for slug, raw in values.items():
            ev[slug] = normalize(ws, lst.attr(slug), raw, actor, at, system=True)
        lst.entries[eid] = {"id": {"workspace_id": ws.id, "list_id": lst.id, "entry_id": eid},
                            "parent_record_id": self.rid(obj, key), "parent_object": obj, "created_at": at,
                            "entry_values": ev}
        return eid

    def comment(self, key: str, member: str, text: str, thread: str, record: dict | None,
                entry: dict | None) -> None:
        """Add a comment, opening its thread if new."""
        ws, at = self.ws, self.at()
        tid, cid = uid(ws.id, "thread", thread), uid(ws.id, "comment", key)
        c = {"id": {"workspace_id": ws.id, "comment_id": cid}, "thread_id": tid, "content_plaintext": text,
             "entry": entry, "record": record, "resolved_at": None, "resolved_by": {"type": None, "id": None},
             "created_at": at, "author": self.actor(member)}
        ws.comments[cid] = c
        old = ws.threads.get(tid)
        ws.threads[tid] = {"id": {"workspace_id": ws.id, "thread_id": tid},
                           "comments": (old["comments"] if old else []) + [c],
                           "created_at": old["created_at"] if old else at}


def seed_sales() -> Workspace:
    """Workspace 1, "Demo Sales Co" (`demo-sales`): the full sample CRM, on the Enterprise plan (SQL) with the
    emails alpha, its meetings, call recordings, emails, files and saved views."""
    ws = Workspace("Demo Sales Co", "demo-sales", "2025-11-03T08:30:00.000000000Z")
    s = Seeder(ws)
    s.members["maya"] = ws.add_member("Maya", "Chen", "maya.chen@demo-sales.example", "admin", ws.created_at)
    s.members["tomas"] = ws.add_member("Tomás", "Alvarez", "tomas.alvarez@demo-sales.example", "member",
                                       ws.created_at)
    for n, (key, c) in enumerate(COMPANIES.items()):
        s.company(key, *c, member="maya" if n % 2 == 0 else "tomas")
    for n, (key, p) in enumerate(PEOPLE.items()):
        s.person(key, *p, member="tomas" if n % 3 == 0 else "maya")
    for key, (name, stage, owner, amount, code, company, people) in DEALS.items():
        s.record("deals", key, {"name": name, "stage": stage, "owner": s.actor(owner)["id"],
                                "value": {"currency_value": amount, "currency_code": code},
                                "associated_company": s.ref("companies", company),
                                "associated_people": [s.ref("people", p) for p in people]}, owner)
    for n in NOTES:
        s.note(*n)
    for t in TASKS:
        s.task(*t)
    maya = s.actor("maya")
    ws.add_list("sales_pipeline", "Sales pipeline", "deals", [
        ("stage", "Stage", "status", "", {"statuses": [
            "Qualified", "Proposal sent", "Negotiation", "Closed won 🎉",
                                                       "Closed lost"]}),
        ("priority", "Priority", "select", "", {"options": ["High", "Medium", "Low"]}),
        ("next_step", "Next step", "text", "", {})], maya)
    ws.add_list("key_accounts", "Key accounts", "companies", [
        ("tier", "Tier", "select", "", {"options": ["Tier 1", "Tier 2", "Tier 3"]}),
        ("account_owner", "Account owner", "actor-reference", "", {}),
        ("renewal_date", "Renewal date", "date", "", {}),
        ("health", "Health", "rating", "", {})], maya)
    entries = {}
    for key, stage, prio, step in PIPELINE:
        values = {"stage": stage, "priority": prio} | ({"next_step": step} if step else {})
        entries[key] = s.entry("sales_pipeline", "deals", key, values, DEALS[key][2])
    for key, tier, owner, renewal, health in KEY_ACCOUNTS:
        s.entry("key_accounts", "companies", key, {"tier": tier, "account_owner": s.actor(owner)["id"],
                                                   "renewal_date": renewal, "health": health}, owner)
    atlas = {"record_id": s.rid("deals", "atlas"), "object_id": ws.objects["deals"].id}
    s.comment("atlas-1", "maya", "Oliver wants the MSA redlines by Friday.", "atlas", atlas, None)
    s.comment("atlas-2", "tomas", "I'll loop in legal today, maya.chen@demo-sales.example.", "atlas", atlas,
              None)
    kestrel = {"entry_id": entries["kestrel"], "list_id": ws.lists["sales_pipeline"].id}
    s.comment("kestrel-1", "maya", "Renewal at risk: they are trialling a cheaper MDR vendor.", "kestrel",
              None, kestrel)
    ws.plan, ws.emails_enabled = "enterprise", True
    seed_engagement(s)
    return ws


def seed_northwind() -> Workspace:
    """Workspace 2, "Northwind Traders" (`northwind`): a small seed that shares nothing with workspace 1; on the
    Pro plan (no SQL) and without the emails alpha."""
    ws = Workspace("Northwind Traders", "northwind", "2025-12-01T10:00:00.000000000Z")
    s = Seeder(ws)
    s.members["nadia"] = ws.add_member("Nadia", "Novak", "nadia.novak@northwind.example", "admin",
                                       ws.created_at)
    s.company("contoso", "Contoso Pharmaceuticals", "contoso-pharma.com", "Generic medicines wholesaler.",
              ("Via Roma 10", "Milan", "Lombardy", "20121", "IT"), ["Healthcare", "B2B"], None, None, None,
              "nadia")
    s.company("fabrikam", "Fabrikam Foods", "fabrikamfoods.com", "Organic snack manufacturer.",
              ("Kungsgatan 5", "Stockholm", "Stockholm", "111 43", "SE"), ["Retail"], None, None, None,
              "nadia")
    s.company("tailspin", "Tailspin Toys", "tailspintoys.com", "Wooden toys sold through independent shops.",
              ("Rue de Rivoli 90", "Paris", "Île-de-France", "75004", "FR"), ["B2C"], None, None, None,
              "nadia")
    s.person("kenji", "Kenji", "Watanabe", "kenji@contoso-pharma.com", "+39 02 5555 0101", "Buyer", "contoso",
             "Milan", "Lombardy", "IT", "nadia")
    s.person("zara", "Zara", "Ahmed", "zara.ahmed@fabrikamfoods.com", "+46 8 555 0122", "Head of Sourcing",
             "fabrikam", "Stockholm", "Stockholm", "SE", "nadia")
    s.person("lucas", "Lucas", "Meyer", "lucas@tailspintoys.com", "+33 1 55 55 01 33", "Owner", "tailspin",
             "Paris", "Île-de-France", "FR", "nadia")
    add_meeting(s, "contoso-supply", (
        "Contoso supply review", "Quarterly volumes and the new generic lines.", "2026-11-19T11:00:00",
        "2026-11-19T12:00:00", "Europe/Rome", False, [("nadia", True, "accepted"), ("kenji", False, "accepted")],
        [("companies", "contoso"), ("people", "kenji")]), {"kenji": "kenji@contoso-pharma.com"})
    return ws
