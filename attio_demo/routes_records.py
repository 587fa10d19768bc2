"""`/v2` routes for objects, attributes, records and records search."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, request

from . import records as writes
from .errors import body_error, invalid, not_found
from .merge import merge
from .query import run_query, run_search
from .schema import Attr, Container
from .views import through_view
from .web import json_response, ok, query_int, read_json

bp = Blueprint("demo_records", __name__)


def _container(target: str, ident: str) -> Container:
    if target == "objects":
        return g.ws.object_def(ident)
    if target == "lists":
        return g.ws.list_def(ident)
    raise not_found(f"No route matches {request.method} {request.path}.")


def _attr(target: str, ident: str, attribute: str) -> Attr:
    attr = _container(target, ident).attr(attribute)
    if attr is None:
        raise not_found(f'Attribute with slug/ID "{attribute}" not found.')
    return attr


@bp.get("/self")
def self_() -> Response:
    """Token introspection, flat (not wrapped in `data`); the same object as `/oauth/introspect`."""
    return json_response(current_app.extensions["demo_attio"].describe_token(g.token))


@bp.get("/objects")
def list_objects() -> Response:
    """Every object (not paginated)."""
    return ok([o.meta for o in g.ws.objects.values()])


@bp.get("/objects/<obj>")
def get_object(obj: str) -> Response:
    """One object by slug or UUID."""
    return ok(g.ws.object_def(obj).meta)


@bp.get("/<target>/<ident>/attributes")
def list_attributes(target: str, ident: str) -> Response:
    """An object's or list's attributes, in UI order (`limit`, `offset`)."""
    attrs = _container(target, ident).attrs
    offset = query_int("offset", 0)
    limit = query_int("limit", len(attrs))
    return ok([a.meta for a in attrs[offset:offset + limit]])


@bp.get("/<target>/<ident>/attributes/<attribute>")
def get_attribute(target: str, ident: str, attribute: str) -> Response:
    """One attribute by slug or UUID."""
    return ok(_attr(target, ident, attribute).meta)


@bp.get("/<target>/<ident>/attributes/<attribute>/options")
def list_options(target: str, ident: str, attribute: str) -> Response:
    """A select attribute's options."""
    attr = _attr(target, ident, attribute)
    if attr.type != "select":
        raise invalid("This attribute is not a select attribute.")
    return ok(attr.options)


@bp.get("/<target>/<ident>/attributes/<attribute>/statuses")
def list_statuses(target: str, ident: str, attribute: str) -> Response:
    """A status attribute's statuses."""
    attr = _attr(target, ident, attribute)
    if attr.type != "status":
        raise invalid("This attribute is not a status attribute.")
    return ok(attr.options)


@bp.post("/objects/<obj>/records/query")
def query_records(obj: str) -> Response:
    """Filter, sort and page an object's records (through a saved view with `filter_view_id`)."""
    o = g.ws.object_def(obj)
    return ok(run_query(g.ws, o, g.ws.iter_records(o), through_view(g.ws, o, read_json(default={}))))


@bp.post("/objects/<obj>/records/merge")
def merge_records(obj: str) -> Response:
    """Merge two records into a new one: 200 when done, 202 while it is still being applied."""
    o = g.ws.object_def(obj)
    new_id, done = merge(g.ws, o, read_json(), g.actor, g.settings.merge_delay_seconds)
    return json_response({"data": {"new_record_id": new_id}}, 200 if done else 202)


@bp.get("/objects/<obj>/records/<rid>")
def get_record(obj: str, rid: str) -> Response:
    """One record."""
    return ok(g.ws.record(g.ws.object_def(obj), rid))


@bp.post("/objects/<obj>/records")
def create_record(obj: str) -> Response:
    """Create a record (200, as Attio)."""
    o = g.ws.object_def(obj)
    return ok(writes.create_record(g.ws, o, read_json(), g.actor))


@bp.put("/objects/<obj>/records")
def assert_record(obj: str) -> Response:
    """Assert (upsert) a record by `matching_attribute`."""
    o = g.ws.object_def(obj)
    return ok(writes.assert_record(g.ws, o, request.args.get("matching_attribute"), read_json(), g.actor))


@bp.patch("/objects/<obj>/records/<rid>")
def patch_record(obj: str, rid: str) -> Response:
    """Update a record, appending multiselect values."""
    o = g.ws.object_def(obj)
    return ok(writes.update_record(g.ws, o, rid, read_json(), g.actor, overwrite=False))


@bp.put("/objects/<obj>/records/<rid>")
def put_record(obj: str, rid: str) -> Response:
    """Update a record, overwriting multiselect values."""
    o = g.ws.object_def(obj)
    return ok(writes.update_record(g.ws, o, rid, read_json(), g.actor, overwrite=True))


@bp.delete("/objects/<obj>/records/<rid>")
def delete_record(obj: str, rid: str) -> Response:
    """Delete a record → `{}`."""
    writes.delete_record(g.ws, g.ws.object_def(obj), rid, g.actor)
    return json_response({})


@bp.get("/objects/<obj>/records/<rid>/attributes/<attribute>/values")
def record_values(obj: str, rid: str, attribute: str) -> Response:
    """An attribute's values on a record (the demo keeps no history: current values only)."""
    o = g.ws.object_def(obj)
    rec = g.ws.record(o, rid)
    attr = o.attr(attribute)
    if attr is None:
        raise not_found(f'Attribute with slug/ID "{attribute}" not found.')
    offset = query_int("offset", 0)
    return ok(rec["values"][attr.slug][offset:offset + query_int("limit", 1000)])


@bp.get("/objects/<obj>/records/<rid>/entries")
def record_entries(obj: str, rid: str) -> Response:
    """The list entries whose parent is this record (limit 100, max 1000)."""
    g.ws.record(g.ws.object_def(obj), rid)
    out = [{"list_id": lst.id, "list_api_slug": lst.api_slug, "entry_id": e["id"]["entry_id"],
            "created_at": e["created_at"]} for lst, e in g.ws.entries_of_record(rid)]
    offset = query_int("offset", 0)
    return ok(out[offset:offset + query_int("limit", 100, 1000)])


def _search_args(body: Any) -> tuple[str, list[Any], int]:
    if not isinstance(body, dict):
        raise body_error("the request body must be a JSON object.")
    query, objects, request_as = body.get("query"), body.get("objects"), body.get("request_as")
    if not isinstance(query, str):
        raise body_error('"query" is required and must be a string.')
    if not isinstance(objects, list) or not objects or not all(isinstance(o, str) for o in objects):
        raise body_error('"objects" is required: an array of at least one object slug or ID.')
    if not isinstance(request_as, dict) or request_as.get("type") not in ("workspace", "workspace-member"):
        raise body_error('"request_as" is required: {"type":"workspace"} or {"type":"workspace-member",…}.')
    if request_as["type"] == "workspace-member":
        g.ws.member_for(request_as)
    limit = body.get("limit", 25)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise body_error('"limit" must be a positive integer.')
    objs = []
    for key in objects:
        o = g.ws.objects_by_key.get(key)
        if o is None:
            raise invalid(f'Object with slug/ID "{key}" not found.', "value_not_found")
        if o not in objs:
            objs.append(o)
    return query, objs, limit


@bp.post("/objects/records/search")
def search_records() -> Response:
    """Fuzzy search across objects, best match first (default limit 25)."""
    query, objs, limit = _search_args(read_json())
    return ok(run_search(objs, query, limit))
