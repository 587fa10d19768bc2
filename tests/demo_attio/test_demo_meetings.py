"""Meetings (attio-api-2026.md §3): list with filters and cursor pages, get, create, link/unlink, delete."""
from __future__ import annotations

from typing import Any

import pytest

from attio_demo.schema import uid
from attio_demo.tokens import DEMO_TOKEN_MEMBER

from .conftest import WS1, Api, rid

MEETING_KEYS = {"id", "title", "description", "is_all_day", "start", "end", "participants", "linked_records",
                "created_at", "created_by_actor"}
TITLES_BY_START = ["Greenfield onboarding kick-off", "Atlas Fintech MSA review", "Kestrel Security renewal call",
                   "Brightwave Energy technical deep-dive", "Orbital Robotics intro call",
                   "Northpeak quarterly business review"]


def mid(key: str) -> str:
    """A seeded meeting's id."""
    return uid(WS1, "meeting", key)


def titles(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [m["title"] for page in pages for m in page]


def new_meeting(**over: Any) -> dict[str, Any]:
    """A create body: a one-hour call with Sam (a person) and Maya (a member)."""
    data = {"title": "Pricing call", "description": "Walk through the proposal.", "is_all_day": False,
            "start": {"datetime": "2026-12-14T15:00:00", "timezone": "Europe/London"},
            "end": {"datetime": "2026-12-14T16:00:00", "timezone": "Europe/London"},
            "participants": [{"email_address": "Maya.Chen@demo-sales.example", "is_organizer": True,
                              "status": "accepted"},
                             {"email_address": "sam.taylor.consulting@gmail.com", "is_organizer": "false",
                              "status": "pending"}]}
    return {"data": {**data, **over}}


def test_list_pages_by_cursor_in_start_order(api: Api) -> None:
    first = api.page("/v2/meetings")
    assert [m["title"] for m in first["data"]] == TITLES_BY_START and first["pagination"]["next_cursor"] is None
    assert all(set(m) == MEETING_KEYS for m in first["data"])
    pages = api.all_pages("/v2/meetings", limit=4)
    assert [len(p) for p in pages] == [4, 2] and titles(pages) == TITLES_BY_START
    assert titles(api.all_pages("/v2/meetings", limit=5, sort="start_desc")) == TITLES_BY_START[::-1]


def test_a_cursor_is_bound_to_its_query_and_cannot_be_forged(api: Api) -> None:
    cursor = api.page("/v2/meetings", limit=2)["pagination"]["next_cursor"]
    assert api.page("/v2/meetings", limit=2, cursor=cursor)["data"][0]["title"] == TITLES_BY_START[2]
    for bad in (cursor + "x", "eyJvZmZzZXQiOiAyfQ==.abc", "not-a-cursor"):
        status, err = api.error("GET", f"/v2/meetings?cursor={bad}")
        assert status == 400 and err["code"] == "validation_type"
    status, err = api.error("GET", f"/v2/meetings?sort=start_desc&cursor={cursor}")  # another query's cursor
    assert status == 400


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1"])
def test_limit_is_1_to_200(api: Api, limit: str) -> None:
    status, err = api.error("GET", f"/v2/meetings?limit={limit}")
    assert status == 400 and "between 1 and 200" in err["message"]


def test_filters_by_linked_record_or_participant(api: Api) -> None:
    by_record = api.page("/v2/meetings", linked_object="companies", linked_record_id=rid("companies", "atlas"))
    assert [m["title"] for m in by_record["data"]] == ["Atlas Fintech MSA review"]
    by_people = api.page("/v2/meetings", participants="JANA.SCHULZ@kestrelsec.de, lena@orbitalrobotics.ai")
    assert [m["title"] for m in by_people["data"]] == ["Kestrel Security renewal call", "Orbital Robotics intro call"]
    both = api.page("/v2/meetings", linked_object="people", linked_record_id=rid("people", "aoife"),
                    participants="jana.schulz@kestrelsec.de")  # OR-combined
    assert [m["title"] for m in both["data"]] == ["Greenfield onboarding kick-off", "Kestrel Security renewal call"]
    status, err = api.error("GET", f"/v2/meetings?linked_record_id={rid('people', 'aoife')}")
    assert status == 400 and "together" in err["message"]
    status, err = api.error("GET", f"/v2/meetings?linked_object=widgets&linked_record_id={rid('people', 'aoife')}")
    assert status == 404


def test_time_window_ends_from_inclusive_starts_before_exclusive(api: Api) -> None:
    # Atlas: 10:00–11:00 London (UTC in November).
    def window(**params: str) -> list[str]:
        return [m["title"] for m in api.page("/v2/meetings", **params)["data"]]
    assert "Atlas Fintech MSA review" in window(ends_from="2026-11-18T11:00:00Z")
    assert "Atlas Fintech MSA review" not in window(ends_from="2026-11-18T11:00:01Z")
    assert "Atlas Fintech MSA review" not in window(starts_before="2026-11-18T10:00:00Z")
    assert "Atlas Fintech MSA review" in window(starts_before="2026-11-18T10:00:01Z")
    assert window(ends_from="2026-11-18T00:00:00Z", starts_before="2026-11-26T00:00:00Z") == [
        "Atlas Fintech MSA review", "Kestrel Security renewal call"]
    status, _ = api.error("GET", "/v2/meetings?ends_from=yesterday")
    assert status == 400


def test_all_day_meetings_follow_the_timezone_parameter(api: Api) -> None:
    # The QBR is all of 10 December; in Tokyo that day ends at 15:00 UTC on the 10th.
    qbr = "Northpeak quarterly business review"
    assert qbr in [m["title"] for m in api.page("/v2/meetings", ends_from="2026-12-10T20:00:00Z")["data"]]
    tokyo = api.page("/v2/meetings", ends_from="2026-12-10T20:00:00Z", timezone="Asia/Tokyo")["data"]
    assert qbr not in [m["title"] for m in tokyo]
    m = api.data("GET", f"/v2/meetings/{mid('northpeak-qbr')}")
    assert m["is_all_day"] and m["start"] == {"date": "2026-12-10"} and m["end"] == {"date": "2026-12-11"}


def test_get_one_and_its_404(api: Api) -> None:
    m = api.data("GET", f"/v2/meetings/{mid('atlas-msa')}")
    assert m["start"] == {"datetime": "2026-11-18T10:00:00.000+00:00", "timezone": "Europe/London"}
    assert m["participants"][0] == {"status": "accepted", "is_organizer": True,
                                    "email_address": "maya.chen@demo-sales.example", "name": None}
    assert {"object_slug": "deals", "object_id": api.data("GET", "/v2/objects/deals")["id"]["object_id"],
            "record_id": rid("deals", "atlas")} in m["linked_records"]
    missing = "cb59ab17-ad15-460c-a126-0715617c0853"
    status, err = api.error("GET", f"/v2/meetings/{missing}")
    assert status == 404 and err["code"] == "not_found"
    assert err["message"] == f'Meeting with ID "{missing}" was not found.'


def test_create_is_never_deduplicated_and_links_participants(api: Api) -> None:
    api.settings(auto_link_delay_seconds=0)
    first = api.data("POST", "/v2/meetings", new_meeting())
    second = api.data("POST", "/v2/meetings", new_meeting())
    assert first["id"]["meeting_id"] != second["id"]["meeting_id"]  # Attio no longer finds-or-creates
    assert set(first) == MEETING_KEYS and first["created_by_actor"]["type"] == "api-token"
    assert first["start"] == {"datetime": "2026-12-14T15:00:00.000+00:00", "timezone": "Europe/London"}
    assert first["participants"][0]["email_address"] == "maya.chen@demo-sales.example"  # normalised
    assert first["participants"][1]["is_organizer"] is False  # "false" accepted
    # Sam is a person: linked at once. Maya is a member of this workspace: no record.
    assert [link["record_id"] for link in first["linked_records"]] == [rid("people", "sam")]
    listed = api.page("/v2/meetings", participants="sam.taylor.consulting@gmail.com")["data"]
    assert {m["id"]["meeting_id"] for m in listed} == {first["id"]["meeting_id"], second["id"]["meeting_id"]}


def test_create_makes_people_from_new_addresses_and_links_their_company_later(api: Api) -> None:
    api.settings(auto_link_delay_seconds=30)
    body = new_meeting(participants=[{"email_address": "new.buyer@atlasfintech.co.uk", "is_organizer": False,
                                      "status": "accepted"},
                                     {"name": "Room 4", "is_organizer": False, "status": "accepted"}],
                       linked_records=[{"object": "deals", "record_id": rid("deals", "atlas")}])
    m = api.data("POST", "/v2/meetings", body)
    person = next(link for link in m["linked_records"] if link["object_slug"] == "people")
    rec = api.data("GET", f"/v2/objects/people/records/{person['record_id']}")
    assert rec["values"]["email_addresses"][0]["email_address"] == "new.buyer@atlasfintech.co.uk"
    assert m["participants"][1] == {"status": "accepted", "is_organizer": False, "email_address": None,
                                    "name": "Room 4"}
    assert rid("companies", "atlas") not in [x["record_id"] for x in m["linked_records"]]  # not yet
    api.settings(auto_link_delay_seconds=0)
    again = api.data("POST", "/v2/meetings", body)
    assert rid("companies", "atlas") in [x["record_id"] for x in again["linked_records"]]


@pytest.mark.parametrize("over, message", [
    ({"participants": []}, "No participants were provided."),
    ({"is_all_day": True}, '"data.start" must be {"date": "YYYY-MM-DD"} when "is_all_day" is true.'),
    ({"start": {"date": "2026-12-14"}}, "when \"is_all_day\" is false"),
    ({"end": {"datetime": "2026-12-14T14:00:00Z"}}, '"data.end" must be after "data.start"'),
    ({"title": "x" * 1001}, "at most 1000 characters"),
    ({"linked_records": [{"object": "people", "record_id": "cb59ab17-ad15-460c-a126-0715617c0853"}]},
     "Could not find record for values passed to the linked_records field."),
    ({"participants": [{"email_address": "a@b.test", "status": "maybe", "is_organizer": True}]}, "status"),
    ({"external_ref": "abc"}, 'unknown field "data.external_ref"'),
])
def test_create_400s_say_statusCode(api: Api, over: dict, message: str) -> None:
    status, err = api.error("POST", "/v2/meetings", new_meeting(**over), status_key="statusCode")
    assert status == 400 and err["type"] == "invalid_request_error" and message in err["message"]


def test_create_answers_exactly_the_documented_400(api: Api) -> None:
    r = api.call("POST", "/v2/meetings", new_meeting(participants=[]))
    assert r.get_json() == {"statusCode": 400, "type": "invalid_request_error", "code": "validation_type",
                            "message": "No participants were provided."}


def test_an_invalid_timezone_falls_back_to_utc(api: Api) -> None:
    m = api.data("POST", "/v2/meetings", new_meeting(
        start={"datetime": "2026-12-14T15:00:00", "timezone": "Mars/Olympus"},
        end={"datetime": "2026-12-14T16:00:00", "timezone": "Mars/Olympus"}))
    assert m["start"] == {"datetime": "2026-12-14T15:00:00.000Z", "timezone": None}


def test_patch_appends_links_and_put_replaces_them(api: Api) -> None:
    path = f"/v2/meetings/{mid('kestrel-renewal')}"
    before = api.data("GET", path)["linked_records"]
    appended = api.data("PATCH", path, {"data": {"linked_records": [
        {"object": "people", "record_id": rid("people", "jana")},  # already linked: ignored
        {"object": "companies", "record_id": rid("companies", "copperline")}]}})
    assert appended["linked_records"] == before + [{"object_slug": "companies", "object_id": before[0]["object_id"],
                                                   "record_id": rid("companies", "copperline")}]
    replaced = api.data("PUT", path, {"data": {"linked_records": [
        {"object": "companies", "record_id": rid("companies", "kestrel")}]}})
    assert [x["record_id"] for x in replaced["linked_records"]] == [rid("companies", "kestrel")]
    assert api.data("PUT", path, {"data": {"linked_records": []}})["linked_records"] == []
    status, err = api.error("PATCH", path, {"data": {"linked_records": [], "title": "x"}})
    assert status == 400 and err["code"] == "validation_type"  # nothing else can change
    status, err = api.error("PUT", path, {"data": {"linked_records": [
        {"object": "companies", "record_id": rid("people", "jana")}]}})
    assert status == 400 and err["code"] == "value_not_found"
    status, err = api.error("PATCH", "/v2/meetings/cb59ab17-ad15-460c-a126-0715617c0853",
                            {"data": {"linked_records": []}})
    assert status == 404 and err["message"].startswith("Meeting with ID")


def test_delete_refuses_calendar_synced_meetings(api: Api) -> None:
    status, err = api.error("DELETE", f"/v2/meetings/{mid('atlas-msa')}")
    assert (status, err["code"]) == (400, "system_edit_unauthorized")
    assert err["message"] == "Cannot delete a meeting which was created by calendar sync."
    path = f"/v2/meetings/{mid('kestrel-renewal')}"
    assert api.call("DELETE", path).get_json() == {}
    assert api.error("GET", path)[0] == 404
    assert api.error("GET", f"{path}/call_recordings")[0] == 404  # its recordings went with it


def test_a_member_token_cannot_list_but_can_read_and_create(api: Api) -> None:
    member = Api(api.client, DEMO_TOKEN_MEMBER)
    status, err = member.error("GET", "/v2/meetings")
    assert status == 403 and err["type"] == "auth_error" and 'token level "user"' in err["message"]
    assert member.data("GET", f"/v2/meetings/{mid('atlas-msa')}")["title"] == "Atlas Fintech MSA review"
    created = member.data("POST", "/v2/meetings", new_meeting())
    assert created["created_by_actor"]["type"] == "workspace-member"  # it writes as its member


def test_scopes(api: Api) -> None:
    readonly = Api(api.client, "demo-attio-key-readonly")
    assert readonly.page("/v2/meetings")["data"]
    status, err = readonly.error("POST", "/v2/meetings", new_meeting())
    assert status == 403 and "meeting:read-write" in err["message"]
