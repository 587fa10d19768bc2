"""The Attio client's newer methods against the demo Attio (a faithful fake of the 2026 API): the shapes the
`responses` tests assume are the ones a server speaking Attio's API sends, token levels and refusals included."""
from __future__ import annotations

import pytest
import requests

from attio_demo import DEMO_TOKEN, DEMO_TOKEN_2
from attio_demo.tokens import DEMO_TOKEN_MEMBER
from connector.attio.client import AttioClient
from connector.attio.errors import (
    AttioBadRequest,
    AttioFeatureUnavailable,
    AttioMemberTokenRefused,
    AttioMergeInProgress,
    AttioMergeNotFound,
)
from connector.attio.pages import every_item

pytestmark = pytest.mark.integration


@pytest.fixture
def attio(reset_demo) -> AttioClient:
    return AttioClient(reset_demo.url, DEMO_TOKEN)


def test_token_levels_come_from_the_demo(reset_demo):
    assert AttioClient(reset_demo.url, DEMO_TOKEN).token_level() == "workspace"
    member = AttioClient(reset_demo.url, DEMO_TOKEN_MEMBER)
    assert member.token_level() == "user" and member.is_member_token()


def test_meetings_recordings_and_transcripts(attio):
    meetings = list(every_item(lambda c: attio.list_meetings(limit=2, cursor=c)))
    assert len(meetings) >= 3  # several pages of two
    mid = meetings[0]["id"]["meeting_id"]
    assert attio.get_meeting(mid)["id"]["meeting_id"] == mid
    recordings = [r for m in meetings for r in attio.list_call_recordings(m["id"]["meeting_id"]).items]
    assert recordings
    rec = recordings[0]["id"]
    whole = attio.get_call_recording(rec["meeting_id"], rec["call_recording_id"])
    assert whole["transcript"] is None or whole["transcript"]["segments"]
    longest = max(recordings, key=lambda r: len((attio.get_call_recording(
        r["id"]["meeting_id"], r["id"]["call_recording_id"])["transcript"] or {}).get("segments", [])))["id"]
    first = attio.get_transcript_page(longest["meeting_id"], longest["call_recording_id"])
    assert first.segments and first.next_cursor, "the seed has a transcript long enough to page"
    second = attio.get_transcript_page(longest["meeting_id"], longest["call_recording_id"], cursor=first.next_cursor)
    assert second.segments and second.segments[0] != first.segments[0]


def test_create_link_and_unlink_a_meeting(attio):
    person = attio.query_records("people", limit=1)[0]["id"]["record_id"]
    made = attio.create_meeting("Client test", "", {"datetime": "2030-01-02T10:00:00Z"},
                                {"datetime": "2030-01-02T11:00:00Z"}, is_all_day=False,
                                participants=[{"is_organizer": True, "status": "accepted",
                                               "email_address": "someone@example.com"}])
    mid = made["id"]["meeting_id"]
    linked = attio.link_meeting_records(mid, [{"object": "people", "record_id": person}])
    assert person in {r["record_id"] for r in linked["linked_records"]}
    assert attio.replace_meeting_records(mid, [])["linked_records"] == []
    with pytest.raises(AttioBadRequest):
        attio.create_meeting("No one", "", {"datetime": "2030-01-02T10:00:00Z"},
                             {"datetime": "2030-01-02T11:00:00Z"}, is_all_day=False, participants=[])


def test_a_member_token_cannot_list_meetings_or_emails(reset_demo):
    member = AttioClient(reset_demo.url, DEMO_TOKEN_MEMBER)
    with pytest.raises(AttioMemberTokenRefused):
        member.list_meetings()
    with pytest.raises(AttioMemberTokenRefused):
        member.list_emails(domain="example.com")


def test_emails_where_enabled_and_the_error_where_not(attio, reset_demo):
    company = attio.query_records("companies", limit=1)[0]
    domain = company["values"]["domains"][0]["domain"]
    emails = list(every_item(lambda c: attio.list_emails(domain=domain, cursor=c), max_items=50))
    assert all("subject_line" in e for e in emails)
    with pytest.raises(AttioFeatureUnavailable) as info:
        AttioClient(reset_demo.url, DEMO_TOKEN_2).list_emails(domain=domain)
    assert info.value.feature == "emails"


def test_sql_on_the_enterprise_plan_and_the_error_elsewhere(attio, reset_demo):
    rows = attio.run_sql("SELECT name FROM companies LIMIT 2")
    assert len(rows) == 2 and all("name" in r for r in rows)
    with pytest.raises(AttioFeatureUnavailable) as info:
        AttioClient(reset_demo.url, DEMO_TOKEN_2).run_sql("SELECT name FROM companies LIMIT 2")
    assert info.value.feature == "sql"


def test_views_and_a_query_through_one(attio):
    views = attio.list_object_views("people").items
    assert views
    got = attio.query_records("people", view_id=views[0]["id"]["view_id"], limit=5)
    assert isinstance(got, list)


def test_files_and_a_capped_download(attio):
    texts = []
    for rec in attio.query_records("companies", limit=50) + attio.query_records("people", limit=50):
        obj = "companies" if "domains" in rec["values"] else "people"
        texts += [f for f in every_item(lambda c, o=obj, r=rec: attio.list_files(o, r["id"]["record_id"], cursor=c))
                  if f["file_type"] == "file" and f["storage_provider"] == "attio"]
    assert texts, "the seed has Attio-stored files"
    f = min(texts, key=lambda f: f["content_size"])
    whole = attio.download_file(f["id"]["file_id"], max_bytes=10_000_000)
    assert len(whole.content) == f["content_size"] and not whole.truncated
    capped = attio.download_file(f["id"]["file_id"], max_bytes=3)
    assert capped.content == whole.content[:3] and capped.truncated == (f["content_size"] > 3)


def test_merge_applied_later_then_a_repeat_is_the_merged_404(attio, reset_demo):
    requests.post(f"{reset_demo.url}/_admin/settings", json={"merge_delay_seconds": 1.5}, timeout=5).raise_for_status()
    a, b = (attio.create_record("people", {"name": f"Merge {n}"})["id"]["record_id"] for n in "AB")
    done = attio.merge_records("people", a, b)
    assert not done.completed
    with pytest.raises(AttioMergeInProgress):
        attio.get_record("people", done.new_record_id)
    with pytest.raises(AttioMergeNotFound):
        attio.merge_records("people", a, b)


def test_update_a_note(attio):
    person = attio.query_records("people", limit=1)[0]["id"]["record_id"]
    note = attio.create_note("people", person, "Before", "text")
    updated = attio.update_note(note["id"]["note_id"], title="After")
    assert updated["title"] == "After"
