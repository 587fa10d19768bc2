"""What the tools make of Attio over a real loopback socket: call counts, faults, retries."""
from __future__ import annotations

import json
import time

import pytest
import requests

from tests.conftest import _admin

from .test_http_edges import headers, open_session, post

pytestmark = pytest.mark.integration


def call(srv, sid, i, name, args):
    r = post(srv.mcp_url, {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                           "params": {"name": name, "arguments": args}}, headers(sid))
    assert r.status_code == 200, r.text
    return r.json()["result"]


def upstream_calls(demo):
    with requests.get(f"{demo.url}/_admin/requests", timeout=5) as r:
        return [(x["method"], x["path"]) for x in r.json()["requests"]]


@pytest.fixture()
def strict_server(server_factory):
    return server_factory(ATTIO_MAX_ATTEMPTS="3", ATTIO_RETRY_BUDGET="3", ATTIO_TIMEOUT="1")


def test_search_costs_one_attio_call_once_warm(server, reset_demo):
    sid = open_session(server.mcp_url)
    call(server, sid, 1, "search", {"query": "energy"})  # warms the cached workspace facts
    _admin(reset_demo, "/_admin/requests/reset")
    result = call(server, sid, 2, "search", {"query": "acme"})
    assert not result["isError"]
    assert upstream_calls(reset_demo) == [("POST", "/v2/objects/records/search")]


def test_retry_on_429_with_http_date_then_success(strict_server, reset_demo):
    sid = open_session(strict_server.mcp_url)
    call(strict_server, sid, 1, "search", {"query": "energy"})
    _admin(reset_demo, "/_admin/requests/reset")
    _admin(reset_demo, "/_admin/faults", {"status": 429, "count": 1})
    started = time.monotonic()
    result = call(strict_server, sid, 2, "search", {"query": "brightwave"})
    assert not result["isError"], result
    assert result["structuredContent"]["results"][0]["title"] == "Brightwave Energy"
    assert upstream_calls(reset_demo).count(("POST", "/v2/objects/records/search")) == 2
    assert time.monotonic() - started < 5


def test_persistent_503_becomes_a_clear_tool_error(strict_server, reset_demo):
    sid = open_session(strict_server.mcp_url)
    call(strict_server, sid, 1, "search", {"query": "energy"})
    _admin(reset_demo, "/_admin/requests/reset")
    _admin(reset_demo, "/_admin/faults", {"status": 503, "count": 10})
    result = call(strict_server, sid, 2, "search", {"query": "brightwave"})
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "Attio is unavailable" in text and "3 attempts" in text
    assert len(upstream_calls(reset_demo)) == 3


def test_persistent_429_becomes_a_rate_limit_tool_error(strict_server, reset_demo):
    sid = open_session(strict_server.mcp_url)
    call(strict_server, sid, 1, "search", {"query": "energy"})
    _admin(reset_demo, "/_admin/faults", {"status": 429, "count": 10})
    result = call(strict_server, sid, 2, "search", {"query": "brightwave"})
    assert result["isError"] is True
    assert "rate limit" in result["content"][0]["text"].lower()


def test_timeout_is_retried_then_reported(strict_server, reset_demo):
    sid = open_session(strict_server.mcp_url)
    call(strict_server, sid, 1, "search", {"query": "energy"})
    _admin(reset_demo, "/_admin/faults", {"delay_ms": 1500, "count": 10})
    started = time.monotonic()
    result = call(strict_server, sid, 2, "search", {"query": "brightwave"})
    assert result["isError"] is True
    assert "Attio is unavailable" in result["content"][0]["text"]
    assert time.monotonic() - started < 8  # bounded: attempts × 1 s timeout + the retry budget


def test_unknown_record_via_fetch_quotes_a_clear_message(server, reset_demo):
    sid = open_session(server.mcp_url)
    result = call(server, sid, 1, "fetch", {"id": "people:11111111-1111-4111-8111-111111111111"})
    assert result["isError"] is True
    assert "No people record with id 11111111-1111-4111-8111-111111111111" in result["content"][0]["text"]


def test_readyz_reports_attio_and_mode(server):
    body = requests.get(f"{server.url}/readyz", timeout=5).json()
    assert body["status"] == "ready" and body["mode"] == "demo" and body["demo"] is True
    assert body["checks"]["attio"]["workspace"] == "demo-sales"
    assert json.loads(requests.get(f"{server.url}/healthz", timeout=5).text)["mode"] == "demo"
