"""The whole published tool list, as a client sees it: schemas, annotations, scopes, and results
that validate against each tool's outputSchema."""
from __future__ import annotations

import anyio
import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from tests.tools.test_confirmation import TARGETS as CONFIRMED_END_TO_END

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
READ_EXAMPLES = {
    "search": {"query": "energy"},
    "fetch": {"id": BRIGHTWAVE},
    "list_objects": {},
    "list_attributes": {"target": "companies"},
    "search_records": {"query": "brightwave"},
    "query_records": {"object": "companies", "filter": {"name": {"$contains": "energy"}}},
    "get_record": {"id": BRIGHTWAVE},
    "get_related_records": {"id": BRIGHTWAVE},
    "list_lists": {},
    "list_entries": {"list": "sales_pipeline"},
    "list_members": {},
    "find_member": {"query": "maya"},
    "list_notes": {"record_id": BRIGHTWAVE},
    "list_tasks": {},
    "list_comments": {"record_id": BRIGHTWAVE},
    "list_views": {"target": "companies"},
    "query_view": {"target": "sales_pipeline", "view": "High priority"},
    "list_meetings": {"record_id": BRIGHTWAVE},
    "get_meeting": lambda r: {"meeting_id": r["list_meetings"]["meetings"][0]["id"]},
    "list_call_recordings": lambda r: {"meeting_id": r["list_meetings"]["meetings"][0]["id"]},
    "get_call_recording": lambda r: {"meeting_id": r["list_meetings"]["meetings"][0]["id"],
                                     "recording_id": r["list_call_recordings"]["recordings"][0]["id"]},
    "search_call_transcripts": {"record_id": BRIGHTWAVE, "query": "pilot"},
    "list_emails": {"record_id": BRIGHTWAVE},
    "list_files": {"record_id": BRIGHTWAVE},
    "get_file": lambda r: {"file_id": r["list_files"]["files"][0]["id"]},
    "read_file": lambda r: {"file_id": next(f["id"] for f in r["list_files"]["files"]
                                            if f["content_type"] == "text/plain")},
    "run_sql": {"sql": "SELECT name FROM companies LIMIT 3"},
}
# Destructive: the deletes, remove_from_list, and merge_records (the two originals stop existing).
DESTRUCTIVE = {"merge_records"}
HINTS = {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}


def _tools_and_results(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            tools = (await client.list_tools()).tools
            results = {}
            for name, args in READ_EXAMPLES.items():  # some take ids an earlier example returned
                done = {k: v.structured_content for k, v in results.items()}
                results[name] = await client.call_tool(name, args(done) if callable(args) else args)
            return tools, results
    return anyio.run(body)


def test_every_tool_is_well_described_and_every_read_result_matches_its_schema(server):
    tools, results = _tools_and_results(server)
    assert len(tools) == 46
    names = {t.name for t in tools}
    assert set(READ_EXAMPLES) <= names
    for tool in tools:
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is not None, f"{tool.name} has no outputSchema"
        Draft202012Validator.check_schema(tool.output_schema)
        assert tool.description and len(tool.description) > 60, tool.name
        hints = tool.annotations.model_dump(by_alias=True, exclude_none=True)
        assert HINTS <= set(hints), f"{tool.name} lacks {HINTS - set(hints)}"
        scope = (tool.meta or {})["securitySchemes"][0]["scopes"]
        if hints["readOnlyHint"]:
            assert scope == ["attio:read"] and not hints["destructiveHint"], tool.name
            assert tool.name in READ_EXAMPLES, f"read tool {tool.name} has no example call here"
        else:
            assert scope == ["attio:write"], tool.name
        destructive = tool.name.startswith(("delete_", "remove_")) or tool.name in DESTRUCTIVE
        assert hints["destructiveHint"] is destructive, tool.name
        if destructive:  # the one confirmation mechanism: an optional token in, the not-done result out
            token = tool.input_schema["properties"]["confirmation_token"]
            assert token["type"] == "string" and "confirmation_token" not in tool.input_schema.get("required", [])
            statuses = [s["properties"]["status"]["enum"] for s in tool.output_schema["anyOf"]
                        if "status" in s.get("properties", {})]
            assert statuses == [["confirmation_required", "declined", "cancelled"]], tool.name
    # Every destructive tool is also run end to end through confirmation (first call changes nothing).
    assert {t.name for t in tools if t.annotations.destructive_hint} == set(CONFIRMED_END_TO_END)
    schemas = {t.name: t.output_schema for t in tools}
    for name, res in results.items():
        assert not res.is_error, (name, res.content[0].text)
        Draft202012Validator(schemas[name]).validate(res.structured_content)
        assert res.content[0].type == "text" and res.content[0].text.strip()
