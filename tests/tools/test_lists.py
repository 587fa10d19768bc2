"""List tools through the official MCP SDK client against the demo Attio over loopback."""
from __future__ import annotations

import anyio
import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from connector.mcp.registry import Registry
from connector.tools import register_all

pytestmark = pytest.mark.integration

UNKNOWN_LIST = ("Unknown list 'pipeline'. Available lists: sales_pipeline (Sales pipeline), key_accounts "
                "(Key accounts). Pass one of these api_slugs.")
STAGE_ERROR = ('Invalid value for "stage" (status): "Won" is not a valid status. Valid statuses: Qualified, '
               'Proposal sent, Negotiation, Closed won 🎉, Closed lost.')
MISSING_ENTRY = "00000000-0000-4000-8000-000000000000"


def call(server, name: str, args: dict):
    """One tools/call through the SDK client."""
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            return await client.call_tool(name, args)
    return anyio.run(body)


def output_schema(name: str) -> dict:
    """The tool's outputSchema, from the registry the server publishes."""
    registry = Registry()
    register_all(registry)
    return registry.tools[name].output_schema


def ok(server, name: str, args: dict) -> dict:
    """The structuredContent of a call that must succeed, checked against the tool's outputSchema."""
    res = call(server, name, args)
    assert not res.is_error, res.content[0].text
    Draft202012Validator(output_schema(name)).validate(res.structured_content)
    return res.structured_content


def pipeline(server, **filters) -> dict[str, dict]:
    """The sales pipeline's entries by record title."""
    out = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 100, **filters})
    return {e["record_title"]: e for e in out["entries"]}


def deal_id(server, name: str) -> str:
    """A deal's '<object>:<uuid>' id, found through search."""
    hits = ok(server, "search", {"query": name})["results"]
    return next(h["id"] for h in hits if h["id"].startswith("deals:") and h["title"] == name)


def test_list_lists_shows_slugs_parents_and_access(server):
    out = ok(server, "list_lists", {})
    assert [(x["api_slug"], x["name"], x["parent_object"], x["access"]) for x in out["lists"]] == [
        ("sales_pipeline", "Sales pipeline", "deals", "full-access"),
        ("key_accounts", "Key accounts", "companies", "full-access")]
    assert out["next_cursor"] is None
    res = call(server, "list_lists", {"limit": 1})
    assert res.structured_content["next_cursor"]
    assert "- Sales pipeline (api_slug sales_pipeline, holds deals, access full-access)" in res.content[0].text


def test_list_lists_rejects_a_too_large_limit(server):
    res = call(server, "list_lists", {"limit": 1000})
    assert res.is_error
    assert res.content[0].text == ("Invalid arguments for list_lists: limit: Must be greater than or equal to "
                                   "1 and less than or equal to 100.")


def test_list_entries_renders_parent_records_and_stage(reset_demo, server):
    entries = pipeline(server)
    assert len(entries) == 7
    bw = entries["Brightwave Energy fleet analytics rollout"]
    assert bw["record_id"].startswith("deals:") and len(bw["entry_id"]) == 36
    assert bw["values"] == {"stage": "Proposal sent", "priority": "High",
                            "next_step": "Technical deep-dive on 2 Dec"}
    res = call(server, "list_entries", {"list": "Sales pipeline", "limit": 3})
    assert res.structured_content["list"] == "sales_pipeline"
    assert len(res.structured_content["entries"]) == 3
    text = res.content[0].text
    assert text.startswith("Sales pipeline (sales_pipeline): 3 entries:\n- Brightwave Energy fleet analytics "
                           f"rollout ({bw['record_id']}) · entry {bw['entry_id']}\n  Stage: Proposal sent; "
                           "Priority: High; Next step: Technical deep-dive on 2 Dec")
    rest = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 5,
                                       "cursor": res.structured_content["next_cursor"]})
    assert len(rest["entries"]) == 4 and rest["next_cursor"] is None


def test_list_entries_filters_and_names_members(reset_demo, server):
    negotiating = pipeline(server, filter={"stage": "Negotiation"})
    assert sorted(negotiating) == ["Atlas Fintech enterprise licence", "Kestrel Security renewal"]
    accounts = ok(server, "list_entries", {"list": "key_accounts", "filter": {"tier": "Tier 1"}})["entries"]
    assert {e["record_title"] for e in accounts} == {"Atlas Fintech", "Greenfield Renewable Energy"}
    atlas = next(e for e in accounts if e["record_title"] == "Atlas Fintech")
    assert atlas["values"] == {"tier": "Tier 1", "account_owner": "Maya Chen", "renewal_date": "2027-03-31",
                               "health": "4/5"}


def test_list_entries_unknown_list_and_bad_filter(server):
    res = call(server, "list_entries", {"list": "pipeline"})
    assert res.is_error and res.content[0].text == UNKNOWN_LIST
    bad = call(server, "list_entries", {"list": "sales_pipeline", "filter": {"colour": "red"}})
    assert bad.is_error
    assert bad.content[0].text == ('Attio rejected the request (HTTP 400, code filter_error): Unknown attribute '
                                   '"colour" in filter. Filter on this list\'s attribute slugs: stage, priority, '
                                   'next_step, created_at, created_by.')


def test_add_to_list_creates_an_entry_with_values(reset_demo, server):
    lumen = deal_id(server, "Lumen Health pilot")
    out = ok(server, "add_to_list", {"list": "sales_pipeline", "record_id": lumen,
                                     "values": {"stage": "qualified", "next_step": "Re-open in 2027"}})
    entry = out["entry"]
    assert out["list"] == "sales_pipeline" and entry["record_id"] == lumen
    assert entry["record_title"] == "Lumen Health pilot"
    assert entry["values"] == {"stage": "Qualified", "next_step": "Re-open in 2027"}
    assert pipeline(server)["Lumen Health pilot"]["entry_id"] == entry["entry_id"]


def test_add_to_list_bad_inputs(reset_demo, server):
    lumen = deal_id(server, "Lumen Health pilot")
    wrong = call(server, "add_to_list", {"list": "key_accounts", "record_id": lumen})
    assert wrong.is_error
    assert wrong.content[0].text == (f"List 'key_accounts' holds companies records, but '{lumen}' is a deals "
                                     "record. Pass a companies record id from search.")
    gone = call(server, "add_to_list", {"list": "sales_pipeline",
                                        "record_id": "deals:00000000-0000-4000-8000-000000000000"})
    assert gone.is_error
    assert gone.content[0].text == ("No deals record with id 00000000-0000-4000-8000-000000000000 exists in "
                                    "this workspace (it may have been deleted). Search again (search_records or "
                                    "search) to get a current id.")
    slug = call(server, "add_to_list", {"list": "sales_pipeline", "record_id": lumen, "values": {"colour": 1}})
    assert slug.is_error
    assert slug.content[0].text == ('Unknown attribute "colour" for list "sales_pipeline". Valid writable '
                                    'attribute slugs: stage, priority, next_step.')
    unknown = call(server, "add_to_list", {"list": "pipeline", "record_id": lumen})
    assert unknown.is_error and unknown.content[0].text == UNKNOWN_LIST


def test_update_list_entry_moves_a_deal_along_the_pipeline(reset_demo, server):
    kestrel = pipeline(server)["Kestrel Security renewal"]
    out = ok(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                           "values": {"stage": "closed WON 🎉"}})
    assert out["entry"]["values"]["stage"] == "Closed won 🎉"
    assert out["entry"]["values"]["next_step"] == "Send the renewal quote"
    assert pipeline(server)["Kestrel Security renewal"]["values"]["stage"] == "Closed won 🎉"
    cleared = ok(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                               "values": {"stage": "Negotiation"}, "mode": "overwrite"})
    assert cleared["entry"]["values"]["stage"] == "Negotiation"


def test_update_list_entry_bad_stage_entry_and_values(reset_demo, server):
    kestrel = pipeline(server)["Kestrel Security renewal"]
    bad = call(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                             "values": {"stage": "Won"}})
    assert bad.is_error
    assert bad.content[0].text == STAGE_ERROR
    missing = call(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": MISSING_ENTRY,
                                                 "values": {"stage": "Negotiation"}})
    assert missing.is_error
    assert missing.content[0].text == (f"No entry {MISSING_ENTRY} in list 'sales_pipeline'. Call list_entries "
                                       "with {\"list\": \"sales_pipeline\"} to get current entry ids.")
    empty = call(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                               "values": {}})
    assert empty.is_error
    assert empty.content[0].text == ("Pass at least one value to change, e.g. {\"stage\": \"Negotiation\"}; "
                                     "call list_attributes with the list's slug to see its attributes.")
    mode = call(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                              "values": {"stage": "Negotiation"}, "mode": "replace"})
    assert mode.is_error
    assert mode.content[0].text == "Invalid arguments for update_list_entry: mode: Must be one of: append, overwrite."


def test_remove_from_list_deletes_only_the_entry(reset_demo, server):
    orbital = pipeline(server)["Orbital Robotics proof of concept"]
    args = {"list": "sales_pipeline", "entry_id": orbital["entry_id"]}
    first = ok(server, "remove_from_list", args)
    assert first["status"] == "confirmation_required"  # nothing removed yet (tests/tools/test_confirmation.py)
    out = ok(server, "remove_from_list", {**args, "confirmation_token": first["confirmation_token"]})
    assert out == {"list": "sales_pipeline", "entry_id": orbital["entry_id"], "removed": True}
    assert "Orbital Robotics proof of concept" not in pipeline(server)
    record = ok(server, "fetch", {"id": orbital["record_id"]})
    assert record["title"] == "Orbital Robotics proof of concept"
    again = call(server, "remove_from_list", {"list": "sales_pipeline", "entry_id": orbital["entry_id"]})
    assert again.is_error
    assert again.content[0].text == (f"No entry {orbital['entry_id']} in list 'sales_pipeline'. Call "
                                     "list_entries with {\"list\": \"sales_pipeline\"} to get current entry ids.")
    bad = call(server, "remove_from_list", {"list": "sales_pipeline", "entry_id": "abc"})
    assert bad.is_error
    assert bad.content[0].text == ("Invalid entry_id 'abc': expected a UUID such as "
                                   "649e34f4-c39a-4f4d-99ef-48a36bef8f04.")


def test_write_tools_are_annotated(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            return {t.name: t for t in (await client.list_tools()).tools}
    tools = anyio.run(body)
    assert tools["list_entries"].annotations.read_only_hint is True
    assert tools["add_to_list"].annotations.destructive_hint is False
    assert tools["remove_from_list"].annotations.destructive_hint is True
    assert tools["remove_from_list"].meta["securitySchemes"][0]["scopes"] == ["attio:write"]
