"""Call recordings and transcripts (attio-api-2026.md §4)."""
from __future__ import annotations

import time

from attio_demo.schema import uid
from attio_demo.tokens import DEMO_TOKEN_MEMBER

from .conftest import WS1, Api

RECORDING_KEYS = {"id", "status", "web_url", "created_by_actor", "created_at"}
MISSING = "e8f2a3b7-9b4d-4c5e-8a1f-3d7b2c5e8f9a"


def ids(meeting: str, recording: str) -> tuple[str, str]:
    """(meeting id, recording id) of a seeded recording."""
    return uid(WS1, "meeting", meeting), uid(WS1, "call_recording", recording)


def test_list_a_meetings_recordings_without_video_or_transcript(api: Api) -> None:
    meeting, _ = ids("kestrel-renewal", "renewal")
    body = api.page(f"/v2/meetings/{meeting}/call_recordings")
    assert [r["status"] for r in body["data"]] == ["failed", "completed"]
    assert all(set(r) == RECORDING_KEYS for r in body["data"])
    r = body["data"][1]
    assert r["web_url"] == f"https://app.attio.com/demo-sales/calls/{meeting}/{r['id']['call_recording_id']}"
    pages = api.all_pages(f"/v2/meetings/{meeting}/call_recordings", limit=1)
    assert [len(p) for p in pages] == [1, 1]
    assert api.page(f"/v2/meetings/{uid(WS1, 'meeting', 'orbital-intro')}/call_recordings")["data"] == []
    status, err = api.error("GET", f"/v2/meetings/{MISSING}/call_recordings")
    assert status == 404 and err["message"] == f'Meeting with ID "{MISSING}" was not found.'


def test_get_one_has_the_speaker_labelled_transcript(api: Api) -> None:
    meeting, rec = ids("atlas-msa", "msa")
    r = api.data("GET", f"/v2/meetings/{meeting}/call_recordings/{rec}")
    assert set(r) == RECORDING_KEYS | {"video_url", "transcript"} and r["video_url"] is None
    segments = r["transcript"]["segments"]
    assert len(segments) == 8 and set(segments[0]) == {"speech", "start_time", "end_time", "speaker"}
    assert segments[0]["speaker"] == {"name": "Maya Chen"} and segments[0]["start_time"] == 1.5
    raw = r["transcript"]["raw_transcript"].split("\n")
    assert raw[0] == "[00:01] Maya Chen: Thanks for making time, Oliver. Legal sent the redlines on the MSA last night."
    assert raw[1].startswith("[00:07] Oliver Grant: Yes. Our main concern")


def test_raw_transcript_merges_one_speakers_consecutive_segments(api: Api) -> None:
    meeting, rec = ids("brightwave-deep-dive", "deep-dive")
    r = api.data("GET", f"/v2/meetings/{meeting}/call_recordings/{rec}")
    assert r["video_url"].endswith(".mp4")  # an Attio call-recorder capture
    segments = r["transcript"]["segments"]
    assert len(segments) == 240  # the whole transcript: GET one does not page
    lines = r["transcript"]["raw_transcript"].split("\n")
    assert len(lines) < len(segments)  # runs of one speaker merged
    assert lines[0].startswith("[00:03] Maya Chen: Let's talk about inverter uptime")


def test_failed_recording_has_no_transcript_and_404s(api: Api) -> None:
    meeting, rec = ids("kestrel-renewal", "renewal-audio-lost")
    r = api.data("GET", f"/v2/meetings/{meeting}/call_recordings/{rec}")
    assert r["status"] == "failed" and r["transcript"] is None
    status, err = api.error("GET", f"/v2/meetings/{meeting}/call_recordings/{MISSING}")
    assert status == 404 and err["message"] == f'Call recording with ID "{MISSING}" was not found.'
    other, _ = ids("atlas-msa", "msa")
    assert api.error("GET", f"/v2/meetings/{other}/call_recordings/{rec}")[0] == 404  # another meeting's


def test_the_deprecated_transcript_endpoint_pages_segments(api: Api) -> None:
    meeting, rec = ids("brightwave-deep-dive", "deep-dive")
    path = f"/v2/meetings/{meeting}/call_recordings/{rec}/transcript"
    seen, cursor, pages = [], None, 0
    while True:
        r = api.call("GET", path, query_string={"cursor": cursor} if cursor else {})
        body = r.get_json()
        assert r.status_code == 200 and set(body["data"]) == {"id", "transcript", "raw_transcript", "web_url"}
        assert body["data"]["web_url"].endswith(f"/calls/{meeting}/{rec}/transcript")
        seen += body["data"]["transcript"]
        pages += 1
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 240
    full = api.data("GET", f"/v2/meetings/{meeting}/call_recordings/{rec}")["transcript"]["segments"]
    assert seen == full
    member = Api(api.client, DEMO_TOKEN_MEMBER)
    assert member.error("GET", path)[0] == 403  # workspace tokens only
    assert member.data("GET", f"/v2/meetings/{meeting}/call_recordings/{rec}")["id"]["call_recording_id"] == rec


def test_create_processing_then_completed(api: Api) -> None:
    meeting = uid(WS1, "meeting", "orbital-intro")
    api.settings(recording_processing_seconds=0.3)
    body = {"data": {"transcript": [
        {"speech": "Hello Lena.", "start_time": 0, "end_time": 1.2, "speaker": {"name": "Tomás Alvarez",
                                                                                "email_address": "tomas@x.test"}},
        {"speech": "Hi Tomás.", "start_time": 1.4, "end_time": 2, "speaker": {"name": "Lena Park"}}]}}
    created = api.data("POST", f"/v2/meetings/{meeting}/call_recordings", body)
    assert set(created) == RECORDING_KEYS and created["status"] == "processing"
    path = f"/v2/meetings/{meeting}/call_recordings/{created['id']['call_recording_id']}"
    assert api.data("GET", path)["status"] == "processing"
    time.sleep(0.35)
    got = api.data("GET", path)
    assert got["status"] == "completed" and got["video_url"] is None
    assert got["transcript"]["segments"][0]["speaker"] == {"name": "Tomás Alvarez"}  # output: the name only
    assert got["transcript"]["raw_transcript"] == "[00:00] Tomás Alvarez: Hello Lena.\n[00:01] Lena Park: Hi Tomás."


def test_create_validation(api: Api) -> None:
    meeting = uid(WS1, "meeting", "orbital-intro")
    path = f"/v2/meetings/{meeting}/call_recordings"
    status, err = api.error("POST", path, {"data": {"video_url": "http://example.com/call.mp4"}})
    assert status == 400 and err["message"] == "Invalid video URL protocol. Only https is supported"
    status, err = api.error("POST", path, {"data": {"transcript": [{"speech": "x", "start_time": -1,
                                                                    "end_time": 1, "speaker": {"name": "A"}}]}})
    assert status == 400 and err["code"] == "validation_type"
    status, err = api.error("POST", f"/v2/meetings/{MISSING}/call_recordings", {"data": {"transcript": []}})
    assert status == 404 and err["message"] == "The referenced meeting was not found."


def test_create_is_limited_to_one_a_second(api: Api) -> None:
    api.settings(rate_limits="attio")
    path = f"/v2/meetings/{uid(WS1, 'meeting', 'orbital-intro')}/call_recordings"
    while time.time() % 1 > 0.8:  # keep both calls inside one clock second
        time.sleep(0.05)
    assert api.call("POST", path, {"data": {"transcript": []}}).status_code == 200
    r = api.call("POST", path, {"data": {"transcript": []}})
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limit_exceeded"
    assert api.call("GET", path).status_code == 200  # listing is not limited to 1/s


def test_delete_answers_204_with_no_body(api: Api) -> None:
    meeting, rec = ids("atlas-msa", "msa")
    r = api.call("DELETE", f"/v2/meetings/{meeting}/call_recordings/{rec}")
    assert r.status_code == 204 and r.get_data() == b""
    status, err = api.error("DELETE", f"/v2/meetings/{meeting}/call_recordings/{rec}")
    assert status == 404 and err["message"] == "The referenced call recording was not found."
