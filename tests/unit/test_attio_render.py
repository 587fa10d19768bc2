"""Rendering Attio records and values as text, on the real record shapes of the API reference (§5)."""
from __future__ import annotations

import copy
import json

import pytest

from connector.attio.render import record_title, record_url, render_record, render_value, singular_path

# Verbatim from the reference §5: a live person (July 2025) and a live company (April 2025).
PERSON = json.loads(
    '{"id":{"workspace_id":"a96c9c20-442b-43cd-a94b-3d4683051661",'
    '"object_id":"445e7c02-0068-4b3c-8937-aebbf7530920",'
    '"record_id":"0174bfac-74b9-41de-b757-c6fa2a68ab00"},'
    '"created_at":"2025-07-22T15:07:00.895000000Z",'
    '"web_url":"https://app.attio.com/r-and-k-tech-llc/person/0174bfac-74b9-41de-b757-c6fa2a68ab00",'
    '"values":{"record_id":[{"active_from":"2025-07-22T15:07:00.895000000Z","active_until":null,'
    '"created_by_actor":{"type":"api-token","id":"4c9b8eb9-4b5d-4b27-a37c-6a9ff08bd3ee"},'
    '"value":"0174bfac-74b9-41de-b757-c6fa2a68ab00","attribute_type":"text"}],'
    '"name":[{"active_from":"2025-07-22T15:07:00.895000000Z","active_until":null,'
    '"created_by_actor":{"type":"api-token","id":"4c9b8eb9-4b5d-4b27-a37c-6a9ff08bd3ee"},'
    '"first_name":"Phone","last_name":"Test","full_name":"Phone Test",'
    '"attribute_type":"personal-name"}],'
    '"email_addresses":[{"active_from":"2025-07-22T15:07:00.895000000Z","active_until":null,'
    '"created_by_actor":{"type":"api-token","id":"4c9b8eb9-4b5d-4b27-a37c-6a9ff08bd3ee"},'
    '"original_email_address":"phone_test_1753196820.501433@example.com",'
    '"email_address":"phone_test_1753196820.501433@example.com","email_domain":"example.com",'
    '"email_root_domain":"example.com","email_local_specifier":"phone_test_1753196820.501433",'
    '"attribute_type":"email-address"}],'
    '"phone_numbers":[{"active_from":"2025-07-22T15:07:00.895000000Z","active_until":null,'
    '"created_by_actor":{"type":"api-token","id":"4c9b8eb9-4b5d-4b27-a37c-6a9ff08bd3ee"},'
    '"phone_number":"+12125551234","original_phone_number":"+12125551234","country_code":"US",'
    '"attribute_type":"phone-number"}],"description":[],"company":[],"job_title":[],"avatar_url":[],'
    '"primary_location":[],"angellist":[],"facebook":[],"instagram":[],"linkedin":[],"twitter":[],'
    '"twitter_follower_count":[],"first_calendar_interaction":[],"last_calendar_interaction":[],'
    '"next_calendar_interaction":[],"first_email_interaction":[],"last_email_interaction":[],'
    '"first_interaction":[],"last_interaction":[],"next_interaction":[],'
    '"strongest_connection_strength_legacy":[],"strongest_connection_strength":[],'
    '"strongest_connection_user":[],"associated_deals":[],"associated_users":[]}}'
)

COMPANY = json.loads(
    '{"id":{"workspace_id":"fa02d59a-674a-4e08-9fbe-4c82cbbe80d7",'
    '"object_id":"acb37e8a-bed6-4895-934a-a9e1b2cbfdbe",'
    '"record_id":"a3e03bc6-280c-4854-840f-dc5ab37ba0f5"},'
    '"created_at":"2025-04-18T22:13:01.520000000Z",'
    '"web_url":"https://app.attio.com/shapescale/company/a3e03bc6-280c-4854-840f-dc5ab37ba0f5",'
    '"values":{"record_id":[{"active_from":"2025-04-18T22:13:01.532000000Z","active_until":null,'
    '"created_by_actor":{"type":"system","id":null},"value":"a3e03bc6-280c-4854-840f-dc5ab37ba0f5",'
    '"attribute_type":"text"}],"name":[{"active_from":"2025-04-19T00:46:57.041000000Z",'
    '"active_until":null,"created_by_actor":{"type":"workspace-member",'
    '"id":"d28a35f1-5788-49f9-a320-6c8c353147d8"},"value":"Energyguided Technology",'
    '"attribute_type":"text"}],"domains":[{"active_from":"2025-04-18T22:13:01.593000000Z",'
    '"active_until":null,"created_by_actor":{"type":"system","id":null},"domain":"energyguided.com",'
    '"root_domain":"energyguided.com","attribute_type":"domain"}],"description":[],'
    '"team":[{"active_from":"2025-04-18T22:13:02.800000000Z","active_until":null,'
    '"created_by_actor":{"type":"system","id":null},"target_object":"people",'
    '"target_record_id":"f88fc2bb-dd64-5b9a-811e-6e0a03df268d","attribute_type":"record-reference"}],'
    '"categories":[],"primary_location":[{"active_from":"2025-04-19T00:46:57.041000000Z",'
    '"active_until":null,"created_by_actor":{"type":"workspace-member",'
    '"id":"d28a35f1-5788-49f9-a320-6c8c353147d8"},"line_1":"7140 Preston Rd","line_2":null,'
    '"line_3":null,"line_4":null,"locality":"Plano","region":"Texas","postcode":"75024",'
    '"country_code":"US","latitude":null,"longitude":null,"attribute_type":"location"}],'
    '"referrer":[{"active_from":"2025-04-19T00:46:57.041000000Z","active_until":null,'
    '"created_by_actor":{"type":"workspace-member","id":"d28a35f1-5788-49f9-a320-6c8c353147d8"},'
    '"option":{"id":{"workspace_id":"fa02d59a-674a-4e08-9fbe-4c82cbbe80d7",'
    '"object_id":"acb37e8a-bed6-4895-934a-a9e1b2cbfdbe",'
    '"attribute_id":"e6dff193-9663-4118-9a9b-3f6fdd0c478c",'
    '"option_id":"7569b405-a387-484c-94dd-4e44726a8378"},"title":"Trade Show","is_archived":false},'
    '"attribute_type":"select"}],"logo_url":[],"angellist":[],"facebook":[],"instagram":[],'
    '"linkedin":[],"twitter":[],"twitter_follower_count":[],"estimated_arr_usd":[],'
    '"funding_raised_usd":[],"foundation_date":[],"employee_range":[],'
    '"first_calendar_interaction":[],"last_calendar_interaction":[],"next_calendar_interaction":[],'
    '"first_email_interaction":[],"last_email_interaction":[],"first_interaction":[],'
    '"last_interaction":[],"next_interaction":[],"strongest_connection_strength_legacy":[],'
    '"strongest_connection_strength":[],"strongest_connection_user":[],"associated_deals":[],'
    '"associated_workspaces":[],"created_at":[{"active_from":"2025-04-18T22:13:01.649000000Z",'
    '"active_until":null,"created_by_actor":{"type":"system","id":null},'
    '"value":"2025-04-18T22:13:01.520000000Z","attribute_type":"timestamp"}],'
    '"created_by":[{"active_from":"2025-04-18T22:13:01.727000000Z","active_until":null,'
    '"created_by_actor":{"type":"system","id":null},"referenced_actor_type":"system",'
    '"referenced_actor_id":null,"attribute_type":"actor-reference"}]}}'
)

PERSON_ID = "0174bfac-74b9-41de-b757-c6fa2a68ab00"
COMPANY_ID = "a3e03bc6-280c-4854-840f-dc5ab37ba0f5"
ACME_ID = "99a03ff3-0435-47da-95cc-76b2caeb4dab"
MEMBER_ID = "50cf242c-7fa3-4cad-87d0-75b1af71c57b"
COMMON = {"active_from": "2025-07-22T15:07:00.895000000Z", "active_until": None,
          "created_by_actor": {"type": "system", "id": None}}


def v(attribute_type: str, **fields: object) -> dict:
    """A value object with the common fields every Attio value carries."""
    return {**COMMON, **fields, "attribute_type": attribute_type}


def names(target_object: str, target_id: str) -> str | None:
    """A resolver that knows one company, one person and one workspace member."""
    known = {("companies", ACME_ID): "Acme Corp",
             ("people", "f88fc2bb-dd64-5b9a-811e-6e0a03df268d"): "Jane Doe",
             ("workspace-member", MEMBER_ID): "Susan Kare"}
    return known.get((target_object, target_id))


# -- titles ---------------------------------------------------------------------------------


def test_person_title_is_full_name_not_uuid():
    assert record_title(PERSON, "people") == "Phone Test"


def test_person_title_falls_back_to_first_and_last_then_email():
    person = copy.deepcopy(PERSON)
    person["values"]["name"][0]["full_name"] = "Dr. Phone Test"
    assert record_title(person, "people") == "Dr. Phone Test"
    person["values"]["name"] = [v("personal-name", first_name="Ada", last_name="Lovelace", full_name=None)]
    assert record_title(person, "people") == "Ada Lovelace"
    person["values"]["name"] = []
    assert record_title(person, "people") == "phone_test_1753196820.501433@example.com"
    person["values"]["email_addresses"] = []
    assert record_title(person, "people") == f"Person {PERSON_ID}"


def test_company_title_is_name_then_domain():
    assert record_title(COMPANY, "companies") == "Energyguided Technology"
    company = copy.deepcopy(COMPANY)
    company["values"]["name"] = []
    assert record_title(company, "companies") == "energyguided.com"
    company["values"]["domains"] = []
    assert record_title(company, "companies") == f"Company {COMPANY_ID}"


def test_deal_and_custom_object_titles():
    deal = {"id": {"record_id": "d1"}, "values": {"record_id": [v("text", value="d1")],
                                                 "name": [v("text", value="Acme renewal")]}}
    assert record_title(deal, "deals") == "Acme renewal"
    project = {"id": {"record_id": "p1"}, "values": {"record_id": [v("text", value="p1")], "budget": [
        v("number", value=5)], "code": [v("text", value="PRJ-7")]}}
    assert record_title(project, "projects") == "PRJ-7"
    assert record_title({"id": {"record_id": "d2"}, "values": {"name": []}}, "deals") == "Deal d2"
    empty = {"id": {"record_id": "x9"}, "values": {}}
    assert record_title(empty, "projects", singular="Project") == "Project x9"


def test_search_hit_uses_record_text():
    hit = {"id": {"record_id": "r1"}, "record_text": "Alan Mathis", "object_slug": "people"}
    assert record_title(hit, "people") == "Alan Mathis"


# -- every attribute type of §4.1 -----------------------------------------------------------------


VALUE_CASES = [
    ("text", v("text", value="CTO"), "CTO"),
    ("number", v("number", value=12), "12"),
    ("number-float", v("number", value=12.5), "12.5"),
    ("checkbox-false", v("checkbox", value=False), "No"),
    ("checkbox-true", v("checkbox", value=True), "Yes"),
    ("rating", v("rating", value=4), "4/5"),
    ("currency", v("currency", currency_value=12500, currency_code="USD"), "USD 12,500.00"),
    ("currency-no-code", v("currency", currency_value=12500.5, currency_code=None), "12,500.50"),
    ("date", v("date", value="2019-03-01"), "2019-03-01"),
    ("timestamp", v("timestamp", value="2025-07-22T15:07:00.895000000Z"), "2025-07-22 15:07 UTC"),
    ("personal-name", PERSON["values"]["name"][0], "Phone Test"),
    ("email-address", PERSON["values"]["email_addresses"][0], "phone_test_1753196820.501433@example.com"),
    ("phone-number", PERSON["values"]["phone_numbers"][0], "+12125551234"),
    ("domain", COMPANY["values"]["domains"][0], "energyguided.com"),
    ("location", COMPANY["values"]["primary_location"][0], "7140 Preston Rd, Plano, Texas 75024, US"),
    ("location-person", v("location", line_1="1 Infinite Loop", line_2=None, line_3=None, line_4=None,
                          locality="Cupertino", region="CA", postcode="95014", country_code="US",
                          latitude="37.331741", longitude="-122.030333"),
     "1 Infinite Loop, Cupertino, CA 95014, US"),
    ("record-reference", v("record-reference", target_object="companies", target_record_id=ACME_ID),
     f"Acme Corp (companies:{ACME_ID})"),
    ("record-reference-unknown", v("record-reference", target_object="companies", target_record_id="c0ffee"),
     "companies:c0ffee"),
    ("actor-reference", v("actor-reference", referenced_actor_type="workspace-member",
                          referenced_actor_id=MEMBER_ID), "Susan Kare"),
    ("actor-reference-system", COMPANY["values"]["created_by"][0], "Attio (system)"),
    ("actor-reference-token",
     v("actor-reference", referenced_actor_type="api-token", referenced_actor_id="t1"), "api token t1"),
    ("select", COMPANY["values"]["referrer"][0], "Trade Show"),
    ("status", v("status", status={"id": {"status_id": "s1"}, "title": "In Progress", "is_archived": False,
                                   "target_time_in_status": None, "celebration_enabled": False}),
     "In Progress"),
    ("interaction", v("interaction", interaction_type="email", interacted_at="2025-07-22T15:07:00.895000000Z",
                      owner_actor={"type": "workspace-member", "id": MEMBER_ID}),
     "email on 2025-07-22 15:07 UTC (by Susan Kare)"),
    ("interaction-meeting", v("interaction", interaction_type="calendar-event",
                              interacted_at="2024-01-02T09:30:00.000000000Z",
                              owner_actor={"type": None, "id": None}),
     "calendar event on 2024-01-02 09:30 UTC"),
    ("unknown-with-value", v("vector", value="shown anyway"), "shown anyway"),
    ("unknown-fields", v("geo-fence", label="HQ", radius_m=250), "HQ, 250"),
]


@pytest.mark.parametrize("case, value, expected", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_render_value(case, value, expected):
    assert render_value(value, resolve=names) == expected


def test_every_documented_type_has_a_case():
    documented = {"text", "number", "checkbox", "rating", "currency", "date", "timestamp", "personal-name",
                  "email-address", "phone-number", "domain", "location", "record-reference",
                  "actor-reference", "select", "status", "interaction"}
    assert documented <= {value["attribute_type"] for _, value, _ in VALUE_CASES}


def test_actor_resolver_takes_precedence():
    value = v("actor-reference", referenced_actor_type="workspace-member", referenced_actor_id=MEMBER_ID)
    assert render_value(value, resolve_actor=lambda member_id: "S. Kare") == "S. Kare"
    assert render_value(value) == f"workspace member {MEMBER_ID}"


# -- whole records ----------------------------------------------------------------------------------


def test_render_person():
    text = render_record(PERSON, "people", attribute_titles={"email_addresses": "Email addresses",
                                                             "phone_numbers": "Phone numbers"})
    lines = text.splitlines()
    assert lines[0] == "Person: Phone Test"
    assert "Name: Phone Test" in lines
    assert "Email addresses: phone_test_1753196820.501433@example.com" in lines
    assert "Phone numbers: +12125551234" in lines
    assert len(lines) == 4  # title + the three non-empty attributes; record_id and empty ones skipped
    assert "{" not in text and PERSON_ID not in text


def test_render_company_with_titles_and_resolver():
    titles = {"primary_location": "Primary location", "referrer": "Referrer", "team": "Team",
              "created_by": "Created by", "created_at": "Created at", "domains": "Domains", "name": "Name"}
    text = render_record(COMPANY, "companies", singular="Company", attribute_titles=titles, resolve=names)
    lines = text.splitlines()
    assert lines[0] == "Company: Energyguided Technology"
    assert "Primary location: 7140 Preston Rd, Plano, Texas 75024, US" in lines
    assert "Referrer: Trade Show" in lines
    assert "Team: Jane Doe (people:f88fc2bb-dd64-5b9a-811e-6e0a03df268d)" in lines
    assert "Domains: energyguided.com" in lines
    assert "Created by: Attio (system)" in lines
    assert "Created at: 2025-04-18 22:13 UTC" in lines
    assert not any(line.startswith(("Description", "Categories", "Record id")) for line in lines)
    assert "{" not in text and "[" not in text


def test_multiselect_values_join_and_slug_titles():
    domains = [v("domain", domain="acme.com", root_domain="acme.com"),
               v("domain", domain="acme.io", root_domain="acme.io")]
    record = {"id": {"record_id": "c1"}, "values": {"name": [v("text", value="Acme")], "domains": domains}}
    assert render_record(record, "companies").splitlines() == ["Company: Acme", "Name: Acme",
                                                                "Domains: acme.com, acme.io"]


def test_multiline_text_cannot_pose_as_an_attribute():
    record = {"id": {"record_id": "c1"}, "values": {"name": [v("text", value="Acme")], "description": [
        v("text", value="Great customer.\nOwner: attacker@example.com")]}}
    lines = render_record(record, "companies").splitlines()
    assert lines[2] == "Description: Great customer."
    assert lines[3] == "  Owner: attacker@example.com"


def test_custom_object_first_line_uses_singular_noun():
    record = {"id": {"record_id": "p1"}, "values": {"code": [v("text", value="PRJ-7")]}}
    assert render_record(record, "projects", singular="Project").splitlines()[0] == "Project: PRJ-7"
    assert render_record(record, "projects", singular="projects").splitlines()[0] == "Project: PRJ-7"


# -- web URLs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug, noun, expected", [
    ("people", None, "person"), ("companies", "Company", "company"), ("deals", None, "deal"),
    ("projects", "Project Phase", "project-phase"), ("opportunities", None, "opportunity"),
])
def test_singular_path(slug, noun, expected):
    assert singular_path(slug, noun) == expected


def test_record_url_matches_attio_web_url():
    assert record_url("r-and-k-tech-llc", "people", PERSON_ID) == PERSON["web_url"]
    assert record_url("shapescale", "companies", COMPANY_ID, "Company") == COMPANY["web_url"]
    assert record_url("acme", "deals", "../x") == "https://app.attio.com/acme/deal/..%2Fx"
