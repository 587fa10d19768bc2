"""Call recording tools through the official MCP SDK client against the demo Attio: a meeting's recordings, one
recording's transcript speaker by speaker and a page at a time, and a search inside a record's transcripts."""
from __future__ import annotations

from typing import Any

import pytest

from tests.tools.test_meetings import MEMBER_REFUSED, MISSING, error
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration



def meeting(server: Any, title: str) -> dict[str, Any]:
    meetings = ok(server, "list_meetings", {"limit": 50})["meetings"]
    return next(m for m in meetings if m["title"] == title)


def recordings(server: Any, title: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    m = meeting(server, title)
    return m, ok(server, "list_call_recordings", {"meeting_id": m["id"]})["recordings"]


def test_list_call_recordings(server):
    m, recs = recordings(server, "Kestrel Security renewal call")
    assert sorted(r["status"] for r in recs) == ["completed", "failed"]
    assert all(r["meeting_id"] == m["id"] and r["url"].startswith("https://app.attio.com/") for r in recs)
    first = ok(server, "list_call_recordings", {"meeting_id": m["id"], "limit": 1})
    assert len(first["recordings"]) == 1 and first["next_cursor"]
    second = ok(server, "list_call_recordings", {"meeting_id": m["id"], "limit": 1, "cursor": first["next_cursor"]})
    assert second["next_cursor"] is None and second["recordings"][0]["id"] != first["recordings"][0]["id"]
    _, none = recordings(server, "Orbital Robotics intro call")
    assert none == []
    assert error(server, "list_call_recordings", {"meeting_id": MISSING}) == (
        f"No meeting with id {MISSING} exists in this workspace (it may have been deleted). list_meetings shows "
        "meeting ids.")


def test_get_call_recording_speaker_by_speaker(server):
    m, recs = recordings(server, "Atlas Fintech MSA review")
    res = call(server, "get_call_recording", {"meeting_id": m["id"], "recording_id": recs[0]["id"]})
    assert not res.is_error, res.content[0].text
    t = res.structured_content["transcript"]
    assert t["available"] is True and t["speakers"] == ["Maya Chen", "Oliver Grant", "Hannah Osei"]
    assert t["total_turns"] == 8 and t["from_turn"] == 0 and t["next_cursor"] is None
    assert t["turns"][1] == {"speaker": "Oliver Grant", "start": 7.5, "end": 12.7, "text": (
        "Yes. Our main concern is the liability cap: we need it at twelve months of fees.")}
    assert "\n[00:07] Oliver Grant: Yes. Our main concern is the liability cap" in res.content[0].text
    failed = next(r for r in recordings(server, "Kestrel Security renewal call")[1] if r["status"] == "failed")
    out = ok(server, "get_call_recording", {"meeting_id": failed["meeting_id"], "recording_id": failed["id"]})
    assert out["transcript"]["available"] is False and out["transcript"]["turns"] == []


def test_a_long_transcript_comes_a_page_at_a_time(server):
    m, recs = recordings(server, "Brightwave Energy technical deep-dive")
    args = {"meeting_id": m["id"], "recording_id": recs[0]["id"], "max_chars": 2000}
    seen, cursor, pages = [], None, 0
    while True:
        out = ok(server, "get_call_recording", {**args, "transcript_cursor": cursor} if cursor else args)
        t = out["transcript"]
        assert t["from_turn"] == len(seen)
        assert sum(len(x["text"]) + 30 for x in t["turns"]) <= 2000 + 200
        seen += t["turns"]
        pages += 1
        cursor = t["next_cursor"]
        if cursor is None:
            break
    assert pages > 5 and len(seen) == t["total_turns"]
    assert [x["start"] for x in seen] == sorted(x["start"] for x in seen)
    assert error(server, "get_call_recording", {**args, "transcript_cursor": "x"}) == (
        "Invalid cursor: pass the next_cursor value of the previous page unchanged.")


def test_get_call_recording_errors(server):
    m, recs = recordings(server, "Atlas Fintech MSA review")
    assert error(server, "get_call_recording", {"meeting_id": m["id"], "recording_id": MISSING}) == (
        f"No call recording with id {MISSING} exists in this workspace (it may have been deleted). "
        "list_call_recordings shows a meeting's recording ids.")
    assert error(server, "get_call_recording", {"meeting_id": MISSING, "recording_id": recs[0]["id"]}) == (
        f"No meeting with id {MISSING} exists in this workspace (it may have been deleted). list_meetings shows "
        "meeting ids.")
    assert error(server, "get_call_recording", {"meeting_id": m["id"], "recording_id": recs[0]["id"],
                                                "max_chars": 10}) == (
        "Invalid arguments for get_call_recording: max_chars: Must be greater than or equal to 1000 and less than "
        "or equal to 50000.")


def test_search_call_transcripts(server, member_server):
    atlas = ok(server, "search_records", {"query": "Atlas Fintech", "objects": ["companies"]})["results"][0]["id"]
    out = ok(server, "search_call_transcripts", {"record_id": atlas, "query": "liability CAP"})
    assert out["complete"] is True and out["meetings_searched"] == 1 and out["recordings_searched"] == 1
    assert [(h["meeting_title"], h["speaker"], h["at"]) for h in out["hits"]] == [
        ("Atlas Fintech MSA review", "Oliver Grant", 7.5)]
    assert "liability cap" in out["hits"][0]["excerpt"]
    nothing = ok(server, "search_call_transcripts", {"record_id": atlas, "query": "kubernetes"})
    assert nothing["hits"] == []
    brightwave = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
    many = ok(server, "search_call_transcripts", {"record_id": brightwave, "query": "SSO"})
    assert len(many["hits"]) > 3 and all("SSO" in h["excerpt"] for h in many["hits"])
    refused = error(member_server, "search_call_transcripts", {"record_id": atlas, "query": "pricing"})
    assert refused.startswith(MEMBER_REFUSED), refused
