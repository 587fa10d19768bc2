"""Traces over OTLP, error reports to Sentry and JSON logs, each through the real server on loopback."""
from __future__ import annotations

import json
import secrets
import time

import pytest
import requests

from tests.integration.collectors import Collector
from tests.integration.test_http_edges import headers, open_session

pytestmark = pytest.mark.integration
APP = "tests.integration.testing_app:app"
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def spans_of(collector: Collector) -> list:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    out = []
    for path, _, body in collector.received:
        if path != "/v1/traces":
            continue
        req = ExportTraceServiceRequest()
        req.ParseFromString(body)
        for rs in req.resource_spans:
            for ss in rs.scope_spans:
                out.extend(ss.spans)
    return out


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    return predicate()


def attributes(span) -> dict:
    return {a.key: (a.value.string_value or a.value.int_value) for a in span.attributes}


@pytest.fixture()
def collector():
    c = Collector()
    yield c
    c.stop()


def test_one_trace_spans_the_clients_call_our_tool_and_the_attio_request(server_factory, collector):
    srv = server_factory(APP, OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_BSP_SCHEDULE_DELAY="100",
                         OTEL_SERVICE_NAME="connector-under-test")
    sid = open_session(srv.mcp_url)
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": "search", "arguments": {"query": "energy"},
        "_meta": {"traceparent": f"00-{trace_id}-{parent_id}-01"}}}
    assert requests.post(srv.mcp_url, json=body, headers={**ACCEPT, **headers(sid)}, timeout=10).status_code == 200

    def ours():
        return [s for s in spans_of(collector) if s.trace_id.hex() == trace_id]

    spans = wait_for(lambda: len(ours()) >= 2 and ours())
    by_id = {s.span_id.hex(): s for s in spans}
    tool = next(s for s in spans if s.name == "tools/call search")
    assert tool.parent_span_id.hex() == parent_id
    assert attributes(tool)["mcp.method.name"] == "tools/call" and attributes(tool)["gen_ai.tool.name"] == "search"
    attio = [s for s in spans if s.name.startswith("POST /v2/")]
    assert attio, [s.name for s in spans]
    for span in attio:  # each Attio request hangs under the tool span
        parent = by_id.get(span.parent_span_id.hex())
        while parent is not None and parent is not tool:
            parent = by_id.get(parent.parent_span_id.hex())
        assert parent is tool, span.name

    # A plain HTTP traceparent header starts the server span of that trace.
    header_trace = secrets.token_hex(16)
    requests.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 8, "method": "ping"},
                  headers={**ACCEPT, **headers(sid), "traceparent": f"00-{header_trace}-{secrets.token_hex(8)}-01"},
                  timeout=10)
    assert wait_for(lambda: [s for s in spans_of(collector) if s.trace_id.hex() == header_trace])

    # Query strings never reach a span (an OAuth callback carries its code there).
    requests.get(f"{srv.url}/oauth/authorize?client_id=nobody&state=state-secret-12345", timeout=10)
    assert wait_for(lambda: any(s.name.startswith("GET /oauth/authorize") or
                                attributes(s).get("http.route") == "/oauth/authorize"
                                for s in spans_of(collector)))
    leaks = [(s.name, attributes(s)) for s in spans_of(collector) if "state-secret-12345" in str(attributes(s))]
    assert not leaks, [(n, {k: v for k, v in a.items() if "state-secret" in str(v)}) for n, a in leaks]


def test_an_error_report_arrives_without_a_secret(server_factory, collector):
    srv = server_factory(APP, SENTRY_DSN=f"http://publickey@127.0.0.1:{collector.port}/42",
                         ATTIO_API_KEY="attio-live-key-0123456789abcdef", AUTH_DISABLED="true")
    sent = {"bearer": "atk_" + secrets.token_urlsafe(24), "cookie": "ac_browser=" + secrets.token_urlsafe(16),
            "code": "ac_" + secrets.token_urlsafe(16), "client_secret": "cs_" + secrets.token_urlsafe(16)}
    r = requests.post(f"{srv.url}/_test/crash?code={sent['code']}", data={"client_secret": sent["client_secret"]},
                      headers={"Authorization": f"Bearer {sent['bearer']}", "Cookie": sent["cookie"]}, timeout=10)
    assert r.status_code == 500 and r.json()["error"] == "server_error"
    envelopes = wait_for(lambda: [b for p, _, b in collector.received if p == "/api/42/envelope/"])
    assert envelopes, collector.received
    blob = b"\n".join(envelopes).decode("utf-8", "replace")
    assert "RuntimeError" in blob and "crash on purpose" in blob
    leaked = [name for name, value in sent.items() if value.split("=", 1)[-1] in blob]
    assert not leaked, leaked
    # (the source line that builds the local is in the report; its value must not be)
    for secret in ("attio-live-key-0123456789abcdef", "attio-key-in-a-local-" + "x" * 12, "test-secret-key-" + "x" * 8):
        assert secret not in blob, secret


def test_json_logs_carry_the_request_id_on_every_line_and_no_secret(server_factory):
    srv = server_factory(APP, LOG_FORMAT="json", LOG_LEVEL="DEBUG", ACCESS_LOG="-", AUTH_DISABLED="false")
    r = requests.post(f"{srv.url}/oauth/register", json={"redirect_uris": ["https://client.example/cb"],
                                                          "token_endpoint_auth_method": "none"},
                      headers={"X-Request-ID": "rid-register-1"}, timeout=10)
    assert r.status_code == 201 and r.headers["X-Request-ID"] == "rid-register-1"
    weird = requests.get(f"{srv.url}/healthz", headers={"X-Request-ID": "bad id\"}"}, timeout=10)
    assert weird.headers["X-Request-ID"] != "bad id\"}" and len(weird.headers["X-Request-ID"]) == 32
    token = "atk_" + secrets.token_urlsafe(24)
    requests.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                  headers={**ACCEPT, "Authorization": f"Bearer {token}", "X-Request-ID": "rid-bad-token"}, timeout=10)
    time.sleep(0.5)
    lines = [line for line in srv.log().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"time", "level", "logger", "message", "request_id"} <= p.keys() for p in parsed)
    register = [p for p in parsed if p["request_id"] == "rid-register-1"]
    assert any("client.registered" in p["message"] for p in register), register  # the audit line
    assert any(p["logger"] == "gunicorn.access" and "rid=rid-register-1" in p["message"] for p in parsed)
    assert token not in srv.log()


def test_json_logs_follow_a_tool_call_into_the_attio_client(server_factory):
    srv = server_factory(APP, LOG_FORMAT="json", LOG_LEVEL="DEBUG", ACCESS_LOG="-", CACHE_TTL_SECONDS="0")
    sid = open_session(srv.mcp_url)
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search",
                                                                           "arguments": {"query": "energy"}}}
    r = requests.post(srv.mcp_url, json=body, headers={**ACCEPT, **headers(sid), "X-Request-ID": "rid-search-1"},
                      timeout=10)
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "rid-search-1"
    time.sleep(0.5)
    parsed = [json.loads(line) for line in srv.log().splitlines() if line.strip()]
    mine = [p for p in parsed if p["request_id"] == "rid-search-1"]
    assert any(p["logger"] == "connector.attio.client" and "/v2/objects/records/search" in p["message"]
               for p in mine), mine


def test_a_2026_request_traceparent_reaches_the_log_lines_of_its_call(server_factory):
    from tests.modern_client import body as modern_body, headers as modern_headers

    srv = server_factory(APP, LOG_FORMAT="json", LOG_LEVEL="DEBUG", ACCESS_LOG="-", CACHE_TTL_SECONDS="0")
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    msg = modern_body("tools/call", {"name": "search", "arguments": {"query": "energy"},
                                     "_meta": {"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}}, rid=4)
    r = requests.post(srv.mcp_url, json=msg, headers={**modern_headers(msg), "X-Request-ID": "rid-traced"},
                      timeout=10)
    assert r.status_code == 200 and r.json()["result"]["resultType"] == "complete", r.text
    time.sleep(0.5)
    parsed = [json.loads(line) for line in srv.log().splitlines() if line.strip()]
    attio = [p for p in parsed if p["request_id"] == "rid-traced" and p["logger"] == "connector.attio.client"]
    assert attio and all(p["trace_id"] == trace for p in attio), attio
    assert all(p["trace_id"] != trace for p in parsed if p["request_id"] != "rid-traced")
