"""Call recordings of meetings and their transcripts: list, read (speaker by speaker, a readable piece at a time),
and search inside the transcripts of a record's meetings (reference §4)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolResult
from .activity import one_line
from .common import READ, READ_SCOPE, check_uuid, no_such, object_schema, result
from .meetings.read import page_of_meetings
from .meetings.view import load as load_meeting
from .meetings.view import shown
from .paging import NEXT_CURSOR, CursorPageArgs, collect, decode_cursor, encode_cursor
from .records.view import REF_SCHEMA, RecordLabels, load_id, ref_text

RECORDING_IDS = "list_call_recordings shows a meeting's recording ids."
SEARCH_MEETINGS, SEARCH_RECORDINGS, SEARCH_HITS = 10, 20, 50  # bounds of one transcript search
EXCERPT = 300

RECORDING_SCHEMA = object_schema({
    "id": {"type": "string"}, "meeting_id": {"type": "string"}, "status": {"type": "string"},
    "url": {"type": "string"}, "created_at": {"type": "string"}}, ["id", "meeting_id", "status", "url", "created_at"])
TURN_SCHEMA = object_schema({
    "speaker": {"type": "string"}, "start": {"type": "number", "description": "Seconds from the recording's start."},
    "end": {"type": "number"}, "text": {"type": "string"}}, ["speaker", "start", "end", "text"])
LIST_OUTPUT = object_schema({"meeting": {"type": "object"}, "recordings": {"type": "array", "items": RECORDING_SCHEMA},
                             "next_cursor": NEXT_CURSOR}, ["meeting", "recordings", "next_cursor"])
GET_OUTPUT = object_schema({
    "recording": RECORDING_SCHEMA,
    "transcript": object_schema({
        "available": {"type": "boolean"}, "speakers": {"type": "array", "items": {"type": "string"}},
        "turns": {"type": "array", "items": TURN_SCHEMA},
        "total_turns": {"type": "integer"}, "from_turn": {"type": "integer"},
        "next_cursor": {**NEXT_CURSOR, "description": "Pass as transcript_cursor for the next part."}},
        ["available", "speakers", "turns", "total_turns", "from_turn", "next_cursor"])},
    ["recording", "transcript"])
HIT_SCHEMA = object_schema({
    "meeting_id": {"type": "string"}, "meeting_title": {"type": "string"}, "meeting_start": {"type": "string"},
    "recording_id": {"type": "string"}, "at": {"type": "number"}, "speaker": {"type": "string"},
    "excerpt": {"type": "string"}},
    ["meeting_id", "meeting_title", "meeting_start", "recording_id", "at", "speaker", "excerpt"])
SEARCH_OUTPUT = object_schema({
    "record": REF_SCHEMA, "query": {"type": "string"}, "hits": {"type": "array", "items": HIT_SCHEMA},
    "meetings_searched": {"type": "integer"}, "recordings_searched": {"type": "integer"},
    "complete": {"type": "boolean", "description": "False when more meetings or recordings exist than were "
                                                   "searched (the most recent are searched first)."}},
    ["record", "query", "hits", "meetings_searched", "recordings_searched", "complete"])

_MEETING = {"description": "The meeting's id, as list_meetings returns it (a UUID)."}


class ListRecordingsArgs(CursorPageArgs):
    """Arguments of `list_call_recordings`."""

    meeting_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=_MEETING)


class GetRecordingArgs(Schema):
    """Arguments of `get_call_recording`."""

    meeting_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=_MEETING)
    recording_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The recording's id, as list_call_recordings returns it (a UUID)."})
    max_chars = fields.Integer(load_default=12_000, validate=validate.Range(min=1000, max=50_000), metadata={
        "description": "How much transcript text to return at once (1000-50000 characters, default 12000)."})
    transcript_cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                                      metadata={"description": "The transcript's next_cursor, for the next part."})


class SearchTranscriptsArgs(Schema):
    """Arguments of `search_call_transcripts`."""

    record_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The record whose meetings to search, as search returns it, e.g. \"companies:<uuid>\"."})
    query = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "Words to find (all of them, in one speaker's turn, any case), e.g. \"pricing discount\"."})
    max_meetings = fields.Integer(load_default=SEARCH_MEETINGS, validate=validate.Range(min=1, max=50), metadata={
        "description": "How many of the record's most recent meetings to search (1-50, default 10)."})


def recording(r: dict[str, Any]) -> dict[str, Any]:
    """A recording as the tools return it."""
    ids = r.get("id") or {}
    return {"id": ids.get("call_recording_id", ""), "meeting_id": ids.get("meeting_id", ""),
            "status": r.get("status") or "", "url": r.get("web_url") or "", "created_at": r.get("created_at") or ""}


def turns(transcript: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Attio's segments merged into speaker turns: consecutive segments of one speaker are one turn."""
    out: list[dict[str, Any]] = []
    for s in (transcript or {}).get("segments") or []:
        speaker = ((s.get("speaker") or {}).get("name") or "Unknown speaker").strip()
        speech = " ".join(str(s.get("speech") or "").split())
        start, end = float(s.get("start_time") or 0), float(s.get("end_time") or 0)
        if out and out[-1]["speaker"] == speaker:
            out[-1]["text"] = f"{out[-1]['text']} {speech}".strip()
            out[-1]["end"] = end
        else:
            out.append({"speaker": speaker, "start": start, "end": end, "text": speech})
    return out


def clock(seconds: float) -> str:
    """'[12:05]', or '[1:02:05]' past an hour."""
    s = int(seconds)
    return f"[{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}]" if s >= 3600 else f"[{s // 60:02d}:{s % 60:02d}]"


def turn_line(t: dict[str, Any]) -> str:
    """'[00:04] Tom Watson: I'm here.' — one line, so speech cannot pose as another speaker."""
    return f"{clock(t['start'])} {one_line(t['speaker'])}: {t['text']}"


def _recording(ctx: ToolContext, mid: str, rid: str) -> dict[str, Any]:
    try:
        return ctx.attio.get_call_recording(mid, rid)
    except AttioNotFound:
        load_meeting(ctx, mid)  # says so when the meeting is what is missing
        raise no_such("call recording", rid, RECORDING_IDS) from None


def list_call_recordings(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """A meeting's recordings; Attio's cursor pages."""
    m = load_meeting(ctx, args["meeting_id"])
    mid = m["id"]["meeting_id"]
    items, next_cursor = collect(lambda c, n: ctx.attio.list_call_recordings(mid, limit=n, cursor=c),
                                 args["cursor"], args["limit"])
    shown_recordings = [recording(r) for r in items]
    out = {"meeting": {"id": mid, "title": m.get("title") or ""}, "recordings": shown_recordings,
           "next_cursor": next_cursor}
    lines = [f"{len(shown_recordings)} recording(s) of \"{one_line(m.get('title') or '')}\" (meeting id {mid})"
             + (" (more: pass next_cursor)." if next_cursor else ".")]
    lines += [f"- recording id {r['id']} · {r['status']} · {r['created_at'][:16]} · {r['url']}"
              for r in shown_recordings]
    return result(ctx, out, "\n".join(lines))


def get_call_recording(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """One recording and a readable part of its transcript, with a cursor for the rest."""
    mid, rid = check_uuid(args["meeting_id"], "meeting_id"), check_uuid(args["recording_id"], "recording_id")
    raw = _recording(ctx, mid, rid)
    everything, start = turns(raw.get("transcript")), decode_cursor(args["transcript_cursor"])
    page, used = [], 0
    for t in everything[start:]:
        line = len(turn_line(t)) + 1
        if page and used + line > args["max_chars"]:
            break
        if line > args["max_chars"]:  # one turn longer than the budget: cut it
            t = {**t, "text": t["text"][:args["max_chars"] - 80] + " […turn cut]"}
        page.append(t)
        used += line
    after = start + len(page)
    transcript = {"available": raw.get("transcript") is not None,
                  "speakers": list(dict.fromkeys(t["speaker"] for t in everything)), "turns": page,
                  "total_turns": len(everything), "from_turn": start,
                  "next_cursor": encode_cursor(after) if after < len(everything) else None}
    rec = recording(raw)
    head = f"Recording {rec['id']} of meeting {mid} · {rec['status']} · {rec['url']}"
    if not transcript["available"]:
        body = "No transcript (Attio has none for this recording yet)."
    else:
        body = (f"Transcript turns {start + 1}-{after} of {len(everything)}; speakers: "
                f"{', '.join(one_line(s) for s in transcript['speakers']) or 'none'}"
                + (f" (more: pass transcript_cursor {transcript['next_cursor']!r})" if transcript["next_cursor"]
                   else "") + ":\n" + "\n".join(turn_line(t) for t in page))
    return result(ctx, {"recording": rec, "transcript": transcript}, f"{head}\n{body}")


def _excerpt(text: str, words: list[str]) -> str:
    at = max(0, text.casefold().find(words[0]) - EXCERPT // 3)
    cut = text[at:at + EXCERPT]
    return ("…" if at else "") + cut + ("…" if at + EXCERPT < len(text) else "")


def search_call_transcripts(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """The turns of a record's recent meetings' transcripts that contain every word of the query."""
    labels = RecordLabels(ctx)
    obj, rid, record = load_id(ctx, args["record_id"])
    ref = labels.add(obj, rid, record)
    words = args["query"].casefold().split()
    ctx.progress(0, None, "Listing the record's meetings")
    meetings, more = page_of_meetings(ctx, None, args["max_meetings"], linked_object=obj, linked_record_id=rid,
                                      sort="start_desc")
    hits, searched, complete = [], 0, more is None
    for i, m in enumerate(meetings):
        ctx.check_cancelled()
        mid = (m.get("id") or {}).get("meeting_id", "")
        ctx.progress(i, len(meetings), f"Searching \"{one_line(m.get('title') or '')[:60]}\"")
        recs, more_recs = ctx.attio.list_call_recordings(mid, limit=SEARCH_RECORDINGS, cursor=None)
        complete = complete and more_recs is None
        for r in recs:
            if searched >= SEARCH_RECORDINGS:
                complete = False
                break
            searched += 1
            crid = (r.get("id") or {}).get("call_recording_id", "")
            for t in turns(_recording(ctx, mid, crid).get("transcript")):
                if all(w in t["text"].casefold() for w in words) and len(hits) < SEARCH_HITS:
                    hits.append({"meeting_id": mid, "meeting_title": m.get("title") or "",
                                 "meeting_start": str((m.get("start") or {}).get("datetime")
                                                      or (m.get("start") or {}).get("date") or ""),
                                 "recording_id": crid, "at": t["start"], "speaker": t["speaker"],
                                 "excerpt": _excerpt(t["text"], words)})
    ctx.progress(len(meetings), len(meetings), "Done")
    out = {"record": ref, "query": args["query"], "hits": hits, "meetings_searched": len(meetings),
           "recordings_searched": searched, "complete": complete}
    lines = [f"{len(hits)} passage(s) matching {args['query']!r} in {searched} recording(s) of {len(meetings)} "
             f"meeting(s) linked to {ref_text(ref)}" + ("" if complete else " (older meetings or recordings were "
                                                                        "not searched)") + "."]
    for h in hits:
        lines.append(f"- {one_line(h['meeting_title'])} ({shown(h['meeting_start'])}), recording {h['recording_id']} "
                     f"{clock(h['at'])} {one_line(h['speaker'])}: {one_line(h['excerpt'])}")
    return result(ctx, out, "\n".join(lines))


def register(registry: Registry) -> None:
    """Add `list_call_recordings`, `get_call_recording` and `search_call_transcripts`."""
    registry.add_tool(Tool(
        name="list_call_recordings", title="List call recordings", handler=list_call_recordings,
        args=ListRecordingsArgs, output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the call recordings of one Attio meeting (meeting_id from list_meetings): id, status "
                     "(processing, completed, failed) and link. Read one with get_call_recording. Returns "
                     "{\"meeting\",\"recordings\":[{\"id\",\"status\",\"url\",\"created_at\"}],\"next_cursor\"}. "
                     "Example: {\"meeting_id\": \"cb59ab17-ad15-460c-a126-0715617c0853\"}.")))
    registry.add_tool(Tool(
        name="get_call_recording", title="Get a call recording and its transcript", handler=get_call_recording,
        args=GetRecordingArgs, output_schema=GET_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Read one call recording with its transcript, speaker by speaker ('[mm:ss] Name: words'), "
                     "up to max_chars characters at a time; a long transcript continues with transcript_cursor. "
                     "Returns {\"recording\",\"transcript\":{\"speakers\",\"turns\":[{\"speaker\",\"start\","
                     "\"end\",\"text\"}],\"total_turns\",\"next_cursor\"}}. Example: {\"meeting_id\": "
                     "\"cb59ab17-ad15-460c-a126-0715617c0853\", \"recording_id\": "
                     "\"e8f2a3b7-9b4d-4c5e-8a1f-3d7b2c5e8f9a\"}.")))
    registry.add_tool(Tool(
        name="search_call_transcripts", title="Search call transcripts", handler=search_call_transcripts,
        args=SearchTranscriptsArgs, output_schema=SEARCH_OUTPUT, annotations=READ, scope=READ_SCOPE,
        task_support="optional",
        description=("Find what was said about something in the call recordings of a record's meetings (a "
                     "company, person or deal): every speaker turn containing all the query's words, most recent "
                     "meetings first, with meeting, recording, time and speaker. Listing a record's meetings needs "
                     "a workspace-level token. Returns {\"hits\":[{\"meeting_id\",\"meeting_title\","
                     "\"recording_id\",\"at\",\"speaker\",\"excerpt\"}],\"complete\"}. Example: {\"record_id\": "
                     "\"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\", \"query\": \"pricing\"}.")))
