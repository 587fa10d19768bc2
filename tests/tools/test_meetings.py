"""Meeting tools through the official MCP SDK client against the demo Attio: list (by record, participant,
time window, cursor pages), get, create without duplicates, link and unlink records; and their exact errors."""
from __future__ import annotations

from typing import Any

import pytest

from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
MISSING = "00000000-0000-4000-8000-000000000000"
MAYA = "maya.chen@demo-sales.example"
MEMBER_REFUSED = "Attio lists meetings across the workspace only for workspace-level access tokens"


def error(server: Any, name: str, args: dict[str, Any]) -> str:
    res = call(server, name, args)
    assert res.is_error, res.structured_content
    return res.content[0].text


def by_title(server: Any, **args: Any) -> dict[str, dict[str, Any]]:
    return {m["title"]: m for m in ok(server, "list_meetings", {"limit": 50, **args})["meetings"]}


def test_list_meetings_by_record_participant_and_window(server, reset_demo):
    out = ok(server, "list_meetings", {"record_id": BRIGHTWAVE})
    assert [m["title"] for m in out["meetings"]] == ["Brightwave Energy technical deep-dive"]
    deep_dive = out["meetings"][0]
    assert out["record"]["id"] == BRIGHTWAVE and out["next_cursor"] is None
    assert deep_dive["start"].startswith("2026-12-02T09:00:00") and deep_dive["timezone"] == "America/Chicago"
    assert {p["email"]: p["is_organizer"] for p in deep_dive["participants"]}[MAYA] is True
    assert BRIGHTWAVE in {r["id"] for r in deep_dive["records"]}
    res = call(server, "list_meetings", {"record_id": BRIGHTWAVE})
    assert res.content[0].text.startswith("1 meeting(s) linked to Brightwave Energy (")
    assert "- Brightwave Energy technical deep-dive · 2026-12-02 09:00 -06:00 → 2026-12-02 10:30 -06:00 · " \
           "meeting id " in res.content[0].text
    with_jana = by_title(server, participants=["jana.schulz@kestrelsec.de"])
    assert list(with_jana) == ["Kestrel Security renewal call"]
    november = by_title(server, after="2026-11-01", before="2026-12-01")
    assert sorted(november) == ["Atlas Fintech MSA review", "Kestrel Security renewal call"]
    newest = ok(server, "list_meetings", {"sort": "newest", "limit": 1})["meetings"]
    assert newest[0]["title"] == "Northpeak quarterly business review" and newest[0]["is_all_day"] is True
    assert newest[0]["start"] == "2026-12-10" and newest[0]["end"] == "2026-12-11"


def test_list_meetings_pages_with_a_cursor(server, reset_demo):
    first = ok(server, "list_meetings", {"limit": 4})
    assert len(first["meetings"]) == 4 and first["next_cursor"]
    rest = ok(server, "list_meetings", {"limit": 4, "cursor": first["next_cursor"]})
    assert len(rest["meetings"]) == 2 and rest["next_cursor"] is None
    assert not {m["id"] for m in first["meetings"]} & {m["id"] for m in rest["meetings"]}
    assert error(server, "list_meetings", {"cursor": "bm90LWEtY3Vyc29y"}) == (
        "Invalid cursor: pass the next_cursor value of the previous page unchanged.")
    offset_cursor = ok(server, "list_lists", {"limit": 1})["next_cursor"]
    assert error(server, "list_meetings", {"cursor": offset_cursor}) == (
        "Invalid cursor: pass the next_cursor value of the previous page unchanged.")


def test_list_meetings_errors(server, member_server):
    assert error(server, "list_meetings", {"after": "next week"}) == (
        "Invalid after 'next week': use a date such as \"2026-12-01\" or an ISO 8601 date-time such as "
        "\"2026-12-01T09:30:00Z\".")
    assert error(server, "list_meetings", {"participants": ["maya"]}) == (
        "Invalid arguments for list_meetings: participants: 0: Not a valid email address.")
    assert error(server, "list_meetings", {"record_id": f"companies:{MISSING}"}) == (
        f"No companies record with id {MISSING} exists in this workspace (it may have been deleted). Search again "
        "(search_records or search) to get a current id.")
    refused = error(member_server, "list_meetings", {})
    assert refused.startswith(MEMBER_REFUSED), refused


def test_get_meeting_and_its_errors(server, reset_demo):
    deep_dive = ok(server, "list_meetings", {"record_id": BRIGHTWAVE})["meetings"][0]
    got = ok(server, "get_meeting", {"meeting_id": deep_dive["id"].upper()})
    assert got["meeting"] == deep_dive
    assert error(server, "get_meeting", {"meeting_id": MISSING}) == (
        f"No meeting with id {MISSING} exists in this workspace (it may have been deleted). list_meetings shows "
        "meeting ids.")
    assert error(server, "get_meeting", {"meeting_id": "abc"}) == (
        "Invalid meeting_id 'abc': expected a UUID such as 649e34f4-c39a-4f4d-99ef-48a36bef8f04.")


def test_get_meeting_works_for_a_member_token(server, member_server):
    deep_dive = ok(server, "list_meetings", {"record_id": BRIGHTWAVE})["meetings"][0]
    assert ok(member_server, "get_meeting", {"meeting_id": deep_dive["id"]})["meeting"]["id"] == deep_dive["id"]


NEW = {"title": "Brightwave pricing follow-up", "start": "2027-01-12T15:00:00Z", "end": "2027-01-12T15:30:00Z",
       "participants": [{"email": MAYA, "is_organizer": True}, {"email": "siobhan.oneil@brightwave-energy.com"}],
       "record_ids": [BRIGHTWAVE], "description": "Walk through the revised quote."}


def test_create_meeting_once_then_finds_it_again(server, reset_demo):
    made = ok(server, "create_meeting", NEW)
    assert made["created"] is True and made["duplicate_check"] == "no match" and made["differences"] == []
    m = made["meeting"]
    assert m["title"] == NEW["title"] and m["start"].startswith("2027-01-12T15:00:00") and not m["is_all_day"]
    assert BRIGHTWAVE in {r["id"] for r in m["records"]}
    again = ok(server, "create_meeting", {**NEW, "title": "brightwave  pricing follow up"})
    assert again["created"] is False and again["duplicate_check"] == "matched"
    assert again["meeting"]["id"] == m["id"]
    res = call(server, "create_meeting", NEW)
    assert res.content[0].text.startswith("Not created: this meeting exists already (same title, start and "
                                          "organizer); pass allow_duplicate true to create another.")
    forced = ok(server, "create_meeting", {**NEW, "allow_duplicate": True})
    assert forced["created"] is True and forced["meeting"]["id"] != m["id"]
    assert forced["duplicate_check"] == "skipped: allow_duplicate"
    day = ok(server, "create_meeting", {"title": "Offsite", "start": "2027-02-01",
                                        "participants": [{"name": "Whole team", "is_organizer": True}]})
    assert day["meeting"]["is_all_day"] is True
    assert (day["meeting"]["start"], day["meeting"]["end"]) == ("2027-02-01", "2027-02-02")


def test_create_meeting_errors(server, member_server, reset_demo):
    base = {"title": "X", "participants": [{"email": MAYA}]}
    assert error(server, "create_meeting", {**base, "start": "2027-01-12T15:00:00", "end": "2027-01-12T14:00:00"}) \
        == ("end (2027-01-12T14:00:00) must come after start (2027-01-12T15:00:00); an all-day meeting's end is "
            "the day after its last day.")
    assert error(server, "create_meeting", {**base, "start": "2027-01-12", "end": "2027-01-12T14:00:00"}) == (
        "start and end must both be dates (an all-day meeting) or both date-times.")
    assert error(server, "create_meeting", {**base, "start": "2027-01-12T15:00:00", "timezone": "Mars/Olympus"}) \
        == "Unknown timezone 'Mars/Olympus': use an IANA name such as \"Europe/Berlin\" or \"America/New_York\"."
    assert error(server, "create_meeting", {**base, "start": "tomorrow 3pm"}) == (
        "Invalid start 'tomorrow 3pm': use a date such as \"2026-12-01\" (all day) or an ISO 8601 date-time such as "
        "\"2026-12-01T09:30:00+01:00\".")
    assert error(server, "create_meeting", {**base, "start": "soon"}) == (
        "Invalid arguments for create_meeting: start: Length must be between 10 and 50.")
    assert error(server, "create_meeting", {"title": "X", "start": "2027-01-12", "participants": [{}]}) == (
        "Each participant needs an email or a name, e.g. {\"email\": \"ana@acme.com\"}.")
    assert error(server, "create_meeting", {"title": "X", "start": "2027-01-12", "participants": []}) == (
        "Invalid arguments for create_meeting: participants: Length must be between 1 and 500.")
    skipped = ok(member_server, "create_meeting", {**base, "start": "2027-03-01T10:00:00Z"})
    assert skipped["created"] is True and skipped["duplicate_check"].startswith(f"skipped: {MEMBER_REFUSED}")


def test_link_and_unlink_records(server, reset_demo):
    kestrel = ok(server, "list_meetings", {"participants": ["jana.schulz@kestrelsec.de"]})["meetings"][0]
    deal = next(r["id"] for r in kestrel["records"] if r["id"].startswith("deals:"))
    out = ok(server, "unlink_meeting_records", {"meeting_id": kestrel["id"], "record_ids": [deal]})
    assert deal not in {r["id"] for r in out["meeting"]["records"]} and out["differences"] == []
    assert len(out["meeting"]["records"]) == len(kestrel["records"]) - 1
    assert error(server, "unlink_meeting_records", {"meeting_id": kestrel["id"], "record_ids": [deal]}).startswith(
        f"None of these records is linked to meeting {kestrel['id']}; its linked records: ")
    back = ok(server, "link_meeting_records", {"meeting_id": kestrel["id"], "record_ids": [deal, deal]})
    assert deal in {r["id"] for r in back["meeting"]["records"]} and back["differences"] == []
    assert error(server, "link_meeting_records", {"meeting_id": MISSING, "record_ids": [deal]}) == (
        f"No meeting with id {MISSING} exists in this workspace (it may have been deleted). list_meetings shows "
        "meeting ids.")
    assert error(server, "link_meeting_records", {"meeting_id": kestrel["id"],
                                                  "record_ids": [f"deals:{MISSING}"]}) == (
        f"No deals record with id {MISSING} exists in this workspace (it may have been deleted). Search again "
        "(search_records or search) to get a current id.")
