"""`list_meetings` (by linked record, participant and time window) and `get_meeting`."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ...mcp.context import ToolContext
from ...mcp.registry import Registry, Tool, ToolResult
from ..activity import time_arg
from ..common import READ, READ_SCOPE, object_schema, result
from ..paging import NEXT_CURSOR, CursorPageArgs, collect
from ..records.view import REF_SCHEMA, RecordLabels, load_id, ref_text
from .view import MEETING_SCHEMA, load, meeting, meeting_text

SORTS = {"oldest": "start_asc", "newest": "start_desc"}
_EMAIL = {"validate": validate.Email(error="Not a valid email address.")}

LIST_OUTPUT = object_schema({"meetings": {"type": "array", "items": MEETING_SCHEMA},
                             "record": {"anyOf": [REF_SCHEMA, {"type": "null"}]}, "next_cursor": NEXT_CURSOR},
                            ["meetings", "record", "next_cursor"])
ONE_OUTPUT = object_schema({"meeting": MEETING_SCHEMA}, ["meeting"])


class ListMeetingsArgs(CursorPageArgs):
    """Arguments of `list_meetings`."""

    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "Only meetings linked to this record, as search returns it, e.g. \"companies:<uuid>\"."})
    participants = fields.List(fields.String(**_EMAIL), load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=20), metadata={
                                   "description": "Only meetings with any of these participants (email addresses). "
                                                  "With record_id, meetings matching either are listed."})
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "Only meetings ending at or after this time: a date (\"2026-12-01\", midnight UTC) or an "
                       "ISO 8601 date-time."})
    before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "Only meetings starting before this time (a date or an ISO 8601 date-time)."})
    sort = fields.String(load_default="oldest", validate=validate.OneOf(list(SORTS)), metadata={
        "description": "\"oldest\" (by start, default) or \"newest\" first."})


class MeetingIdArgs(Schema):
    """Arguments of `get_meeting`."""

    meeting_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                               metadata={"description": "The meeting's id, as list_meetings returns it (a UUID)."})


def page_of_meetings(ctx: ToolContext, cursor: str | None, limit: int, **filters: Any) -> tuple[list[Any], Any]:
    """One page of Attio's meetings (workspace-level tokens only: the client's error says so for a member token)."""
    return collect(lambda c, n: ctx.attio.list_meetings(limit=n, cursor=c, **filters), cursor, limit)


def list_meetings(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Meetings linked to a record, with given participants, in a time window; Attio's cursor pages."""
    labels, record_ref, filters = RecordLabels(ctx), None, {}
    if args["record_id"]:
        obj, rid, record = load_id(ctx, args["record_id"])
        record_ref = labels.add(obj, rid, record)
        filters.update(linked_object=obj, linked_record_id=rid)
    if args["participants"]:
        filters["participants"] = [p.strip().lower() for p in args["participants"]]
    filters.update(ends_from=time_arg(args["after"], "after"), starts_before=time_arg(args["before"], "before"),
                   sort=SORTS[args["sort"]])
    items, next_cursor = page_of_meetings(ctx, args["cursor"], args["limit"], **filters)
    meetings = [meeting(ctx, m, labels) for m in items]
    out = {"meetings": meetings, "record": record_ref, "next_cursor": next_cursor}
    said = [f"linked to {ref_text(record_ref)}" if record_ref else "",
            f"with {', '.join(filters['participants'])}" if args["participants"] else ""]
    head = (f"{len(meetings)} meeting(s)" + "".join(f" {s}" for s in said if s) + f", {args['sort']} first"
            + (" (more: pass next_cursor)." if next_cursor else "."))
    return result(ctx, out, "\n".join([head, *(meeting_text(m) for m in meetings)]))


def get_meeting(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """One meeting."""
    m = meeting(ctx, load(ctx, args["meeting_id"]), RecordLabels(ctx))
    return result(ctx, {"meeting": m}, meeting_text(m))


def register(registry: Registry) -> None:
    """Add `list_meetings` and `get_meeting`."""
    registry.add_tool(Tool(
        name="list_meetings", title="List Attio meetings", handler=list_meetings, args=ListMeetingsArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List meetings in Attio: those linked to a record (record_id from search), those with given "
                     "participants (emails), within a time window (after / before), oldest or newest first. "
                     "Attio serves this list to workspace-level tokens only; a member-level connection gets an "
                     "error saying so. Returns {\"meetings\":[{\"id\",\"title\",\"start\",\"end\",\"participants\","
                     "\"records\":[{\"id\",\"title\",\"url\"}],…}],\"next_cursor\"}. Example: {\"record_id\": "
                     "\"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\", \"after\": \"2026-01-01\"}.")))
    registry.add_tool(Tool(
        name="get_meeting", title="Get Attio meeting", handler=get_meeting, args=MeetingIdArgs,
        output_schema=ONE_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("Read one Attio meeting by id (from list_meetings): title, description, start and end, "
                     "participants with their response, and the records it is linked to. Its call recordings "
                     "are listed by list_call_recordings. Example: "
                     "{\"meeting_id\": \"cb59ab17-ad15-460c-a126-0715617c0853\"}.")))
