"""Seeds meetings, call recordings with transcripts, emails, files and saved views, linked to the seeded records.

Deterministic like the rest of the seed: ids are uuid5 of (workspace, kind, key); timestamps come from the
seeder's clock, called after every other seeded item, so adding these changed none of the earlier ones.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .meetings import fmt_local, parse_instant, zone
from .recordings import recording_api
from .schema import uid
from .seed_data import PEOPLE
from .seed_engagement_data import (DEEP_DIVE_SEGMENTS, DEEP_DIVE_SPEAKERS, DEEP_DIVE_TOPICS, EMAILS, FILES,
                                   MEETINGS, RECORDINGS, SCRIPTS, VIEWS)
from .values import coerce_timestamp
from .views import add_view

if TYPE_CHECKING:  # seed.py calls this module with its seeder
    from .seed import Seeder

SYSTEM = {"type": "system", "id": None}


def _participant(s: Seeder, who: tuple, emails: dict[str, str]) -> dict[str, Any]:
    if who[0] == "name":
        _, name, organizer, status = who
        return {"status": status, "is_organizer": organizer, "email_address": None, "name": name}
    key, organizer, status = who
    email = s.members[key]["email_address"] if key in s.members else emails[key]
    return {"status": status, "is_organizer": organizer, "email_address": email.lower(), "name": None}


def _time(raw: str, tz_name: str | None) -> dict[str, Any]:
    if tz_name is None:
        return {"date": raw}
    return {"datetime": fmt_local(parse_instant(raw, zone(tz_name)), zone(tz_name)), "timezone": tz_name}


def deep_dive_transcript() -> list[dict[str, Any]]:
    """The long transcript: segments of about 20 s, speakers taking turns, topics coming round again."""
    segments, t = [], 3.0
    for n in range(DEEP_DIVE_SEGMENTS):
        speaker = DEEP_DIVE_SPEAKERS[n % 3] if n % 7 else DEEP_DIVE_SPEAKERS[0]
        topic = DEEP_DIVE_TOPICS[(n // 3) % len(DEEP_DIVE_TOPICS)]
        site = n // 12 + 1
        speech = {0: f"Let's talk about {topic}; site {site} is a good example.",
                  1: f"For site {site}, {topic} is where we lose the most time.",
                  2: f"We'd want the pilot to show {topic} at site {site} within a month."}[n % 3]
        segments.append({"speech": speech, "start_time": round(t, 2), "end_time": round(t + 18.4, 2),
                         "speaker": {"name": speaker}})
        t += 20.0
    return segments


def _script(key: str) -> list[dict[str, Any]]:
    out, t = [], 1.5
    for speaker, speech in SCRIPTS[key]:
        out.append({"speech": speech, "start_time": round(t, 2), "end_time": round(t + 5.2, 2),
                    "speaker": {"name": speaker}})
        t += 6.0
    return out


def add_meeting(s: Seeder, key: str, spec: tuple, emails: dict[str, str]) -> str:
    """Add one meeting from a `MEETINGS`-shaped row; returns its id."""
    ws = s.ws
    title, desc, start, end, tz_name, synced, who, links = spec
    mid = uid(ws.id, "meeting", key)
    organizer = next(w[0] for w in who if w[1] is True)
    ws.meetings[mid] = {
        "id": {"workspace_id": ws.id, "meeting_id": mid}, "title": title, "description": desc,
        "is_all_day": tz_name is None, "start": _time(start, tz_name), "end": _time(end, tz_name),
        "participants": [_participant(s, w, emails) for w in who],
        "linked_records": [{"object_slug": o, "object_id": ws.objects[o].id, "record_id": s.rid(o, k)}
                           for o, k in links],
        "created_at": s.at(), "created_by_actor": SYSTEM if synced else s.actor(organizer)}
    if synced:
        ws.synced_meetings.add(mid)
    return mid


def seed_meetings(s: Seeder) -> None:
    """The meetings and their call recordings."""
    ws = s.ws
    emails = {k: p[2] for k, p in PEOPLE.items()}
    for key, spec in MEETINGS.items():
        mid = add_meeting(s, key, spec, emails)
        organizer = next(w[0] for w in spec[6] if w[1] is True)
        for rkey, status, video, script in RECORDINGS.get(key, []):
            rid = uid(ws.id, "call_recording", rkey)
            segments = [] if script is None else deep_dive_transcript() if script == "brightwave" else _script(script)
            video_url = f"https://recordings.demo-attio.example/{mid}/{rid}.mp4" if video else None
            ws.recordings[rid] = {"api": recording_api(ws, mid, rid, status, SYSTEM if video else s.actor(organizer),
                                                       s.at()),
                                  "video_url": video_url, "segments": segments}


def seed_emails(s: Seeder) -> None:
    """Email metadata (the workspace has the emails alpha)."""
    ws = s.ws
    for n, (sent, direction, member, subject, people) in enumerate(EMAILS):
        ws.emails.append({
            "id": {"workspace_id": ws.id, "mailbox_id": uid(ws.id, "mailbox", member),
                   "email_id": uid(ws.id, "email", str(n))},
            "sent_at": coerce_timestamp(sent), "direction": direction, "subject_line": subject,
            "participants": [{"role": role, "email_address": addr, "email_domain": addr.rsplit("@", 1)[1],
                              "name": name} for role, addr, name in people]})


def seed_files(s: Seeder) -> None:
    """Folders, Attio-stored files (text and binary) and connected entries on two records."""
    ws = s.ws
    for key, obj, record, parent, kind, name, ctype, content in FILES:
        fid = uid(ws.id, "file", key)
        file_type, _, provider = kind.partition(":")
        entry: dict[str, Any] = {
            "id": {"workspace_id": ws.id, "file_id": fid}, "object_id": ws.objects[obj].id, "object_slug": obj,
            "record_id": s.rid(obj, record), "storage_provider": provider or "attio",
            "created_by_actor": s.actor("maya"), "created_at": s.at(), "file_type": file_type}
        if provider:
            entry |= {"external_provider_file_id": name, "microsoft_drive_id": None}
        else:
            entry |= {"name": name, "parent_folder_id": uid(ws.id, "file", parent) if parent else None}
        if file_type == "file":
            entry |= {"content_type": ctype, "content_size": len(content)}
            ws.file_contents[fid] = content
        ws.files[fid] = entry


def seed_views(s: Seeder) -> None:
    """Saved views of objects and of the sales pipeline."""
    ws = s.ws
    for key, target, title, flt, sorts, archived in VIEWS:
        container = ws.objects.get(target) or ws.lists[target]
        add_view(ws, container, uid(ws.id, "view", key), title, s.at(), flt, sorts, archived)


def seed_engagement(s: Seeder) -> None:
    """Everything of this module, for "Demo Sales Co"."""
    seed_meetings(s)
    seed_emails(s)
    seed_files(s)
    seed_views(s)
