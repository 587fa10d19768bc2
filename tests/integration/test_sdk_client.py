"""The official MCP Python SDK drives the real server (gunicorn + gevent) over both 2025-era transports
(the 2026-07-28 client is in test_sdk_modern.py)."""
from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client, ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.integration


def run(coro_fn, *args):
    """Run an async test body."""
    return anyio.run(coro_fn, *args)


async def _search_then_fetch(session) -> tuple[dict, dict]:
    hit = await session.call_tool("search", {"query": "energy"})
    assert not hit.is_error, hit.content
    assert len(hit.content) == 1 and hit.content[0].type == "text"
    found = json.loads(hit.content[0].text)
    assert found == hit.structured_content
    first = found["results"][0]
    doc = await session.call_tool("fetch", {"id": first["id"]})
    assert not doc.is_error, doc.content
    assert len(doc.content) == 1
    record = json.loads(doc.content[0].text)
    assert record == doc.structured_content
    return first, record


def test_streamable_http_initialize_list_search_fetch(server):
    async def body():
        async with streamable_http_client(server.mcp_url) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.protocol_version == "2025-11-25"
                assert init.server_info.name == "attio-connector"
                tools = {t.name: t for t in (await session.list_tools()).tools}
                assert {"search", "fetch"} <= set(tools)
                assert tools["search"].annotations.read_only_hint is True
                assert tools["fetch"].annotations.read_only_hint is True
                first, record = await _search_then_fetch(session)
        assert first["id"].startswith("companies:")
        assert "energy" in first["title"].lower()
        assert first["url"].startswith("https://app.attio.com/demo-sales/company/")
        assert record["id"] == first["id"] and record["title"] == first["title"]
        assert record["url"] == first["url"]
        assert record["text"].startswith("Company: ")
        assert "{" not in record["text"].splitlines()[0]
        assert record["metadata"]["object"] == "companies"
        assert record["metadata"]["source"] == "demo workspace (sample data)"
    run(body)


def test_progress_notifications_arrive_during_a_call(server):
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async def body():
        async with streamable_http_client(server.mcp_url) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("search", {"query": "acme"}, progress_callback=on_progress)
                assert not result.is_error
    run(body)
    assert [p for p, _, _ in seen] == [0, 1, 2]
    assert all(total == 2 for _, total, _ in seen)


def test_legacy_sse_transport(server):
    seen: list[float] = []

    async def on_progress(progress, total, message):
        seen.append(progress)

    async def body():
        async with sse_client(f"{server.url}/sse") as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.protocol_version in ("2024-11-05", "2025-11-25", "2025-06-18", "2025-03-26")
                assert {"search", "fetch"} <= {t.name for t in (await session.list_tools()).tools}
                first, record = await _search_then_fetch(session)
                assert record["title"] == first["title"]
                result = await session.call_tool("search", {"query": "energy"}, progress_callback=on_progress)
                assert not result.is_error
    run(body)
    assert seen == [0, 1, 2]


def test_bad_fetch_id_is_a_clear_tool_error(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            bad = await client.call_tool("fetch", {"id": "not-an-id"})
            assert bad.is_error
            assert "expected '<object>:<record id>'" in bad.content[0].text
            gone = await client.call_tool("fetch", {"id": "companies:00000000-0000-4000-8000-000000000000"})
            assert gone.is_error
            assert "No companies record with id 00000000-0000-4000-8000-000000000000" in gone.content[0].text
            missing = await client.call_tool("search", {})
            assert missing.is_error
            assert "query" in missing.content[0].text and "Missing data" in missing.content[0].text
    run(body)


def test_resources_prompts_and_completion(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            templates = (await client.list_resource_templates()).resource_templates
            assert any(t.uri_template == "attio://records/{object}/{record_id}" for t in templates)
            hit = await client.call_tool("search", {"query": "energy"})
            obj, rid = json.loads(hit.content[0].text)["results"][0]["id"].split(":")
            read = await client.read_resource(f"attio://records/{obj}/{rid}")
            text = read.contents[0].text
            assert text.startswith("# ") and "Company: " in text
            schema = await client.read_resource("attio://schema")
            assert "companies" in json.loads(schema.contents[0].text)["objects"][1]["api_slug"] or \
                any(o["api_slug"] == "companies" for o in json.loads(schema.contents[0].text)["objects"])
            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert {"account_brief", "meeting_prep"} <= prompts
            brief = await client.get_prompt("account_brief", {"company": "energy"})
            assert "account brief" in brief.messages[0].content.text.lower()
            assert "<crm-record" in brief.messages[0].content.text
            from mcp.types import PromptReference
            done = await client.complete(PromptReference(type="ref/prompt", name="account_brief"),
                                         {"name": "company", "value": "ener"})
            assert any("energy" in v.lower() for v in done.completion.values)
    run(body)
