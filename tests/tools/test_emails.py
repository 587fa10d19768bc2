"""`list_emails` through the official MCP SDK client against the demo Attio: by record, participants and domain,
newest first, cursor pages; and the errors for a workspace without the emails alpha and for a member token."""
from __future__ import annotations

import pytest

from tests.tools.test_meetings import error
from tests.tools.test_records import ok

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"


def subjects(out: dict) -> list:
    return [e["subject"] for e in out["emails"]]


def test_list_emails_by_record_participants_and_domain(server):
    by_company = ok(server, "list_emails", {"record_id": BRIGHTWAVE})
    assert subjects(by_company) == ["Your Brightwave partner portal invoice is ready",
                                    "Re: Security questionnaire for Brightwave Energy",
                                    "Security questionnaire for Brightwave Energy"]
    first = by_company["emails"][-1]
    assert first["direction"] == "outbound" and first["sent_at"].startswith("2026-11-02T15:40")
    assert [(p["role"], p["email"]) for p in first["participants"]] == [
        ("from", "maya.chen@demo-sales.example"), ("to", "siobhan.oneil@brightwave-energy.com"),
        ("cc", "marcus@brightwave-energy.com")]
    assert BRIGHTWAVE in {r["id"] for r in first["records"]}
    human = ok(server, "list_emails", {"record_id": BRIGHTWAVE, "exclude_automated": True})
    assert "Your Brightwave partner portal invoice is ready" not in subjects(human)
    by_domain = ok(server, "list_emails", {"domain": "atlasfintech.co.uk"})
    assert subjects(by_domain) == ["Re: Atlas Fintech: MSA redlines", "Atlas Fintech: MSA redlines"]
    by_person = ok(server, "list_emails", {"participants": ["jana.schulz@kestrelsec.de"]})
    assert subjects(by_person) == [None, "Kestrel Security renewal quote"]  # a metadata-only mailbox: no subject
    window = ok(server, "list_emails", {"domain": "atlasfintech.co.uk", "sent_after": "2026-11-13"})
    assert subjects(window) == ["Re: Atlas Fintech: MSA redlines"]
    page = ok(server, "list_emails", {"record_id": BRIGHTWAVE, "limit": 2})
    assert len(page["emails"]) == 2 and page["next_cursor"]
    rest = ok(server, "list_emails", {"record_id": BRIGHTWAVE, "limit": 2, "cursor": page["next_cursor"]})
    assert subjects(rest) == ["Security questionnaire for Brightwave Energy"] and rest["next_cursor"] is None


def test_list_emails_errors(server, pro_server, member_server):
    assert error(server, "list_emails", {}) == (
        "Pass at least one of record_id (a person or company), participants or domain: Attio does not list every "
        "email of a workspace.")
    deal = ok(server, "search_records", {"query": "Kestrel", "objects": ["deals"]})["results"][0]["id"]
    assert error(server, "list_emails", {"record_id": deal}) == (
        f"Emails are linked to people and companies only; {deal!r} is a deals record. Pass a person or company id "
        "from search.")
    assert error(server, "list_emails", {"participants": ["a@b.co"] * 11}) == (
        "Invalid arguments for list_emails: participants: Length must be between 1 and 10.")
    not_enabled = error(pro_server, "list_emails", {"domain": "acme.com"})
    assert not_enabled.startswith("Attio's email API is in alpha and has not been enabled for this workspace or "
                                  "app"), not_enabled
    assert "support@attio.com" in not_enabled
    member = error(member_server, "list_emails", {"domain": "atlasfintech.co.uk"})
    assert member.startswith("Attio lists emails only for workspace-level access tokens"), member
