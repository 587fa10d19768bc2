"""The tasks extension on the wire (io.modelcontextprotocol/tasks): a task as a client sees it (DetailedTask), its
timestamps, and the params of tasks/get, tasks/update and tasks/cancel. connector/mcp/tasks.py owns the lifecycle."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, fields as mfields, validate

MAX_TASK_ID = 256


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def detailed(state: dict[str, Any]) -> dict[str, Any]:
    """A task as the wire shows it (DetailedTask): its public fields; `inputRequests`, `result` or `error` only
    with the status they belong to. Private fields (owner, stored answers, expiry) start with "_"."""
    out = {k: v for k, v in state.items() if not k.startswith("_") and k not in ("inputRequests", "result", "error")}
    extra = {"input_required": "inputRequests", "completed": "result", "failed": "error"}.get(state["status"])
    if extra is not None and extra in state:
        out[extra] = state[extra]
    return out


class _TaskIdParams(Schema):
    class Meta:
        unknown = "include"

    taskId = mfields.String(required=True, validate=validate.Length(min=1, max=MAX_TASK_ID))


class _UpdateParams(_TaskIdParams):
    inputResponses = mfields.Raw(required=True)


_ID_PARAMS, _UPDATE_PARAMS = _TaskIdParams(), _UpdateParams()
