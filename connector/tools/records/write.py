"""Record writes: `create_record`, `upsert_record`, `update_record`, `delete_record`.

Values are converted and validated completely before the one Attio write, so a rejected call
changes nothing; every write drops the cached reads of the records it touched.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ...attio.errors import AttioNotFound
from ...mcp.context import ToolContext
from ...mcp.registry import Registry, Tool, ToolError, ToolResult
from .. import workspace
from ..common import DESTRUCTIVE, IDEMPOTENT_WRITE, WRITE, WRITE_SCOPE, object_schema, parse_record_id, result
from ..attributes import attribute_map, attribute_options
from ..values import to_attio_values
from .touched import forget_touched, written_references
from ..readback import described, DIFFERENCES, differences_text, value_differences
from .view import RECORD_SUMMARY, load, load_id, not_found, peek, summarize, summary_text

VALUES_HELP = ("Attribute slug → value. Friendly values work: a plain email, \"acme.com\" for a domain, "
               "\"2026-12-01\" for a date, a select option or status title, \"First Last\" for a name, a record "
               "as \"<object>:<record id>\" or by name/domain (\"Brightwave Energy\"), a member by email or name, "
               "a list for multi-value attributes.")

WRITE_OUTPUT = object_schema({**RECORD_SUMMARY["properties"], "matched_on": {"type": ["string", "null"]},
                              "differences": DIFFERENCES}, RECORD_SUMMARY["required"] + ["matched_on", "differences"])
UPDATE_OUTPUT = object_schema({**RECORD_SUMMARY["properties"], "mode": {"type": "string"}, "differences": DIFFERENCES},
                              RECORD_SUMMARY["required"] + ["mode", "differences"])
DELETE_OUTPUT = object_schema({
    "id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"}, "deleted": {"type": "boolean"},
    "confirmation": {"type": "string", "enum": ["accepted", "token"],
                     "description": "How the user confirmed: accepted when asked, or the token sent back."},
}, ["id", "title", "url", "deleted", "confirmation"])


def _object_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "Object slug, e.g. \"people\", \"companies\", \"deals\".",
                                   "x-mcp-header": "Object"})


def _values_field() -> fields.Dict:
    return fields.Dict(keys=fields.String(), required=True, metadata={"description": VALUES_HELP})


def _id_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "Record id '<object>:<record id>' as search_records returns it."})


class CreateArgs(Schema):
    """Arguments of `create_record`."""

    object = _object_field()
    values = _values_field()


class UpsertArgs(Schema):
    """Arguments of `upsert_record`."""

    object = _object_field()
    matching_attribute = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "A unique attribute to match on, e.g. \"email_addresses\" (people) or \"domains\"."})
    values = _values_field()


class UpdateArgs(Schema):
    """Arguments of `update_record`."""

    id = _id_field()
    values = _values_field()
    mode = fields.String(load_default="append", validate=validate.OneOf(["append", "overwrite"]), metadata={
        "description": "For multi-value attributes: \"append\" (default) adds the given values to the existing "
                       "ones; \"overwrite\" replaces them. Single-value attributes are replaced either way."})


class DeleteArgs(Schema):
    """Arguments of `delete_record`."""

    id = _id_field()


def _convert(ctx: ToolContext, obj: str, values: dict[str, Any]) -> dict[str, Any]:
    if not values:
        raise ToolError('values is empty: give at least one attribute, e.g. {"name": "Acme"}.')
    return to_attio_values(ctx, obj, values)


def _saved(ctx: ToolContext, obj: str, record: dict[str, Any], converted: dict[str, Any],
           old: dict[str, Any] | None = None, *, overwrite: bool = False) -> dict[str, Any]:
    """The written record read back from Attio, summarized, with every value not stored as sent."""
    rid = (record.get("id") or {}).get("record_id", "")
    forget_touched(ctx, obj, rid, old, record, extra=written_references(converted))
    stored = peek(ctx, obj, rid) or record  # a fresh read (the cache was just dropped), cached for what follows
    diffs = value_differences(attribute_map(ctx, obj), converted, stored.get("values") or {}, overwrite=overwrite,
                              name=workspace.member_names(ctx).get)
    return {**summarize(ctx, stored, obj), "differences": diffs}


def _saved_text(ctx: ToolContext, out: dict[str, Any], head: str) -> str:
    said = differences_text(out["differences"], workspace.attribute_titles(ctx, out["object"]))
    return summary_text(ctx, out, head) + (f"\n{said}" if said else "")


def _ask_missing(ctx: ToolContext, obj: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values plus those the object requires and the call left out, asked of the user in one form when the
    client can be asked (a 2026-07-28 input_required round trip); otherwise unchanged (Attio names them)."""
    attrs = attribute_map(ctx, obj)
    missing = [s for s, a in attrs.items() if a.get("is_required") and a.get("is_writable", True)
               and not a.get("is_archived") and values.get(s) in (None, "", [])]
    if not missing or not (ctx.stateless and ctx.client_supports("elicitation")):
        return values
    fields_asked: dict[str, Any] = {}
    for slug in missing:
        field: dict[str, Any] = {"type": "string", "title": attrs[slug].get("title") or slug}
        options = attribute_options(ctx, obj, attrs[slug])
        if options:
            field["enum"] = options
        fields_asked[slug] = field
    noun = workspace.singular(ctx, obj).lower()
    answer = ctx.ask({f"required_{obj}": {"method": "elicitation/create", "params": {
        "mode": "form", "message": f"To create this {noun}, Attio also needs: "
                                   f"{', '.join(f['title'] for f in fields_asked.values())}.",
        "requestedSchema": {"type": "object", "properties": fields_asked, "required": missing}}}})[f"required_{obj}"]
    given = answer.get("content") if answer.get("action") == "accept" else None
    if not isinstance(given, dict) or any(given.get(s) in (None, "") for s in missing):
        raise ToolError(f"Nothing was created: the {noun} needs {', '.join(missing)}, and they were not given. "
                        "Add them to values and call again.")
    return {**values, **{s: given[s] for s in missing}}


def create_record(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Create, or assert on the first unique attribute given so that a retry cannot duplicate."""
    obj = args["object"]
    converted = _convert(ctx, obj, _ask_missing(ctx, obj, args["values"]))
    attrs = attribute_map(ctx, obj)
    matching = next((s for s in attrs if attrs[s].get("is_unique") and converted.get(s)), None)
    if matching:
        record = ctx.attio.assert_record(obj, matching, converted)
    else:
        record = ctx.attio.create_record(obj, converted)
    out = {**_saved(ctx, obj, record, converted), "matched_on": matching}
    noun = workspace.singular(ctx, obj)
    head = (f"Saved {noun} {out['title']} (matched on {matching}: created, or updated the existing record with "
            "that value, so no duplicate)" if matching else f"Created {noun} {out['title']}")
    return result(ctx, out, _saved_text(ctx, out, head))


def upsert_record(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Update the record whose unique attribute matches, or create it."""
    obj, matching = args["object"], args["matching_attribute"]
    attrs = attribute_map(ctx, obj)
    if not attrs.get(matching, {}).get("is_unique"):
        unique = [s for s, a in attrs.items() if a.get("is_unique") and a.get("is_writable", True)]
        raise ToolError(f'"{matching}" is not a unique attribute of {obj}, so it cannot be matched on. '
                        f'Unique attributes of {obj}: {", ".join(unique) or "none (use create_record)"}.')
    if args["values"].get(matching) in (None, "", []):
        raise ToolError(f'values must include "{matching}", the value to match on.')
    converted = _convert(ctx, obj, args["values"])
    record = ctx.attio.assert_record(obj, matching, converted)
    out = {**_saved(ctx, obj, record, converted), "matched_on": matching}
    return result(ctx, out, _saved_text(ctx, out, f"Upserted {workspace.singular(ctx, obj)} {out['title']} "
                                                  f"(matched on {matching})"))


def update_record(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """PATCH (append multi-values) or PUT (overwrite them)."""
    obj, rid = parse_record_id(args["id"])
    converted = _convert(ctx, obj, args["values"])
    refs = written_references(converted) or any(
        attribute_map(ctx, obj)[s].get("type") == "record-reference" for s in converted)
    old = load(ctx, obj, rid) if refs else None  # its old references lose their reverse side
    try:
        record = ctx.attio.update_record(obj, rid, converted, overwrite=args["mode"] == "overwrite")
    except AttioNotFound:
        raise not_found(obj, rid) from None
    out = {**_saved(ctx, obj, record, converted, old, overwrite=args["mode"] == "overwrite"), "mode": args["mode"]}
    head = f"Updated {workspace.singular(ctx, obj)} {out['title']} ({args['mode']})"
    return result(ctx, out, _saved_text(ctx, out, head))


def delete_record(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Delete a record once the user has confirmed it (ctx.confirm: elicitation or a token)."""
    obj, rid, record = load_id(ctx, args["id"])
    me = summarize(ctx, record, obj)
    noun = workspace.singular(ctx, obj)
    how = ctx.confirm(f'Permanently delete the {noun.lower()} "{me["title"]}" ({me["id"]}) from Attio, with its '
                      "list entries. This cannot be undone.")
    try:
        ctx.attio.delete_record(obj, rid)
    except AttioNotFound:
        forget_touched(ctx, obj, rid, record)
        raise not_found(obj, rid, already=True) from None
    forget_touched(ctx, obj, rid, record)
    out = {"id": me["id"], "title": me["title"], "url": me["url"], "deleted": True, "confirmation": how}
    return result(ctx, out, f"Deleted {noun} {me['title']} ({me['id']}).")


def register(registry: Registry) -> None:
    """Add the record write tools."""
    registry.add_tool(Tool(
        name="create_record", title="Create record", handler=create_record, args=CreateArgs,
        output_schema=WRITE_OUTPUT, annotations=WRITE, scope=WRITE_SCOPE,
        description=described("Create a record (person, company, deal, …) from friendly values. When a unique "
                     "attribute "
                     "is given (a person's email_addresses, a company's domains) the create is an Attio assert "
                     "on it: if a record with that value exists it is updated instead, so retrying a create never "
                     "makes a duplicate (matched_on says which attribute). Deals need name, stage and owner. "
                     "Unknown attributes or options fail with the list of valid ones; list_attributes shows the "
                     "schema. Returns the saved record {\"id\",\"title\",\"url\",\"values\",\"matched_on\"}. "
                     "Example: {\"object\": \"people\", \"values\": {\"name\": \"Ada Lovelace\", "
                     "\"email_addresses\": \"ada@brightwave-energy.com\", \"company\": \"Brightwave Energy\"}}.")))
    registry.add_tool(Tool(
        name="upsert_record", title="Upsert record", handler=upsert_record, args=UpsertArgs,
        output_schema=WRITE_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described("Create or update the record whose unique attribute (matching_attribute, e.g. "
                     "email_addresses or domains) has the given value; values must include it. Use it to sync "
                     "data without checking first. Returns the saved record. Example: {\"object\": \"companies\", "
                     "\"matching_attribute\": \"domains\", \"values\": {\"domains\": \"acme.com\", "
                     "\"name\": \"Acme\", \"categories\": [\"SaaS\", \"B2B\"]}}.")))
    registry.add_tool(Tool(
        name="update_record", title="Update record", handler=update_record, args=UpdateArgs,
        output_schema=UPDATE_OUTPUT, annotations=IDEMPOTENT_WRITE, scope=WRITE_SCOPE,
        description=described("Change attributes of one record by id. Attributes not named stay as they are. mode "
                     "decides multi-value attributes (emails, domains, categories, team): \"append\" (default) adds "
                     "the given values, \"overwrite\" replaces all of them with the given ones. Pass null or [] to "
                     "clear an attribute. Returns the updated record. Example: {\"id\": \"deals:<record id>\", "
                     "\"values\": {\"stage\": \"Won 🎉\", \"value\": 50000}}.")))
    registry.add_tool(Tool(
        name="delete_record", title="Delete record", handler=delete_record, args=DeleteArgs,
        output_schema=DELETE_OUTPUT, annotations=DESTRUCTIVE, scope=WRITE_SCOPE, streaming=True,
        description=("Permanently delete one record by id, with its list entries; this cannot be undone. Nothing "
                     "is deleted on a first call: the user is asked (when the client supports it), or the call "
                     "returns status \"confirmation_required\" with a confirmation_token to send back only after "
                     "the user agrees. Returns {\"id\",\"title\",\"deleted\",\"confirmation\"}. "
                     "Example: {\"id\": \"people:<record id>\"}.")))
