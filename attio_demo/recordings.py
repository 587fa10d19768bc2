"""Call recordings and their transcripts (attio-api-2026.md §4).

A recording is stored as `{"api": <recording object>, "video_url", "segments"}`. List items are the
recording object alone; GET one adds `video_url` and `transcript` (`{"segments", "raw_transcript"}`, or
null without one). A created recording is "processing" until `DemoSettings.recording_processing_seconds`
have passed, then "completed". Output speakers carry only their name.
"""
from __future__ import annotations

import uuid
from typing import Any

from .errors import body_error, invalid, not_found
from .store import Workspace
from .values import now_ts

MAX_SEGMENTS = 4000
TRANSCRIPT_PAGE = 100  # segments per page of the deprecated transcript endpoint


def recording_api(ws: Workspace, mid: str, rid: str, status: str, actor: dict[str, Any], at: str) -> dict[str, Any]:
    """A recording object in Attio's shape."""
    return {"id": {"workspace_id": ws.id, "meeting_id": mid, "call_recording_id": rid}, "status": status,
            "web_url": f"https://app.attio.com/{ws.slug}/calls/{mid}/{rid}", "created_by_actor": actor,
            "created_at": at}


def stamp(seconds: float) -> str:
    """`mm:ss` from the start of the recording."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def raw_transcript(segments: list[dict[str, Any]]) -> str:
    """`[mm:ss] Speaker: text` lines, consecutive segments of one speaker merged into one line."""
    lines: list[tuple[float, str, list[str]]] = []
    for seg in segments:
        name = seg["speaker"]["name"]
        if lines and lines[-1][1] == name:
            lines[-1][2].append(seg["speech"])
        else:
            lines.append((seg["start_time"], name, [seg["speech"]]))
    return "\n".join(f"[{stamp(t)}] {name}: {' '.join(words)}" for t, name, words in lines)


def detail(stored: dict[str, Any]) -> dict[str, Any]:
    """GET one: the recording with `video_url` and `transcript`."""
    segments = stored["segments"]
    transcript = {"segments": segments, "raw_transcript": raw_transcript(segments)} if segments else None
    return {**stored["api"], "video_url": stored["video_url"], "transcript": transcript}


def find(ws: Workspace, mid: str, rid: str, message: str) -> dict[str, Any]:
    """A meeting's stored recording, else 404 with `message` (its wording differs by endpoint)."""
    stored = ws.recordings.get(rid)
    if stored is None or stored["api"]["id"]["meeting_id"] != mid:
        raise not_found(message)
    return stored


def of_meeting(ws: Workspace, mid: str) -> list[dict[str, Any]]:
    """A meeting's recordings (list items), oldest first."""
    found = [r["api"] for r in list(ws.recordings.values()) if r["api"]["id"]["meeting_id"] == mid]
    return sorted(found, key=lambda r: (r["created_at"], r["id"]["call_recording_id"]))


def _segments(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_SEGMENTS:
        raise body_error(f'"data.transcript" must be an array of at most {MAX_SEGMENTS} segments.')
    out = []
    for n, seg in enumerate(raw):
        speaker = seg.get("speaker") if isinstance(seg, dict) else None
        ok = (isinstance(seg, dict) and isinstance(seg.get("speech"), str) and isinstance(speaker, dict)
              and isinstance(speaker.get("name"), str) and all(
                  isinstance(seg.get(k), (int, float)) and not isinstance(seg.get(k), bool)
                  for k in ("start_time", "end_time")))
        if not ok or seg["start_time"] < 0:
            raise body_error(f'"data.transcript[{n}]" needs speech, start_time (≥ 0), end_time and '
                             'speaker {"name"}.')
        out.append({"speech": seg["speech"], "start_time": seg["start_time"], "end_time": seg["end_time"],
                    "speaker": {"name": speaker["name"]}})
    return out


def create(ws: Workspace, mid: str, body: Any, actor: dict[str, Any], processing: float) -> dict[str, Any]:
    """POST /v2/meetings/{id}/call_recordings: "processing" first, "completed" a moment later."""
    if mid not in ws.meetings:
        raise not_found("The referenced meeting was not found.")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not set(data) <= {"video_url", "transcript"}:
        raise body_error('expected {"data": {"transcript": [...], "video_url": "https://…/x.mp4"}}.')
    url = data.get("video_url")
    if url is not None:
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise invalid("Invalid video URL protocol. Only https is supported")
        if not url.lower().split("?", 1)[0].endswith(".mp4"):
            raise invalid("The video URL must point to an .mp4 file.")
    segments = _segments(data["transcript"]) if "transcript" in data else []
    rid = str(uuid.uuid4())
    api = recording_api(ws, mid, rid, "processing", actor, now_ts())
    with ws.lock:
        # Only Attio's own call recorder keeps a downloadable video: API-created recordings show null.
        ws.recordings[rid] = {"api": api, "video_url": None, "segments": segments}

    def complete() -> None:
        stored = ws.recordings.get(rid)
        if stored is not None:
            ws.recordings[rid] = {**stored, "api": {**stored["api"], "status": "completed"}}
    ws.later(processing, complete)
    return ws.recordings[rid]["api"]
