"""The newer Attio surface through the official MCP SDK client speaking 2026-07-28 (`mode="auto"`) to the real
server: a merge confirmed through an input_required round trip, a meeting found by its linked record and its
call transcript read a part at a time, a stage that matches nothing refused with the valid ones, and SQL."""
from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"


async def _ok(client: Client, name: str, args: dict) -> dict:
    res = await client.call_tool(name, args)
    assert not res.is_error, res.content[0].text
    return res.structured_content


def test_merge_is_confirmed_through_an_input_required_round_trip(server, reset_demo):
    asked: list[str] = []

    async def accept(context, params):
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async def body() -> dict:
        async with Client(server.mcp_url, mode="auto", elicitation_callback=accept) as client:
            assert client.protocol_version == "2026-07-28"
            keep = (await _ok(client, "create_record", {"object": "people", "values": {
                "name": "Ada Merge", "email_addresses": "ada.merge@example.org"}}))["id"]
            dupe = (await _ok(client, "create_record", {"object": "people", "values": {
                "name": "A. Merge", "job_title": "Analyst"}}))["id"]
            out = await _ok(client, "merge_records", {"primary_id": keep, "secondary_id": dupe})
            assert out["confirmation"] == "accepted" and out["id"] not in (keep, dupe)
            gone = await client.call_tool("get_record", {"id": dupe})
            assert gone.is_error
            return out
    out = anyio.run(body)
    assert out["record"]["title"] == "Ada Merge" and out["record"]["values"]["job_title"] == ["Analyst"]
    assert len(asked) == 1 and asked[0].startswith('Merge the person "A. Merge" (people:')


def test_a_meeting_and_its_transcript_a_part_at_a_time(server):
    async def body() -> tuple[dict, list[dict]]:
        async with Client(server.mcp_url, mode="auto") as client:
            meetings = (await _ok(client, "list_meetings", {"record_id": BRIGHTWAVE}))["meetings"]
            mid = meetings[0]["id"]
            recording = (await _ok(client, "list_call_recordings", {"meeting_id": mid}))["recordings"][0]
            args = {"meeting_id": mid, "recording_id": recording["id"], "max_chars": 5000}
            first = (await _ok(client, "get_call_recording", args))["transcript"]
            second = (await _ok(client, "get_call_recording",
                                {**args, "transcript_cursor": first["next_cursor"]}))["transcript"]
            return meetings[0], [first, second]
    meeting, (first, second) = anyio.run(body)
    assert meeting["title"] == "Brightwave Energy technical deep-dive"
    assert first["next_cursor"] and second["from_turn"] == len(first["turns"])
    assert first["speakers"] == ["Maya Chen", "Siobhan O'Neil", "Marcus Reyes"]


def test_a_stage_that_matches_nothing_and_a_write_through_sql(server, reset_demo):
    async def body() -> tuple[str, dict]:
        async with Client(server.mcp_url, mode="auto") as client:
            bad = await client.call_tool("create_record", {"object": "deals", "values": {
                "name": "Nope", "stage": "Signed", "owner": "maya.chen@demo-sales.example"}})
            assert bad.is_error
            refused = await client.call_tool("run_sql", {"sql": "UPDATE companies SET name = 'x'"})
            assert refused.is_error and refused.content[0].text.startswith("Refused: this is UPDATE, not a SELECT.")
            rows = await _ok(client, "run_sql", {"sql": "SELECT name FROM companies WHERE name = 'Brightwave "
                                                        "Energy'"})
            return bad.content[0].text, rows
    text, rows = anyio.run(body)
    assert text == ('Invalid value for "stage" (status): "Signed" is not a valid status. Valid statuses: Lead, '
                    "In Progress, Won 🎉, Lost.")
    assert rows["rows"] == [{"name": "Brightwave Energy"}]
