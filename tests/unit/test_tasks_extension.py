"""The tasks extension (io.modelcontextprotocol/tasks) in process: task creation, tasks/get, tasks/update,
tasks/cancel, the TTL, the capability gate, caller isolation, status notifications on listen streams, and the
memory store. (Tasks shared through Redis by two instances: tests/integration/test_tasks_redis.py.)

The app runs in this process without gevent's monkey-patching: a task's greenlet runs whenever the test waits
with gevent.sleep, which is what `wait_for` does."""
from __future__ import annotations

import json
import time
from typing import Any

import gevent
import pytest

from connector.identity import Caller
from connector.mcp import tasks as mcp_tasks
from connector.mcp.jsonrpc import JsonRpcError
from connector.mcp.registry import Registry, Tool, ToolResult
from connector.mcp.request_meta import RequestMeta
from connector.mcp.sessions import InFlight
from connector.mcp.context import ToolContext
from connector.mcp.subscriptions import ChangeFeed
from connector.mcp.tasks import EXTENSION, MemoryTaskStore, TaskManager, detailed
from tests.apps import migrated_app
from tests.conformance.fixtures import register_all
from tests.conformance.fixtures_tasks import register_tasks
from tests.modern_client import body, headers

TASKS = {"extensions": {EXTENSION: {}}}
CAPS = {"elicitation": {}, **TASKS}
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


@pytest.fixture(scope="module")
def app(demo_attio, tmp_path_factory):
    app = migrated_app({"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.sqlite'}",
                        "LOG_LEVEL": "WARNING"}, environ={})
    registry = app.extensions["mcp"].registry
    register_all(registry)

    def sleepy(ctx: Any, args: dict[str, Any]) -> ToolResult:  # never calls start_task: the grace period decides
        gevent.sleep(float(args.get("seconds", 0)))
        return ToolResult.text("slept")

    def stubborn(ctx: Any, args: dict[str, Any]) -> ToolResult:  # ignores cancellation
        ctx.start_task()
        gevent.sleep(30)
        return ToolResult.text("never")

    def reporting(ctx: Any, args: dict[str, Any]) -> ToolResult:
        ctx.start_task()
        ctx.progress(1, 2, "Half way there")
        gevent.sleep(0.3)
        return ToolResult.text("reported")

    for name, handler in (("test_sleepy", sleepy), ("test_stubborn", stubborn), ("test_reporting", reporting)):
        registry.add_tool(Tool(name=name, description=name, handler=handler, task_support="optional",
                               args={"type": "object", "properties": {"seconds": {"type": "number"}}}))
    return app


@pytest.fixture()
def manager(app) -> TaskManager:
    return app.extensions["mcp"].server.tasks


def post(app, method: str, params: dict[str, Any] | None = None, *, caps: dict[str, Any] | None = None,
         rid: Any = 7):
    msg = body(method, params, rid=rid, capabilities=CAPS if caps is None else caps)
    return app.test_client().post("/mcp", data=json.dumps(msg), headers=headers(msg))


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert "error" not in data, data
    return data["result"]


def refused(response, code: int) -> dict[str, Any]:
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def start(app, name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    created = ok(post(app, "tools/call", {"name": name, "arguments": arguments or {}}, **kw))
    assert created["resultType"] == "task", created
    return created


def get(app, task_id: str, **kw: Any) -> dict[str, Any]:
    return ok(post(app, "tasks/get", {"taskId": task_id}, **kw))


def wait_for(app, task_id: str, *statuses: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = get(app, task_id)
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, f"task stayed {task['status']}, wanted {statuses}"
        gevent.sleep(0.05)


def all_tools(app, caps: dict[str, Any]) -> list[dict[str, Any]]:
    tools, cursor = [], None
    while True:
        page = ok(post(app, "tools/list", {"cursor": cursor} if cursor else {}, caps=caps))
        tools += page["tools"]
        cursor = page.get("nextCursor")
        if not cursor:
            return tools


# -- negotiation and the gate --------------------------------------------------------------------------------

def test_discover_advertises_the_extension_and_tools_list_says_which_tools_support_tasks(app):
    caps = ok(post(app, "server/discover"))["capabilities"]
    assert caps["extensions"] == {EXTENSION: {}} and "tasks" not in caps
    tools = {t["name"]: t for t in all_tools(app, CAPS)}
    assert tools["slow_compute"]["execution"] == {"taskSupport": "optional"}
    assert tools["failing_job"]["execution"] == {"taskSupport": "required"}
    assert tools["query_records"]["execution"] == {"taskSupport": "optional"}  # the product's long reads
    assert "execution" not in tools["greet"] and "execution" not in tools["search"]


def test_session_clients_see_no_task_support(app):
    http = app.test_client()
    init = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}},
        headers={"Accept": "application/json, text/event-stream"})
    sid = init.headers["Mcp-Session-Id"]
    hdrs = {"Accept": "application/json, text/event-stream", "Mcp-Session-Id": sid,
            "MCP-Protocol-Version": "2025-11-25"}
    assert "extensions" not in init.get_json()["result"]["capabilities"]
    listed = http.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=hdrs)
    assert not [t for t in listed.get_json()["result"]["tools"] if "execution" in t]
    called = http.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "failing_job", "arguments": {}}}, headers=hdrs)  # "required" means nothing to a session client
    assert called.get_json()["result"]["isError"] is True
    gone = http.post("/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "tasks/get", "params": {"taskId": "x"}},
                     headers=hdrs)
    assert gone.get_json()["error"]["code"] == -32601


@pytest.mark.parametrize("method, params", [("tasks/get", {"taskId": "gate"}), ("tasks/cancel", {"taskId": "gate"}),
                                            ("tasks/update", {"taskId": "gate", "inputResponses": {}})])
def test_tasks_methods_need_the_extension_on_the_request(app, method, params):
    r = post(app, method, params, caps={"elicitation": {}})
    assert r.status_code == 400
    error = refused(r, -32021)
    assert error["data"] == {"requiredCapabilities": {"extensions": {EXTENSION: {}}}}
    refused(post(app, method, {**params, "taskId": "no-such-task"}), -32602)  # declared: then it is unknown


def test_without_the_extension_optional_tools_answer_inline_and_required_ones_are_refused(app):
    inline = ok(post(app, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 0.2}}, caps={}))
    assert inline["resultType"] == "complete" and "taskId" not in inline
    assert inline["content"][0]["text"] == "Computed result in 0.2s"
    r = post(app, "tools/call", {"name": "failing_job", "arguments": {}}, caps={})
    assert r.status_code == 400
    assert refused(r, -32021)["data"]["requiredCapabilities"]["extensions"] == {EXTENSION: {}}
    legacy = ok(post(app, "tools/call", {"name": "greet", "arguments": {"name": "x"}, "task": {"ttl": 1000}}))
    assert legacy["resultType"] == "complete" and legacy["content"][0]["text"] == "Hello, x!"


def test_removed_v1_methods_are_unknown(app):
    for method in ("tasks/result", "tasks/list"):
        refused(post(app, method, {"taskId": "x"}), -32601)


# -- lifecycle ----------------------------------------------------------------------------------------------

def test_a_task_is_created_polled_and_completed_with_its_result_inlined(app, manager):
    created = start(app, "slow_compute", {"seconds": 0.3, "label": "unit"})
    assert set(created) == {"resultType", "taskId", "status", "createdAt", "lastUpdatedAt", "ttlMs",
                            "pollIntervalMs", "_meta"}
    assert created["status"] == "working" and created["ttlMs"] == manager.ttl_ms and created["pollIntervalMs"] > 0
    import re

    assert re.match(ISO, created["createdAt"]) and re.match(ISO, created["lastUpdatedAt"])
    working = get(app, created["taskId"])  # at once: the task was recorded before the handle went out
    assert working["resultType"] == "complete" and working["status"] == "working"
    assert "result" not in working and "error" not in working and "requestState" not in working
    done = wait_for(app, created["taskId"], "completed", "failed", "cancelled")
    assert done["status"] == "completed", done
    assert done["result"]["content"][0]["text"] == "Computed unit in 0.3s" and done["result"]["isError"] is False
    assert "io.modelcontextprotocol/related-task" not in (done["result"].get("_meta") or {})
    assert done["createdAt"] == created["createdAt"] and done["lastUpdatedAt"] >= created["lastUpdatedAt"]
    assert created["taskId"] not in manager.running


def test_a_quick_call_answers_inline_and_a_slow_one_becomes_a_task_after_the_grace_period(app, manager,
                                                                                           monkeypatch):
    monkeypatch.setattr(manager, "grace", 0.2)
    quick = ok(post(app, "tools/call", {"name": "test_sleepy", "arguments": {"seconds": 0.01}}))
    assert quick["resultType"] == "complete" and quick["content"][0]["text"] == "slept"
    slow = start(app, "test_sleepy", {"seconds": 0.5})
    assert wait_for(app, slow["taskId"], "completed")["result"]["content"][0]["text"] == "slept"


def test_a_tool_error_completes_the_task_and_a_protocol_error_fails_it(app):
    tool_error = start(app, "failing_job")
    done = wait_for(app, tool_error["taskId"], "completed", "failed")
    assert done["status"] == "completed" and done["result"]["isError"] is True
    protocol_error = start(app, "protocol_error_job")
    failed = wait_for(app, protocol_error["taskId"], "completed", "failed")
    assert failed["status"] == "failed" and "result" not in failed
    assert failed["error"]["code"] == -32603 and "simulated" in failed["error"]["message"]
    assert failed["statusMessage"] == failed["error"]["message"]


def test_cancel_stops_the_tool_and_is_an_empty_ack_also_when_repeated(app, manager):
    created = start(app, "slow_compute", {"seconds": 30})
    gevent.sleep(0.1)
    assert created["taskId"] in manager.running
    ack = ok(post(app, "tasks/cancel", {"taskId": created["taskId"]}))
    assert set(ack) == {"resultType", "_meta"} and ack["resultType"] == "complete"
    cancelled = get(app, created["taskId"])
    assert cancelled["status"] == "cancelled" and "result" not in cancelled
    deadline = time.monotonic() + 2
    while created["taskId"] in manager.running:  # the tool noticed ctx.cancelled and stopped
        assert time.monotonic() < deadline
        gevent.sleep(0.05)
    again = ok(post(app, "tasks/cancel", {"taskId": created["taskId"]}))  # terminal: the same ack, no change
    assert set(again) == {"resultType", "_meta"} and get(app, created["taskId"])["status"] == "cancelled"
    refused(post(app, "tasks/cancel", {"taskId": "no-such-task"}), -32602)


def test_a_tool_that_ignores_cancellation_is_stopped_after_the_grace(app, manager, monkeypatch):
    monkeypatch.setattr(mcp_tasks, "CANCEL_GRACE_SECONDS", 0.1)
    created = start(app, "test_stubborn")
    gevent.sleep(0.05)
    ok(post(app, "tasks/cancel", {"taskId": created["taskId"]}))
    deadline = time.monotonic() + 2
    while created["taskId"] in manager.running:
        assert time.monotonic() < deadline, "the stubborn tool was never stopped"
        gevent.sleep(0.05)
    assert get(app, created["taskId"])["status"] == "cancelled"


def test_unknown_or_malformed_task_ids_are_invalid_params(app):
    assert "not found" in refused(post(app, "tasks/get", {"taskId": "tasks-nonexistent"}), -32602)["message"]
    refused(post(app, "tasks/get", {}), -32602)
    refused(post(app, "tasks/update", {"taskId": "tasks-nonexistent", "inputResponses": {}}), -32602)


def test_progress_messages_become_the_status_message(app):
    created = start(app, "test_reporting")
    gevent.sleep(0.1)
    assert get(app, created["taskId"])["statusMessage"] == "Half way there"
    assert wait_for(app, created["taskId"], "completed")["result"]["content"][0]["text"] == "reported"


# -- input while running ------------------------------------------------------------------------------------

def test_a_parked_task_shows_its_questions_and_resumes_after_tasks_update(app):
    created = start(app, "confirm_delete", {"filename": "a.txt"})
    parked = wait_for(app, created["taskId"], "input_required")
    assert list(parked["inputRequests"]) == ["confirm"]
    assert parked["inputRequests"]["confirm"]["method"] == "elicitation/create"
    bad = post(app, "tasks/update", {"taskId": created["taskId"], "inputResponses": {"confirm": {"action": "maybe"}}})
    refused(bad, -32602)  # an answer that is no elicitation result: refused, the task still waits
    ignored = ok(post(app, "tasks/update", {"taskId": created["taskId"],
                                            "inputResponses": {"unknown-key": {"ignored": True}}}))
    assert set(ignored) == {"resultType", "_meta"}
    assert get(app, created["taskId"])["status"] == "input_required"
    ack = ok(post(app, "tasks/update", {"taskId": created["taskId"], "inputResponses": {
        "confirm": {"action": "accept", "content": {"confirm": True}}}}))
    assert set(ack) == {"resultType", "_meta"} and ack["resultType"] == "complete"
    done = wait_for(app, created["taskId"], "completed")
    assert done["result"]["content"][0]["text"] == "Deleted a.txt" and "inputRequests" not in done


def test_answers_may_come_one_at_a_time(app):
    created = start(app, "multi_input")
    parked = wait_for(app, created["taskId"], "input_required")
    first, second = sorted(parked["inputRequests"])
    ok(post(app, "tasks/update", {"taskId": created["taskId"], "inputResponses": {
        first: {"action": "accept", "content": {"confirm": True, "name": "Ada"}}}}))
    gevent.sleep(0.1)
    still = get(app, created["taskId"])
    assert still["status"] == "input_required" and list(still["inputRequests"]) == [second]
    ok(post(app, "tasks/update", {"taskId": created["taskId"], "inputResponses": {
        second: {"action": "accept", "content": {"confirm": True, "name": "Ada"}}}}))
    done = wait_for(app, created["taskId"], "completed")
    assert done["result"]["content"][0]["text"] == "Hello, Ada; confirmed: True"


def test_cancelling_a_parked_task_ends_it(app, manager):
    created = start(app, "confirm_delete", {"filename": "b.txt"})
    wait_for(app, created["taskId"], "input_required")
    ok(post(app, "tasks/cancel", {"taskId": created["taskId"]}))
    cancelled = get(app, created["taskId"])
    assert cancelled["status"] == "cancelled" and "inputRequests" not in cancelled
    deadline = time.monotonic() + 2
    while created["taskId"] in manager.running:
        assert time.monotonic() < deadline
        gevent.sleep(0.05)


def test_input_required_rounds_first_then_a_task_that_uses_the_answer(app):
    first = ok(post(app, "tools/call", {"name": "test_tool_with_task", "arguments": {}}))
    assert first["resultType"] == "input_required" and "taskId" not in first
    key = next(iter(first["inputRequests"]))
    created = ok(post(app, "tools/call", {"name": "test_tool_with_task", "arguments": {}, "requestState":
                                          first["requestState"], "inputResponses": {
                                              key: {"action": "accept", "content": {"name": "Alice"}}}}))
    assert created["resultType"] == "task" and "requestState" not in created and "inputRequests" not in created
    done = wait_for(app, created["taskId"], "completed")
    assert "Alice" in done["result"]["content"][0]["text"]


# -- notifications ------------------------------------------------------------------------------------------

def _events(stream, timeout: float = 10.0) -> Any:
    buffer, deadline = "", time.monotonic() + timeout
    for chunk in stream.response:  # keep-alives come every keepalive_interval, so the deadline is checked
        assert time.monotonic() < deadline, "no such event on the stream"
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            event, buffer = buffer.split("\n\n", 1)
            data = "".join(line[5:].strip() for line in event.splitlines() if line.startswith("data:"))
            if data:
                yield json.loads(data)


def test_listen_streams_that_asked_for_a_task_hear_its_status_changes(app, monkeypatch):
    monkeypatch.setattr(app.extensions["mcp"], "keepalive_interval", 0.2)
    created = start(app, "slow_compute", {"seconds": 0.3})
    msg = body("subscriptions/listen", {"notifications": {"taskIds": [created["taskId"]]}}, rid="sub",
               capabilities=CAPS)
    stream = app.test_client().post("/mcp", data=json.dumps(msg), headers=headers(msg), buffered=False)
    assert stream.status_code == 200
    events = _events(stream)
    ack = next(events)
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["notifications"] == {"taskIds": [created["taskId"]]}
    heard = next(e for e in events if e.get("method") == "notifications/tasks")
    stream.close()
    assert heard["params"]["taskId"] == created["taskId"] and heard["params"]["status"] == "completed"
    assert heard["params"]["result"]["content"][0]["text"] == "Computed result in 0.3s"
    assert heard["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub"


def test_listening_for_tasks_needs_the_extension(app):
    msg = body("subscriptions/listen", {"notifications": {"taskIds": ["x"]}}, rid="sub", capabilities={})
    r = app.test_client().post("/mcp", data=json.dumps(msg), headers=headers(msg))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == -32021


# -- the manager on its own: callers, TTL, shutdown ---------------------------------------------------------

def _ctx(registry: Registry, subject: str, caps: dict[str, Any] = CAPS) -> ToolContext:
    return ToolContext(services=None, caller=Caller(subject=subject), session=None, emit=lambda m: False,
                       request_id=1, in_flight=InFlight(1), registry=registry,
                       request_meta=RequestMeta(version="2026-07-28", capabilities=caps))


@pytest.fixture()
def bare() -> tuple[TaskManager, Registry]:
    registry = Registry()
    register_tasks(registry)
    return TaskManager(MemoryTaskStore(), ChangeFeed(), ttl_ms=400), registry


def test_a_task_belongs_to_the_caller_who_started_it(bare):
    manager, registry = bare
    alice, bob = _ctx(registry, "alice"), _ctx(registry, "bob")
    created = manager.call_tool(alice, {"name": "slow_compute", "arguments": {"seconds": 5}})
    task_id = created["taskId"]
    assert manager.get(alice, {"taskId": task_id})["status"] == "working"
    for method, params in ((manager.get, {}), (manager.cancel, {}), (manager.update, {"inputResponses": {}})):
        with pytest.raises(JsonRpcError) as refused_:
            method(bob, {"taskId": task_id, **params})
        assert refused_.value.code == -32602
    assert manager.get(alice, {"taskId": task_id})["status"] == "working"  # bob's cancel did nothing
    manager.cancel(alice, {"taskId": task_id})
    assert manager.get(alice, {"taskId": task_id})["status"] == "cancelled"


def test_a_task_stays_readable_for_its_ttl_and_is_gone_after(bare):
    manager, registry = bare
    alice = _ctx(registry, "alice")
    created = manager.call_tool(alice, {"name": "slow_compute", "arguments": {"seconds": 0.05}})
    assert created["ttlMs"] == 400
    gevent.sleep(0.2)
    assert manager.get(alice, {"taskId": created["taskId"]})["status"] == "completed"  # not early
    gevent.sleep(0.3)
    with pytest.raises(JsonRpcError) as gone:
        manager.get(alice, {"taskId": created["taskId"]})
    assert gone.value.code == -32602


def test_status_changes_are_announced_on_the_change_feed_with_the_owner(bare):
    manager, registry = bare
    heard: list[dict[str, Any]] = []
    manager.changes.watch(heard.append)
    alice = _ctx(registry, "alice")
    created = manager.call_tool(alice, {"name": "confirm_delete", "arguments": {"filename": "c"}})
    gevent.sleep(0.05)
    manager.update(alice, {"taskId": created["taskId"], "inputResponses": {
        "confirm": {"action": "decline"}}})
    gevent.sleep(0.05)
    statuses = [c["task"]["status"] for c in heard if c["kind"] == "task" and c["taskId"] == created["taskId"]]
    assert statuses == ["input_required", "working", "completed"], statuses
    assert {c["owner"] for c in heard} == {mcp_tasks.owner_of(Caller(subject="alice"))}
    assert heard[-1]["task"]["result"]["content"][0]["text"] == "Kept c"


def test_a_stopping_worker_fails_its_running_tasks(bare):
    manager, registry = bare
    alice = _ctx(registry, "alice")
    created = manager.call_tool(alice, {"name": "slow_compute", "arguments": {"seconds": 30}})
    assert manager.shutdown() == 1
    failed = manager.get(alice, {"taskId": created["taskId"]})
    assert failed["status"] == "failed" and failed["error"]["code"] == -32603
    gevent.sleep(0.05)
    assert not manager.running


def test_a_required_tool_is_refused_when_too_many_calls_run(bare):
    manager, registry = bare
    manager.max_active = 0
    with pytest.raises(JsonRpcError) as busy:
        manager.call_tool(_ctx(registry, "alice"), {"name": "failing_job", "arguments": {}})
    assert busy.value.code == -32603
    inline = manager.call_tool(_ctx(registry, "alice"), {"name": "slow_compute", "arguments": {"seconds": 0.01}})
    assert "taskId" not in inline and inline["content"][0]["text"] == "Computed result in 0.01s"


def test_task_support_is_checked_at_registration():
    with pytest.raises(ValueError):
        Tool(name="t", description="d", handler=lambda c, a: {}, task_support="sometimes")


# -- the memory store ---------------------------------------------------------------------------------------

def _state(task_id: str, ttl_ms: int = 1000, **more: Any) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {"taskId": task_id, "status": "working", "createdAt": "", "lastUpdatedAt": "", "ttlMs": ttl_ms,
            "_owner": "o", "_expires": now + ttl_ms, **more}


def test_memory_store_create_get_update_and_expiry():
    store = MemoryTaskStore()
    store.create(_state("a", ttl_ms=100))
    assert store.get("a")["status"] == "working" and store.get("b") is None
    assert store.update("a", lambda s: {**s, "status": "completed", "result": {"x": 1}})["status"] == "completed"
    assert store.update("a", lambda s: None)["status"] == "completed"  # no change
    assert store.update("missing", lambda s: s) is None
    got = store.get("a")
    got["status"] = "mutated"  # a copy: the store is not changed behind its back
    assert store.get("a")["status"] == "completed"
    time.sleep(0.12)
    assert store.get("a") is None and store.update("a", lambda s: s) is None


def test_memory_store_keeps_at_most_max_tasks():
    store = MemoryTaskStore(max_tasks=3)
    for i in range(5):
        store.create(_state(str(i)))
    assert [store.get(str(i)) is not None for i in range(5)] == [False, False, True, True, True]


def test_the_wire_shape_shows_only_what_belongs_to_the_status():
    state = _state("a", inputRequests={"k": {}}, result={"content": []}, error={"code": 1}, _answers={"k": {}})
    assert set(detailed(state)) == {"taskId", "status", "createdAt", "lastUpdatedAt", "ttlMs"}
    assert "inputRequests" in detailed({**state, "status": "input_required"})
    assert set(detailed({**state, "status": "failed"})) - set(detailed(state)) == {"error"}
