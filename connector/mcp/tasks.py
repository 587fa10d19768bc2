"""The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) for 2026-07-28 clients: a `tools/call` that
outlasts its request answers with a task handle (`resultType: "task"`); the client polls `tasks/get`, answers
the task's questions with `tasks/update` and stops it with `tasks/cancel`.

Which calls become tasks: a tool opts in with `Tool.task_support` ("optional" or "required") and the request
must declare the extension in its `_meta` client capabilities (a "required" tool refuses a request that does
not, -32021). The tool then runs in its own greenlet with its own `TaskContext`; the request waits a short grace
period and answers inline when the tool is done by then (the spec's immediate-result shortcut). Otherwise — or
as soon as the tool calls `ctx.start_task()` — the task is recorded and its handle returned. Before that point
`ctx.ask` is an ordinary multi round-trip (`input_required`) round; afterwards it parks the task in
`input_required` with `inputRequests` until `tasks/update` brings the answers (one at a time if the client
likes). A tool error is a `completed` task with `result.isError`; a JSON-RPC error during the run is a `failed`
task with `error`.

Where tasks live (connector/mcp/task_store.py): `MemoryTaskStore` (one process), or `RedisTaskStore` when
REDIS_URL is set, so `tasks/get` on
any worker or instance sees a task started on another: the task's state is one JSON value whose key expires
with the task's TTL (`ttlMs` from creation), updated with optimistic transactions. Every status change goes out
on the change feed (`subscriptions.ChangeFeed`, through Redis when set): the worker running the task hears a
`tasks/cancel` or `tasks/update` sent to another worker (and re-reads the store every couple of seconds in case
a message was lost), and `subscriptions/listen` streams that asked for the task's id get `notifications/tasks`.
Only the caller who started a task can see, answer, cancel or listen to it; to anyone else it does not exist.

Knows no Attio and no Flask.
"""
from __future__ import annotations

import contextvars
import hashlib
import itertools
import json
import logging
import secrets
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import gevent
import gevent.event
from marshmallow import Schema, ValidationError

from . import features, jsonrpc, mrtr
from .context import Cancelled, ToolContext
from .jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, MISSING_CLIENT_CAPABILITY, JsonRpcError
from .sessions import InFlight
from .task_wire import _ID_PARAMS, _UPDATE_PARAMS, MAX_TASK_ID, _iso, detailed  # noqa: F401  (re-exported)
from .task_store import PREFIX, MemoryTaskStore, RedisTaskStore, now_ms as _now_ms  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

EXTENSION = "io.modelcontextprotocol/tasks"
TERMINAL = frozenset({"completed", "failed", "cancelled"})
DEFAULT_TTL_MS = 3_600_000  # a finished task's result stays readable for an hour after the task was created
POLL_INTERVAL_MS = 1_000
GRACE_SECONDS = 1.0  # a call done within this answers inline; a slower one becomes a task
RECHECK_SECONDS = 2.0  # running tasks re-read their state this often, whatever the change feed delivered
CANCEL_GRACE_SECONDS = 2.0  # after tasks/cancel, a tool that has not stopped by itself is stopped
STATUS_MESSAGE_EVERY = 1.0  # progress messages become the task's statusMessage at most this often
MAX_ACTIVE = 200  # calls running under the task manager per worker; past it, optional tools run inline


def owner_of(caller: Any) -> str:
    """Who a task belongs to: a digest of the caller's subject and OAuth client (never stored in clear)."""
    raw = json.dumps([getattr(caller, "subject", None), getattr(caller, "client_id", None)])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def missing_extension(why: str) -> JsonRpcError:
    """MissingRequiredClientCapability (-32021, HTTP 400) naming the tasks extension."""
    return JsonRpcError(MISSING_CLIENT_CAPABILITY,
                        f"Missing required client capability: {why}; declare the {EXTENSION} extension in the "
                        "request's _meta io.modelcontextprotocol/clientCapabilities.extensions",
                        data={"requiredCapabilities": {"extensions": {EXTENSION: {}}}}, http_status=400)


def declared(ctx: ToolContext) -> bool:
    """True when this (2026-07-28) request declared the tasks extension."""
    return ctx.request_meta is not None and ctx.request_meta.extension(EXTENSION) is not None


# -- the running call ----------------------------------------------------------------------------------------

@dataclass(eq=False)
class _Run:
    """One tools/call running under the task manager: inline until promoted, then a task."""

    manager: "TaskManager"
    tool: str
    ctx: "TaskContext | None" = None
    greenlet: gevent.Greenlet | None = None
    decided: gevent.event.AsyncResult = field(default_factory=gevent.event.AsyncResult)  # the request's answer
    task_id: str | None = None  # set (before any yield) the moment promotion starts
    created: gevent.event.Event = field(default_factory=gevent.event.Event)
    created_ok: bool = False
    wake: gevent.event.Event = field(default_factory=gevent.event.Event)
    keys: set[str] = field(default_factory=set)  # every inputRequests key this task has used
    stopping: bool = False
    counter: Any = field(default_factory=lambda: itertools.count(2))
    last_message: float = 0.0


def _drop(message: dict[str, Any]) -> bool:
    return False  # a task has no stream: progress and log notifications are not sent (SEP-2663)


@dataclass
class TaskContext(ToolContext):
    """What a tool sees while it runs under the task manager. Until the call becomes a task it behaves like the
    request's own context (same stream, same cancellation, `ask` answered by input_required rounds); after,
    it has its own cancellation (tasks/cancel), `ask` parks the task, and progress messages become the task's
    statusMessage."""

    run: _Run | None = None

    def start_task(self) -> bool:
        """Hand the client its task handle now (see ToolContext.start_task)."""
        return self.run is not None and self.run.manager.promote(self.run)

    @property
    def in_task(self) -> bool:
        """True once this call is a task."""
        return self.run is not None and self.run.task_id is not None

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Before the call is a task: an input_required round. After: park the task until answered."""
        if not self.in_task:
            return super().ask(requests)
        for request in requests.values():
            capability = mrtr.CAPABILITY.get(request.get("method", ""))
            if capability is not None and not self.client_supports(capability):
                raise mrtr.MissingCapability(capability)
        return self.run.manager.await_input(self.run, requests)  # type: ignore[union-attr]

    def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Before the call is a task: notifications/progress. After: the message becomes the statusMessage."""
        if not self.in_task:
            super().progress(progress, total, message)
        elif message:
            self.run.manager.status_message(self.run, message)  # type: ignore[union-attr]


# -- the manager ---------------------------------------------------------------------------------------------

class TaskManager:
    """Runs task-supporting tool calls and serves tasks/get, tasks/update and tasks/cancel."""

    def __init__(self, store: Any = None, changes: Any = None, *, ttl_ms: int = DEFAULT_TTL_MS,
                 poll_interval_ms: int = POLL_INTERVAL_MS, grace: float = GRACE_SECONDS,
                 max_active: int = MAX_ACTIVE) -> None:
        self.store = store if store is not None else MemoryTaskStore()
        self.changes = changes
        self.ttl_ms, self.poll_interval_ms, self.grace, self.max_active = ttl_ms, poll_interval_ms, grace, max_active
        self.running: dict[str, _Run] = {}  # this worker's tasks, by id
        self.active = 0  # calls running under the manager here (inline or as tasks)
        self._watching = False
        self._patrol: gevent.Greenlet | None = None

    def methods(self) -> dict[str, Callable[[ToolContext, Any], dict[str, Any]]]:
        """The stateless methods this extension serves (tools/list and tools/call wrap the ordinary ones)."""
        return {"tools/list": self.list_tools, "tools/call": self.call_tool,
                "tasks/get": self.get, "tasks/update": self.update, "tasks/cancel": self.cancel}

    # tools/list, tools/call

    def list_tools(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """`tools/list` for modern clients: each task-supporting tool says so (`execution.taskSupport`)."""
        out = features.list_tools(ctx, params)
        for descriptor in out["tools"]:
            tool = ctx.registry.tools.get(descriptor["name"])
            if tool is not None and tool.task_support != "forbidden":
                descriptor["execution"] = {"taskSupport": tool.task_support}
        return out

    def call_tool(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """`tools/call` for modern clients: the ordinary call, or one that may become a task."""
        name = params.get("name") if isinstance(params, dict) else None
        tool = ctx.registry.tools.get(name) if isinstance(name, str) else None
        support = tool.task_support if tool is not None else "forbidden"
        if support == "forbidden" or ctx.request_meta is None:
            return features.call_tool(ctx, params)
        if not declared(ctx):
            if support == "required":
                raise missing_extension(f"the tool {name} runs only as a task")
            return features.call_tool(ctx, params)
        if self.active >= self.max_active:
            if support == "required":
                raise JsonRpcError(INTERNAL_ERROR, "Too many tasks are running on this server; try again shortly",
                                   data={"retryAfterSeconds": 5})
            return features.call_tool(ctx, params)
        return self._run(ctx, params, name)  # type: ignore[arg-type]

    def _run(self, ctx: ToolContext, params: dict[str, Any], name: str) -> dict[str, Any]:
        run = _Run(self, name)
        run.ctx = TaskContext(**{f.name: getattr(ctx, f.name) for f in fields(ToolContext) if f.init}, run=run)
        run.ctx.answers, run.ctx.state, run.ctx._kept = dict(ctx.answers), dict(ctx.state), {}
        run.greenlet = gevent.spawn(contextvars.copy_context().run, self._body, run, params)
        try:
            kind, value = run.decided.get(timeout=self.grace)
        except gevent.Timeout:
            if ctx.cancelled:  # the client left while the call ran: no task for it
                run.ctx.in_flight.cancelled.set()  # type: ignore[union-attr]
                run.greenlet.kill(block=False)
                raise Cancelled() from None
            self.promote(run)
            kind, value = run.decided.get()
        if kind == "raise":
            raise value
        return value

    def _body(self, run: _Run, params: dict[str, Any]) -> None:
        self.active += 1
        try:
            try:
                outcome: tuple[str, Any] = ("result", features.call_tool(run.ctx, params))
            except Exception as exc:  # everything goes to the request (inline) or into the task record
                outcome = ("raise", exc)
            except gevent.GreenletExit:  # stopped after tasks/cancel
                outcome = ("raise", Cancelled())
            try:
                self._settle(run, outcome)
            except Exception:  # the store is unreachable: the task ends with its TTL
                log.exception("task %s (%s): its outcome could not be recorded", run.task_id, run.tool)
        finally:
            self.active -= 1
            if run.task_id is not None:
                self.running.pop(run.task_id, None)

    def promote(self, run: _Run) -> bool:
        """Make the call a task: record it, then hand the request its CreateTaskResult. False when the call had
        already answered inline (or the task could not be recorded)."""
        if run.task_id is not None:
            run.created.wait()
            return run.created_ok
        if run.decided.ready():
            return False
        now = _now_ms()
        run.task_id = secrets.token_urlsafe(24)
        ctx = run.ctx
        if ctx is None:  # set before the greenlet starts; never None here
            return False
        state = {"taskId": run.task_id, "status": "working", "createdAt": _iso(now), "lastUpdatedAt": _iso(now),
                 "ttlMs": self.ttl_ms, "pollIntervalMs": self.poll_interval_ms,
                 "_owner": owner_of(ctx.caller), "_expires": now + self.ttl_ms, "_tool": run.tool, "_answers": {}}
        # From here the call has no request: its own cancellation, no stream.
        ctx.in_flight = InFlight(ctx.request_id)
        ctx.emit = _drop
        try:
            self.store.create(state)
        except Exception as exc:
            log.exception("task for %s could not be recorded", run.tool)
            run.created.set()
            ctx.in_flight.cancelled.set()
            error = JsonRpcError(INTERNAL_ERROR, "Internal error: the task could not be recorded; call the tool again")
            run.decided.set(("raise", error))
            if gevent.getcurrent() is run.greenlet:
                raise Cancelled() from exc
            run.greenlet.kill(block=False)  # type: ignore[union-attr]
            return False
        run.created_ok = True
        run.created.set()
        self.running[run.task_id] = run
        self._watch()
        log.info("task %s started: tool %s", run.task_id, run.tool)
        run.decided.set(("result", {"resultType": "task", **detailed(state)}))
        return True

    def _settle(self, run: _Run, outcome: tuple[str, Any]) -> None:
        """Where the call's outcome goes: the waiting request (inline), or the task record."""
        if run.task_id is None:
            run.decided.set(outcome)
            return
        run.created.wait()
        if not run.created_ok:
            return
        kind, value = outcome
        if kind == "result":
            status, extra = "completed", {"result": {"resultType": "complete", **value}}
        elif isinstance(value, Cancelled):
            status, extra = "cancelled", {}
        else:
            if isinstance(value, mrtr.MissingCapability):
                value = value.error()
            elif not isinstance(value, JsonRpcError):
                log.error("task %s (%s) failed", run.task_id, run.tool, exc_info=value)
                value = JsonRpcError(INTERNAL_ERROR, f"Internal error while running {run.tool}")
            error = {"code": value.code, "message": value.message, **({"data": value.data} if value.data else {})}
            status, extra = "failed", {"error": error, "statusMessage": value.message}

        def finish(state: dict[str, Any]) -> dict[str, Any] | None:
            if state["status"] in TERMINAL:
                return None  # cancelled meanwhile: that stands
            state.pop("inputRequests", None)
            state.pop("_answers", None)
            state.update(status=status, lastUpdatedAt=_iso(_now_ms()), **extra)
            return state

        self._write(run.task_id, finish)
        log.info("task %s %s: tool %s", run.task_id, status, run.tool)

    # input while running

    def await_input(self, run: _Run, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Park the task in input_required with `requests` (keys made unique over the task's life) until
        tasks/update has answered all of them; the answers by the tool's own keys."""
        wire: dict[str, str] = {}
        for key in requests:
            wire_key = key
            while wire_key in run.keys:
                wire_key = f"{key}-{next(run.counter)}"
            run.keys.add(wire_key)
            wire[wire_key] = key
        asked = {wire_key: requests[key] for wire_key, key in wire.items()}

        def park(state: dict[str, Any]) -> dict[str, Any] | None:
            if state["status"] in TERMINAL:
                return None
            state.update(status="input_required", inputRequests=asked, lastUpdatedAt=_iso(_now_ms()))
            return state

        self._write(run.task_id, park)  # type: ignore[arg-type]
        while True:
            run.wake.clear()
            if run.ctx is not None and run.ctx.cancelled:
                raise Cancelled()
            state = self.store.get(run.task_id)  # type: ignore[arg-type]
            if state is None or state["status"] in TERMINAL:
                raise Cancelled()  # cancelled, or expired while waiting
            answers = state.get("_answers") or {}
            if all(wire_key in answers for wire_key in wire):
                break
            run.wake.wait(timeout=RECHECK_SECONDS)

        def take(state: dict[str, Any]) -> dict[str, Any] | None:
            for wire_key in wire:
                (state.get("_answers") or {}).pop(wire_key, None)
            return state

        self.store.update(run.task_id, take)  # type: ignore[arg-type]
        return {key: answers[wire_key] for wire_key, key in wire.items()}

    def status_message(self, run: _Run, message: str) -> None:
        """A running task's progress message, as its statusMessage (at most once a second)."""
        now = time.monotonic()
        if now - run.last_message < STATUS_MESSAGE_EVERY or run.task_id is None:
            return
        run.last_message = now

        def note(state: dict[str, Any]) -> dict[str, Any] | None:
            if state["status"] in TERMINAL:
                return None
            state.update(statusMessage=str(message)[:500], lastUpdatedAt=_iso(_now_ms()))
            return state

        self.store.update(run.task_id, note)  # statusMessage alone is no status change: nothing published

    # tasks/get, tasks/update, tasks/cancel

    def _find(self, ctx: ToolContext, params: Any,
              schema: Schema = _ID_PARAMS) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request's params and its task — for this caller only (anyone else's task is "not found")."""
        if not declared(ctx):
            raise missing_extension("the tasks/* methods belong to the tasks extension")
        try:
            p = schema.load(params or {})
        except ValidationError as exc:
            raise JsonRpcError(INVALID_PARAMS, f"Invalid params: {jsonrpc.describe_validation(exc)}") from None
        state = self.store.get(p["taskId"])
        if state is None or state.get("_owner") != owner_of(ctx.caller):
            raise JsonRpcError(INVALID_PARAMS, "Failed to retrieve task: Task not found (unknown, expired, or "
                               "started by someone else)", data={"taskId": p["taskId"]})
        return p, state

    def get(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """`tasks/get`: the task as it stands (DetailedTask)."""
        return detailed(self._find(ctx, params)[1])

    def update(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """`tasks/update`: answers to the task's outstanding inputRequests (any subset; others ignored). The
        task goes back to working once none is outstanding. An empty acknowledgement."""
        p, state = self._find(ctx, params, _UPDATE_PARAMS)
        responses = mrtr.load_responses(p["inputResponses"])
        pending = state.get("inputRequests") or {} if state["status"] == "input_required" else {}
        checked = {key: mrtr.check_answer(key, pending[key].get("method", ""), answer)
                   for key, answer in responses.items() if key in pending}
        if not checked:
            return {}

        def answer(state: dict[str, Any]) -> dict[str, Any] | None:
            outstanding = state.get("inputRequests") or {}
            taken = {k: v for k, v in checked.items() if k in outstanding}
            if state["status"] != "input_required" or not taken:
                return None
            state.setdefault("_answers", {}).update(taken)
            for key in taken:
                outstanding.pop(key)
            if outstanding:
                state["inputRequests"] = outstanding
            else:
                state.pop("inputRequests", None)
                state["status"] = "working"
            state["lastUpdatedAt"] = _iso(_now_ms())
            return state

        self._write(p["taskId"], answer)
        run = self.running.get(p["taskId"])
        if run is not None:
            run.wake.set()
        return {}

    def cancel(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """`tasks/cancel`: an unfinished task becomes cancelled at once and its tool is told to stop (wherever it
        runs); a finished one stays as it is. An empty acknowledgement either way."""
        p, _state = self._find(ctx, params)

        def stop(state: dict[str, Any]) -> dict[str, Any] | None:
            if state["status"] in TERMINAL:
                return None
            state.pop("inputRequests", None)
            state.pop("_answers", None)
            state.update(status="cancelled", statusMessage="Cancelled at the client's request.",
                         lastUpdatedAt=_iso(_now_ms()))
            return state

        self._write(p["taskId"], stop)
        run = self.running.get(p["taskId"])
        if run is not None:
            self._stop(run)
        return {}

    # the change feed

    def _write(self, task_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        """Apply `change` to the task and, when it changed something, announce the new state."""
        applied: list[dict[str, Any]] = []

        def tracked(state: dict[str, Any]) -> dict[str, Any] | None:
            new = change(state)
            applied[:] = [new] if new is not None else []
            return new

        self.store.update(task_id, tracked)
        if applied and self.changes is not None:
            state = applied[0]
            self.changes.publish("task", data={"taskId": task_id, "owner": state["_owner"], "task": detailed(state)})

    def _watch(self) -> None:
        if not self._watching and self.changes is not None:
            self._watching = True
            self.changes.watch(self._heard)
        if self._patrol is None or self._patrol.dead:
            self._patrol = gevent.spawn(self._check_running)

    def _check_running(self) -> None:
        """While tasks run here, re-read their state every RECHECK_SECONDS: a cancel whose message was lost (a
        Redis hiccup) still stops the tool, and a task that expired stops too."""
        while self.running:
            gevent.sleep(RECHECK_SECONDS)
            for task_id, run in list(self.running.items()):
                try:
                    state = self.store.get(task_id)
                except Exception:  # the store is unreachable: try again next round
                    log.warning("task %s: could not re-read its state", task_id)
                    continue
                if state is None or state["status"] in TERMINAL:
                    self._stop(run)

    def _heard(self, change: dict[str, Any]) -> None:
        """A task changed somewhere (maybe on another worker): wake or stop this worker's run of it."""
        if change.get("kind") != "task":
            return
        run = self.running.get(change.get("taskId"))  # type: ignore[arg-type]
        if run is None:
            return
        if (change.get("task") or {}).get("status") == "cancelled":
            self._stop(run)
        run.wake.set()

    def _stop(self, run: _Run) -> None:
        """Tell the tool to stop (ctx.cancelled); one still running CANCEL_GRACE_SECONDS later is killed."""
        if run.stopping:
            return
        run.stopping = True
        if run.ctx is not None and run.ctx.in_flight is not None:
            run.ctx.in_flight.cancelled.set()
        run.wake.set()

        def kill() -> None:
            if run.greenlet is not None and not run.greenlet.dead:
                run.greenlet.kill(block=False)

        gevent.spawn_later(CANCEL_GRACE_SECONDS, kill)

    def shutdown(self) -> int:
        """The worker is stopping: its running tasks fail (the client calls the tool again) rather than stay
        "working" until their TTL. Returns how many there were."""
        runs = list(self.running.values())
        for run in runs:
            def fail(state: dict[str, Any]) -> dict[str, Any] | None:
                if state["status"] in TERMINAL:
                    return None
                message = "The server restarted while this task ran; call the tool again."
                state.pop("inputRequests", None)
                state.update(status="failed", statusMessage=message, lastUpdatedAt=_iso(_now_ms()),
                             error={"code": INTERNAL_ERROR, "message": message})
                return state

            try:
                self._write(run.task_id, fail)  # type: ignore[arg-type]
            except Exception:  # Redis gone too: the task expires with its TTL
                log.warning("task %s: could not record the restart", run.task_id)
            if run.greenlet is not None:
                run.greenlet.kill(block=False)
        return len(runs)
