"""Tasks (io.modelcontextprotocol/tasks) shared through Redis: a task started on one instance is read, answered
and cancelled through another — two gunicorn instances of the conformance build on one Redis database — and the
instance running the tool hears what was sent to the other. Plus the Redis task store on its own (expiry, atomic
updates). Uses database 10 of the machine's Redis, emptied before and after."""
from __future__ import annotations

import secrets
import time
from typing import Any

import pytest

from connector.mcp.tasks import EXTENSION, RedisTaskStore
from tests.conftest import need
from tests.modern_client import Listening, post

from .test_redis_cache import empty_redis_db, redis_up

pytestmark = pytest.mark.integration
APP = "tests.conformance.wsgi:app"
REDIS_URL = "redis://127.0.0.1:6379/10"
CAPS = {"elicitation": {}, "extensions": {EXTENSION: {}}}


@pytest.fixture(scope="module")
def two_instances(server_factory):
    with empty_redis_db(REDIS_URL):
        yield (server_factory(APP, REDIS_URL=REDIS_URL, LOG_LEVEL="INFO", SSE_KEEPALIVE_SECONDS="1"),
               server_factory(APP, REDIS_URL=REDIS_URL, SSE_KEEPALIVE_SECONDS="1"))


def result(url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    r = post(url, method, params, capabilities=CAPS)
    assert r.status_code == 200, r.text
    assert "error" not in r.json(), r.json()
    return r.json()["result"]


def wait_for(url: str, task_id: str, *statuses: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = result(url, "tasks/get", {"taskId": task_id})
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, f"task stayed {task['status']}, wanted {statuses}"
        time.sleep(0.1)


def test_a_task_started_on_one_instance_is_read_and_cancelled_through_the_other(two_instances):
    a, b = two_instances
    created = result(a.mcp_url, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 30}})
    assert created["resultType"] == "task"
    task_id = created["taskId"]
    seen = result(b.mcp_url, "tasks/get", {"taskId": task_id})
    assert seen["status"] == "working" and seen["createdAt"] == created["createdAt"]
    ack = result(b.mcp_url, "tasks/cancel", {"taskId": task_id})
    assert set(ack) == {"resultType", "_meta"}
    assert result(a.mcp_url, "tasks/get", {"taskId": task_id})["status"] == "cancelled"
    deadline = time.monotonic() + 5  # the tool on A stopped: A heard the cancel sent to B
    while f"task {task_id} cancelled: tool slow_compute" not in a.log():
        assert time.monotonic() < deadline, a.log()[-3000:]
        time.sleep(0.1)
    time.sleep(0.5)
    assert result(a.mcp_url, "tasks/get", {"taskId": task_id})["status"] == "cancelled"


def test_a_task_started_on_one_instance_is_answered_through_the_other(two_instances):
    a, b = two_instances
    created = result(a.mcp_url, "tools/call", {"name": "confirm_delete", "arguments": {"filename": "shared.txt"}})
    parked = wait_for(b.mcp_url, created["taskId"], "input_required")
    assert list(parked["inputRequests"]) == ["confirm"]
    result(b.mcp_url, "tasks/update", {"taskId": created["taskId"], "inputResponses": {
        "confirm": {"action": "accept", "content": {"confirm": True}}}})
    done = wait_for(b.mcp_url, created["taskId"], "completed", timeout=5)
    assert done["result"]["content"][0]["text"] == "Deleted shared.txt"


def test_a_listen_stream_on_one_instance_hears_a_task_running_on_the_other(two_instances):
    a, b = two_instances
    created = result(a.mcp_url, "tools/call", {"name": "confirm_delete", "arguments": {"filename": "heard.txt"}})
    wait_for(a.mcp_url, created["taskId"], "input_required")  # parked on A until answered
    stream = Listening(b.mcp_url, {"taskIds": [created["taskId"]]}, rid="sub-t", capabilities=CAPS,
                       done=lambda frames: frames[-1].get("params", {}).get("status") == "completed")
    assert stream.wait_ready(), stream.frames
    result(a.mcp_url, "tasks/update", {"taskId": created["taskId"], "inputResponses": {
        "confirm": {"action": "accept", "content": {"confirm": True}}}})
    frames = stream.join(15)
    assert frames[0]["params"]["notifications"] == {"taskIds": [created["taskId"]]}, frames
    statuses = [f["params"]["status"] for f in frames[1:] if f.get("method") == "notifications/tasks"]
    assert statuses == ["working", "completed"], frames
    assert frames[-1]["params"]["result"]["content"][0]["text"] == "Deleted heard.txt"
    assert frames[-1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-t"


def test_the_redis_store_expires_tasks_with_their_ttl_and_updates_atomically():
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    prefix = f"test-tasks-{secrets.token_hex(4)}"
    store = RedisTaskStore(REDIS_URL, prefix=prefix)
    try:
        now = int(time.time() * 1000)
        store.create({"taskId": "t", "status": "working", "_owner": "o", "_expires": now + 600, "n": 0})
        assert 0 < store.redis.pttl(f"{prefix}:task:t") <= 600
        other = RedisTaskStore(REDIS_URL, prefix=prefix)  # a second worker

        def bump(state: dict[str, Any]) -> dict[str, Any]:
            if state["n"] == 0:  # another worker writes between this read and this write: retried
                other.update("t", lambda s: {**s, "n": s["n"] + 10})
            return {**state, "n": state["n"] + 1}

        assert store.update("t", bump)["n"] == 11
        assert other.get("t")["n"] == 11 and store.redis.pttl(f"{prefix}:task:t") <= 600  # expiry kept
        assert store.update("t", lambda s: None)["n"] == 11 and store.update("missing", lambda s: s) is None
        time.sleep(0.7)
        assert store.get("t") is None and store.update("t", lambda s: s) is None
    finally:
        for key in store.redis.scan_iter(f"{prefix}:*"):
            store.redis.delete(key)
