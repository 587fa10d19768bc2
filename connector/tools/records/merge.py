"""`merge_records`: two records of one object become one new record (reference §2), after the user confirms.

Attio makes a new record (its id is neither original's); where both have a value the primary's wins. It may
answer 202 and apply the merge in the background: the new record then reads as 404 `merge_in_progress` for a
while, so the tool waits a little and otherwise says the merge is still being applied. A merge is not repeatable:
the originals are gone, and asking again is a 404, which the tool explains as such.
"""
from __future__ import annotations

from typing import Any

import gevent
from marshmallow import Schema, fields, validate

from ...attio.errors import AttioNotFound
from ...mcp.context import ToolContext
from ...mcp.registry import Registry, Tool, ToolError, ToolResult
from .. import workspace
from ..common import DESTRUCTIVE, WRITE_SCOPE, object_schema, record_key, result
from .touched import forget_touched
from .view import RECORD_SUMMARY, SEARCH_AGAIN, load_id, summarize, summary_text

WAITS = (0.2, 0.4, 0.8, 1.6)  # seconds between reads of a merge still being applied (3 s in all)
MERGE = {**DESTRUCTIVE, "idempotentHint": False}  # asking again is Attio's 404, not the same result
REPEATED = ("Attio answered 404: {primary} or {secondary} no longer exists. A merge cannot be repeated: once two "
            "records are merged both originals are gone and a new record holds them. " + SEARCH_AGAIN)

MERGE_OUTPUT = object_schema({
    "merged": {"type": "boolean"}, "id": {"type": "string", "description": "The new record's id."},
    "primary_id": {"type": "string"}, "secondary_id": {"type": "string"},
    "in_progress": {"type": "boolean", "description": "True when Attio was still applying the merge: read the "
                                                      "new record with get_record in a moment."},
    "record": {"anyOf": [RECORD_SUMMARY, {"type": "null"}]},
    "confirmation": {"type": "string", "enum": ["accepted", "token"]}},
    ["merged", "id", "primary_id", "secondary_id", "in_progress", "record", "confirmation"])
_ID = "Record id '<object>:<record id>' as search_records returns it."


class MergeArgs(Schema):
    """Arguments of `merge_records`."""

    primary_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": f"The record whose values win where both have one. {_ID}"})
    secondary_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": f"The record merged into it (its values fill the primary's empty attributes). {_ID}"})


def _read_new(ctx: ToolContext, obj: str, new_id: str, waits: tuple[float, ...]) -> dict[str, Any] | None:
    """The new record once Attio has applied the merge (202: read again after each of `waits`), or None while it
    is still in progress."""
    for wait in (0.0, *waits):
        gevent.sleep(wait)
        try:
            return ctx.attio.get_record(obj, new_id)
        except AttioNotFound:
            continue  # merge_in_progress (or not visible yet)
    return None


def merge_records(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Merge once the user has confirmed exactly which record wins."""
    obj, primary, first = load_id(ctx, args["primary_id"])
    other, secondary, second = load_id(ctx, args["secondary_id"])
    if other != obj:
        raise ToolError(f"Only records of one object merge: {args['primary_id']!r} is a {obj} record, "
                        f"{args['secondary_id']!r} a {other} record.")
    if primary == secondary:
        raise ToolError("primary_id and secondary_id name the same record: pass two different records.")
    a, b = summarize(ctx, first, obj), summarize(ctx, second, obj)
    noun = workspace.singular(ctx, obj).lower()
    how = ctx.confirm(f'Merge the {noun} "{b["title"]}" ({b["id"]}) into "{a["title"]}" ({a["id"]}): Attio makes '
                      f'one new {noun} from both, keeping "{a["title"]}"\'s values where both have one; the two '
                      "originals can no longer be read or changed. This cannot be undone.")
    try:
        answer = ctx.attio.merge_records(obj, primary, secondary)
    except AttioNotFound:
        forget_touched(ctx, obj, primary, first, second, extra={(obj, secondary)})
        raise ToolError(REPEATED.format(primary=a["id"], secondary=b["id"]), kind="missing") from None
    new_id = answer.new_record_id
    forget_touched(ctx, obj, primary, first, second, extra={(obj, secondary)})
    record = _read_new(ctx, obj, new_id, waits=() if answer.completed else WAITS)
    if record is not None:
        ctx.services.cached(ctx.caller, record_key(obj, new_id), lambda: record)
        forget_touched(ctx, obj, new_id, record)
    summary = summarize(ctx, record, obj) if record is not None else None
    out = {"merged": True, "id": f"{obj}:{new_id}", "primary_id": a["id"], "secondary_id": b["id"],
           "in_progress": record is None, "record": summary, "confirmation": how}
    if summary is None:
        text = (f"Merged {b['title']} into {a['title']}: Attio is still applying it. The new record is "
                f"{obj}:{new_id}; read it with get_record in a moment.")
    else:
        text = summary_text(ctx, summary, f"Merged {b['title']} into {a['title']}; the new "
                                          f"{noun} is {summary['title']}")
    return result(ctx, out, text)


def register(registry: Registry) -> None:
    """Add `merge_records`."""
    registry.add_tool(Tool(
        name="merge_records", title="Merge two records", handler=merge_records, args=MergeArgs,
        output_schema=MERGE_OUTPUT, annotations=MERGE, scope=WRITE_SCOPE, streaming=True,
        description=("Merge two duplicate records of one object (two companies, two people) into one: Attio makes "
                     "a new record, keeping the primary's values where both have one and the secondary's where "
                     "only it has one; both originals stop existing. This cannot be undone, so nothing is merged "
                     "on a first call: the user is asked, or the call returns status \"confirmation_required\" "
                     "with a confirmation_token to send back only after the user agrees. Returns the new record "
                     "({\"id\",\"record\",\"in_progress\"}). Example: {\"primary_id\": "
                     "\"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\", \"secondary_id\": \"companies:<uuid>\"}.")))
