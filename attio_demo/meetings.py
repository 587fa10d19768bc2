"""Meetings (attio-api-2026.md §3): building them from a create body, linking records, listing with filters.

A meeting is stored in its API shape. Times keep what the caller meant: a `{"date"}` for all-day meetings
(the end date exclusive), else a `{"datetime", "timezone"}` rendered with the meeting's offset (UTC when it
has no time zone). Creating one always makes a new meeting (Attio no longer de-duplicates), creates people
and companies for participants' addresses, links the people at once and their companies a moment later
(`DemoSettings.auto_link_delay_seconds`), as Attio does asynchronously.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import body_error, invalid
from .records import create_record
from .store import SYSTEM, Workspace
from .values import now_ts

STATUSES = ("accepted", "tentative", "declined", "pending")
MAX_LINKS, MAX_PARTICIPANTS = 50, 500
CREATE_FIELDS = {"title", "description", "start", "end", "is_all_day", "participants", "linked_records"}
NO_RECORD = ("Could not find record for values passed to the linked_records field. Please ensure that all values "
             "you are trying to set have a corresponding record that already exists in Attio.")


def zone(name: Any) -> ZoneInfo | None:
    """The IANA time zone of that name, or None (Attio falls back to UTC for an invalid one)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def fmt_local(dt: datetime, tz: ZoneInfo | None) -> str:
    """A meeting datetime as Attio returns it: milliseconds and the meeting's offset, or `Z` in UTC."""
    local = dt.astimezone(tz or timezone.utc)
    text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    return text + ("Z" if tz is None else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])


def parse_instant(raw: Any, tz: ZoneInfo | None = None) -> datetime:
    """An ISO 8601 datetime; one without an offset is read in `tz` (UTC when None)."""
    if not isinstance(raw, str):
        raise ValueError("not a string")
    dt = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    return dt if dt.tzinfo else dt.replace(tzinfo=tz or timezone.utc)


def _time_in(raw: Any, all_day: bool, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise body_error(f'"data.{what}" must be an object.')
    if all_day:
        if set(raw) != {"date"} or not isinstance(raw["date"], str):
            raise invalid(f'"data.{what}" must be {{"date": "YYYY-MM-DD"}} when "is_all_day" is true.')
        try:
            return {"date": date.fromisoformat(raw["date"]).isoformat()}
        except ValueError:
            raise invalid(f'"data.{what}.date" is not a valid date.') from None
    if "datetime" not in raw or not set(raw) <= {"datetime", "timezone"}:
        raise invalid(f'"data.{what}" must be {{"datetime": …, "timezone": …}} when "is_all_day" is false.')
    tz = zone(raw.get("timezone"))
    try:
        instant = parse_instant(raw["datetime"], tz)
    except ValueError:
        raise invalid(f'"data.{what}.datetime" is not a valid ISO 8601 datetime.') from None
    return {"datetime": fmt_local(instant, tz), "timezone": raw["timezone"] if tz else None}


def bounds(meeting: dict[str, Any], tz: ZoneInfo | None) -> tuple[datetime, datetime]:
    """The meeting's start and (exclusive) end as instants; all-day dates are read in `tz`."""
    def one(t: dict[str, Any]) -> datetime:
        if "date" in t:
            return datetime.combine(date.fromisoformat(t["date"]), time(), tz or timezone.utc)
        return parse_instant(t["datetime"])
    return one(meeting["start"]), one(meeting["end"])


def linked_records_in(ws: Workspace, items: Any) -> list[dict[str, str]]:
    """`[{"object", "record_id"}]` → the meeting's `linked_records`; 400 `value_not_found` for a missing record."""
    if not isinstance(items, list) or len(items) > MAX_LINKS or not all(
            isinstance(i, dict) and set(i) == {"object", "record_id"} for i in items):
        raise body_error(f'"data.linked_records" must be an array of at most {MAX_LINKS} '
                         '{"object", "record_id"} objects.')
    out: list[dict[str, str]] = []
    for item in items:
        obj = ws.objects_by_key.get(item["object"]) if isinstance(item["object"], str) else None
        if obj is None or not isinstance(item["record_id"], str) or item["record_id"] not in obj.records:
            raise invalid(NO_RECORD, "value_not_found")
        link = {"object_slug": obj.api_slug, "object_id": obj.id, "record_id": item["record_id"]}
        if link not in out:
            out.append(link)
    return out


def _participants(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise invalid("No participants were provided.")
    if len(raw) > MAX_PARTICIPANTS:
        raise invalid(f"A meeting can have at most {MAX_PARTICIPANTS} participants.")
    out = []
    for n, p in enumerate(raw):
        where = f'"data.participants[{n}]"'
        if not isinstance(p, dict) or not set(p) <= {"email_address", "is_organizer", "status", "name"}:
            raise body_error(f"{where} must be an object with is_organizer, status and email_address or name.")
        organizer = p.get("is_organizer")
        if organizer in ("true", "false"):
            organizer = organizer == "true"
        if not isinstance(organizer, bool) or p.get("status") not in STATUSES:
            raise body_error(f'{where} needs "is_organizer" (a boolean) and "status" ({", ".join(STATUSES)}).')
        email, name = p.get("email_address"), p.get("name")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise body_error(f'{where}.email_address is not an email address.')
        if name is not None and (not isinstance(name, str) or not name):
            raise body_error(f'{where}.name must be a non-empty string.')
        if email is None and name is None:
            raise body_error(f'{where} needs "email_address" or, without one, "name".')
        out.append({"status": p["status"], "is_organizer": organizer,
                    "email_address": email.strip().lower() if email else None, "name": name})
    return out


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    v = data.get(key)
    if not isinstance(v, str):
        raise body_error(f'"data.{key}" is required and must be a string.')
    if len(v) > limit:
        raise body_error(f'"data.{key}" must be at most {limit} characters.')
    return v


def create_meeting(ws: Workspace, body: Any, actor: dict[str, Any], link_delay: float) -> dict[str, Any]:
    """POST /v2/meetings: always a new meeting."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise body_error('expected an object with a "data" object.')
    extra = sorted(set(data) - CREATE_FIELDS)
    if extra:
        raise body_error(f'unknown field "data.{extra[0]}".')
    participants = _participants(data.get("participants"))
    title, description = _text(data, "title", 1000), _text(data, "description", 10000)
    all_day = data.get("is_all_day")
    if not isinstance(all_day, bool):
        raise body_error('"data.is_all_day" is required and must be a boolean.')
    start, end = _time_in(data.get("start"), all_day, "start"), _time_in(data.get("end"), all_day, "end")
    meeting = {"id": {"workspace_id": ws.id, "meeting_id": str(uuid.uuid4())}, "title": title,
               "description": description, "is_all_day": all_day, "start": start, "end": end,
               "participants": participants, "linked_records": [], "created_at": now_ts(),
               "created_by_actor": actor}
    first, last = bounds(meeting, None)
    if last <= first:
        raise invalid('"data.end" must be after "data.start" (the end is exclusive).')
    links = linked_records_in(ws, data.get("linked_records", []))
    people = _people_of(ws, participants)
    meeting["linked_records"] = _merge_links(links, people)
    mid = meeting["id"]["meeting_id"]
    with ws.lock:
        ws.meetings[mid] = meeting
    companies = _companies_of(ws, people)
    if companies:
        ws.later(link_delay, lambda: _append_links(ws, mid, companies))
    return ws.meetings[mid]


def _people_of(ws: Workspace, participants: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The person records of participants' addresses (created when new), as links; members are not people."""
    people, own = ws.objects["people"], ws.own_domains()
    links = []
    for p in participants:
        email = p["email_address"]
        if not email or email.rsplit("@", 1)[1] in own:
            continue
        rec = next((r for r in list(people.records.values())
                    if any(e["email_address"] == email for e in r["values"]["email_addresses"])), None)
        if rec is None:
            rec = create_record(ws, people, {"data": {"values": {"email_addresses": [email]}}}, SYSTEM)
        links.append({"object_slug": "people", "object_id": people.id, "record_id": rec["id"]["record_id"]})
    return links


def _companies_of(ws: Workspace, people: list[dict[str, str]]) -> list[dict[str, str]]:
    people_obj, companies = ws.objects["people"], ws.objects["companies"]
    out = []
    for link in people:
        person = people_obj.records.get(link["record_id"])
        for ref in person["values"]["company"] if person else []:
            if ref["target_record_id"] in companies.records:
                out.append({"object_slug": "companies", "object_id": companies.id,
                            "record_id": ref["target_record_id"]})
    return _merge_links([], out)


def _merge_links(have: list[dict[str, str]], more: list[dict[str, str]]) -> list[dict[str, str]]:
    out = list(have)
    for link in more:
        if all(x["record_id"] != link["record_id"] for x in out):
            out.append(link)
    return out


def _append_links(ws: Workspace, mid: str, links: list[dict[str, str]]) -> None:
    meeting = ws.meetings.get(mid)
    if meeting is not None:
        ws.meetings[mid] = {**meeting, "linked_records": _merge_links(meeting["linked_records"], links)}


def relink(ws: Workspace, mid: str, body: Any, overwrite: bool) -> dict[str, Any]:
    """PATCH (append) or PUT (overwrite) a meeting's `linked_records`; nothing else can change."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or set(data) != {"linked_records"}:
        raise body_error('expected {"data": {"linked_records": [...]}} and nothing else.')
    links = linked_records_in(ws, data["linked_records"])
    with ws.lock:
        current = ws.meetings[mid]
        new = links if overwrite else _merge_links(current["linked_records"], links)
        ws.meetings[mid] = {**current, "linked_records": new}
    return ws.meetings[mid]


def _emails(raw: str) -> list[str]:
    return [e.strip().lower() for e in raw.split(",") if e.strip()]


def list_meetings(ws: Workspace, args: Any) -> list[dict[str, Any]]:
    """GET /v2/meetings without paging: filters (OR between linked record and participants, AND with the
    time window), then `start_asc` / `start_desc` with the meeting id as tie-break."""
    obj_key, rid = args.get("linked_object"), args.get("linked_record_id")
    if bool(obj_key) != bool(rid):
        raise invalid('"linked_object" and "linked_record_id" must be given together.')
    sort = args.get("sort") or "start_asc"
    if sort not in ("start_asc", "start_desc"):
        raise invalid('Query parameter "sort" must be "start_asc" or "start_desc".')
    tz = zone(args.get("timezone") or "UTC")
    window = []
    for name in ("ends_from", "starts_before"):
        raw = args.get(name)
        try:
            window.append(parse_instant(raw, tz) if raw else None)
        except ValueError:
            raise invalid(f'Query parameter "{name}" must be an ISO 8601 datetime.') from None
    ends_from, starts_before = window
    obj_id = ws.object_def(obj_key).id if obj_key else None
    wanted = set(_emails(args.get("participants") or ""))
    out = []
    for m in list(ws.meetings.values()):
        first, last = bounds(m, tz)
        if (ends_from and last < ends_from) or (starts_before and first >= starts_before):
            continue
        if obj_id or wanted:
            linked = obj_id is not None and any(link["object_id"] == obj_id and link["record_id"] == rid
                                                for link in m["linked_records"])
            if not linked and not any(p["email_address"] in wanted for p in m["participants"]):
                continue
        out.append((first, m["id"]["meeting_id"], m))
    out.sort(key=lambda t: (t[0], t[1]), reverse=sort == "start_desc")
    return [m for _, _, m in out]
