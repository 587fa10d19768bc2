"""The official MCP Python SDK in `mode="auto"` speaks 2026-07-28 to the real server (gunicorn + gevent):
discover, search and fetch, a destructive write confirmed through an input_required round trip, a
subscription that hears the write, a slow query that becomes a task, and the era the SDK settles on for each kind
of client."""
from __future__ import annotations

import json
from typing import Literal

import anyio
import mcp_types
import pytest
import requests
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.types import ElicitResult

pytestmark = pytest.mark.integration


def run(coro_fn, *args):
    """Run an async test body."""
    return anyio.run(coro_fn, *args)


async def _first_company(client) -> str:
    hit = await client.call_tool("search", {"query": "energy"})
    assert not hit.is_error, hit.content
    return json.loads(hit.content[0].text)["results"][0]["id"]


def test_auto_mode_negotiates_2026_and_runs_search_and_fetch(server):
    async def body():
        async with Client(server.mcp_url, mode="auto") as client:
            assert client.protocol_version == "2026-07-28"
            first = await _first_company(client)
            doc = await client.call_tool("fetch", {"id": first})
            assert not doc.is_error, doc.content
            assert json.loads(doc.content[0].text)["id"] == first
            tools = (await client.list_tools()).tools
            assert [t.name for t in tools][:2] == ["search", "fetch"]  # deterministic order
    run(body)


async def _new_person(client, name: str) -> str:
    made = await client.call_tool("create_record", {"object": "people", "values": {"name": name}})
    assert not made.is_error, made.content
    return made.structured_content["id"]


def test_delete_is_confirmed_through_an_input_required_round_trip(server):
    asked: list[str] = []

    async def accept(context, params):
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async def body():
        async with Client(server.mcp_url, mode="auto", elicitation_callback=accept) as client:
            assert client.protocol_version == "2026-07-28"
            rid = await _new_person(client, "Mrtr Accepted")
            done = await client.call_tool("delete_record", {"id": rid})
            assert not done.is_error, done.content
            assert done.structured_content["deleted"] is True
            assert done.structured_content["confirmation"] == "accepted"
            gone = await client.call_tool("fetch", {"id": rid})
            assert gone.is_error
    run(body)
    assert len(asked) == 1 and "Mrtr Accepted" in asked[0] and "cannot be undone" in asked[0]


def test_a_declined_delete_changes_nothing(server):
    async def decline(context, params):
        return ElicitResult(action="decline")

    async def body():
        async with Client(server.mcp_url, mode="auto", elicitation_callback=decline) as client:
            rid = await _new_person(client, "Mrtr Declined")
            kept = await client.call_tool("delete_record", {"id": rid})
            assert not kept.is_error
            assert kept.structured_content["status"] == "declined"
            still = await client.call_tool("fetch", {"id": rid})
            assert not still.is_error and "Mrtr Declined" in still.content[0].text
    run(body)


def test_without_elicitation_the_delete_falls_back_to_a_token(server):
    async def body():
        async with Client(server.mcp_url, mode="auto") as client:
            rid = await _new_person(client, "Mrtr Token")
            first = await client.call_tool("delete_record", {"id": rid})
            assert first.structured_content["status"] == "confirmation_required"
            token = first.structured_content["confirmation_token"]
            done = await client.call_tool("delete_record", {"id": rid, "confirmation_token": token})
            assert done.structured_content["deleted"] is True
            assert done.structured_content["confirmation"] == "token"
    run(body)


def test_a_subscription_hears_the_update_of_a_record(server):
    async def body():
        async with Client(server.mcp_url, mode="auto") as client:
            rid = await _new_person(client, "Listen Target")
            obj, record_id = rid.split(":")
            uri = f"attio://records/{obj}/{record_id}"
            async with client.listen(resource_subscriptions=[uri], tools_list_changed=True) as sub:
                # The product's lists never change at runtime: only the record subscription is honoured.
                assert list(sub.honored.resource_subscriptions or []) == [uri]
                assert not sub.honored.tools_list_changed
                updated = await client.call_tool("update_record", {"id": rid, "values": {"job_title": "Listener"}})
                assert not updated.is_error, updated.content
                with anyio.fail_after(10):
                    event = await sub.__anext__()
            assert str(getattr(event, "uri", "")) == uri, event
    run(body)


def test_legacy_pinned_client_still_gets_a_session(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            assert client.protocol_version == "2025-11-25"
            assert await _first_company(client)
    run(body)


# -- the tasks extension (io.modelcontextprotocol/tasks), driven by a small client extension of the SDK ---------

class _TaskHandle(mcp_types.Result):
    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    poll_interval_ms: int | None = None


class _TaskParams(mcp_types.RequestParams):
    task_id: str


class _TasksGet(mcp_types.Request[_TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param = "taskId"


class _Task(mcp_types.Result):
    task_id: str
    status: str
    result: dict | None = None
    error: dict | None = None


class Tasks(ClientExtension):
    """Claims `resultType: "task"` on tools/call and polls tasks/get until the task ends."""

    identifier = "io.modelcontextprotocol/tasks"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def claims(self):
        return (ResultClaim(result_type="task", model=_TaskHandle, resolve=self._resolve),)

    async def _resolve(self, handle: _TaskHandle, ctx: ClaimContext) -> mcp_types.CallToolResult:
        self.seen.append(handle.status)
        with anyio.fail_after(30):
            while True:
                await anyio.sleep((handle.poll_interval_ms or 200) / 1000)
                task = await ctx.session.send_request(_TasksGet(params=_TaskParams(task_id=handle.task_id)), _Task)
                self.seen.append(task.status)
                if task.status == "completed":
                    return mcp_types.CallToolResult.model_validate(task.result)
                if task.status in ("failed", "cancelled"):
                    raise AssertionError(f"task {task.status}: {task.error}")


def test_a_slow_query_becomes_a_task_the_client_polls_to_its_result(server, demo_attio):
    tasks = Tasks()

    async def body():
        async with Client(server.mcp_url, mode="auto", extensions=[tasks]) as client:
            assert client.protocol_version == "2026-07-28"
            # Attio answers slowly (the demo holds the next query 2.5 s): the call outlasts the grace second.
            slow = requests.post(f"{demo_attio.url}/_admin/faults", timeout=5,
                                 json={"delay_ms": 2500, "count": 1, "path": "/v2/objects/companies/records/query"})
            assert slow.status_code == 200, slow.text
            done = await client.call_tool("query_records", {"object": "companies", "limit": 5})
            assert not done.is_error, done.content
            assert len(done.structured_content["records"]) == 5
            quick = await client.call_tool("query_records", {"object": "companies", "limit": 2})
            assert len(quick.structured_content["records"]) == 2
    run(body)
    assert tasks.seen[0] == "working" and tasks.seen[-1] == "completed", tasks.seen
    assert len(tasks.seen) >= 2  # one task only: the quick call answered inline
