"""The fixtures of the tasks-* scenarios (the `io.modelcontextprotocol/tasks` extension, SEP-2663).

Registered through the public registry only (`Tool.task_support`, `ctx.start_task`, `ctx.ask`), into the
conformance build. Never part of the product.
"""
from __future__ import annotations

from typing import Any

import gevent

from connector.mcp.jsonrpc import INTERNAL_ERROR, JsonRpcError
from connector.mcp.registry import Registry, Tool, ToolResult

ANNOTATIONS = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
NAME_ARGS = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
COMPUTE_ARGS = {"type": "object", "properties": {
    "seconds": {"type": "number", "minimum": 0, "maximum": 600, "description": "How long to work"},
    "label": {"type": "string", "description": "Echoed in the result"}}}
FILE_ARGS = {"type": "object", "properties": {"filename": {"type": "string"}}, "required": ["filename"]}
NO_ARGS: dict[str, Any] = {"type": "object", "properties": {}}


def _sleep(ctx: Any, seconds: float) -> None:
    """Work for `seconds`, stopping as soon as the call or task is cancelled."""
    for _ in range(int(seconds * 20)):
        ctx.check_cancelled()
        gevent.sleep(0.05)
    ctx.check_cancelled()


def _elicit(message: str, prop: str, kind: str = "string") -> dict[str, Any]:
    return {"method": "elicitation/create", "params": {"mode": "form", "message": message, "requestedSchema": {
        "type": "object", "properties": {prop: {"type": kind}}, "required": [prop]}}}


def _content(answer: dict[str, Any]) -> dict[str, Any]:
    return answer.get("content") if isinstance(answer.get("content"), dict) else {}


def greet(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Sync only."""
    return ToolResult.text(f"Hello, {args.get('name')}!")


def slow_compute(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """`seconds` of work: 0 answers inline, anything more is a task at once; cancellable."""
    seconds = float(args.get("seconds") or 0)
    if seconds > 0:
        ctx.start_task()
    _sleep(ctx, seconds)
    return ToolResult.text(f"Computed {args.get('label') or 'result'} in {seconds:g}s")


def failing_job(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Always a task; after about a second, a tool execution error (a completed task with isError)."""
    ctx.start_task()
    _sleep(ctx, 1.0)
    return ToolResult.error("failing_job failed on purpose (a tool execution error)")


def protocol_error_job(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Always a task; ends with a JSON-RPC error (a failed task with error)."""
    ctx.start_task()
    _sleep(ctx, 0.2)
    raise JsonRpcError(INTERNAL_ERROR, "protocol_error_job: simulated internal failure")


def confirm_delete(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Always a task, which asks the user once (input_required) and then finishes."""
    ctx.start_task()
    answer = ctx.ask({"confirm": _elicit(f"Delete {args['filename']}?", "confirm", "boolean")})["confirm"]
    if answer.get("action") == "accept" and _content(answer).get("confirm"):
        return ToolResult.text(f"Deleted {args['filename']}")
    return ToolResult.text(f"Kept {args['filename']}")


def multi_input(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Always a task, which asks two questions at once (the client may answer them one at a time)."""
    ctx.start_task()
    answers = ctx.ask({"name": _elicit("What is your name?", "name"),
                       "confirm": _elicit("Proceed?", "confirm", "boolean")})
    return ToolResult.text(f"Hello, {_content(answers['name']).get('name')}; "
                           f"confirmed: {_content(answers['confirm']).get('confirm')}")


def tool_with_task(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Asks for a name through an input_required round first, then goes on as a task that uses the answer."""
    name = _content(ctx.ask({"user_name": _elicit("What is your name?", "name")})["user_name"]).get("name")
    ctx.start_task()
    _sleep(ctx, 0.3)
    return ToolResult.text(f"Hello, {name}! (finished as a task)")


def register_tasks(registry: Registry) -> None:
    """The tools of the tasks-* scenarios."""
    for name, handler, args, support in (
            ("greet", greet, NAME_ARGS, "forbidden"),
            ("slow_compute", slow_compute, COMPUTE_ARGS, "optional"),
            ("failing_job", failing_job, NO_ARGS, "required"),
            ("protocol_error_job", protocol_error_job, NO_ARGS, "optional"),
            ("confirm_delete", confirm_delete, FILE_ARGS, "optional"),
            ("multi_input", multi_input, NO_ARGS, "optional"),
            ("test_tool_with_task", tool_with_task, NO_ARGS, "required")):
        registry.add_tool(Tool(name=name, description=f"Tasks conformance fixture {name}", handler=handler,
                               args=args, annotations=ANNOTATIONS, task_support=support))
