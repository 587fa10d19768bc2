"""`POST /v2/sql` (attio-api-2026.md §8): read-only SQL over records and list entries, Enterprise plan only.

Tables: `objects.<slug>` (the default schema: `FROM companies`), `lists.<slug>` (a row per entry) and
`information_schema.tables` / `.columns`. A row is an object keyed by column name: one column per attribute,
a multiselect attribute as an array, an actor as `{"type", "id"}`, a reference as the record id (as in
Attio's example: `domains` an array of strings, `created_by` an actor). Attio publishes neither its column
types nor a row cap; comparing a multiselect column matches when any of its values does. Queries stop at
`DemoSettings.sql_timeout_seconds` (Attio: 30 s); `pg_sleep(n)` makes one slow.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

from .errors import AttioError
from .sql_parse import Col, Func, Select, parse, sql_error
from .store import Workspace

# Not published by Attio (reference §8): the plan refusal mirrors its wording for other plan-gated features.
NOT_ON_PLAN = ("SQL queries are not supported on your plan. Please upgrade to the Enterprise plan or contact "
               "sales to gain access.")
TIMED_OUT = "The query exceeded the SQL execution timeout of {seconds:g} seconds."
_FIELD = {"personal-name": "full_name", "email-address": "email_address", "domain": "domain",
          "phone-number": "phone_number", "currency": "currency_value", "record-reference": "target_record_id",
          "interaction": "interacted_at"}
_LOCATION = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code", "latitude",
             "longitude")


def not_on_plan() -> AttioError:
    """Attio's answer outside the Enterprise plan."""
    return AttioError(403, "billing_error", NOT_ON_PLAN, "auth_error")


def cell(attr: Any, values: list[dict[str, Any]]) -> Any:
    """One attribute's values as a SQL column value."""
    def one(v: dict[str, Any]) -> Any:
        t = v["attribute_type"]
        if t == "select":
            return v["option"]["title"]
        if t == "status":
            return v["status"]["title"]
        if t == "actor-reference":
            return {"type": v["referenced_actor_type"], "id": v["referenced_actor_id"]}
        if t == "location":
            return {k: v.get(k) for k in _LOCATION}
        return v.get(_FIELD.get(t, "value"))
    items = [one(v) for v in values]
    return items if attr.is_multiselect else (items[0] if items else None)


def _table(ws: Workspace, q: Select) -> tuple[list[str], list[dict[str, Any]]]:
    """The table's columns and rows."""
    schema = q.schema or "objects"
    if schema == "information_schema" and q.table in ("tables", "columns"):
        tables = [("objects", o.api_slug, ["record_id"] + [a.slug for a in o.attrs if a.slug != "record_id"])
                  for o in ws.objects.values()]
        tables += [("lists", lst.api_slug, ["entry_id", "parent_record_id", "parent_object"]
                    + [a.slug for a in lst.attrs]) for lst in ws.lists.values()]
        if q.table == "tables":
            return ["table_schema", "table_name"], [{"table_schema": s, "table_name": t} for s, t, _ in tables]
        return (["table_schema", "table_name", "column_name"],
                [{"table_schema": s, "table_name": t, "column_name": c} for s, t, cols in tables for c in cols])
    if schema == "objects" and q.table in ws.objects:
        obj = ws.objects[q.table]
        cols = ["record_id"] + [a.slug for a in obj.attrs if a.slug != "record_id"]
        rows = [{"record_id": r["id"]["record_id"],
                 **{a.slug: cell(a, r["values"][a.slug]) for a in obj.attrs if a.slug != "record_id"}}
                for r in list(obj.records.values())]
        return cols, rows
    if schema == "lists" and q.table in ws.lists:
        lst = ws.lists[q.table]
        cols = ["entry_id", "parent_record_id", "parent_object"] + [a.slug for a in lst.attrs]
        rows = [{"entry_id": e["id"]["entry_id"], "parent_record_id": e["parent_record_id"],
                 "parent_object": e["parent_object"], **{a.slug: cell(a, e["entry_values"][a.slug]) for a in lst.attrs}}
                for e in list(lst.entries.values())]
        return cols, rows
    shown = f"{q.schema}.{q.table}" if q.schema else q.table
    raise sql_error(f'Table "{shown}" does not exist.')


def _column(q: Select, cols: list[str], col: Col) -> str:
    if col.qualifier not in (None, q.table, q.alias) or col.name not in cols:
        shown = f"{col.qualifier}.{col.name}" if col.qualifier else col.name
        raise sql_error(f'Column "{shown}" does not exist.')
    return col.name


def _compare(op: str, got: Any, want: Any) -> bool:
    if got is None or want is None or isinstance(got, dict):
        return False
    if isinstance(got, bool) != isinstance(want, bool) or isinstance(got, str) != isinstance(want, str):
        return False
    return {"=": got == want, "<>": got != want, "<": got < want, "<=": got <= want, ">": got > want,
            ">=": got >= want}[op]


def _predicate(q: Select, cols: list[str], node: Any) -> Callable[[dict[str, Any]], bool]:
    kind = node[0]
    if kind in ("and", "or"):
        a, b = _predicate(q, cols, node[1]), _predicate(q, cols, node[2])
        return (lambda r: a(r) and b(r)) if kind == "and" else (lambda r: a(r) or b(r))
    if kind == "not":
        inner = _predicate(q, cols, node[1])
        return lambda r: not inner(r)
    name = _column(q, cols, node[1])

    def each(r: dict[str, Any]) -> list[Any]:
        v = r[name]
        return v if isinstance(v, list) else [v]
    if kind == "isnull":
        negate = node[2]
        return lambda r: (r[name] in (None, [])) != negate
    if kind == "in":
        items, negate = node[2], node[3]
        return lambda r: any(_compare("=", v, w) for v in each(r) for w in items) != negate
    if kind == "like":
        pattern, ci, negate = node[2], node[3], node[4]
        rx = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern),
                        re.I | re.S if ci else re.S)
        return lambda r: any(isinstance(v, str) and rx.fullmatch(v) for v in each(r)) != negate
    op, want = node[2], node[3]
    if op == "<>":
        return lambda r: r[name] is not None and not any(_compare("=", v, want) for v in each(r))
    return lambda r: any(_compare(op, v, want) for v in each(r))


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, json.dumps(v, sort_keys=True, ensure_ascii=False) if not isinstance(v, str) else v)


def run(ws: Workspace, body: Any, timeout: float) -> list[dict[str, Any]]:
    """POST /v2/sql → rows; 403 outside the Enterprise plan, 400 `filter_error` for what it will not run."""
    if ws.plan != "enterprise":
        raise not_on_plan()
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
        raise AttioError(400, "validation_type", 'Body payload validation error: "sql" is required and must be a '
                                                 "string.")
    deadline = time.monotonic() + timeout
    q = parse(body["sql"])
    cols, rows = _table(ws, q)
    if q.where is not None:
        keep = _predicate(q, cols, q.where)
        rows = [r for r in rows if keep(r)]
    for col, desc in reversed(q.order):
        name = _column(q, cols, col)
        present = sorted((r for r in rows if r[name] not in (None, [])), key=lambda r: _sort_key(r[name]),
                         reverse=desc)
        empty = [r for r in rows if r[name] in (None, [])]
        rows = empty + present if desc else present + empty  # Postgres: NULLS LAST ascending, FIRST descending
    rows = _project(q, cols, rows, deadline, timeout)
    if q.distinct:
        unique: dict[str, dict[str, Any]] = {}
        for r in rows:
            unique.setdefault(json.dumps(r, sort_keys=True), r)
        rows = list(unique.values())
    end = None if q.limit is None else q.offset + q.limit
    return rows[q.offset:end]


def _project(q: Select, cols: list[str], rows: list[dict[str, Any]], deadline: float,
             timeout: float) -> list[dict[str, Any]]:
    if q.columns is None:
        return [{c: r[c] for c in cols} for r in rows]
    for item, _ in q.columns:
        if isinstance(item, Func) and item.name == "pg_sleep":
            wait = min(float(item.arg), max(0.0, deadline - time.monotonic()))
            time.sleep(wait)
            if time.monotonic() >= deadline:
                raise AttioError(400, "query_timeout", TIMED_OUT.format(seconds=timeout))
    counts = [item for item, _ in q.columns if isinstance(item, Func) and item.name == "count"]
    plain = [item for item, _ in q.columns if isinstance(item, Col)]
    if counts and plain:
        raise sql_error(f'Column "{plain[0].name}" must appear in the GROUP BY clause or be used in an aggregate '
                        "function.")
    if counts:
        out = {}
        for item, label in q.columns:
            if isinstance(item, Func) and item.name == "count":
                name = None if item.arg == "*" else _column(q, cols, item.arg)
                out[label] = sum(1 for r in rows if name is None or r[name] not in (None, []))
            else:
                out[label] = None
        return [out]
    names = [(item, label, _column(q, cols, item) if isinstance(item, Col) else None) for item, label in q.columns]
    return [{label: (r[name] if name else None) for _, label, name in names} for r in rows]
