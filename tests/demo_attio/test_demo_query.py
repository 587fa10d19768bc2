"""records/query: filter grammar, sorts, paging, record shape and 404s."""
from __future__ import annotations

import re

import pytest

from .conftest import Api, full_name, rid, text

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
COMMON = {"active_from", "active_until", "created_by_actor", "attribute_type"}


def names(records: list) -> list:
    """Display names of people or companies."""
    return [full_name(r) if r["values"]["name"] and "full_name" in r["values"]["name"][0] else text(r)
            for r in records]


def test_default_query_returns_everything_in_creation_order(api: Api) -> None:
    people = api.query("people")
    assert len(people) == 20
    assert names(people)[0] == "Siobhan O'Neil"
    assert [p["created_at"] for p in people] == sorted(p["created_at"] for p in people)


def test_record_shape(api: Api) -> None:
    person = api.data("GET", f"/v2/objects/people/records/{rid('people', 'siobhan')}")
    record_id = person["id"]["record_id"]
    assert record_id == "d09c8245-330d-522b-8607-60f1abb86fed"  # deterministic seed
    assert person["web_url"] == f"https://app.attio.com/demo-sales/person/{record_id}"
    slugs = [a["api_slug"] for a in api.data("GET", "/v2/objects/people/attributes")]
    assert list(person["values"]) == slugs
    assert person["values"]["description"] == []
    for values in person["values"].values():
        for v in values:
            assert COMMON <= set(v)
            assert v["active_until"] is None and TS.match(v["active_from"])
    name = person["values"]["name"][0]
    assert (name["first_name"], name["last_name"]) == ("Siobhan", "O'Neil")
    assert name["full_name"] == "Siobhan O'Neil" and "value" not in name
    email = person["values"]["email_addresses"][0]
    assert email["email_domain"] == "brightwave-energy.com"
    assert email["email_local_specifier"] == "siobhan.oneil"
    assert person["values"]["phone_numbers"][0]["phone_number"] == "+15125550134"
    assert person["values"]["company"][0]["target_record_id"] == rid("companies", "brightwave")
    assert TS.match(person["created_at"])


def test_get_unknown_record_is_404_with_attio_text(api: Api) -> None:
    status, err = api.error("GET", "/v2/objects/people/records/891dcbfc-9141-415d-9b2a-2238a6cc012d")
    assert status == 404 and err["type"] == "invalid_request_error" and err["code"] == "not_found"
    assert err["message"] == 'Record with ID "891dcbfc-9141-415d-9b2a-2238a6cc012d" not found.'


@pytest.mark.parametrize("flt, expected", [
    ({"name": "Siobhan O'Neil"}, ["Siobhan O'Neil"]),
    ({"name": {"full_name": {"$eq": "Priya Raman"}}}, ["Priya Raman"]),
    ({"name": {"last_name": {"$starts_with": "mac"}}}, ["Isla MacLeod"]),
    ({"email_addresses": "DAN@northpeak.io"}, ["Daniel Kim"]),
    ({"email_addresses": {"email_address": {"$eq": "lena@orbitalrobotics.ai"}}}, ["Lena Park"]),
    ({"email_addresses": {"email_domain": "kestrelsec.de"}}, ["Jana Schulz", "Felix Wagner"]),
    ({"primary_location": {"locality": {"$contains": "edinb"}}}, ["Isla MacLeod"]),
    ({"phone_numbers": {"$starts_with": "+353"}}, ["Aoife Byrne", "Ciarán Murphy"]),
    ({"job_title": {"$ends_with": "ceo"}}, ["Daniel Kim", "Lena Park"]),
    ({"job_title": {"$in": ["CTO", "CFO"]}}, ["Marcus Reyes", "Oliver Grant"]),
    ({"$and": [{"primary_location": {"country_code": "GB"}},
               {"name": {"first_name": {"$starts_with": "H"}}}]}, ["Hannah Osei"]),
    ({"$or": [{"name": {"first_name": "Sam"}}, {"name": {"first_name": "Joost"}}]},
     ["Joost Bakker", "Sam Taylor"]),
    ({"$not": {"company": {"$not_empty": True}}}, ["Sam Taylor"]),
    ({"company": {"$not_empty": False}}, ["Sam Taylor"]),
])
def test_people_filters(api: Api, flt: dict, expected: list) -> None:
    assert sorted(names(api.query("people", {"filter": flt}))) == sorted(expected)


def test_reference_and_record_id_filters(api: Api) -> None:
    atlas = rid("companies", "atlas")
    team = api.query("people", {"filter": {"company": {"target_record_id": {"$eq": atlas}}}})
    assert sorted(names(team)) == ["Hannah Osei", "Oliver Grant"]
    ids = [rid("people", "sam"), rid("people", "lena")]
    got = api.query("people", {"filter": {"record_id": {"$in": ids}}})
    assert {r["id"]["record_id"] for r in got} == set(ids)


def test_company_filters(api: Api) -> None:
    def find(flt: dict) -> list:
        return sorted(names(api.query("companies", {"filter": flt})))

    assert find({"domains": {"root_domain": "northpeak.io"}}) == ["Northpeak Analytics"]
    assert find({"name": {"$contains": "ENERGY"}}) == ["Brightwave Energy", "Greenfield Renewable Energy"]
    assert find({"categories": "Fintech"}) == ["Atlas Fintech"]
    assert find({"foundation_date": {"$lt": "2005-01-01"}}) == [
        "Copperline Manufacturing", "Quill & Ink Publishing"]
    assert find({"foundation_date": {"$gte": "2010", "$lte": "2014-12-31"}}) == [
        "Brightwave Energy", "Greenfield Renewable Energy", "Saffron Hospitality Group"]


def test_deal_filters_on_status_currency_and_actor(api: Api) -> None:
    won = sorted(text(d) for d in api.query("deals", {"filter": {"stage": "Won 🎉"}}))
    assert won == ["Greenfield Renewable Energy onboarding", "Northpeak Analytics expansion"]
    assert len(api.query("deals", {"filter": {"stage": {"status": {"$in": ["Lead", "Lost"]}}}})) == 3
    big = sorted(text(d) for d in api.query("deals", {"filter": {"value": {"$gt": 100000}}}))
    assert big == ["Atlas Fintech enterprise licence", "Northpeak Analytics expansion"]
    maya = api.data("GET", "/v2/workspace_members")[0]["id"]["workspace_member_id"]
    owner = {"referenced_actor_type": "workspace-member", "referenced_actor_id": maya}
    mine = api.query("deals", {"filter": {"owner": owner}})
    assert len(mine) == 4 and all(d["values"]["owner"][0]["referenced_actor_id"] == maya for d in mine)


def test_path_filter_follows_references(api: Api) -> None:
    flt = {"path": [["people", "company"], ["companies", "domains"]],
           "constraints": {"domain": "kestrelsec.de"}}
    assert sorted(names(api.query("people", {"filter": flt}))) == ["Felix Wagner", "Jana Schulz"]


def test_sorts_limit_and_offset(api: Api) -> None:
    by_last = api.query("people", {"sorts": [{"direction": "asc", "attribute": "name",
                                              "field": "last_name"}]})
    lasts = [r["values"]["name"][0]["last_name"] for r in by_last]
    assert lasts == sorted(lasts, key=str.casefold)
    desc = api.query("companies", {"sorts": [{"direction": "desc", "attribute": "name"}],
                                   "limit": 3, "offset": 1})
    assert names(desc) == ["Saffron Hospitality Group", "Quill & Ink Publishing", "Orbital Robotics"]
    assert len(api.query("people", {"limit": 5, "offset": 18})) == 2
    assert api.query("people", {"limit": 0}) == []


@pytest.mark.parametrize("flt, word", [
    ({"name": {"$ne": "x"}}, "$ne"),
    ({"shoe_size": 42}, "shoe_size"),
    ({"name": {"middle_name": "x"}}, "middle_name"),
    ({"$xor": []}, "$xor"),
    ({"email_addresses": {"$in": "not-a-list"}}, "$in"),
    ({"job_title": {"$contains": 5}}, "$contains"),
])
def test_bad_filters_are_400_filter_error(api: Api, flt: dict, word: str) -> None:
    status, err = api.error("POST", "/v2/objects/people/records/query", {"filter": flt})
    assert status == 400 and err["code"] == "filter_error" and word in err["message"]


def test_bad_query_bodies(api: Api) -> None:
    status, err = api.error("POST", "/v2/objects/people/records/query", {"limit": "ten"})
    assert status == 400 and err["code"] == "validation_type"
    status, err = api.error("POST", "/v2/objects/people/records/query", {"sorts": [{"attribute": "nope"}]})
    assert status == 400
    status, err = api.error("POST", "/v2/objects/nope/records/query", {})
    assert status == 404 and err["message"] == 'Object with slug/ID "nope" not found.'
