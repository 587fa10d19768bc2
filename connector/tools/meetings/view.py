"""How a meeting looks to the tools: its shape, its times, its participants and linked records, as text."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...attio.errors import AttioNotFound
from ...mcp.context import ToolContext
from ..activity import actor_name, indent, one_line
from ..common import check_uuid, no_such
from ..records.view import REF_SCHEMA, RecordLabels, ref_text

MEETING_IDS = "list_meetings shows meeting ids."
_FRACTION = re.compile(r"\.\d+")

PARTICIPANT_SCHEMA = {"type": "object", "properties": {
    "email": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
    "status": {"type": "string"}, "is_organizer": {"type": "boolean"}},
    "required": ["email", "name", "status", "is_organizer"]}
MOMENT = {"type": "string", "description": "A date (all-day meetings) or an ISO 8601 date-time with its offset."}
MEETING_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
    "is_all_day": {"type": "boolean"}, "start": MOMENT, "end": MOMENT, "timezone": {"type": ["string", "null"]},
    "participants": {"type": "array", "items": PARTICIPANT_SCHEMA},
    "records": {"type": "array", "items": REF_SCHEMA}, "created_at": {"type": "string"},
    "created_by": {"type": "string"}},
    "required": ["id", "title", "description", "is_all_day", "start", "end", "timezone", "participants", "records",
                 "created_at", "created_by"]}


def moment(value: dict[str, Any] | None) -> str:
    """A meeting's start or end as Attio gives it: the date, or the date-time with its offset."""
    value = value or {}
    return str(value.get("date") or value.get("datetime") or "")


def parse_moment(text: str) -> datetime | None:
    """A meeting moment as a datetime (dates at midnight, naive), or None."""
    try:
        return datetime.fromisoformat(_FRACTION.sub("", text.replace("Z", "+00:00"), count=1))
    except ValueError:
        return None


def shown(text: str) -> str:
    """'2027-11-27 14:00 -04:00' or '2027-11-27' for reading."""
    at = parse_moment(text)
    if at is None or len(text) <= 10:
        return text
    offset = at.strftime("%z")
    offset = "UTC" if offset in ("", "+0000") else f"{offset[:3]}:{offset[3:]}"
    return at.strftime("%Y-%m-%d %H:%M ") + offset


def meeting(ctx: ToolContext, m: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    """An Attio meeting as the tools return it."""
    people = [{"email": p.get("email_address"), "name": p.get("name"), "status": p.get("status") or "",
               "is_organizer": str(p.get("is_organizer")).lower() == "true"} for p in m.get("participants") or []]
    records = [labels(r.get("object_slug") or "", r.get("record_id") or "") for r in m.get("linked_records") or []]
    return {"id": (m.get("id") or {}).get("meeting_id", ""), "title": m.get("title") or "",
            "description": m.get("description") or "", "is_all_day": bool(m.get("is_all_day")),
            "start": moment(m.get("start")), "end": moment(m.get("end")),
            "timezone": (m.get("start") or {}).get("timezone"), "participants": people, "records": records,
            "created_at": m.get("created_at") or "", "created_by": actor_name(ctx, m.get("created_by_actor"))}


def participant_text(p: dict[str, Any]) -> str:
    """'Simon Mitchell <person@company.com> (organizer, accepted)'."""
    who = " ".join(x for x in (one_line(p["name"] or ""), f"<{p['email']}>" if p["email"] else "") if x)
    flags = ", ".join(f for f in ("organizer" if p["is_organizer"] else "", p["status"]) if f)
    return f"{who} ({flags})" if flags else who


def meeting_text(m: dict[str, Any]) -> str:
    """A meeting as a few lines: title, when, who, what it is linked to, then its description indented."""
    when = f"{shown(m['start'])} → {shown(m['end'])}" + (" (all day)" if m["is_all_day"] else "")
    lines = [f"- {one_line(m['title']) or 'Untitled meeting'} · {when} · meeting id {m['id']}"]
    if m["participants"]:
        lines.append("  participants: " + "; ".join(participant_text(p) for p in m["participants"]))
    lines += [f"  linked: {ref_text(r)}" for r in m["records"]]
    if m["description"].strip():
        lines.append(indent(m["description"]))
    return "\n".join(lines)


def load(ctx: ToolContext, raw_id: str) -> dict[str, Any]:
    """One meeting from Attio, or the ToolError saying it does not exist."""
    mid = check_uuid(raw_id, "meeting_id")
    try:
        return ctx.attio.get_meeting(mid)
    except AttioNotFound:
        raise no_such("meeting", mid, MEETING_IDS) from None
