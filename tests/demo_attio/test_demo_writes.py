"""Record writes: normalisation, uniqueness, assert, PATCH/PUT/DELETE, relationships, validation."""
from __future__ import annotations

import pytest

from .conftest import Api, full_name, rid, text

CONFLICT = 'The value "{}" provided for attribute with ID "{}" conflicts with one already in the system.'


def create(api: Api, obj: str, values: dict) -> dict:
    """Create a record that must succeed."""
    return api.data("POST", f"/v2/objects/{obj}/records", {"data": {"values": values}})


def attribute_id(api: Api, obj: str, slug: str) -> str:
    """An attribute's UUID."""
    return api.data("GET", f"/v2/objects/{obj}/attributes/{slug}")["id"]["attribute_id"]


def test_create_normalises_values(api: Api) -> None:
    p = create(api, "people", {
        "name": "Lovelace, Ada", "email_addresses": ["Ada.Lovelace+crm@Engines.test"],
        "job_title": {"value": "Analyst"}, "description": "AT&T; Update from Where-house",
        "phone_numbers": [{"original_phone_number": "020 7946 0000", "country_code": "GB"}],
        "primary_location": "1 Infinite Loop, Cupertino, CA, 95014, US"})
    v = p["values"]
    name = v["name"][0]
    assert (name["first_name"], name["last_name"], name["full_name"]) == ("Ada", "Lovelace", "Ada Lovelace")
    email = v["email_addresses"][0]
    assert email["original_email_address"] == "Ada.Lovelace+crm@Engines.test"
    assert email["email_address"] == "ada.lovelace+crm@engines.test"
    assert (email["email_domain"], email["email_root_domain"]) == ("engines.test", "engines.test")
    assert email["email_local_specifier"] == "ada.lovelace+crm"
    assert v["job_title"][0]["value"] == "Analyst"
    assert v["description"][0]["value"] == "AT&T; Update from Where-house"  # stored unmodified
    phone = v["phone_numbers"][0]
    assert (phone["phone_number"], phone["country_code"]) == ("+442079460000", "GB")
    loc = v["primary_location"][0]
    assert (loc["line_1"], loc["locality"], loc["region"], loc["postcode"], loc["country_code"]) == (
        "1 Infinite Loop", "Cupertino", "CA", "95014", "US")
    assert p["values"]["created_by"][0]["referenced_actor_type"] == "api-token"
    assert p["web_url"].endswith(f"/person/{p['id']['record_id']}")


def test_first_name_only_and_domains_from_urls(api: Api) -> None:
    p = create(api, "people", {"name": "Cher"})
    assert (p["values"]["name"][0]["first_name"], p["values"]["name"][0]["last_name"]) == ("Cher", "")
    domains = ["https://www.Acme.co.uk/about", {"domain": "eu.acme.co.uk"}]
    c = create(api, "companies", {"name": "Acme", "domains": domains})
    assert [(d["domain"], d["root_domain"]) for d in c["values"]["domains"]] == [
        ("acme.co.uk", "acme.co.uk"), ("eu.acme.co.uk", "acme.co.uk")]


def test_person_email_links_company_by_domain(api: Api) -> None:
    p = create(api, "people", {"email_addresses": ["new.hire@northpeak.io"]})
    assert p["values"]["company"][0]["target_record_id"] == rid("companies", "northpeak")
    team = api.data("GET", f"/v2/objects/companies/records/{rid('companies', 'northpeak')}")["values"]["team"]
    assert p["id"]["record_id"] in [t["target_record_id"] for t in team]


def test_uniqueness_conflict_message(api: Api) -> None:
    body = {"data": {"values": {"email_addresses": ["Dan@Northpeak.io"]}}}
    status, err = api.error("POST", "/v2/objects/people/records", body)
    assert status == 400
    email_id = attribute_id(api, "people", "email_addresses")
    assert err["message"] == CONFLICT.format('{"email_address":"dan@northpeak.io"}', email_id)
    body = {"data": {"values": {"domains": ["kestrelsec.de"]}}}
    status, err = api.error("POST", "/v2/objects/companies/records", body)
    domains_id = attribute_id(api, "companies", "domains")
    assert err["message"] == CONFLICT.format('{"domain":"kestrelsec.de"}', domains_id)
    assert len(api.query("companies")) == 12  # the failed create stored nothing


def test_deal_requires_stage_and_owner(api: Api) -> None:
    status, err = api.error("POST", "/v2/objects/deals/records", {"data": {"values": {"name": "No stage"}}})
    assert status == 400 and err["code"] == "missing_value"
    stage_id = attribute_id(api, "deals", "stage")
    assert err["message"] == f'Required value for attribute with ID "{stage_id}" was not provided.'
    company = {"target_object": "companies", "domains": [{"domain": "atlasfintech.co.uk"}]}
    deal = create(api, "deals", {"name": "Fine", "stage": "Lead", "owner": "maya.chen@demo-sales.example",
                                 "value": 1200.5, "associated_company": company})
    value = deal["values"]["value"][0]
    assert (value["currency_value"], value["currency_code"]) == (1200.5, "USD")
    assert deal["values"]["stage"][0]["status"]["title"] == "Lead"
    assert deal["values"]["associated_company"][0]["target_record_id"] == rid("companies", "atlas")


def test_unknown_select_and_status_titles(api: Api) -> None:
    body = {"data": {"values": {"name": "X", "categories": ["Quantum"]}}}
    status, err = api.error("POST", "/v2/objects/companies/records", body)
    assert status == 400 and err["code"] == "value_not_found"
    assert err["message"] == 'Cannot find select attribute with select option title "Quantum".'
    options = api.data("GET", "/v2/objects/companies/attributes/categories/options")
    energy = next(o for o in options if o["title"] == "Energy")
    c = create(api, "companies", {"name": "By UUID", "categories": [energy["id"]["option_id"], "SaaS"]})
    assert [o["option"]["title"] for o in c["values"]["categories"]] == ["Energy", "SaaS"]


def test_assert_updates_or_creates(api: Api) -> None:
    def put(matching: str, values: dict) -> object:
        return api.call("PUT", f"/v2/objects/companies/records?matching_attribute={matching}",
                        {"data": {"values": values}})

    err = put("nope", {"name": "x"}).get_json()
    assert err["code"] == "value_not_found"
    assert err["message"] == 'No attribute was found for matching_attribute slug/ID "nope".'
    assert put("name", {"name": "x"}).get_json()["code"] == "matching_attribute_definition_not_unique"
    assert put("domains", {"domains": "northpeak.io"}).status_code == 400  # must be an array when asserting
    updated = put("domains", {"domains": ["northpeak.io", "northpeak.com"], "categories": ["Enterprise"]})
    rec = updated.get_json()["data"]
    assert rec["id"]["record_id"] == rid("companies", "northpeak")
    assert [d["domain"] for d in rec["values"]["domains"]] == ["northpeak.io", "northpeak.com"]
    assert [o["option"]["title"] for o in rec["values"]["categories"]] == ["Enterprise"]  # overwritten
    created = put("domains", {"domains": ["brand-new.test"], "name": "Brand New"}).get_json()["data"]
    assert created["id"]["record_id"] != rec["id"]["record_id"] and text(created) == "Brand New"


def test_patch_appends_put_overwrites_delete(api: Api) -> None:
    sam = rid("people", "sam")
    path = f"/v2/objects/people/records/{sam}"
    status, err = api.error("PATCH", path, {"data": {"values": {}}})
    assert status == 400 and err["code"] == "validation_type"
    assert err["message"].startswith("You passed an empty payload")
    new = {"email_addresses": ["sam@taylor.test"], "job_title": "Advisor"}
    patched = api.data("PATCH", path, {"data": {"values": new}})
    assert [e["email_address"] for e in patched["values"]["email_addresses"]] == [
        "sam.taylor.consulting@gmail.com", "sam@taylor.test"]
    assert text(patched, "job_title") == "Advisor" and full_name(patched) == "Sam Taylor"
    replace = {"email_addresses": ["only@taylor.test"], "phone_numbers": []}
    put = api.data("PUT", path, {"data": {"values": replace}})
    assert [e["email_address"] for e in put["values"]["email_addresses"]] == ["only@taylor.test"]
    assert put["values"]["phone_numbers"] == [] and full_name(put) == "Sam Taylor"
    assert api.call("DELETE", path).get_json() == {}
    status, err = api.error("DELETE", path)
    assert status == 404 and err["message"] == f'Record with ID "{sam}" not found.'


def test_relationships_stay_in_step(api: Api) -> None:
    def team(key: str) -> list:
        rec = api.data("GET", f"/v2/objects/companies/records/{rid('companies', key)}")
        return [t["target_record_id"] for t in rec["values"]["team"]]

    quill = {"target_object": "companies", "target_record_id": rid("companies", "quill")}
    felix = f"/v2/objects/people/records/{rid('people', 'felix')}"
    api.data("PATCH", felix, {"data": {"values": {"company": quill}}})
    assert rid("people", "felix") in team("quill") and rid("people", "felix") not in team("kestrel")
    assert api.call("DELETE", f"/v2/objects/people/records/{rid('people', 'isla')}").status_code == 200
    assert rid("people", "isla") not in team("quill")


@pytest.mark.parametrize("values, code", [
    ({"name": 42}, "validation_type"),
    ({"email_addresses": ["not-an-email"]}, "validation_type"),
    ({"job_title": ["a", "b"]}, "validation_type"),
    ({"shoe_size": 4}, "value_not_found"),
    ({"avatar_url": "https://x.test/a.png"}, "immutable_value"),
    ({"company": {"target_object": "companies", "target_record_id": "nope"}}, "value_not_found"),
    ({"primary_location": {"city": "Paris"}}, "validation_type"),
    ({"phone_numbers": ["5558675309"]}, "validation_type"),
    ({"email_addresses": "a@b.test", "name": {"full_name": 3}}, "validation_type"),
])
def test_bad_values(api: Api, values: dict, code: str) -> None:
    status, err = api.error("POST", "/v2/objects/people/records", {"data": {"values": values}})
    assert status == 400 and err["code"] == code


WRITE_ENDPOINTS = [
    ("POST", "/v2/objects/people/records"),
    ("PUT", "/v2/objects/people/records?matching_attribute=email_addresses"),
    ("PATCH", "/v2/objects/people/records/{sam}"), ("PUT", "/v2/objects/people/records/{sam}"),
    ("POST", "/v2/objects/people/records/query"), ("POST", "/v2/objects/records/search"),
    ("POST", "/v2/notes"), ("POST", "/v2/tasks"), ("PATCH", "/v2/tasks/{task}"), ("POST", "/v2/comments"),
    ("POST", "/v2/lists/sales_pipeline/entries"), ("PUT", "/v2/lists/sales_pipeline/entries"),
    ("POST", "/v2/lists/sales_pipeline/entries/query"),
    ("POST", "/v2/meetings"), ("PATCH", "/v2/meetings/{meeting}"), ("PUT", "/v2/meetings/{meeting}"),
    ("POST", "/v2/meetings/{meeting}/call_recordings"), ("PATCH", "/v2/notes/{note}"),
    ("POST", "/v2/objects/people/records/merge"), ("POST", "/v2/sql"),
]
CAMEL = {"/v2/comments", "/v2/meetings"}  # their 400s say statusCode (reference §0.3)
ODD_BODIES = ["{bad json", "[]", "null", '"text"', "42", '{"data": []}', '{"data": {"values": 3}}',
              '{"data": {"values": {"name": {"first_name": null}}}}', '{"filter": [1]}',
              '{"sorts": "name", "limit": -1}']


@pytest.mark.parametrize("method, path", WRITE_ENDPOINTS)
@pytest.mark.parametrize("body", ODD_BODIES)
def test_never_500_for_client_input(api: Api, method: str, path: str, body: str) -> None:
    task = api.data("GET", "/v2/tasks")[0]["id"]["task_id"]
    meeting = api.page("/v2/meetings")["data"][0]["id"]["meeting_id"]
    note = api.data("GET", "/v2/notes")[0]["id"]["note_id"]
    url = path.format(sam=rid("people", "sam"), task=task, meeting=meeting, note=note)
    r = api.call(method, url, data=body, content_type="application/json")
    assert r.status_code < 500, r.get_data(as_text=True)
    if r.status_code >= 400:
        key = "statusCode" if url in CAMEL and r.status_code == 400 else "status_code"
        assert set(r.get_json()) == {key, "type", "code", "message"}
    else:  # only the query endpoints accept these, ignoring unknown members
        assert path.endswith("/query") and "data" in r.get_json()
