"""Schema discovery tools through the official MCP SDK client against the demo Attio over loopback."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import _admin
from tests.tools.test_lists import call, ok

pytestmark = pytest.mark.integration


def attio_calls(demo) -> list[str]:
    """The /v2 paths the demo Attio served since the last log reset."""
    return [r["path"] for r in requests.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]]


def test_list_objects_gives_slugs_nouns_and_ids(server):
    out = ok(server, "list_objects", {})
    assert [(o["api_slug"], o["singular"], o["plural"]) for o in out["objects"]] == [
        ("people", "Person", "People"), ("companies", "Company", "Companies"), ("deals", "Deal", "Deals"),
        ("users", "User", "Users"), ("workspaces", "Workspace", "Workspaces")]
    assert all(len(o["object_id"]) == 36 for o in out["objects"]) and out["next_cursor"] is None
    page = call(server, "list_objects", {"limit": 2})
    assert [o["api_slug"] for o in page.structured_content["objects"]] == ["people", "companies"]
    assert page.content[0].text.startswith("5 object(s); showing 2:\n- People (api_slug people; one record "
                                           "is a Person)")
    rest = ok(server, "list_objects", {"limit": 5, "cursor": page.structured_content["next_cursor"]})
    assert [o["api_slug"] for o in rest["objects"]] == ["deals", "users", "workspaces"]


def test_list_objects_rejects_unknown_arguments(server):
    res = call(server, "list_objects", {"object": "people"})
    assert res.is_error
    assert res.content[0].text == "Invalid arguments for list_objects: object: Unknown field."


def test_list_attributes_of_an_object(server):
    out = ok(server, "list_attributes", {"target": "deals"})
    assert out["target"] == "deals" and out["kind"] == "objects" and out["next_cursor"] is None
    attrs = {a["slug"]: a for a in out["attributes"]}
    assert attrs["stage"] == {"slug": "stage", "title": "Deal stage", "type": "status", "writable": True,
                              "required": True, "unique": False, "multiselect": False,
                              "statuses": ["Lead", "In Progress", "Won 🎉", "Lost"]}
    assert attrs["record_id"]["writable"] is False
    assert attrs["associated_people"]["multiselect"] is True
    people = {a["slug"]: a for a in ok(server, "list_attributes", {"target": "People"})["attributes"]}
    assert people["email_addresses"]["unique"] is True and people["email_addresses"]["multiselect"] is True
    assert people["strongest_connection_strength"]["options"][:2] == ["Very weak", "Weak"]
    text = call(server, "list_attributes", {"target": "deals"}).content[0].text
    assert "- stage (Deal stage): status, required; statuses: Lead, In Progress, Won 🎉, Lost" in text
    assert "- record_id (Record ID): text, read-only" in text


def test_list_attributes_of_a_list_and_paging(server):
    out = ok(server, "list_attributes", {"target": "sales_pipeline"})
    assert out["kind"] == "lists" and out["target"] == "sales_pipeline"
    attrs = {a["slug"]: a for a in out["attributes"]}
    assert attrs["stage"]["statuses"] == ["Qualified", "Proposal sent", "Negotiation", "Closed won 🎉",
                                          "Closed lost"]
    assert attrs["priority"]["options"] == ["High", "Medium", "Low"]
    page = ok(server, "list_attributes", {"target": "sales_pipeline", "limit": 2})
    assert [a["slug"] for a in page["attributes"]] == ["stage", "priority"] and page["next_cursor"]


def test_list_attributes_unknown_target_lists_objects_and_lists(server):
    res = call(server, "list_attributes", {"target": "opportunities"})
    assert res.is_error
    assert res.content[0].text == ("Unknown object or list 'opportunities'. Objects: people, companies, deals, "
                                   "users, workspaces. Lists: sales_pipeline, key_accounts. Pass one of these "
                                   "api_slugs.")
    missing = call(server, "list_attributes", {})
    assert missing.is_error
    assert missing.content[0].text == "Invalid arguments for list_attributes: target: Missing data for required field."


def test_schema_reads_are_cached(server, demo_attio):
    ok(server, "list_attributes", {"target": "companies"})
    ok(server, "list_objects", {})
    _admin(demo_attio, "/_admin/requests/reset")
    again = ok(server, "list_attributes", {"target": "companies"})
    ok(server, "list_objects", {})
    assert {a["slug"] for a in again["attributes"]} >= {"name", "domains", "categories"}
    assert attio_calls(demo_attio) == []
