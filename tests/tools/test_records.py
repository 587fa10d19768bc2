"""The records family through the official MCP SDK client, against the real server and the demo Attio."""
from __future__ import annotations

import uuid
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.types import ElicitResult

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
MISSING = "companies:00000000-0000-4000-8000-000000000000"
COMPANY_WRITABLE = ("name, domains, description, team, categories, primary_location, angellist, facebook, "
                    "instagram, linkedin, twitter, foundation_date, associated_deals, associated_workspaces")
CATEGORIES = ("B2B, B2C, SaaS, Enterprise, Energy, Fintech, Healthcare, Logistics, Manufacturing, Media, Hardware, "
              "Hospitality, Security, Retail")
DEAL_SLUGS = "record_id, name, stage, owner, value, associated_people, associated_company, created_at, created_by"


def call(server: Any, name: str, args: dict[str, Any], **client: Any) -> Any:
    """One tool call on a fresh SDK client session."""
    async def body() -> Any:
        async with Client(server.mcp_url, mode="legacy", **client) as c:
            return await c.call_tool(name, args)
    return anyio.run(body)


def ok(server: Any, name: str, args: dict[str, Any], **client: Any) -> dict[str, Any]:
    """A successful call's structuredContent, checked against the tool's outputSchema."""
    from connector.tools.docs import published_registry

    res = call(server, name, args, **client)
    assert not res.is_error, res.content[0].text
    jsonschema.validate(res.structured_content, published_registry().tools[name].output_schema)
    assert len(res.content) == 1 and res.content[0].type == "text" and res.content[0].text
    return res.structured_content


def confirmed(server: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A destructive call carried through: the first call changes nothing, its token confirms the second."""
    first = ok(server, name, args)
    assert first["status"] == "confirmation_required", first
    return ok(server, name, {**args, "confirmation_token": first["confirmation_token"]})


def error(server: Any, name: str, args: dict[str, Any]) -> str:
    """A failed call's message."""
    res = call(server, name, args)
    assert res.is_error, res.structured_content
    return res.content[0].text


def unique_domain() -> str:
    return f"acme-{uuid.uuid4().hex[:8]}.com"


# -- search_records ---------------------------------------------------------------------------

def test_search_records_finds_by_name_and_rejects_unknown_objects(server):
    out = ok(server, "search_records", {"query": "brightwave", "objects": ["companies"]})
    first = out["results"][0]
    assert first["id"] == BRIGHTWAVE and first["title"] == "Brightwave Energy"
    assert first["url"] == "https://app.attio.com/demo-sales/company/549937a9-9b09-5351-a4ff-1972c1d8a132"
    people = ok(server, "search_records", {"query": "brightwave", "objects": ["people"]})["results"]
    assert {p["title"] for p in people} == {"Siobhan O'Neil", "Marcus Reyes"}
    assert error(server, "search_records", {"query": "x", "objects": ["planets"]}) == (
        'Unknown object "planets". Objects in this workspace: people, companies, deals, users, workspaces.')


# -- query_records ----------------------------------------------------------------------------

def test_query_records_filters_sorts_and_pages(server):
    args = {"object": "deals", "filter": {"stage": "In Progress"}, "sorts": [{"attribute": "name"}], "limit": 2}
    first = ok(server, "query_records", args)
    assert [r["title"] for r in first["records"]] == ["Atlas Fintech enterprise licence",
                                                       "Brightwave Energy fleet analytics rollout"]
    assert first["records"][0]["values"]["stage"] == ["In Progress"]
    assert first["next_cursor"]
    rest = ok(server, "query_records", {**args, "cursor": first["next_cursor"]})
    assert [r["title"] for r in rest["records"]] == ["Kestrel Security renewal"] and rest["next_cursor"] is None
    verbose = ok(server, "query_records", {"object": "people", "filter": {"$and": [
        {"email_addresses": {"email_domain": {"$eq": "brightwave-energy.com"}}},
        {"job_title": {"$contains": "cto"}}]}})
    assert [r["title"] for r in verbose["records"]] == ["Marcus Reyes"]


def test_query_records_validates_the_filter_before_sending(server):
    assert error(server, "query_records", {"object": "deals", "filter": {"colour": "red"}}) == (
        f'Invalid filter: unknown attribute "colour" for object "deals". Valid attribute slugs: {DEAL_SLUGS}.')
    assert error(server, "query_records", {"object": "deals", "filter": {"name": {"$like": "x"}}}) == (
        'Invalid filter: unknown operator "$like" on "name". Valid operators: $eq, $in, $not_empty, $contains, '
        "$starts_with, $ends_with, $lt, $lte, $gt, $gte.")
    assert error(server, "query_records", {"object": "deals", "filter": {"$xor": []}}) == (
        'Invalid filter: unknown operator "$xor". Valid operators: $eq, $in, $not_empty, $contains, '
        "$starts_with, $ends_with, $lt, $lte, $gt, $gte, $and, $or, $not.")
    assert error(server, "query_records", {"object": "deals", "filter": {"stage": {"$in": "Lead"}}}) == (
        "Invalid filter: \"$in\" on \"stage\" takes an array of values, got 'Lead'.")
    assert error(server, "query_records", {"object": "deals", "sorts": [{"attribute": "size"}]}) == (
        f'Invalid sort: unknown attribute "size" for object "deals". Valid attribute slugs: {DEAL_SLUGS}.')


# -- get_record -------------------------------------------------------------------------------

def test_get_record_renders_values_and_reports_missing_records(server):
    rec = ok(server, "get_record", {"id": BRIGHTWAVE})
    assert rec["title"] == "Brightwave Energy" and rec["values"]["domains"] == ["brightwave-energy.com"]
    assert rec["values"]["categories"] == ["Energy", "B2B"]
    assert any(v.startswith("Siobhan O'Neil (people:") for v in rec["values"]["team"])
    text = call(server, "get_record", {"id": BRIGHTWAVE}).content[0].text
    assert text.startswith("Company: Brightwave Energy\nid: " + BRIGHTWAVE) and "Categories: Energy, B2B" in text
    assert error(server, "get_record", {"id": MISSING}) == (
        "No companies record with id 00000000-0000-4000-8000-000000000000 exists in this workspace (it may have "
        "been deleted). Search again (search_records or search) to get a current id.")
    assert error(server, "get_record", {"id": "Brightwave"}) == (
        "Invalid id 'Brightwave': expected '<object>:<record id>' exactly as returned by search, "
        "e.g. 'companies:a3e03bc6-280c-4854-840f-dc5ab37ba0f5'.")


# -- get_related_records ----------------------------------------------------------------------

def test_get_related_records_follows_references(server):
    team = ok(server, "get_related_records", {"id": BRIGHTWAVE, "relation": "team"})
    assert team["title"] == "Brightwave Energy"
    [rel] = team["relations"]
    assert rel["relation"] == "team" and rel["total"] == 2
    assert {r["title"] for r in rel["records"]} == {"Siobhan O'Neil", "Marcus Reyes"}
    assert all(r["id"].startswith("people:") and "/person/" in r["url"] for r in rel["records"])
    every = ok(server, "get_related_records", {"id": BRIGHTWAVE})
    by = {r["relation"]: r for r in every["relations"]}
    assert set(by) == {"team", "associated_deals"}
    assert [r["title"] for r in by["associated_deals"]["records"]] == ["Brightwave Energy fleet analytics rollout"]
    paged = ok(server, "get_related_records", {"id": BRIGHTWAVE, "relation": "team", "limit": 1})
    assert len(paged["relations"][0]["records"]) == 1 and paged["next_cursor"]
    assert error(server, "get_related_records", {"id": BRIGHTWAVE, "relation": "employees"}) == (
        '"employees" is not a relation of companies. Relations (record-reference attributes): team, '
        "associated_deals, associated_workspaces.")


# -- create_record ----------------------------------------------------------------------------

def test_create_then_get_shows_the_converted_values(server, reset_demo):
    domain = unique_domain()
    made = ok(server, "create_record", {"object": "companies", "values": {
        "name": "Acme Test", "domains": f"https://www.{domain}/about", "categories": "saas",
        "foundation_date": "2026-12-01"}})
    assert made["matched_on"] == "domains" and made["id"].startswith("companies:")
    got = ok(server, "get_record", {"id": made["id"]})
    assert got["values"]["domains"] == [domain] and got["values"]["categories"] == ["SaaS"]
    assert got["values"]["foundation_date"] == ["2026-12-01"] and got["title"] == "Acme Test"
    deal = ok(server, "create_record", {"object": "deals", "values": {
        "name": "Acme pilot", "stage": "lead", "owner": "maya.chen@demo-sales.example",
        "value": {"amount": 1200, "currency": "EUR"}, "associated_company": made["id"]}})
    assert deal["matched_on"] is None
    assert deal["values"]["stage"] == ["Lead"] and deal["values"]["value"] == ["EUR 1,200.00"]
    assert deal["values"]["owner"] == ["Maya Chen"]
    related = ok(server, "get_related_records", {"id": made["id"], "relation": "associated_deals"})
    assert [r["id"] for r in related["relations"][0]["records"]] == [deal["id"]]


def test_create_resolves_a_record_reference_by_name(server, reset_demo):
    person = ok(server, "create_record", {"object": "people", "values": {
        "name": "Ada Lovelace", "email_addresses": "ada@example.org", "company": "Brightwave Energy"}})
    assert person["values"]["company"] == [BRIGHTWAVE]
    got = ok(server, "get_record", {"id": person["id"]})
    assert got["values"]["company"] == [f"Brightwave Energy ({BRIGHTWAVE})"]
    assert got["values"]["name"] == ["Ada Lovelace"]
    team = ok(server, "get_related_records", {"id": BRIGHTWAVE, "relation": "team"})["relations"][0]
    assert person["id"] in [r["id"] for r in team["records"]]  # the company's cached read was dropped
    confirmed(server, "delete_record", {"id": person["id"]})


def test_create_rejects_bad_input_with_the_valid_choices(server, reset_demo):
    assert error(server, "create_record", {"object": "companies", "values": {"colour": "red"}}) == (
        f'Unknown attribute "colour" for object "companies". Valid writable attribute slugs: {COMPANY_WRITABLE}.')
    assert error(server, "create_record", {"object": "companies", "values": {"logo_url": "x"}}) == (
        'Attribute "logo_url" of object "companies" is read-only (Attio sets it); leave it out. '
        f"Valid writable attribute slugs: {COMPANY_WRITABLE}.")
    assert error(server, "create_record", {"object": "companies", "values": {"name": "X", "categories": "Crypto"}}) \
        == f'Invalid value for "categories" (select): "Crypto" is not a valid option. Valid options: {CATEGORIES}.'
    assert error(server, "create_record", {"object": "deals", "values": {"stage": "Won"}}) == (
        'Invalid value for "stage" (status): "Won" is not a valid status. Valid statuses: Lead, In Progress, '
        "Won 🎉, Lost.")
    assert error(server, "create_record", {"object": "companies", "values": {"foundation_date": "12/01/2026"}}) == (
        'Invalid value for "foundation_date" (date): "12/01/2026" is not a date; use YYYY-MM-DD, e.g. "2026-12-01".')
    assert error(server, "create_record", {"object": "people", "values": {"company": "Nonexistent Widgets"}}) == (
        'Invalid value for "company" (record-reference): no companies record matches "Nonexistent Widgets". '
        'Find it with search_records and pass its id as "<object>:<record id>".')
    ambiguous = error(server, "create_record", {"object": "people", "values": {"company": "Energy"}})
    assert ambiguous.startswith('Invalid value for "company" (record-reference): "Energy" is ambiguous: it matches '
                                "2 companies records: ")
    assert f"Brightwave Energy ({BRIGHTWAVE})" in ambiguous and "Greenfield Renewable Energy (companies:" in ambiguous
    assert error(server, "create_record", {"object": "deals", "values": {"owner": "nobody@x.com"}}) == (
        'Invalid value for "owner" (actor-reference): "nobody@x.com" is not a workspace member (give an email or '
        "full name). Members: Maya Chen <maya.chen@demo-sales.example>, "
        "Tomás Alvarez <tomas.alvarez@demo-sales.example>.")
    assert error(server, "create_record", {"object": "planets", "values": {"name": "Mars"}}) == (
        'Unknown object "planets". Objects in this workspace: people, companies, deals, users, workspaces.')
    assert error(server, "create_record", {"object": "companies", "values": {}}) == (
        'values is empty: give at least one attribute, e.g. {"name": "Acme"}.')


def test_a_retried_create_with_the_same_unique_email_does_not_duplicate(server, reset_demo):
    email = f"retry-{uuid.uuid4().hex[:8]}@example.org"
    args = {"object": "people", "values": {"name": "Grace Hopper", "email_addresses": email}}
    first = ok(server, "create_record", args)
    again = ok(server, "create_record", args)
    assert first["id"] == again["id"] and again["matched_on"] == "email_addresses"
    found = ok(server, "query_records", {"object": "people", "filter": {"email_addresses": email}})
    assert [r["id"] for r in found["records"]] == [first["id"]]


# -- upsert_record ----------------------------------------------------------------------------

def test_upsert_updates_the_match_or_creates(server, reset_demo):
    domain = unique_domain()
    made = ok(server, "upsert_record", {"object": "companies", "matching_attribute": "domains",
                                        "values": {"domains": domain, "name": "Upsert Co"}})
    again = ok(server, "upsert_record", {"object": "companies", "matching_attribute": "domains",
                                         "values": {"domains": domain, "description": "Now described"}})
    assert again["id"] == made["id"] and again["values"]["description"] == ["Now described"]
    assert ok(server, "get_record", {"id": made["id"]})["values"]["name"] == ["Upsert Co"]
    assert error(server, "upsert_record", {"object": "companies", "matching_attribute": "name",
                                           "values": {"name": "Acme"}}) == (
        '"name" is not a unique attribute of companies, so it cannot be matched on. '
        "Unique attributes of companies: domains.")
    assert error(server, "upsert_record", {"object": "companies", "matching_attribute": "domains",
                                           "values": {"name": "Acme"}}) == (
        'values must include "domains", the value to match on.')


# -- update_record ----------------------------------------------------------------------------

def test_update_is_visible_on_the_next_get_and_modes_differ(server, reset_demo):
    made = ok(server, "create_record", {"object": "companies", "values": {
        "name": "Modes Ltd", "domains": unique_domain(), "categories": ["Energy", "B2B"]}})
    assert ok(server, "get_record", {"id": made["id"]})["values"]["categories"] == ["Energy", "B2B"]  # now cached
    appended = ok(server, "update_record", {"id": made["id"], "values": {"categories": "fintech",
                                                                          "name": "Modes Group"}})
    assert appended["mode"] == "append" and appended["values"]["categories"] == ["Energy", "B2B", "Fintech"]
    got = ok(server, "get_record", {"id": made["id"]})
    assert got["title"] == "Modes Group" and got["values"]["categories"] == ["Energy", "B2B", "Fintech"]
    ok(server, "update_record", {"id": made["id"], "values": {"categories": ["SaaS"]}, "mode": "overwrite"})
    assert ok(server, "get_record", {"id": made["id"]})["values"]["categories"] == ["SaaS"]
    assert error(server, "update_record", {"id": made["id"], "values": {"foundation_date": "soon"}}) == (
        'Invalid value for "foundation_date" (date): "soon" is not a date; use YYYY-MM-DD, e.g. "2026-12-01".')
    assert error(server, "update_record", {"id": MISSING, "values": {"name": "Ghost"}}) == (
        "No companies record with id 00000000-0000-4000-8000-000000000000 exists in this workspace (it may have "
        "been deleted). Search again (search_records or search) to get a current id.")
    assert error(server, "update_record", {"id": made["id"], "values": {"name": "x"}, "mode": "replace"}) == (
        "Invalid arguments for update_record: mode: Must be one of: append, overwrite.")


# -- delete_record ----------------------------------------------------------------------------

def _company(server: Any) -> dict[str, Any]:
    return ok(server, "create_record", {"object": "companies", "values": {"name": "Doomed Inc",
                                                                          "domains": unique_domain()}})


def test_delete_then_get_is_not_found(server, reset_demo):
    made = _company(server)
    ok(server, "get_record", {"id": made["id"]})  # cached before the delete
    gone = confirmed(server, "delete_record", {"id": made["id"]})
    assert gone == {"id": made["id"], "title": "Doomed Inc", "url": made["url"], "deleted": True,
                    "confirmation": "token"}
    rid = made["id"].split(":")[1]
    assert error(server, "get_record", {"id": made["id"]}) == (
        f"No companies record with id {rid} exists in this workspace (it may have been deleted). "
        "Search again (search_records or search) to get a current id.")
    assert error(server, "delete_record", {"id": made["id"]}) == (
        f"No companies record with id {rid} exists in this workspace (it may have been deleted). "
        "Search again (search_records or search) to get a current id.")


def test_delete_asks_for_confirmation_through_elicitation(server, reset_demo):
    asked: list[Any] = []

    def answering(action: str, confirm: bool):
        async def callback(context, params):
            asked.append(params)
            return ElicitResult(action=action, content={"confirm": confirm} if action == "accept" else None)
        return callback

    made = _company(server)
    kept = ok(server, "delete_record", {"id": made["id"]}, elicitation_callback=answering("decline", False))
    assert kept == {"status": "declined", "action": asked[0].message.removesuffix("\n\nGo ahead?"),
                    "arguments": {"id": made["id"]}}
    assert asked[0].message == (f'Permanently delete the company "Doomed Inc" ({made["id"]}) from Attio, with its '
                                "list entries. This cannot be undone.\n\nGo ahead?")
    assert asked[0].requested_schema["required"] == ["confirm"]
    unsure = ok(server, "delete_record", {"id": made["id"]}, elicitation_callback=answering("accept", False))
    assert unsure["status"] == "declined"
    assert ok(server, "get_record", {"id": made["id"]})["title"] == "Doomed Inc"
    done = ok(server, "delete_record", {"id": made["id"]}, elicitation_callback=answering("accept", True))
    assert done["deleted"] is True and done["confirmation"] == "accepted"
    assert call(server, "get_record", {"id": made["id"]}).is_error


def test_record_tools_are_annotated_and_scoped(server):
    async def body() -> dict[str, Any]:
        async with Client(server.mcp_url, mode="legacy") as c:
            return {t.name: t for t in (await c.list_tools()).tools}
    tools = anyio.run(body)
    for name in ("search_records", "query_records", "get_record", "get_related_records"):
        a = tools[name].annotations
        assert (a.read_only_hint, a.destructive_hint, a.idempotent_hint) == (True, False, True), name
        assert tools[name].meta["securitySchemes"][0]["scopes"] == ["attio:read"]
    for name, destructive, idempotent in (("create_record", False, False), ("upsert_record", False, True),
                                          ("update_record", False, True), ("delete_record", True, True)):
        a = tools[name].annotations
        assert (a.read_only_hint, a.destructive_hint, a.idempotent_hint) == (False, destructive, idempotent), name
        assert tools[name].meta["securitySchemes"][0]["scopes"] == ["attio:write"]
    assert all(tools[n].annotations.open_world_hint is False for n in tools if "record" in n)
