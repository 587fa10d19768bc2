"""Record and list-entry writes: create, assert, PATCH (append), PUT (overwrite), delete.

Validation happens before anything is stored, so a failed write changes nothing.
"""
from __future__ import annotations

import uuid
from typing import Any

from .errors import AttioError, body_error, invalid, not_found
from .schema import Container, ListDef, ObjectDef
from .store import Workspace
from .values import conflict_text, identity, normalize, now_ts

EMPTY_PAYLOAD = ("You passed an empty payload. Please ensure you are updating at least one property "
                 "in your request.")
_FREE_MAIL = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
              "me.com", "aol.com", "proton.me", "protonmail.com", "live.com"}

Changes = dict[str, tuple[Any, list[dict[str, Any]]]]


def _data(body: Any, key: str, *, required: bool = True) -> tuple[dict[str, Any], Any]:
    """The `data` object of a write body and its `key` member."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise body_error('expected an object with a "data" object.')
    raw = body["data"].get(key)
    if raw is None and required:
        raise body_error(f'"data.{key}" is required.')
    if raw is not None and not isinstance(raw, dict):
        raise body_error(f'"data.{key}" must be an object.')
    return body["data"], raw or {}


def parse_values(ws: Workspace, container: Container, raw: dict[str, Any], actor: dict[str, Any],
                 at: str) -> Changes:
    """Normalise every attribute in a values/entry_values input."""
    out: Changes = {}
    for key, val in raw.items():
        attr = container.attr(key)
        if attr is None:
            raise invalid(f'Cannot find attribute with slug/ID "{key}".', "value_not_found")
        out[attr.slug] = (attr, normalize(ws, attr, val, actor, at))
    return out


def _merge(current: dict[str, list], changes: Changes, append: set[str] | bool) -> dict[str, list]:
    values = dict(current)
    for slug, (attr, new) in changes.items():
        if attr.is_multiselect and (append is True or (append and slug in append)):
            have = {identity(v) for v in current[slug]}
            new = current[slug] + [v for v in new if identity(v) not in have]
        values[slug] = new
    return values


def _check(container: Container, values: dict[str, list], changes: Changes, items: dict[str, dict[str, Any]],
           self_id: str | None) -> None:
    """Required values present (all on create, changed ones on update) and unique values unused."""
    for a in container.attrs:
        if a.is_required and (self_id is None or a.slug in changes) and not values[a.slug]:
            raise invalid(f'Required value for attribute with ID "{a.id}" was not provided.', "missing_value")
    for slug, (attr, new) in changes.items():
        if not attr.is_unique:
            continue
        for v in new:
            key = identity(v)
            for other_id, other in list(items.items()):
                if other_id != self_id and any(identity(x) == key for x in other["values"][slug]):
                    raise AttioError(400, "uniqueness_conflict",
                                     f'The value "{conflict_text(v)}" provided for attribute with ID '
                                     f'"{attr.id}" conflicts with one already in the system.')


def _store(ws: Workspace, obj: ObjectDef, rec: dict[str, Any], old: dict[str, list], changes: Changes,
           actor: dict[str, Any], at: str) -> dict[str, Any]:
    rid = rec["id"]["record_id"]
    with ws.lock:
        ws.put_record(obj, rec)
        for slug, (attr, _new) in changes.items():
            if attr.inverse:
                before = {v["target_record_id"] for v in old.get(slug, ())}
                ws.sync_inverse(obj, rid, attr, before, {v["target_record_id"] for v in rec["values"][slug]},
                                actor, at)
    return obj.records[rid]


def _auto_company(ws: Workspace, values: dict[str, list], changes: Changes, actor: dict[str, Any],
                  at: str) -> None:
    """Attio links (or creates) a person's company from their email domain."""
    companies = ws.objects["companies"]
    for e in values["email_addresses"]:
        dom = e["email_root_domain"]
        if dom in _FREE_MAIL:
            continue
        target = next((r for r in list(companies.records.values())
                       if any(d["root_domain"] == dom for d in r["values"]["domains"])), None)
        if target is None:
            name = dom.split(".")[0].replace("-", " ").title()
            target = create_record(ws, companies, {"data": {"values": {"name": name, "domains": [dom]}}},
                                   {"type": "system", "id": None})
        attr = ws.objects["people"].attr("company")
        ref = {"target_object": "companies", "target_record_id": target["id"]["record_id"]}
        changes["company"] = (attr, normalize(ws, attr, ref, {"type": "system", "id": None}, at))
        values["company"] = changes["company"][1]
        return


def create_record(ws: Workspace, obj: ObjectDef, body: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """POST /v2/objects/{o}/records."""
    _, raw = _data(body, "values")
    at = now_ts()
    changes = parse_values(ws, obj, raw, actor, at)
    rec = ws.new_record(obj, str(uuid.uuid4()), at, actor)
    values = _merge(rec["values"], changes, False)
    _check(obj, values, changes, obj.records, None)
    if obj.api_slug == "people" and not values["company"] and values["email_addresses"]:
        _auto_company(ws, values, changes, actor, at)
    return _store(ws, obj, {**rec, "values": values}, {}, changes, actor, at)


def update_record(ws: Workspace, obj: ObjectDef, rid: str, body: Any, actor: dict[str, Any],
                  overwrite: bool) -> dict[str, Any]:
    """PATCH (append multiselect) or PUT (overwrite) /v2/objects/{o}/records/{id}."""
    rec = ws.record(obj, rid)
    _, raw = _data(body, "values", required=False)
    if not raw:
        raise invalid(EMPTY_PAYLOAD)
    at = now_ts()
    changes = parse_values(ws, obj, raw, actor, at)
    values = _merge(rec["values"], changes, not overwrite)
    _check(obj, values, changes, obj.records, rid)
    return _store(ws, obj, {**rec, "values": values}, rec["values"], changes, actor, at)


def assert_record(ws: Workspace, obj: ObjectDef, matching: str | None, body: Any,
                  actor: dict[str, Any]) -> dict[str, Any]:
    """PUT /v2/objects/{o}/records?matching_attribute=…: update the match or create."""
    if not matching:
        raise invalid('The "matching_attribute" query parameter is required.')
    attr = obj.attr(matching)
    if attr is None:
        raise invalid(f'No attribute was found for matching_attribute slug/ID "{matching}".',
                      "value_not_found")
    if not attr.is_unique:
        raise invalid("The matching attribute specified is not a unique attribute.",
                      "matching_attribute_definition_not_unique")
    _, raw = _data(body, "values")
    given = next((raw[k] for k in (attr.slug, attr.id) if k in raw), None)
    if given is None:
        raise invalid(f'A value for the matching attribute "{attr.slug}" must be provided in "values".',
                      "missing_value")
    if attr.is_multiselect and not isinstance(given, list):
        raise invalid(f'Attribute "{attr.slug}" is multiselect: pass its values as an array.')
    at = now_ts()
    changes = parse_values(ws, obj, raw, actor, at)
    wanted = {identity(v) for v in changes[attr.slug][1]}
    found = [r for r in list(obj.records.values())
             if any(identity(v) in wanted for v in r["values"][attr.slug])]
    if len(found) > 1:
        raise invalid("Multiple records were found for the given matching attribute values. Please remove "
                      "duplicates or use the update or create record endpoints instead.",
                      "multiple_match_results")
    if not found:
        return create_record(ws, obj, body, actor)
    rec = found[0]
    rid = rec["id"]["record_id"]
    values = _merge(rec["values"], changes, {attr.slug})
    _check(obj, values, changes, obj.records, rid)
    return _store(ws, obj, {**rec, "values": values}, rec["values"], changes, actor, at)


def delete_record(ws: Workspace, obj: ObjectDef, rid: str, actor: dict[str, Any]) -> None:
    """DELETE /v2/objects/{o}/records/{id}."""
    ws.record(obj, rid)
    with ws.lock:
        ws.remove_record(obj, rid, actor, now_ts())


# --- list entries ------------------------------------------------------------------------
def create_entry(ws: Workspace, lst: ListDef, body: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """POST /v2/lists/{l}/entries."""
    data, raw = _data(body, "entry_values", required=False)
    pid, pobj = data.get("parent_record_id"), data.get("parent_object")
    if not isinstance(pid, str) or not isinstance(pobj, str):
        raise body_error('"data.parent_record_id" and "data.parent_object" are required strings.')
    obj = ws.objects_by_key.get(pobj)
    if obj is None:
        raise not_found(f'Object with slug/ID "{pobj}" not found.')
    if obj.api_slug != lst.parent:
        raise invalid(f'Records of object "{obj.api_slug}" cannot be added to list "{lst.api_slug}", '
                      f'whose parent object is "{lst.parent}".')
    if pid not in obj.records:
        raise invalid(f'Parent record with slug/ID "{pid}" not found.', "value_not_found")
    at = now_ts()
    changes = parse_values(ws, lst, raw, actor, at)
    eid = str(uuid.uuid4())
    values = _merge(ws.blank_values(lst, at, actor), changes, False)
    _check(lst, values, changes, {}, None)
    ent = {"id": {"workspace_id": ws.id, "list_id": lst.id, "entry_id": eid}, "parent_record_id": pid,
           "parent_object": obj.api_slug, "created_at": at, "entry_values": values}
    with ws.lock:
        lst.entries[eid] = ent
    return ent


def update_entry(ws: Workspace, lst: ListDef, eid: str, body: Any, actor: dict[str, Any],
                 overwrite: bool) -> dict[str, Any]:
    """PATCH (append) or PUT (overwrite) /v2/lists/{l}/entries/{id}."""
    ent = ws.entry(lst, eid)
    data, raw = _data(body, "entry_values", required=False)
    if data.get("parent_record_id") not in (None, ent["parent_record_id"]):
        raise invalid("The parent record for a list entry cannot be updated once created.", "immutable_value")
    if not raw:
        raise invalid(EMPTY_PAYLOAD)
    changes = parse_values(ws, lst, raw, actor, now_ts())
    values = _merge(ent["entry_values"], changes, not overwrite)
    _check(lst, values, changes, {}, eid)
    new = {**ent, "entry_values": values}
    with ws.lock:
        lst.entries[eid] = new
    return new


def assert_entry(ws: Workspace, lst: ListDef, body: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """PUT /v2/lists/{l}/entries: update the parent's entry, or create one."""
    data, raw = _data(body, "entry_values")
    pid = data.get("parent_record_id")
    found = [e for e in list(lst.entries.values()) if e["parent_record_id"] == pid]
    if len(found) > 1:
        raise invalid("Multiple entries were founds for the given parent record. Please remove duplicates "
                      "or use the update or create entry endpoints instead.", "multiple_match_results")
    if not found:
        return create_entry(ws, lst, body, actor)
    if not raw:
        return found[0]
    return update_entry(ws, lst, found[0]["id"]["entry_id"], {"data": {"entry_values": raw}}, actor, True)


def delete_entry(ws: Workspace, lst: ListDef, eid: str) -> None:
    """DELETE /v2/lists/{l}/entries/{id}."""
    ws.entry(lst, eid)
    with ws.lock:
        lst.entries.pop(eid, None)
