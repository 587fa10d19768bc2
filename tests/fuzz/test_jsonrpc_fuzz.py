"""hypothesis against the JSON-RPC layer of a real gunicorn server.

Random JSON values, malformed envelopes, batches, huge nesting, weird ids, known and random methods
with random params, odd headers and bytes that are not JSON at all are posted to /mcp (without a
session and inside one) and to /messages (inside a legacy session whose stream a reader drains).
Every answer must be a 2xx or 4xx whose body, when there is one, is strict JSON shaped like JSON-RPC
(the /messages answers arrive on the stream and are checked there); the server must stay up.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .survival import assert_survived

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))  # more for a deeper local run
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
ACCEPT = "application/json, text/event-stream"

# ---------------------------------------------------------------- strategies

# Text includes lone surrogates now and then: json.dumps writes them as \udXXX escapes, valid JSON syntax.
odd_chars = st.characters(categories=["Cs"]) | st.sampled_from("a\u00e9\u2028\u202e\x00\x85\U000e0041\U0001f600")
texts = st.text(max_size=30) | st.text(odd_chars, min_size=1, max_size=6)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    texts, inner, max_size=4), max_leaves=16)
valid_ids = st.integers(-10, 10**6) | st.integers(min_value=2**63) | st.integers(max_value=-2**63) | texts
weird_ids = valid_ids | st.none() | st.booleans() | st.floats(allow_nan=False) | json_values
TOOLS = ["search", "fetch", "list_objects", "get_record", "create_record", "delete_record", "create_note", "nope"]
METHODS = ["initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/templates/list",
           "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
           "completion/complete", "logging/setLevel", "notifications/initialized", "notifications/cancelled",
           "notifications/progress", "sampling/createMessage"]
methods = st.sampled_from(METHODS) | texts
params = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(TOOLS + ["account_brief", "meeting_prep"]) | texts,
    "arguments": st.dictionaries(st.sampled_from(["query", "id", "object", "record_id", "limit", "confirm",
                                                  "values", "content", "confirmation_token"]) | texts,
                                 json_values, max_size=4),
    "uri": st.sampled_from(["attio://schema", "attio://records/companies/x", "attio://nope"]) | texts,
    "cursor": json_values, "level": st.sampled_from(["debug", "error", "loud"]) | json_values,
    "protocolVersion": st.sampled_from(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]) | json_values,
    "requestId": weird_ids, "ref": json_values, "argument": json_values,
    "_meta": st.fixed_dictionaries({}, optional={"progressToken": st.integers() | texts}),
}) | json_values
# Well-formed requests and notifications (they reach the dispatcher) …
well_formed = st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "method": methods},
                                    optional={"id": valid_ids, "params": params})
# … and envelopes with any member missing or of any type.
envelopes = st.fixed_dictionaries({}, optional={"jsonrpc": st.just("2.0") | json_values, "id": weird_ids,
                                                "method": methods | json_values, "params": params,
                                                "result": json_values, "error": json_values})
nesting = st.integers(30, 3000).flatmap(lambda n: st.sampled_from(["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n,
                                                                    "[" * n]))
bodies = st.one_of(well_formed.map(json.dumps), well_formed.map(json.dumps), envelopes.map(json.dumps),
                   st.lists(well_formed | envelopes, max_size=4).map(json.dumps), json_values.map(json.dumps),
                   nesting, st.binary(max_size=200))
header_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30)
extra_headers = st.fixed_dictionaries({}, optional={
    "Origin": st.sampled_from(["http://localhost:6274", "https://evil.example", "null", "http://[", "http://a:b:c"])
    | header_text,
    "MCP-Protocol-Version": st.sampled_from(["2025-06-18", "1999-01-01"]) | header_text,
    "Accept": st.sampled_from(["application/json", "text/event-stream", "text/html"]),
})

# ---------------------------------------------------------------- checks


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant} in a response")

    return json.loads(text, parse_constant=refuse)


def assert_jsonrpc(message: Any) -> None:
    """One JSON-RPC 2.0 message as the server sends it: a response, an error response or a notification."""
    assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", message
    if "method" in message:
        assert isinstance(message["method"], str)
        return
    assert "id" in message and (("result" in message) != ("error" in message)), message
    if "error" in message:
        error = message["error"]
        assert isinstance(error.get("code"), int) and isinstance(error.get("message"), str), message
    else:
        assert isinstance(message["result"], dict), message


def assert_answer(resp: requests.Response) -> None:
    """A 2xx/4xx whose body, if any, is a JSON-RPC message, a batch of them, or an SSE stream of them."""
    assert 200 <= resp.status_code < 300 or 400 <= resp.status_code < 500, (resp.status_code, resp.text[:500])
    if not resp.content or resp.status_code == 202:
        return
    ctype = resp.headers.get("Content-Type", "")
    if ctype.startswith("text/event-stream"):
        lines = resp.text.replace("\r\n", "\n").split("\n")  # SSE line ends only, not U+2028 & co.
        events = [line[5:].strip() for line in lines if line.startswith("data:")]
        for data in filter(None, events):
            assert_jsonrpc(_strict(data))
        return
    assert ctype.startswith("application/json"), (resp.status_code, ctype, resp.text[:300])
    body = _strict(resp.text)
    for message in body if isinstance(body, list) else [body]:
        assert_jsonrpc(message)


def post(url: str, body: str | bytes, headers: dict[str, str]) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(url, data=data, timeout=20, allow_redirects=False,
                         headers={"Accept": ACCEPT, "Content-Type": "application/json", **headers})


# ---------------------------------------------------------------- sessions


def open_session(base: str, version: str) -> dict[str, str]:
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}
    r = post(f"{base}/mcp", json.dumps(init), {})
    assert r.status_code == 200, r.text
    headers = {"Mcp-Session-Id": r.headers["Mcp-Session-Id"], "MCP-Protocol-Version": version}
    assert post(f"{base}/mcp", json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                headers).status_code == 202
    return headers


class LegacyStream:
    """GET /sse held open by a thread that reads (and keeps) every event, so the outbox never fills."""

    def __init__(self, base: str) -> None:
        self.resp = requests.get(f"{base}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=30)
        assert self.resp.status_code == 200
        # Bytes as they arrive, split on CR/LF only (SSE's line ends; str.splitlines would also split on U+2028).
        self.lines = (raw.decode() for raw in self.resp.iter_lines(chunk_size=None))
        endpoint = next(line for line in self.lines if line.startswith("data:"))
        self.post_url = base + endpoint[5:].strip()
        self.data: list[str] = []
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            for line in self.lines:
                if line.startswith("data:"):
                    self.data.append(line[5:].strip())
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by close()

    def close(self) -> None:
        self.resp.close()


# ---------------------------------------------------------------- tests


@given(body=bodies, headers=extra_headers)
@FUZZ
def test_mcp_without_a_session(fuzz_server, body, headers):
    assert_answer(post(fuzz_server.mcp_url, body, headers))


@pytest.mark.parametrize("version", ["2025-11-25", "2025-03-26"])
def test_mcp_inside_a_session(fuzz_server, version):
    session = open_session(fuzz_server.url, version)

    @given(body=bodies)
    @FUZZ
    def fuzz(body):
        assert_answer(post(fuzz_server.mcp_url, body, session))

    fuzz()
    # The session is still usable after the fuzzing.
    ping = post(fuzz_server.mcp_url, json.dumps({"jsonrpc": "2.0", "id": "after", "method": "ping"}), session)
    assert ping.status_code == 200 and ping.json() == {"jsonrpc": "2.0", "id": "after", "result": {}}


def test_messages_inside_a_legacy_session(fuzz_server):
    stream = LegacyStream(fuzz_server.url)
    try:
        @given(body=bodies)
        @FUZZ
        def fuzz(body):
            resp = post(stream.post_url, body, {})
            assert resp.status_code == 202 or 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
            if resp.status_code != 202:
                assert_answer(resp)

        fuzz()
        last = json.dumps({"jsonrpc": "2.0", "id": "last", "method": "ping"})
        assert post(stream.post_url, last, {}).status_code == 202
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any('"last"' in d for d in stream.data):
            time.sleep(0.05)
        assert any('"last"' in d for d in stream.data), "the stream stopped delivering answers"
        for data in stream.data:
            assert_jsonrpc(_strict(data))
    finally:
        stream.close()


def test_server_survived_the_jsonrpc_fuzzing(fuzz_server):
    assert_survived(fuzz_server)
