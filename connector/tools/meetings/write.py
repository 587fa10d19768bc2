"""`create_meeting` (after looking for the same meeting: Attio no longer de-duplicates), `link_meeting_records`
and `unlink_meeting_records`. Every write is read back and what Attio did not store as sent is reported."""
from __future__ import annotations

import difflib
from datetime import datetime, timedelta, timezone
from typing import Any

from marshmallow import Schema, fields, validate

from ...attio.errors import AttioAuthError, AttioNotFound
from ...mcp.context import ToolContext
from ...mcp.registry import Registry, Tool, ToolError, ToolResult
from ..common import IDEMPOTENT_WRITE, WRITE, WRITE_SCOPE, check_uuid, no_such, object_schema, result
from ..readback import DIFFERENCES, described, difference, differences_text, field_difference, set_differences
from ..records.view import RecordLabels, load_id
from .read import page_of_meetings
from .times import start_and_end
from .view import MEETING_IDS, MEETING_SCHEMA, load, meeting, meeting_text, parse_moment

SAME_START = timedelta(minutes=5)  # a meeting starting this close, with the same title and organizer, is the same
SAME_TITLE = 0.85  # difflib ratio of the folded titles
_RECORDS = {"description": "Records as search returns their ids, e.g. [\"companies:<uuid>\"]."}

WRITE_OUTPUT = object_schema({
    "meeting": MEETING_SCHEMA, "created": {"type": "boolean"},
    "duplicate_check": {"type": "string", "description": "\"no match\", \"matched\" (an existing meeting was "
                                                          "returned, nothing created) or why it was skipped."},
    "differences": DIFFERENCES}, ["meeting", "created", "duplicate_check", "differences"])
LINK_OUTPUT = object_schema({"meeting": MEETING_SCHEMA, "differences": DIFFERENCES}, ["meeting", "differences"])


class ParticipantArgs(Schema):
    """One participant of a new meeting."""

    email = fields.String(load_default=None, allow_none=True, validate=validate.Email(), metadata={
        "description": "Their email address (Attio links or creates the person and company)."})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "Their name; needed when there is no email."})
    is_organizer = fields.Boolean(load_default=False, metadata={"description": "True for the organizer."})
    status = fields.String(load_default="accepted", validate=validate.OneOf(
        ["accepted", "tentative", "declined", "pending"]), metadata={"description": "Their response (default "
                                                                                  "accepted)."})


class CreateMeetingArgs(Schema):
    """Arguments of `create_meeting`."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                          metadata={"description": "The meeting's title, e.g. \"Renewal call\"."})
    start = fields.String(required=True, validate=validate.Length(min=10, max=50), metadata={
        "description": "A date (\"2026-12-01\": an all-day meeting) or an ISO 8601 date-time."})
    end = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=10, max=50), metadata={
        "description": "When it ends (exclusive: an all-day meeting on 1 Dec ends on 2 Dec). Default: 30 minutes "
                       "after start, or the next day for an all-day meeting."})
    timezone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "IANA time zone for date-times without an offset, e.g. \"Europe/Berlin\" (default UTC)."})
    participants = fields.List(fields.Nested(ParticipantArgs), required=True,
                               validate=validate.Length(min=1, max=500), metadata={
                                   "description": "Who takes part: [{\"email\", \"name\", \"is_organizer\", "
                                                  "\"status\"}], at least one."})
    description = fields.String(load_default="", validate=validate.Length(max=10_000),
                                metadata={"description": "What the meeting is about (default empty)."})
    record_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_RECORDS),
                             load_default=list, validate=validate.Length(max=50), metadata=_RECORDS)
    allow_duplicate = fields.Boolean(load_default=False, metadata={
        "description": "Create even when a meeting with the same title, start and organizer exists (default: "
                       "return that one)."})


class LinkArgs(Schema):
    """Arguments of `link_meeting_records` and `unlink_meeting_records`."""

    meeting_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                               metadata={"description": "The meeting's id, as list_meetings returns it (a UUID)."})
    record_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200), metadata=_RECORDS),
                             required=True, validate=validate.Length(min=1, max=50), metadata=_RECORDS)


# -- create ---------------------------------------------------------------------------------------

def _organizer(participants: list[dict[str, Any]]) -> str | None:
    return next((p["email"].lower() for p in participants if p["is_organizer"] and p["email"]), None)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_meeting(m: dict[str, Any], title: str, at: datetime, organizer: str | None) -> bool:
    """Attio's advice for syncing meetings: the same title, start and organizer mean the same meeting."""
    start = parse_moment(m["start"])
    if start is None:
        return False
    start = start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start
    if abs(start - at) > SAME_START:
        return False
    if difflib.SequenceMatcher(None, _fold(m["title"]), _fold(title)).ratio() < SAME_TITLE:
        return False
    theirs = _organizer(m["participants"])
    return organizer is None or theirs is None or theirs == organizer


def _existing(ctx: ToolContext, args: dict[str, Any], at: datetime, labels: RecordLabels
              ) -> tuple[dict[str, Any] | None, str]:
    """The meeting this one would duplicate, and what the check found."""
    try:
        window = {"ends_from": (at - SAME_START).strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
                  "starts_before": (at + SAME_START).strftime("%Y-%m-%dT%H:%M:%S.000000000Z"), "sort": "start_asc"}
        items, _ = page_of_meetings(ctx, None, 50, **window)
    except AttioAuthError as exc:  # a member-level token cannot list meetings: the check cannot be made
        return None, f"skipped: {exc.tool_message()}"
    organizer = _organizer(args["participants"])
    for raw in items:
        m = meeting(ctx, raw, labels)
        if _same_meeting(m, args["title"], at, organizer):
            return m, "matched"
    return None, "no match"


def _participants(given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in given:
        if not p["email"] and not p["name"]:
            raise ToolError("Each participant needs an email or a name, e.g. {\"email\": \"ana@acme.com\"}.")
        item = {"is_organizer": p["is_organizer"], "status": p["status"]}
        item.update({k: v for k, v in (("email_address", p["email"]), ("name", p["name"])) if v})
        out.append(item)
    return out


def _links(ctx: ToolContext, ids: list[str], labels: RecordLabels) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for raw in ids:
        obj, rid, record = load_id(ctx, raw)
        labels.add(obj, rid, record)
        link = {"object": obj, "record_id": rid}
        if link not in out:
            out.append(link)
    return out


def _created_differences(args: dict[str, Any], sent: dict[str, Any], m: dict[str, Any]) -> list[dict[str, Any]]:
    diffs = field_difference("title", args["title"], m["title"])
    diffs += field_difference("description", args["description"], m["description"])
    for side in ("start", "end"):
        wanted, got = parse_moment(sent[side].get("date") or sent[side]["datetime"]), parse_moment(m[side])
        if wanted is not None and got is not None and (wanted.tzinfo is None) == (got.tzinfo is None) \
                and wanted != got:
            diffs.append(difference(side, sent[side].get("date") or sent[side]["datetime"], m[side], "changed"))
    emails = {p["email_address"].lower(): p["email_address"] for p in sent["participants"] if p.get("email_address")}
    stored = {(p["email"] or "").lower() for p in m["participants"]}
    diffs += [difference("participants", e, None, "dropped") for key, e in emails.items() if key not in stored]
    linked = {r["id"] for r in m["records"]}
    diffs += [difference("record_ids", f"{r['object']}:{r['record_id']}", None, "dropped")
              for r in sent.get("linked_records") or [] if f"{r['object']}:{r['record_id']}" not in linked]
    return diffs


def create_meeting(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Look for the same meeting first (Attio creates a new one on every call), then create it."""
    labels = RecordLabels(ctx)
    start, end, at, all_day = start_and_end(args)
    data = {"title": args["title"], "description": args["description"], "start": start, "end": end,
            "is_all_day": all_day, "participants": _participants(args["participants"])}
    if args["record_ids"]:
        data["linked_records"] = _links(ctx, args["record_ids"], labels)
    found, check = (None, "skipped: allow_duplicate") if args["allow_duplicate"] else _existing(ctx, args, at, labels)
    if found is not None:
        text = ("Not created: this meeting exists already (same title, start and organizer); pass allow_duplicate "
                f"true to create another.\n{meeting_text(found)}")
        return result(ctx, {"meeting": found, "created": False, "duplicate_check": check, "differences": []}, text)
    created = ctx.attio.create_meeting(data["title"], data["description"], start, end, is_all_day=all_day,
                                       participants=data["participants"], linked_records=data.get("linked_records"))
    try:
        stored = ctx.attio.get_meeting((created.get("id") or {}).get("meeting_id", ""))
    except AttioNotFound:
        stored = created
    m = meeting(ctx, stored, labels)
    diffs = _created_differences(args, data, m)
    said = differences_text(diffs)
    head = "Created." + ("" if check in ("no match", "skipped: allow_duplicate") else f" (Duplicate check {check})")
    return result(ctx, {"meeting": m, "created": True, "duplicate_check": check, "differences": diffs},
                  f"{head}\n{meeting_text(m)}" + (f"\n{said}" if said else ""))


# -- link / unlink ---------------------------------------------------------------------------------

def _relinked(ctx: ToolContext, mid: str, answer: dict[str, Any], labels: RecordLabels, head: str,
              wanted: set[str], unwanted: set[str]) -> ToolResult:
    try:
        answer = ctx.attio.get_meeting(mid)
    except AttioNotFound:
        pass
    m = meeting(ctx, answer, labels)
    linked = {r["id"] for r in m["records"]}
    diffs = set_differences("record_ids", {i: i for i in wanted if i not in linked}, {})
    diffs += [difference("record_ids", None, i, "kept") for i in sorted(unwanted & linked)]
    said = differences_text(diffs)
    return result(ctx, {"meeting": m, "differences": diffs},
                  f"{head}\n{meeting_text(m)}" + (f"\n{said}" if said else ""))


def link_meeting_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Link records to a meeting (Attio's PATCH appends)."""
    mid, labels = check_uuid(args["meeting_id"], "meeting_id"), RecordLabels(ctx)
    links = _links(ctx, args["record_ids"], labels)
    try:
        answer = ctx.attio.link_meeting_records(mid, links)
    except AttioNotFound:
        raise no_such("meeting", mid, MEETING_IDS) from None
    wanted = {f"{r['object']}:{r['record_id']}" for r in links}
    return _relinked(ctx, mid, answer, labels, "Linked.", wanted, set())


def unlink_meeting_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Unlink records: Attio only replaces the whole set (PUT), so the meeting is read and the rest kept."""
    labels = RecordLabels(ctx)
    current = load(ctx, args["meeting_id"])
    mid = current["id"]["meeting_id"]
    gone = set()
    for raw in args["record_ids"]:
        obj, rid = raw.split(":", 1) if ":" in raw else ("", raw)
        gone.add(f"{obj}:{rid.lower()}")
    now = [r for r in current.get("linked_records") or []]
    keep = [{"object": r.get("object_slug"), "record_id": r.get("record_id")} for r in now
            if f"{r.get('object_slug')}:{r.get('record_id')}" not in gone]
    if len(keep) == len(now):
        shown = ", ".join(f"{r.get('object_slug')}:{r.get('record_id')}" for r in now) or "none"
        raise ToolError(f"None of these records is linked to meeting {mid}; its linked records: {shown}.")
    try:
        answer = ctx.attio.replace_meeting_records(mid, keep)
    except AttioNotFound:
        raise no_such("meeting", mid, MEETING_IDS) from None
    head = ("Unlinked. (Attio links the participants' companies on its own and may link them again later.)")
    return _relinked(ctx, mid, answer, labels, head, set(), gone)


def register(registry: Registry) -> None:
    """Add `create_meeting`, `link_meeting_records` and `unlink_meeting_records`."""
    registry.add_tool(Tool(
        name="create_meeting", title="Create Attio meeting", handler=create_meeting, args=CreateMeetingArgs,
        output_schema=WRITE_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described(
            "Record a meeting in Attio with its participants (emails link or create people and companies) and the "
            "records it is about. Attio creates a new meeting on every call, so this first looks for one with the "
            "same title, start and organizer and returns it instead (created false; allow_duplicate true creates "
            "anyway). A date start makes an all-day meeting. Returns {\"meeting\",\"created\",\"duplicate_check\"}. "
            "Example: {\"title\": \"Renewal call\", \"start\": \"2026-12-01T15:00:00Z\", \"participants\": "
            "[{\"email\": \"maya.chen@demo-sales.example\", \"is_organizer\": true}], \"record_ids\": "
            "[\"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\"]}.")))
    registry.add_tool(Tool(
        name="link_meeting_records", title="Link records to a meeting", handler=link_meeting_records,
        args=LinkArgs, output_schema=LINK_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described(
            "Link records (people, companies, deals, …) to an Attio meeting; records linked already stay linked. "
            "Returns the meeting as stored. Example: {\"meeting_id\": \"cb59ab17-ad15-460c-a126-0715617c0853\", "
            "\"record_ids\": [\"deals:90f061f2-6efc-57e3-9798-04e0024625eb\"]}.")))
    registry.add_tool(Tool(
        name="unlink_meeting_records", title="Unlink records from a meeting", handler=unlink_meeting_records,
        args=LinkArgs, output_schema=LINK_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described(
            "Unlink records from an Attio meeting; the other links stay and the records themselves are not "
            "changed. Attio may link the participants' companies again on its own. Returns the meeting as stored. "
            "Example: {\"meeting_id\": \"cb59ab17-ad15-460c-a126-0715617c0853\", \"record_ids\": "
            "[\"deals:90f061f2-6efc-57e3-9798-04e0024625eb\"]}.")))
