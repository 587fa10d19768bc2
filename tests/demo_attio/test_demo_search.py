"""POST /v2/objects/records/search: required fields, matching and ranking."""
from __future__ import annotations

import pytest

from .conftest import Api, rid

ALL = ["people", "companies", "deals"]
AS = {"type": "workspace"}
PATH = "/v2/objects/records/search"


def search(api: Api, query: str, objects: list = ALL, **extra: object) -> list:
    """Run a search and return the hits."""
    return api.data("POST", PATH, {"query": query, "objects": objects, "request_as": AS, **extra})


def top(api: Api, query: str, objects: list = ALL) -> str:
    """The record_text of the best hit."""
    return search(api, query, objects)[0]["record_text"]


@pytest.mark.parametrize("body, word", [
    ({"objects": ALL, "request_as": AS}, "query"),
    ({"query": "a", "request_as": AS}, "objects"),
    ({"query": "a", "objects": [], "request_as": AS}, "objects"),
    ({"query": "a", "objects": ALL}, "request_as"),
    ({"query": "a", "objects": ALL, "request_as": {"type": "robot"}}, "request_as"),
    ({"query": 7, "objects": ALL, "request_as": AS}, "query"),
])
def test_required_fields(api: Api, body: dict, word: str) -> None:
    status, err = api.error("POST", PATH, body)
    assert status == 400 and err["code"] == "validation_type" and word in err["message"]


def test_unknown_object_and_member(api: Api) -> None:
    status, err = api.error("POST", PATH, {"query": "a", "objects": ["widgets"], "request_as": AS})
    assert status == 400 and err["code"] == "value_not_found" and "widgets" in err["message"]
    ghost = {"type": "workspace-member", "email_address": "ghost@x.test"}
    status, err = api.error("POST", PATH, {"query": "a", "objects": ALL, "request_as": ghost})
    assert status == 400 and err["code"] == "value_not_found"
    maya = {"type": "workspace-member", "email_address": "maya.chen@demo-sales.example"}
    assert api.data("POST", PATH, {"query": "atlas", "objects": ALL, "request_as": maya})


def test_energy_finds_companies_deals_and_people(api: Api) -> None:
    hits = search(api, "energy")
    texts = [h["record_text"] for h in hits]
    assert {"Brightwave Energy", "Greenfield Renewable Energy"} <= set(texts)
    # people match through their email domain (brightwave-energy.com)
    assert {h["object_slug"] for h in hits} == {"companies", "deals", "people"}
    assert texts.index("Brightwave Energy") < texts.index("Siobhan O'Neil")


def test_hit_shapes_and_extras(api: Api) -> None:
    person = search(api, "siobhan", ["people"])[0]
    assert set(person) == {"id", "record_text", "record_image", "object_slug", "email_addresses",
                           "phone_numbers"}
    assert person["record_text"] == "Siobhan O'Neil" and person["record_image"] is None
    assert person["id"]["record_id"] == rid("people", "siobhan")
    assert person["email_addresses"] == ["siobhan.oneil@brightwave-energy.com"]
    assert person["phone_numbers"] == ["+15125550134"]
    company = search(api, "kestrel", ["companies"])[0]
    assert company["domains"] == ["kestrelsec.de"] and company["object_slug"] == "companies"
    deal = search(api, "kestrel", ["deals"])[0]
    assert set(deal) == {"id", "record_text", "record_image", "object_slug"}


def test_ranking_best_first(api: Api) -> None:
    assert top(api, "Atlas Fintech") == "Atlas Fintech"  # the exact name beats the deal named after it
    assert top(api, "lena") == "Lena Park"
    assert top(api, "oneil") == "Siobhan O'Neil"
    assert top(api, "o'neil") == "Siobhan O'Neil"
    assert top(api, "siobhan o'neil") == "Siobhan O'Neil"
    assert top(api, "priya raman") == "Priya Raman"
    assert top(api, "raman priya") == "Priya Raman"  # tokens in any order


def test_email_domain_and_phone_matching(api: Api) -> None:
    assert top(api, "dan@northpeak.io") == "Daniel Kim"
    assert top(api, "harborfinch.com", ["companies"]) == "Harbor & Finch Logistics"
    assert top(api, "orbitalrob") in ("Orbital Robotics", "Ravi Shah", "Lena Park")
    assert top(api, "+1 512 555 0178") == "Marcus Reyes"
    assert top(api, "5550178") == "Marcus Reyes"
    assert search(api, "zzzzqqq") == []


def test_limits(api: Api) -> None:
    assert len(search(api, "")) == 25  # "" gives a default set, default limit 25
    assert len(search(api, "", limit=3)) == 3
    assert len(search(api, "a", limit=100)) > 25
    status, err = api.error("POST", PATH, {"query": "a", "objects": ALL, "request_as": AS, "limit": 0})
    assert status == 400


def test_search_sees_writes(api: Api) -> None:
    assert search(api, "zebedee") == []
    api.data("POST", "/v2/objects/people/records", {"data": {"values": {"name": "Zebedee Quartz"}}})
    assert top(api, "zebedee") == "Zebedee Quartz"
