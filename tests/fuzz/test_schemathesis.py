"""schemathesis against /openapi.json on a real gunicorn server: no generated request gets a 5xx.

Every documented operation is fuzzed with schema-valid (positive) and, where it takes input,
schema-breaking (negative) requests — bounded to MAX_EXAMPLES each. Auth is off, so MCP requests
reach the JSON-RPC layer; POST /mcp runs once more inside a live session. GET /sse is left out: it
opens a stream that lasts as long as the client keeps it (the JSON-RPC fuzz test covers /messages).
"""
from __future__ import annotations

import os
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from .survival import assert_survived

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))  # more for a deeper local run
SKIPPED = {("get", "/sse")}
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


def _cases() -> list[tuple[str, str, GenerationMode, bool]]:
    """(METHOD, path, mode, in a session) for every documented operation, from the builder the server serves.

    Negative data only exists for operations that take input.
    """
    from connector.apidoc import spec as build_spec

    out = []
    for path, item in build_spec()["paths"].items():
        for method, op in item.items():
            if (method, path) in SKIPPED:
                continue
            out.append((method.upper(), path, POSITIVE, False))
            if op.get("parameters") or op.get("requestBody"):
                out.append((method.upper(), path, NEGATIVE, False))
    out += [("POST", "/mcp", POSITIVE, True), ("POST", "/mcp", NEGATIVE, True)]
    return out


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    """The schema as the running server serves it (its `servers` entry is that server)."""
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json", timeout=10)


@pytest.fixture(scope="module")
def session_headers(fuzz_server):
    """A live 2025-03-26 session (batches allowed), initialized."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-03-26", "capabilities": {},
                       "clientInfo": {"name": "schemathesis", "version": "1"}}}
    r = requests.post(f"{fuzz_server.url}/mcp", json=init, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    session = {"Mcp-Session-Id": r.headers["Mcp-Session-Id"], "MCP-Protocol-Version": "2025-03-26"}
    r = requests.post(f"{fuzz_server.url}/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                      headers={**headers, **session}, timeout=10)
    assert r.status_code == 202
    return session


def _label(value: object) -> str:
    if isinstance(value, GenerationMode):
        return value.value
    if isinstance(value, bool):
        return "session" if value else "fresh"
    return str(value)


@pytest.mark.parametrize("method,path,mode,in_session", _cases(), ids=_label)
def test_no_server_errors(api_schema, fuzz_server, session_headers, method, path, mode, in_session):
    operation = api_schema[path][method]
    strategy = operation.as_strategy(generation_mode=mode, headers=session_headers if in_session else None)
    statuses: Counter[int] = Counter()

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call_and_validate(checks=[not_a_server_error], timeout=10)
        statuses[response.status_code] += 1

    fuzz()
    print(method, path, mode.value, _label(in_session), dict(statuses))
    assert statuses and max(statuses) < 500, statuses


def test_server_survived_the_fuzzing(fuzz_server):
    assert_survived(fuzz_server)
