"""Email metadata: `GET /v2/emails` (attio-api-2026.md §5)."""
from __future__ import annotations

from attio_demo.tokens import DEMO_TOKEN_2, DEMO_TOKEN_MEMBER

from .conftest import Api, rid

EMAIL_KEYS = {"id", "sent_at", "direction", "subject_line", "participants", "linked_records"}
NOT_ENABLED = ("Email access is not enabled for this workspace. The emails API is in alpha: a workspace admin can "
               "request access from support@attio.com.")


def subjects(api: Api, **params: str) -> list[str | None]:
    return [e["subject_line"] for page in api.all_pages("/v2/emails", **params) for e in page]


def test_by_domain_newest_first_with_derived_links(api: Api) -> None:
    body = api.page("/v2/emails", domain="atlasfintech.co.uk")
    assert [e["subject_line"] for e in body["data"]] == ["Re: Atlas Fintech: MSA redlines",
                                                         "Atlas Fintech: MSA redlines"]
    email = body["data"][0]
    assert set(email) == EMAIL_KEYS and email["direction"] == "inbound" and "content" not in str(email.keys())
    assert email["sent_at"] == "2026-11-14T10:02:00.000000000Z"
    assert email["participants"][0] == {"role": "from", "email_address": "oliver@atlasfintech.co.uk",
                                        "email_domain": "atlasfintech.co.uk", "name": "Oliver Grant"}
    linked = {(x["object_slug"], x["record_id"]) for x in email["linked_records"]}
    assert linked == {("people", rid("people", "oliver")), ("companies", rid("companies", "atlas"))}


def test_by_linked_records_participants_and_or_combination(api: Api) -> None:
    people = subjects(api, linked_object="people", linked_record_ids=rid("people", "siobhan"))
    assert people == ["Re: Security questionnaire for Brightwave Energy",
                      "Security questionnaire for Brightwave Energy"]
    company = subjects(api, linked_object="companies", linked_record_ids=rid("companies", "kestrel"))
    assert company == [None, "Kestrel Security renewal quote"]  # a metadata-only mailbox: no subject
    both = subjects(api, participants="JANA.SCHULZ@kestrelsec.de", domain="greenfield-renewables.ie")
    assert both == [None, "Kestrel Security renewal quote", "Greenfield onboarding: next steps"]


def test_time_window_is_exclusive(api: Api) -> None:
    assert subjects(api, domain="atlasfintech.co.uk", sent_after="2026-11-14T10:02:00Z") == []
    assert subjects(api, domain="atlasfintech.co.uk", sent_after="2026-11-14T10:01:59Z") == [
        "Re: Atlas Fintech: MSA redlines"]
    assert subjects(api, domain="atlasfintech.co.uk", sent_before="2026-11-12T16:20:00Z") == []


def test_exclude_automated_participants(api: Api) -> None:
    assert "Your Brightwave partner portal invoice is ready" in subjects(api, domain="brightwave-energy.com")
    human = subjects(api, domain="brightwave-energy.com", exclude_automated_participants="true")
    assert "Your Brightwave partner portal invoice is ready" not in human and len(human) == 2
    # calendar@ is automated, but Priya (cc) is a person: the invitation stays.
    assert "Invitation: Northpeak quarterly business review" in subjects(
        api, domain="northpeak.io", exclude_automated_participants="true")


def test_own_workspace_filters_are_ignored(api: Api) -> None:
    body = api.page("/v2/emails", participants="maya.chen@demo-sales.example", domain="demo-sales.example")
    assert body == {"data": [], "pagination": {"next_cursor": None}}
    assert subjects(api, participants="maya.chen@demo-sales.example,oliver@atlasfintech.co.uk") == [
        "Re: Atlas Fintech: MSA redlines", "Atlas Fintech: MSA redlines"]


def test_pages_can_be_short_or_empty_before_the_last(api: Api) -> None:
    pages = api.all_pages("/v2/emails", domain="northpeak.io", limit=2)
    assert len(pages) == 6  # eleven emails in the window, two per page
    assert [len(p) for p in pages].count(0) >= 3 and sum(len(p) for p in pages) == 2
    assert [e["subject_line"] for p in pages for e in p] == ["Expansion: seats for Q1",
                                                             "Invitation: Northpeak quarterly business review"]


def test_validation(api: Api) -> None:
    for query, needle in (("", "At least one of"), ("?linked_object=people", "together"),
                          ("?domain=x.test&limit=51", "between 1 and 50"),
                          ("?linked_object=deals&linked_record_ids=" + rid("deals", "atlas"), "people or companies"),
                          ("?participants=" + ",".join(f"p{n}@x.test" for n in range(11)), "at most 10"),
                          ("?domain=x.test&exclude_automated_participants=maybe", "true or false")):
        status, err = api.error("GET", f"/v2/emails{query}")
        assert status == 400 and needle in err["message"], (query, err)


def test_a_workspace_without_the_alpha_and_a_member_token_are_refused(api: Api) -> None:
    status, err = Api(api.client, DEMO_TOKEN_2).error("GET", "/v2/emails?domain=contoso-pharma.com")
    assert (status, err["type"], err["code"], err["message"]) == (403, "auth_error", "unauthorized", NOT_ENABLED)
    status, err = Api(api.client, DEMO_TOKEN_MEMBER).error("GET", "/v2/emails?domain=atlasfintech.co.uk")
    assert status == 403 and "workspace-level" in err["message"]
    r = api.call("POST", "/_admin/workspaces/northwind", {"emails_enabled": True}, token=None)
    assert r.status_code == 200
    assert Api(api.client, DEMO_TOKEN_2).page("/v2/emails", domain="contoso-pharma.com")["data"] == []
