"""2026-07-28 on /mcp, in process: what a stateless request must carry, what it gets back, what is refused and
with which code and HTTP status; the 2025 era beside it unchanged."""
from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest

from connector.mcp import headers as mcp_headers
from connector.mcp.mrtr import RequestStates, binding
from connector.mcp.jsonrpc import JsonRpcError
from connector.mcp.registry import Tool
from tests.apps import migrated_app
from tests.conformance.fixtures import register_all
from tests.modern_client import body, headers

SERVER_INFO = "io.modelcontextprotocol/serverInfo"


@pytest.fixture(scope="module")
def app(demo_attio, tmp_path_factory):
    app = migrated_app({"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.sqlite'}",
                        "LOG_LEVEL": "WARNING"}, environ={})
    register_all(app.extensions["mcp"].registry)
    return app


def call(app, method: str, params: dict[str, Any] | None = None, *, capabilities: dict[str, Any] | None = None,
         extra: dict[str, str] | None = None, drop: tuple[str, ...] = (), msg: dict[str, Any] | None = None):
    msg = msg or body(method, params, rid=7, capabilities=capabilities)
    hdrs = {k: v for k, v in headers(msg, **(extra or {})).items() if k not in drop}
    return app.test_client().post("/mcp", data=json.dumps(msg), headers=hdrs)


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["id"] == 7 and "error" not in data, data
    return data["result"]


def refused(response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def test_discover_names_both_eras_and_what_is_offered(app):
    result = ok(call(app, "server/discover"))
    assert result["resultType"] == "complete"
    assert result["supportedVersions"][0] == "2026-07-28"
    assert {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"} <= set(result["supportedVersions"])
    assert result["_meta"][SERVER_INFO]["name"] == "attio-connector"
    assert result["capabilities"]["tools"] == {"listChanged": True}  # the conformance build announces changes
    assert result["ttlMs"] >= 0 and result["cacheScope"] == "public"


def test_every_result_carries_result_type_server_info_and_caching_hints(app):
    tools = ok(call(app, "tools/list"))
    assert tools["resultType"] == "complete" and tools["_meta"][SERVER_INFO]["version"]
    assert (tools["ttlMs"], tools["cacheScope"]) == (300_000, "public")
    names = [t["name"] for t in tools["tools"]]
    assert names == [t["name"] for t in ok(call(app, "tools/list"))["tools"]] and names[:2] == ["search", "fetch"]
    for method in ("prompts/list", "resources/list", "resources/templates/list"):
        assert ok(call(app, method))["cacheScope"] == "public", method
    read = ok(call(app, "resources/read", {"uri": "test://static-text"}))
    assert (read["ttlMs"], read["cacheScope"]) == (30_000, "private")  # what is read is someone's data
    done = ok(call(app, "tools/call", {"name": "test_simple_text", "arguments": {}}))
    assert done["resultType"] == "complete" and "ttlMs" not in done


@pytest.mark.parametrize("meta, problem", [
    (None, "params._meta"),
    ({"io.modelcontextprotocol/clientCapabilities": {}}, "protocolVersion"),
    ({"io.modelcontextprotocol/protocolVersion": "2026-07-28"}, "clientCapabilities"),
    ({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": []},
     "clientCapabilities"),
])
def test_missing_or_malformed_meta_is_400_invalid_params(app, meta, problem):
    msg = {"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {} if meta is None else {"_meta": meta}}
    error = refused(call(app, "tools/list", msg=msg), 400, -32602)
    assert problem in error["message"]


def test_client_info_is_optional(app):
    msg = body("tools/list", rid=7)
    del msg["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]
    assert ok(call(app, "tools/list", msg=msg))["tools"]


def test_an_unknown_version_is_400_with_the_supported_list(app):
    msg = body("tools/list", rid=7)
    msg["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    error = refused(call(app, "tools/list", msg=msg, extra={"MCP-Protocol-Version": "2099-01-01"}), 400, -32022)
    assert error["data"]["requested"] == "2099-01-01" and "2026-07-28" in error["data"]["supported"]


@pytest.mark.parametrize("extra, drop, needle", [
    ({"Mcp-Method": "tools/call"}, (), "Mcp-Method"),
    ({"Mcp-Method": "Tools/List"}, (), "Mcp-Method"),  # values are case-sensitive
    ({}, ("Mcp-Method",), "Mcp-Method header is required"),
    ({}, ("MCP-Protocol-Version",), "MCP-Protocol-Version header is required"),
    ({"MCP-Protocol-Version": "2099-01-01"}, (), "does not match _meta"),
])
def test_headers_that_disagree_with_the_body_are_400_header_mismatch(app, extra, drop, needle):
    error = refused(call(app, "tools/list", extra=extra, drop=drop), 400, -32020)
    assert needle in error["message"]


def test_mcp_name_is_checked_and_base64_decoded(app):
    params = {"name": "test_simple_text", "arguments": {}}
    assert refused(call(app, "tools/call", params, extra={"Mcp-Name": "test_error_handling"}), 400, -32020)
    assert refused(call(app, "tools/call", params, drop=("Mcp-Name",)), 400, -32020)
    encoded = "=?base64?" + base64.b64encode(b"test_simple_text").decode() + "?="
    assert ok(call(app, "tools/call", params, extra={"Mcp-Name": f"  {encoded} "}))["content"]


def test_mcp_param_headers_must_match_the_annotated_arguments(app):
    params = {"name": "test_custom_headers", "arguments": {"region": "eu-west1"}}
    assert refused(call(app, "tools/call", params), 400, -32020)  # value in the body, header missing
    assert refused(call(app, "tools/call", params, extra={"Mcp-Param-Region": "us-east1"}), 400, -32020)
    assert refused(call(app, "tools/call", params, extra={"Mcp-Param-Region": "=?base64?ZXUtd2VzdDE?="}),
                   400, -32020)  # bad padding
    done = ok(call(app, "tools/call", params, extra={"Mcp-Param-Region": "=?base64?ZXUtd2VzdDE=?="}))
    assert done["content"][0]["text"] == "Region: eu-west1"
    published = next(t for t in ok(call(app, "tools/list"))["tools"] if t["name"] == "query_records")
    assert published["inputSchema"]["properties"]["object"]["x-mcp-header"] == "Object"


@pytest.mark.parametrize("method", ["initialize", "ping", "logging/setLevel", "resources/subscribe", "no/such"])
def test_removed_and_unknown_methods_are_404_method_not_found(app, method):
    error = refused(call(app, method, {}), 404, -32601)
    assert method in error["message"]


def test_get_and_delete_are_405_and_session_headers_are_ignored(app):
    http = app.test_client()
    for verb in (http.get, http.delete):
        answer = verb("/mcp", headers={"MCP-Protocol-Version": "2026-07-28", "Accept": "text/event-stream"})
        assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    r = call(app, "tools/list", extra={"Mcp-Session-Id": "made-up", "Last-Event-ID": "3-4"})
    assert ok(r)["tools"] and "Mcp-Session-Id" not in r.headers


def test_a_capability_the_request_did_not_declare_is_400_missing_capability(app):
    error = refused(call(app, "tools/call", {"name": "test_missing_capability", "arguments": {}}), 400, -32021)
    assert error["data"]["requiredCapabilities"] == {"sampling": {}}
    asked = ok(call(app, "tools/call", {"name": "test_missing_capability", "arguments": {}},
                    capabilities={"sampling": {}}))
    assert asked["resultType"] == "input_required" and "completion" in asked["inputRequests"]


def test_no_log_messages_unless_the_request_asks_for_a_level(app):
    quiet = call(app, "tools/call", {"name": "test_tool_with_logging", "arguments": {}})
    assert quiet.mimetype == "application/json" and ok(quiet)["content"]
    msg = body("tools/call", {"name": "test_tool_with_logging", "arguments": {}}, rid=7)
    msg["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = "info"
    loud = call(app, "tools/call", msg=msg)
    assert loud.mimetype == "text/event-stream"
    frames = [json.loads(line[6:]) for line in loud.get_data(as_text=True).splitlines() if line.startswith("data: ")]
    assert [f["method"] for f in frames[:-1]] == ["notifications/message"] * 3
    assert frames[-1]["id"] == 7 and frames[-1]["result"]["resultType"] == "complete"


def test_resource_not_found_is_invalid_params_with_the_uri(app):
    error = refused(call(app, "resources/read", {"uri": "test://nope"}), 200, -32602)
    assert error["data"] == {"uri": "test://nope"}


def _round(app, params: dict[str, Any], caps: dict[str, Any] | None = None) -> dict[str, Any]:
    return ok(call(app, "tools/call", params, capabilities=caps or {"elicitation": {}}))


def test_request_state_is_refused_when_tampered_foreign_or_reused_elsewhere(app):
    tool = {"name": "test_input_required_result_multi_round", "arguments": {}}
    first = _round(app, tool)
    state = first["requestState"]
    answer = {"step1": {"action": "accept", "content": {"name": "Ada"}}}
    assert set(_round(app, {**tool, "requestState": state, "inputResponses": answer})["inputRequests"]) == {"step2"}
    tampered = call(app, "tools/call", {**tool, "requestState": state[:-2] + "xx", "inputResponses": answer},
                    capabilities={"elicitation": {}})
    assert "integrity" in refused(tampered, 200, -32602)["message"]
    other_tool = {"name": "test_input_required_result_request_state", "arguments": {}}
    elsewhere = call(app, "tools/call", {**other_tool, "requestState": state, "inputResponses": answer},
                     capabilities={"elicitation": {}})
    assert "another request" in refused(elsewhere, 200, -32602)["message"]
    bad = call(app, "tools/call", {**tool, "requestState": state, "inputResponses": {"step1": {"action": "maybe"}}},
               capabilities={"elicitation": {}})
    assert "inputResponses.step1" in refused(bad, 200, -32602)["message"]
    not_a_map = call(app, "tools/call", {**tool, "inputResponses": ["no"]}, capabilities={"elicitation": {}})
    assert refused(not_a_map, 200, -32602)


def test_request_state_binds_caller_and_expires():
    states = RequestStates(["k" * 40], ttl=60)
    params = {"name": "delete_record", "arguments": {"id": "people:1"}}
    ada, bob = SimpleNamespace(subject="ada", client_id="c"), SimpleNamespace(subject="bob", client_id="c")
    sealed = states.seal(binding("tools/call", params, ada), {"answers": {}}, now=1000)
    assert states.open(sealed, binding("tools/call", params, ada), now=1059) == {"answers": {}}
    for bound, now in ((binding("tools/call", params, bob), 1001), (binding("tools/call", params, ada), 1060),
                       (binding("tools/call", {**params, "arguments": {"id": "people:2"}}, ada), 1001)):
        with pytest.raises(JsonRpcError) as refused_state:
            states.open(sealed, bound, now=now)
        assert refused_state.value.code == -32602
    # Signed with the old key, opened after a key rotation (the old key kept as a fallback).
    assert RequestStates(["new" * 14, "k" * 40]).open(sealed, binding("tools/call", params, ada), now=1001) \
        == {"answers": {}}


def test_a_destructive_call_asks_through_input_required_and_a_decline_changes_nothing(app):
    made = ok(call(app, "tools/call", {"name": "create_record", "arguments": {
        "object": "people", "values": {"name": "Unit Mrtr"}}}, extra={"Mcp-Param-Object": "people"}))
    rid = made["structuredContent"]["id"]
    tool = {"name": "delete_record", "arguments": {"id": rid}}
    asked = _round(app, tool)
    question = asked["inputRequests"]["confirm"]
    assert question["method"] == "elicitation/create" and "Unit Mrtr" in question["params"]["message"]
    declined = _round(app, {**tool, "requestState": asked["requestState"],
                            "inputResponses": {"confirm": {"action": "decline"}}})
    assert declined["structuredContent"]["status"] == "declined"
    assert not ok(call(app, "tools/call", {"name": "fetch", "arguments": {"id": rid}}))["isError"]


def test_the_2025_era_is_unchanged_beside_it(app):
    http = app.test_client()
    init = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}},
        headers={"Accept": "application/json, text/event-stream"})
    assert init.get_json()["result"]["protocolVersion"] == "2025-06-18"
    sid = init.headers["Mcp-Session-Id"]
    listed = http.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers={
        "Accept": "application/json, text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"})
    result = listed.get_json()["result"]
    assert "resultType" not in result and "ttlMs" not in result and result["tools"]


@pytest.mark.parametrize("schema, problem", [
    ({"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}}, "number"),
    ({"type": "object", "properties": {"a": {"type": "string", "x-mcp-header": "Same"},
                                       "b": {"type": "string", "x-mcp-header": "same"}}}, "unique"),
    ({"type": "object", "properties": {"a": {"type": "string", "x-mcp-header": "Bad Name"}}}, "token"),
    ({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string", "x-mcp-header": "L"}}}},
     "reachable"),
])
def test_invalid_x_mcp_header_annotations_are_refused_at_registration(schema, problem):
    with pytest.raises(ValueError) as invalid:
        Tool(name="t", description="d", handler=lambda c, a: {}, args=schema)
    assert problem in str(invalid.value)
    assert list(mcp_headers.annotated({"type": "object", "properties": {"o": {"type": "object", "properties": {
        "p": {"type": "string", "x-mcp-header": "P"}}}}})) == [(("o", "p"), "P", {"type": "string",
                                                                                  "x-mcp-header": "P"})]


def _create(app, values: dict[str, Any], obj: str, **more: Any) -> dict[str, Any]:
    return ok(call(app, "tools/call", {"name": "create_record", "arguments": {"object": obj, "values": values},
                                       **more}, capabilities={"elicitation": {}}, extra={"Mcp-Param-Object": obj}))


def test_missing_required_fields_are_asked_for_in_one_form(app):
    asked = _create(app, {"name": "Unit Deal Form"}, "deals")
    form = asked["inputRequests"]["required_deals"]["params"]["requestedSchema"]
    assert form["required"] == ["stage", "owner"] and "Lead" in form["properties"]["stage"]["enum"]
    state = asked["requestState"]
    done = _create(app, {"name": "Unit Deal Form"}, "deals", requestState=state, inputResponses={"required_deals": {
        "action": "accept", "content": {"stage": "Lead", "owner": "maya.chen@demo-sales.example"}}})
    assert done["resultType"] == "complete" and not done["isError"], done
    assert done["structuredContent"]["title"] == "Unit Deal Form"
    refused_form = _create(app, {"name": "Unit Deal Form 2"}, "deals", requestState=_create(
        app, {"name": "Unit Deal Form 2"}, "deals")["requestState"],
        inputResponses={"required_deals": {"action": "decline"}})
    assert refused_form["isError"] and "Nothing was created" in refused_form["content"][0]["text"]


def test_an_ambiguous_reference_asks_which_record_is_meant(app):
    asked = _create(app, {"name": "Unit Ambiguous", "company": "energy"}, "people")
    (key, question), = asked["inputRequests"].items()
    choices = question["params"]["requestedSchema"]["properties"]["record"]["oneOf"]
    assert len(choices) == 2 and all(c["const"].startswith("companies:") for c in choices)
    greenfield = next(c["const"] for c in choices if "Greenfield" in c["title"])
    done = _create(app, {"name": "Unit Ambiguous", "company": "energy"}, "people", requestState=asked["requestState"],
                   inputResponses={key: {"action": "accept", "content": {"record": greenfield}}})
    assert not done["isError"], done
    person = ok(call(app, "tools/call", {"name": "fetch", "arguments": {"id": done["structuredContent"]["id"]}}))
    assert "Greenfield Renewable Energy" in person["content"][0]["text"]
    # A client that cannot be asked gets the candidates to choose from, and nothing is created.
    unasked = ok(call(app, "tools/call", {"name": "create_record", "arguments": {"object": "people", "values": {
        "name": "Unit Ambiguous 2", "company": "energy"}}}, extra={"Mcp-Param-Object": "people"}))
    assert unasked["isError"] and "is ambiguous" in unasked["content"][0]["text"]
    assert "Greenfield Renewable Energy" in unasked["content"][0]["text"]


def test_a_listen_stream_acknowledges_delivers_what_it_asked_for_and_ends_cleanly_on_drain(demo_attio, tmp_path):
    app = migrated_app({"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}", "LOG_LEVEL": "WARNING"}, environ={})
    ext = app.extensions["mcp"]
    msg = body("subscriptions/listen", {"notifications": {"resourceSubscriptions": ["attio://records/people/1"],
                                                          "toolsListChanged": True}}, rid="l1")
    stream = app.test_client().post("/mcp", data=json.dumps(msg), headers=headers(msg), buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    chunks = iter(stream.response)

    def frame() -> dict[str, Any]:
        while True:
            data = [line[6:] for line in next(chunks).decode().splitlines() if line.startswith("data: ")]
            if data:
                return json.loads(data[0])

    ack = frame()
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    # The product's lists do not change at runtime: only the record subscription is honoured.
    assert ack["params"]["notifications"] == {"resourceSubscriptions": ["attio://records/people/1"]}
    mine = {"tenant": app.extensions["attio"].tenant(None)}
    ext.server.changes.publish("resourceUpdated", "attio://records/people/2", mine)  # not asked for
    ext.server.changes.publish("toolsListChanged")  # not honoured
    ext.server.changes.publish("resourceUpdated", "attio://records/people/1", {"tenant": "another-workspace"})
    ext.server.changes.publish("resourceUpdated", "attio://records/people/1", mine)
    update = frame()
    assert update["method"] == "notifications/resources/updated"
    assert update["params"] == {"uri": "attio://records/people/1",
                                "_meta": {"io.modelcontextprotocol/subscriptionId": "l1"}}
    ext.shutdown(wait=0.1)
    end = frame()
    assert end["id"] == "l1" and end["result"]["resultType"] == "complete"
    assert end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "l1"
    with pytest.raises(StopIteration):
        frame()
    assert not ext.server.changes.listeners
