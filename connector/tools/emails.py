"""`list_emails`: email metadata (never content) where Attio has enabled it for the workspace (reference §5).

Attio's emails API is in alpha: a workspace must have it enabled, and only workspace-level tokens may list; the
Attio client turns either refusal into an error that says what to ask the workspace admin for.
"""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from .activity import one_line, time_arg, when
from .common import READ, READ_SCOPE, object_schema, result
from .paging import NEXT_CURSOR, CursorPageArgs, collect
from .records.view import REF_SCHEMA, RecordLabels, load_id, ref_text

LINKABLE = ("people", "companies")
NEED_A_FILTER = ("Pass at least one of record_id (a person or company), participants or domain: Attio does not list "
                 "every email of a workspace.")

PARTICIPANT = object_schema({"role": {"type": "string"}, "email": {"type": ["string", "null"]},
                             "name": {"type": ["string", "null"]}}, ["role", "email", "name"])
EMAIL_SCHEMA = object_schema({
    "id": {"type": "string"}, "mailbox_id": {"type": "string"}, "sent_at": {"type": "string"},
    "direction": {"type": ["string", "null"]},
    "subject": {"type": ["string", "null"], "description": "Null for a mailbox shared as metadata only."},
    "participants": {"type": "array", "items": PARTICIPANT}, "records": {"type": "array", "items": REF_SCHEMA}},
    ["id", "mailbox_id", "sent_at", "direction", "subject", "participants", "records"])
LIST_OUTPUT = object_schema({"emails": {"type": "array", "items": EMAIL_SCHEMA}, "next_cursor": NEXT_CURSOR},
                            ["emails", "next_cursor"])


class ListEmailsArgs(CursorPageArgs):
    """Arguments of `list_emails`: at least one of record_id, participants, domain."""

    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "Emails with this person or company, as search returns it, e.g. \"people:<uuid>\"."})
    participants = fields.List(fields.String(validate=validate.Email()), load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=10),
                               metadata={"description": "Emails with any of these addresses (up to 10)."})
    domain = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=3, max=253),
                           metadata={"description": "Emails with anyone at this domain, e.g. \"acme.com\"."})
    sent_after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "Only emails sent after this time (a date or an ISO 8601 date-time)."})
    sent_before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "Only emails sent before this time (a date or an ISO 8601 date-time)."})
    exclude_automated = fields.Boolean(load_default=False, metadata={
        "description": "True keeps only emails with a person outside the workspace (no notifications@, no-reply@, "
                       "note-takers)."})
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=50),
                           metadata={"description": "How many emails to return (1-50, default 25)."})


def _email(e: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    ids = e.get("id") or {}
    return {"id": ids.get("email_id", ""), "mailbox_id": ids.get("mailbox_id", ""), "sent_at": e.get("sent_at") or "",
            "direction": e.get("direction"), "subject": e.get("subject_line"),
            "participants": [{"role": p.get("role") or "", "email": p.get("email_address"), "name": p.get("name")}
                             for p in e.get("participants") or []],
            "records": [labels(r.get("object_slug") or "", r.get("record_id") or "")
                        for r in e.get("linked_records") or []]}


def _email_text(e: dict[str, Any]) -> str:
    who = "; ".join(f"{p['role']}: " + " ".join(x for x in (one_line(p["name"] or ""),
                                                             f"<{p['email']}>" if p["email"] else "") if x)
                    for p in e["participants"])
    subject = one_line(e["subject"]) if e["subject"] is not None else "(subject not shared)"
    lines = [f"- {when(e['sent_at'])} · {e['direction'] or 'email'} · {subject} · email id {e['id']}", f"  {who}"]
    lines += [f"  linked: {ref_text(r)}" for r in e["records"]]
    return "\n".join(lines)


def list_emails(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Email metadata by linked record, participants or domain, newest first; Attio's cursor pages."""
    labels, filters = RecordLabels(ctx), {}
    if not (args["record_id"] or args["participants"] or args["domain"]):
        raise ToolError(NEED_A_FILTER)
    if args["record_id"]:
        obj, rid, record = load_id(ctx, args["record_id"])
        if obj not in LINKABLE:
            raise ToolError(f"Emails are linked to people and companies only; {args['record_id']!r} is a {obj} "
                            "record. Pass a person or company id from search.")
        labels.add(obj, rid, record)
        filters.update(linked_object=obj, linked_record_ids=[rid])
    if args["participants"]:
        filters["participants"] = [p.strip().lower() for p in args["participants"]]
    if args["domain"]:
        filters["domain"] = args["domain"].strip().lower()
    filters.update(sent_after=time_arg(args["sent_after"], "sent_after"),
                   sent_before=time_arg(args["sent_before"], "sent_before"),
                   exclude_automated_participants=args["exclude_automated"] or None)
    # Attio's refusals (emails not enabled, a member-level token) come back as the client's errors, which say
    # what to ask the workspace admin for.
    items, next_cursor = collect(lambda c, n: ctx.attio.list_emails(limit=n, cursor=c, **filters), args["cursor"],
                                 args["limit"])
    emails = [_email(e, labels) for e in items]
    head = f"{len(emails)} email(s), newest first" + (" (more: pass next_cursor)." if next_cursor else ".")
    if not emails and not next_cursor:
        head += " Filters naming this workspace's own people or domains are ignored by Attio."
    return result(ctx, {"emails": emails, "next_cursor": next_cursor}, "\n".join([head, *map(_email_text, emails)]))


def register(registry: Registry) -> None:
    """Add `list_emails`."""
    registry.add_tool(Tool(
        name="list_emails", title="List email metadata", handler=list_emails, args=ListEmailsArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the emails exchanged with a person or company (record_id), with given addresses "
                     "(participants) or with a domain, newest first: sender and recipients, subject, direction and "
                     "linked records; Attio never exposes email bodies. Where Attio has not enabled its email API "
                     "for the workspace (alpha), or the connection's token is member-level, the error says what to "
                     "ask the workspace admin for. Returns {\"emails\":[{\"id\",\"sent_at\",\"direction\","
                     "\"subject\",\"participants\",\"records\"}],\"next_cursor\"}. Example: {\"record_id\": "
                     "\"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\", \"limit\": 10}.")))
