"""Attio's filter grammar, checked before a query is sent: the bad part named, with the valid choices.

Used by query_records and by the views' queries (a view's own filter is Attio's; an extra one is checked here).
"""
from __future__ import annotations

from typing import Any

from ...mcp.registry import ToolError

OPERATORS = ("$eq", "$in", "$not_empty", "$contains", "$starts_with", "$ends_with", "$lt", "$lte", "$gt", "$gte")
LOGICAL = ("$and", "$or", "$not")
_STRING_OPS = ("$contains", "$starts_with", "$ends_with")
_SCALAR = (str, int, float, bool)


def _bad_filter(message: str) -> ToolError:
    return ToolError(f"Invalid filter: {message}")


def _check_op(slug: str, op: str, x: Any) -> None:
    if op not in OPERATORS:
        raise _bad_filter(f'unknown operator "{op}" on "{slug}". Valid operators: {", ".join(OPERATORS)}.')
    ok = {"$in": isinstance(x, list) and all(isinstance(i, _SCALAR) for i in x),
          "$not_empty": isinstance(x, bool),
          "$eq": isinstance(x, _SCALAR) or x is None}.get(op)
    if ok is None:
        ok = isinstance(x, str) if op in _STRING_OPS else isinstance(x, (str, int, float)) and not isinstance(x, bool)
    if not ok:
        need = {"$in": "an array of values", "$not_empty": "true or false", "$eq": "a single value"}.get(
            op, "a string" if op in _STRING_OPS else "a number or a date string")
        raise _bad_filter(f'"{op}" on "{slug}" takes {need}, got {x!r}.')


def _check_condition(slug: str, spec: Any) -> None:
    if isinstance(spec, list):
        if not all(isinstance(i, _SCALAR) for i in spec):
            raise _bad_filter(f'the values listed for "{slug}" must be strings, numbers or booleans.')
    elif isinstance(spec, dict):
        for key, val in spec.items():
            if key.startswith("$"):
                _check_op(slug, key, val)
            elif isinstance(val, dict):  # a property of the value, e.g. {"email_domain": {"$eq": "acme.com"}}
                for op, x in val.items():
                    _check_op(f"{slug}.{key}", op, x)
            elif not isinstance(val, (*_SCALAR, list)):
                raise _bad_filter(f'"{slug}.{key}" must be a value or an {{operator: value}} object.')
    elif not isinstance(spec, _SCALAR) and spec is not None:
        raise _bad_filter(f'"{slug}" must be a value or an {{operator: value}} object.')


def check_filter(flt: Any, obj: str, slugs: list[str]) -> None:
    """Validate Attio's filter grammar before sending it, naming the bad part and the valid choices."""
    if not isinstance(flt, dict):
        raise _bad_filter('a filter is an object, e.g. {"name": {"$contains": "acme"}}.')
    for key, val in flt.items():
        if key in ("$and", "$or"):
            if not isinstance(val, list) or not val:
                raise _bad_filter(f'"{key}" takes a non-empty array of filters.')
            for sub in val:
                check_filter(sub, obj, slugs)
        elif key == "$not":
            check_filter(val, obj, slugs)
        elif key == "path":
            if not (isinstance(val, list) and val and all(
                    isinstance(h, list) and len(h) == 2 and all(isinstance(p, str) for p in h) for h in val)):
                raise _bad_filter('"path" is an array of [object, attribute] pairs.')
            if not isinstance(flt.get("constraints"), dict):
                raise _bad_filter('a "path" filter needs a "constraints" object.')
        elif key == "constraints":
            if "path" not in flt:
                raise _bad_filter('"constraints" only goes together with "path".')
        elif key.startswith("$"):
            raise _bad_filter(f'unknown operator "{key}". Valid operators: {", ".join(OPERATORS + LOGICAL)}.')
        elif key not in slugs:
            raise _bad_filter(f'unknown attribute "{key}" for object "{obj}". Valid attribute slugs: '
                              f'{", ".join(slugs)}.')
        else:
            _check_condition(key, val)


def check_sorts(sorts: list[dict[str, Any]] | None, obj: str, slugs: list[str]) -> list[dict[str, Any]]:
    """Sorts with their attribute slugs checked, in Attio's shape (empty parts left out)."""
    out = []
    for s in sorts or []:
        if s["attribute"] not in slugs:
            raise ToolError(f'Invalid sort: unknown attribute "{s["attribute"]}" for object "{obj}". '
                            f'Valid attribute slugs: {", ".join(slugs)}.')
        out.append({k: v for k, v in s.items() if v is not None})
    return out
