"""Metric labels stay low-cardinality (in-process, the plain registry): a route is its URL rule, an unmatched path
one label, an Attio endpoint its template, a tool its registered name; the gate of /metrics."""
from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from connector.metrics import endpoint_template
from tests.apps import migrated_app
from tests.security.conftest import McpClient

TOKEN = "metrics-token-for-unit-tests-0123456789"
HTTP = "attio_connector_http_requests_total"
TOOLS = "attio_connector_tool_call_duration_seconds_count"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.fixture()
def make_app(demo_attio, tmp_path):
    """An in-process app on the demo Attio (no PROMETHEUS_MULTIPROC_DIR: the plain registry)."""
    def make(**settings: Any) -> Any:
        config = {"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'connector.sqlite'}", "LOG_LEVEL": "WARNING", **settings}
        return migrated_app(config, environ={})
    return make


def value(name: str, **labels: str) -> float:
    """The current value of one sample of the process's registry (0 when it does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_endpoint_templates():
    uid = str(uuid.uuid4())
    assert endpoint_template(f"/v2/objects/people/records/{uid}") == "/v2/objects/{object}/records/{record_id}"
    assert endpoint_template("/v2/objects/companies/records/query") == "/v2/objects/{object}/records/query"
    assert endpoint_template(f"/v2/lists/sales/entries/{uid}?limit=1") == "/v2/lists/{list}/entries/{entry_id}"
    assert endpoint_template("/v2/self") == "/v2/self"
    assert endpoint_template(f"/v2/notes/{uid}") == "/v2/notes/{note_id}"
    assert endpoint_template("/v2/objects/records/search") == "/v2/objects/records/search"
    assert endpoint_template("/v2/objects/deals/attributes/stage/statuses") == \
        "/v2/objects/{object}/attributes/{attribute}/statuses"
    assert endpoint_template(f"/v2/objects/{uid}/records/{uid}") == "/v2/objects/{object}/records/{record_id}"
    assert endpoint_template("/v2/something_new/abc/def") == "/v2/{id}/{id}/{id}"


def test_routes_are_labelled_by_url_rule_and_never_by_raw_path(make_app):
    app = make_app(METRICS_TOKEN=TOKEN)
    http = app.test_client()
    marker = uuid.uuid4().hex
    rule = "/oauth/static/<path:filename>"
    before_rule = value(HTTP, route=rule, method="GET", status="404")
    before_unmatched = value(HTTP, route="unmatched", method="GET", status="404")
    assert http.get(f"/oauth/static/{marker}.css").status_code == 404
    assert http.get(f"/no/such/{marker}").status_code == 404
    assert http.get(f"/also/missing/{marker}?q={marker}").status_code == 404
    assert value(HTTP, route=rule, method="GET", status="404") == before_rule + 1
    assert value(HTTP, route="unmatched", method="GET", status="404") == before_unmatched + 2

    r = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert marker not in r.get_data(as_text=True) and TOKEN not in r.get_data(as_text=True)
    routes = {s.labels["route"] for f in text_string_to_metric_families(r.get_data(as_text=True))
              for s in f.samples if s.name == HTTP}
    assert rule in routes and "unmatched" in routes
    assert all(route == "unmatched" or route.startswith("/") for route in routes), routes


def test_token_endpoint_errors_are_counted_by_their_rfc_6749_code(make_app):
    http = make_app().test_client()
    name = "attio_connector_token_endpoint_errors_total"
    before = value(name, error="unsupported_grant_type")
    r = http.post("/oauth/token", data={"grant_type": "urn:example:nothing", "client_id": "nobody"})
    assert r.status_code == 400 and r.get_json()["error"] == "unsupported_grant_type"
    assert value(name, error="unsupported_grant_type") == before + 1


def test_tool_calls_are_labelled_by_registered_name_and_outcome(make_app):
    client = McpClient(make_app())
    ok, bad = value(TOOLS, tool="search", outcome="ok"), value(TOOLS, tool="search", outcome="tool_error")
    assert not client.call("search", {"query": "energy"}).get("isError")
    assert client.call("search", {"query": 12345, "no_such_argument": True})["isError"] is True
    assert value(TOOLS, tool="search", outcome="ok") == ok + 1
    assert value(TOOLS, tool="search", outcome="tool_error") == bad + 1
    # An unknown name is a JSON-RPC error and creates no label (a client could send any string).
    reply = client.rpc("tools/call", {"name": f"made-up-{uuid.uuid4().hex}", "arguments": {}}, raw=True)
    assert "Unknown tool" in reply.get_data(as_text=True)
    assert not [s for m in REGISTRY.collect() if m.name == "attio_connector_tool_call_duration_seconds"
                for s in m.samples if s.labels.get("tool", "").startswith("made-up-")]
    # Its Attio request is labelled by template: the endpoint label holds no record id or slug of the caller's.
    endpoints = {s.labels["endpoint"] for m in REGISTRY.collect() if m.name == "attio_connector_attio_requests"
                 for s in m.samples}
    assert "/v2/objects/records/search" in endpoints
    segments = {s for e in endpoints for s in e.split("/")}
    assert not segments & {"people", "companies", "deals"}, endpoints  # the demo's object slugs
    assert not [s for s in segments if UUID.search(s)], endpoints


def test_metrics_gate(make_app):
    assert make_app().test_client().get("/metrics").status_code == 404
    http = make_app(METRICS_TOKEN=TOKEN).test_client()
    assert http.get("/metrics").status_code == 401
    assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
