"""The client's meetings, call recordings, transcripts and emails (2026 reference §3-§5) and its cursor pages."""
from __future__ import annotations

import json

import pytest
from responses import matchers

from connector.attio.client import AttioClient
from connector.attio.errors import AttioBadRequest, AttioError, AttioNotFound
from connector.attio.pages import MAX_PAGES, Page, every_item, page_from
from tests.unit.test_attio_client import BASE, attio_error

MID = "cb59ab17-ad15-460c-a126-0715617c0853"
CRID = "e8f2a3b7-9b4d-4c5e-8a1f-3d7b2c5e8f9a"
PERSON = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
CURSOR = "eyJkZXNjcmlwdGlvbiI6ICJ0aGlzIGlzIGEgY3Vyc29yIn0=.eM56CGbqZ6G1NHiJchTIkH4vKDr"
MEETING = {"id": {"workspace_id": "w", "meeting_id": MID}, "title": "Onboarding", "description": "",
           "is_all_day": False, "start": {"datetime": "2027-11-27T14:00:00.000-04:00", "timezone": "America/New_York"},
           "end": {"datetime": "2027-11-27T15:00:00.000-04:00", "timezone": "America/New_York"},
           "participants": [], "linked_records": [], "created_at": "2023-01-01T15:00:00.000000000Z",
           "created_by_actor": {"type": "workspace-member", "id": "m"}}


@pytest.fixture
def client(attio_client: AttioClient) -> AttioClient:
    return attio_client



def page(items, cursor=None) -> dict:
    return {"data": items, "pagination": {"next_cursor": cursor}}


# -- pages ----------------------------------------------------------------------------------


def test_a_page_is_its_items_and_the_next_cursor():
    assert page_from(page([1, 2], CURSOR), 200) == Page([1, 2], CURSOR)
    assert page_from(page([]), 200) == Page([], None)
    assert page_from({"data": [1], "pagination": {"next_cursor": ""}}, 200).next_cursor is None
    assert page_from({"data": [1]}, 200).next_cursor is None  # no pagination: the last page
    items, cursor = page_from(page([3], "c"), 200)  # unpacks like a pair
    assert (items, cursor) == ([3], "c")


@pytest.mark.parametrize("body", [None, {}, {"data": {"id": 1}}, [1, 2], {"data": "x"}])
def test_a_body_that_is_not_a_page_is_a_typed_error(body):
    with pytest.raises(AttioError) as info:
        page_from(body, 200)
    assert info.value.code == "invalid_response"


def test_every_item_follows_cursors_to_null_not_to_a_short_page():
    pages = {None: Page([1, 2], "a"), "a": Page([], "b"), "b": Page([3], None)}  # an empty page mid-stream
    asked = []
    items = list(every_item(lambda c: asked.append(c) or pages[c]))
    assert items == [1, 2, 3] and asked == [None, "a", "b"]


def test_every_item_stops_at_max_items_and_on_a_repeated_cursor():
    calls = []

    def fetch(cursor):
        calls.append(cursor)
        return Page([len(calls)], "same")

    assert list(every_item(fetch)) == [1, 2] and calls == [None, "same"]
    endless = iter(range(10**6))
    assert list(every_item(lambda c: Page([next(endless)], str(next(endless))), max_items=3)) == [0, 2, 4]
    count = sum(1 for _ in every_item(lambda c: Page([], f"{c}x")))
    assert count == 0  # MAX_PAGES bounds an upstream that never ends
    assert MAX_PAGES >= 100


# -- meetings -------------------------------------------------------------------------------


def test_list_meetings_sends_filters_and_returns_a_page(client, rsps):
    rsps.get(f"{BASE}/v2/meetings", json=page([MEETING], CURSOR), match=[matchers.query_param_matcher({
        "limit": "20", "cursor": "c1", "linked_object": "people", "linked_record_id": PERSON,
        "participants": "a@x.com,b@y.com", "sort": "start_desc", "ends_from": "2027-01-01T00:00:00Z",
        "starts_before": "2027-02-01T00:00:00Z", "timezone": "Europe/Paris"})])
    got = client.list_meetings(limit=20, cursor="c1", linked_object="people", linked_record_id=PERSON,
                               participants=["a@x.com", "b@y.com"], sort="start_desc",
                               ends_from="2027-01-01T00:00:00Z", starts_before="2027-02-01T00:00:00Z",
                               timezone="Europe/Paris")
    assert got == Page([MEETING], CURSOR)


def test_list_meetings_without_filters_sends_no_query(client, rsps):
    rsps.get(f"{BASE}/v2/meetings", json=page([]), match=[matchers.query_string_matcher("")])
    assert client.list_meetings() == Page([], None)


def test_get_and_delete_meeting(client, rsps):
    rsps.get(f"{BASE}/v2/meetings/{MID}", json={"data": MEETING})
    rsps.delete(f"{BASE}/v2/meetings/{MID}", json={})
    assert client.get_meeting(MID) == MEETING
    assert client.delete_meeting(MID) == {}


def test_create_meeting_sends_every_required_field_wrapped_in_data(client, rsps):
    participants = [{"is_organizer": True, "status": "accepted", "email_address": "person@company.com"},
                    {"is_organizer": False, "status": "pending", "name": "Simon Mitchell"}]
    start, end = {"datetime": "2027-11-27T14:00:00", "timezone": "America/New_York"}, \
        {"datetime": "2027-11-27T15:00:00", "timezone": "America/New_York"}
    rsps.post(f"{BASE}/v2/meetings", json={"data": MEETING}, match=[matchers.json_params_matcher({"data": {
        "title": "Onboarding", "description": "Agenda", "start": start, "end": end, "is_all_day": False,
        "participants": participants, "linked_records": [{"object": "people", "record_id": PERSON}]}})])
    got = client.create_meeting("Onboarding", "Agenda", start, end, is_all_day=False, participants=participants,
                                linked_records=[{"object": "people", "record_id": PERSON}])
    assert got == MEETING


def test_create_meeting_400_with_statusCode_is_a_bad_request_quoting_attio(client, rsps):
    rsps.post(f"{BASE}/v2/meetings", status=400, json={"statusCode": 400, "type": "invalid_request_error",
                                                       "code": "validation_type",
                                                       "message": "No participants were provided."})
    with pytest.raises(AttioBadRequest) as info:
        client.create_meeting("T", "", {"date": "2027-06-03"}, {"date": "2027-06-04"}, is_all_day=True,
                              participants=[])
    assert "No participants were provided." in info.value.tool_message() and info.value.code == "validation_type"
    assert json.loads(rsps.calls[0].request.body)["data"]["is_all_day"] is True
    assert len(rsps.calls) == 1  # a create is never repeated


@pytest.mark.parametrize("method, call", [("PATCH", "link_meeting_records"), ("PUT", "replace_meeting_records")])
def test_linking_appends_with_patch_and_replacing_uses_put(client, rsps, method, call):
    links = [{"object": "companies", "record_id": PERSON}]
    rsps.add(method, f"{BASE}/v2/meetings/{MID}", json={"data": MEETING},
             match=[matchers.json_params_matcher({"data": {"linked_records": links}})])
    assert getattr(client, call)(MID, links) == MEETING


def test_replacing_with_nothing_sends_an_empty_list(client, rsps):
    rsps.put(f"{BASE}/v2/meetings/{MID}", json={"data": MEETING},
             match=[matchers.json_params_matcher({"data": {"linked_records": []}})])
    client.replace_meeting_records(MID, [])


def test_missing_meeting_is_not_found(client, rsps):
    msg = f'Meeting with ID "{MID}" was not found.'
    rsps.get(f"{BASE}/v2/meetings/{MID}", status=404, json=attio_error(404, "not_found", msg))
    with pytest.raises(AttioNotFound) as info:
        client.get_meeting(MID)
    assert msg in info.value.tool_message()


# -- call recordings and transcripts ------------------------------------------------------------


RECORDING = {"id": {"workspace_id": "w", "meeting_id": MID, "call_recording_id": CRID}, "status": "completed",
             "web_url": f"https://app.attio.com/acme/calls/{MID}/{CRID}",
             "created_by_actor": {"type": "workspace-member", "id": "m"}, "created_at": "2023-01-01T15:00:00Z"}


def test_list_call_recordings_is_a_page(client, rsps):
    rsps.get(f"{BASE}/v2/meetings/{MID}/call_recordings", json=page([RECORDING], CURSOR),
             match=[matchers.query_param_matcher({"limit": "5", "cursor": "c"})])
    assert client.list_call_recordings(MID, limit=5, cursor="c") == Page([RECORDING], CURSOR)


def test_get_call_recording_keeps_the_transcript(client, rsps):
    transcript = {"segments": [{"speech": "Hello,", "start_time": 0.51, "end_time": 0.81,
                                "speaker": {"name": "Alex Bell"}}],
                  "raw_transcript": "[00:00] Alex Bell: Hello,"}
    rsps.get(f"{BASE}/v2/meetings/{MID}/call_recordings/{CRID}",
             json={"data": {**RECORDING, "video_url": None, "transcript": transcript}})
    got = client.get_call_recording(MID, CRID)
    assert got["transcript"] == transcript and got["video_url"] is None


def test_transcript_pages_carry_segments_raw_text_and_cursor(client, rsps):
    url = f"{BASE}/v2/meetings/{MID}/call_recordings/{CRID}/transcript"
    seg = {"speech": "Mr Watson,", "start_time": 0.81, "end_time": 1.41, "speaker": {"name": "Alex Bell"}}
    rsps.get(url, match=[matchers.query_string_matcher("")], json={
        "data": {"id": RECORDING["id"], "transcript": [seg], "raw_transcript": "[00:00] Alex Bell: Mr Watson,",
                 "web_url": f"{RECORDING['web_url']}/transcript"}, "pagination": {"next_cursor": CURSOR}})
    rsps.get(url, match=[matchers.query_param_matcher({"cursor": CURSOR})], json={
        "data": {"id": RECORDING["id"], "transcript": [], "raw_transcript": "", "web_url": None},
        "pagination": {"next_cursor": None}})
    first = client.get_transcript_page(MID, CRID)
    assert first.segments == [seg] and first.raw_transcript.startswith("[00:00]") and first.next_cursor == CURSOR
    assert first.web_url.endswith("/transcript")
    last = client.get_transcript_page(MID, CRID, cursor=CURSOR)
    assert last.segments == [] and last.next_cursor is None


def test_create_call_recording_and_delete_with_an_empty_204(client, rsps):
    segs = [{"speech": "Hi", "start_time": 0.5, "end_time": 1.0, "speaker": {"name": "Simon"}}]
    rsps.post(f"{BASE}/v2/meetings/{MID}/call_recordings", json={"data": {**RECORDING, "status": "processing"}},
              match=[matchers.json_params_matcher({"data": {"transcript": segs}})])
    rsps.delete(f"{BASE}/v2/meetings/{MID}/call_recordings/{CRID}", status=204, body=b"")
    assert client.create_call_recording(MID, transcript=segs)["status"] == "processing"
    assert client.delete_call_recording(MID, CRID) is None


# -- emails ---------------------------------------------------------------------------------


def test_list_emails_joins_lists_with_commas_and_spells_booleans(client, rsps):
    email = {"id": {"email_id": "e"}, "sent_at": "2023-01-01T15:00:00Z", "direction": "outbound",
             "subject_line": None, "participants": [], "linked_records": []}
    rsps.get(f"{BASE}/v2/emails", json=page([email], CURSOR), match=[matchers.query_param_matcher({
        "limit": "10", "linked_object": "people", "linked_record_ids": f"{PERSON},{MID}",
        "participants": "a@x.com", "domain": "fundstack.com", "sent_after": "2023-01-01T00:00:00Z",
        "sent_before": "2024-01-01T00:00:00Z", "exclude_automated_participants": "true"})])
    got = client.list_emails(limit=10, linked_object="people", linked_record_ids=[PERSON, MID],
                             participants="a@x.com", domain="fundstack.com", sent_after="2023-01-01T00:00:00Z",
                             sent_before="2024-01-01T00:00:00Z", exclude_automated_participants=True)
    assert got == Page([email], CURSOR)


def test_an_empty_email_page_mid_stream_keeps_its_cursor(client, rsps):
    rsps.get(f"{BASE}/v2/emails", json=page([], CURSOR))
    assert client.list_emails(domain="fundstack.com") == Page([], CURSOR)
