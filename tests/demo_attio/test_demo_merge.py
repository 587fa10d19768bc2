"""Merging records (attio-api-2026.md §2): a new record, originals gone, 202 and the repeat-404."""
from __future__ import annotations

import time

from attio_demo.schema import uid

from .conftest import WS1, Api, rid, text

MERGE = "/v2/objects/companies/records/merge"


def body(primary: str, secondary: str) -> dict:
    return {"data": {"primary_record_id": primary, "secondary_record_id": secondary}}


def test_merge_makes_a_new_record_and_the_originals_404(api: Api) -> None:
    a, b = rid("companies", "greenfield"), rid("companies", "brightwave")
    r = api.call("POST", MERGE, body(a, b))
    assert r.status_code == 200 and set(r.get_json()) == {"data"} and set(r.get_json()["data"]) == {"new_record_id"}
    new = r.get_json()["data"]["new_record_id"]
    assert new not in (a, b)
    for old in (a, b):
        status, err = api.error("GET", f"/v2/objects/companies/records/{old}")
        assert status == 404 and err["code"] == "not_found"
    rec = api.data("GET", f"/v2/objects/companies/records/{new}")
    assert text(rec) == "Greenfield Renewable Energy"  # the primary's value wins
    assert {d["domain"] for d in rec["values"]["domains"]} == {"greenfield-renewables.ie"}
    # Relationships and what hung off the originals now point at the merged record.
    team = {v["target_record_id"] for v in rec["values"]["team"]}
    assert rid("people", "aoife") in team
    aoife = api.data("GET", f"/v2/objects/people/records/{rid('people', 'aoife')}")
    assert aoife["values"]["company"][0]["target_record_id"] == new
    notes = api.data("GET", f"/v2/notes?parent_record_id={new}")
    assert [n["title"] for n in notes] == ["Discovery call: Brightwave Energy"]
    entries = api.data("GET", f"/v2/objects/companies/records/{new}/entries")
    assert [e["list_api_slug"] for e in entries] == ["key_accounts"]
    meeting = api.data("GET", f"/v2/meetings/{uid(WS1, 'meeting', 'brightwave-deep-dive')}")
    assert new in [x["record_id"] for x in meeting["linked_records"]]
    assert api.page("/v2/files", object="companies", record_id=new)["data"]


def test_a_repeat_is_a_404(api: Api) -> None:
    a, b = rid("companies", "quill"), rid("companies", "saffron")
    api.data("POST", MERGE, body(a, b))
    status, err = api.error("POST", MERGE, body(a, b))
    assert status == 404 and err["type"] == "invalid_request_error" and err["code"] == "not_found"


def test_self_merge_and_bad_bodies(api: Api) -> None:
    a = rid("companies", "quill")
    status, err = api.error("POST", MERGE, body(a, a))
    assert (status, err["code"]) == (400, "self_merge")
    status, err = api.error("POST", MERGE, {"data": {"primary_record_id": a}})
    assert (status, err["code"]) == (400, "validation_type")
    status, err = api.error("POST", "/v2/objects/widgets/records/merge", body(a, rid("companies", "atlas")))
    assert status == 404
    status, err = api.error("POST", "/v2/objects/people/records/merge", body(a, rid("companies", "atlas")))
    assert status == 404  # companies' ids are not people


def test_202_while_the_merge_is_applied(api: Api) -> None:
    api.settings(merge_delay_seconds=0.4)
    r = api.call("POST", MERGE, body(rid("companies", "quill"), rid("companies", "saffron")))
    assert r.status_code == 202
    new = r.get_json()["data"]["new_record_id"]
    status, err = api.error("GET", f"/v2/objects/companies/records/{new}")
    assert status == 404 and err["code"] == "merge_in_progress"
    time.sleep(0.45)
    assert text(api.data("GET", f"/v2/objects/companies/records/{new}")) == "Quill & Ink Publishing"


def test_merge_is_limited_to_five_a_second(api: Api) -> None:
    api.settings(rate_limits={"merge": 5})
    while time.time() % 1 > 0.7:
        time.sleep(0.05)
    bad = body(rid("companies", "quill"), rid("companies", "quill"))
    statuses = [api.call("POST", MERGE, bad).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]  # refused ones count too: Attio counted the call
