"""A test build: the real app plus the conformance fixtures and one slow tool, via the public registry."""
from __future__ import annotations

import os
import time
from typing import Any

import gevent

from connector import create_app
from connector.mcp.registry import Tool, ToolResult
from tests.conformance.fixtures import register_all


def slow(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Sleep in small steps, stopping early when cancelled."""
    for _ in range(int(float(args.get("seconds", 1)) * 20)):
        ctx.check_cancelled()
        gevent.sleep(0.05)
    return ToolResult.text("slept")


app = create_app()  # auth follows the environment (the tests set AUTH_DISABLED as they need)
registry = app.extensions["mcp"].registry
register_all(registry)
registry.add_tool(Tool(name="test_write", description="A fixture write tool (needs attio:write).",
                       handler=lambda ctx, args: ToolResult.text("written"), scope="attio:write",
                       annotations={"readOnlyHint": False, "destructiveHint": False}))
registry.add_tool(Tool(name="test_slow", description="Sleeps for `seconds`.", handler=slow, streaming=True,
                       args={"type": "object", "properties": {"seconds": {"type": "number"}}},
                       annotations={"readOnlyHint": True}))


def worker_pid(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Which worker process ran the call, after keeping its worker busy for `hold` seconds (a busy loop that never
    yields: the worker accepts no other connection meanwhile, so concurrent calls must reach other workers)."""
    until = time.monotonic() + float(args.get("hold", 0))
    while time.monotonic() < until:
        pass
    return ToolResult.text(str(os.getpid()))


registry.add_tool(Tool(name="test_worker_pid", description="Which worker process ran the call.", handler=worker_pid,
                       args={"type": "object", "properties": {"hold": {"type": "number"}}},
                       annotations={"readOnlyHint": True}))


@app.post("/_test/crash")
def crash():  # pragma: no cover - exercised through the real server (tests/integration/test_observability.py)
    """A bug on purpose, with secrets in its locals, for the error-report scrubbing test."""
    from flask import request

    api_key = "attio-key-in-a-local-" + "x" * 12  # noqa: F841 - a local variable the report must not carry
    client_secret = request.form.get("client_secret")  # noqa: F841
    raise RuntimeError("crash on purpose while holding " + request.headers.get("Authorization", ""))
