"""`/v2/meetings` and their call recordings and transcripts (attio-api-2026.md §3, §4)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from . import meetings, recordings
from .errors import camel_400, invalid, not_found
from .pagination import decode_cursor, encode_cursor, paginate
from .recordings import TRANSCRIPT_PAGE
from .web import json_response, ok, read_json

bp = Blueprint("demo_meetings", __name__)


def _meeting(mid: str) -> dict[str, Any]:
    m = g.ws.meetings.get(mid)
    if m is None:
        raise not_found(f'Meeting with ID "{mid}" was not found.')
    return m


@bp.get("/meetings")
def list_meetings() -> Response:
    """Meetings by linked record, participants and time window; cursor pages (limit 1–200, default 50)."""
    return json_response(paginate(meetings.list_meetings(g.ws, request.args), 50, 200))


@bp.post("/meetings")
@camel_400
def create_meeting() -> Response:
    """Create a meeting (never de-duplicated); its 400s say `statusCode`, as Attio's spec declares."""
    return ok(meetings.create_meeting(g.ws, read_json(), g.actor, g.settings.auto_link_delay_seconds))


@bp.get("/meetings/<mid>")
def get_meeting(mid: str) -> Response:
    """One meeting."""
    return ok(_meeting(mid))


@bp.patch("/meetings/<mid>")
def append_links(mid: str) -> Response:
    """Link more records (already linked ones are ignored)."""
    _meeting(mid)
    return ok(meetings.relink(g.ws, mid, read_json(), overwrite=False))


@bp.put("/meetings/<mid>")
def replace_links(mid: str) -> Response:
    """Replace the linked records (`[]` unlinks all, auto-linked ones included)."""
    _meeting(mid)
    return ok(meetings.relink(g.ws, mid, read_json(), overwrite=True))


@bp.delete("/meetings/<mid>")
def delete_meeting(mid: str) -> Response:
    """Delete a meeting → `{}`; one made by calendar sync is refused."""
    _meeting(mid)
    if mid in g.ws.synced_meetings:
        raise invalid("Cannot delete a meeting which was created by calendar sync.", "system_edit_unauthorized")
    with g.ws.lock:
        g.ws.meetings.pop(mid, None)
        for rid in [r for r, rec in g.ws.recordings.items() if rec["api"]["id"]["meeting_id"] == mid]:
            g.ws.recordings.pop(rid, None)
    return json_response({})


# --- call recordings ---------------------------------------------------------------------
@bp.get("/meetings/<mid>/call_recordings")
def list_recordings(mid: str) -> Response:
    """A meeting's recordings, without video or transcript; cursor pages (limit 1–200, default 50)."""
    _meeting(mid)
    return json_response(paginate(recordings.of_meeting(g.ws, mid), 50, 200))


@bp.post("/meetings/<mid>/call_recordings")
def create_recording(mid: str) -> Response:
    """Add a recording with its transcript (rate limited to 1 a second)."""
    body = read_json()
    return ok(recordings.create(g.ws, mid, body, g.actor, g.settings.recording_processing_seconds))


@bp.get("/meetings/<mid>/call_recordings/<rid>")
def get_recording(mid: str, rid: str) -> Response:
    """One recording with `video_url` and its whole `transcript`."""
    stored = recordings.find(g.ws, mid, rid, f'Call recording with ID "{rid}" was not found.')
    return ok(recordings.detail(stored))


@bp.delete("/meetings/<mid>/call_recordings/<rid>")
def delete_recording(mid: str, rid: str) -> Response:
    """Delete a recording → 204 with an empty body."""
    recordings.find(g.ws, mid, rid, "The referenced call recording was not found.")
    with g.ws.lock:
        g.ws.recordings.pop(rid, None)
    return Response(status=204)


@bp.get("/meetings/<mid>/call_recordings/<rid>/transcript")
def get_transcript(mid: str, rid: str) -> Response:
    """Deprecated (workspace tokens only): the transcript's segments, a cursor page at a time."""
    stored = recordings.find(g.ws, mid, rid, f'Call recording with ID "{rid}" was not found.')
    cursor = request.args.get("cursor")
    offset = decode_cursor(cursor) if cursor else 0
    end = offset + TRANSCRIPT_PAGE
    segments, api = stored["segments"][offset:end], stored["api"]
    return json_response({
        "data": {"id": api["id"], "transcript": segments, "raw_transcript": recordings.raw_transcript(segments),
                 "web_url": f"{api['web_url']}/transcript"},
        "pagination": {"next_cursor": encode_cursor(end) if end < len(stored["segments"]) else None}})
