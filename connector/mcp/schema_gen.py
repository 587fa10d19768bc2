"""Generate JSON Schema 2020-12 from a marshmallow schema.

A tool's arguments are defined once, as a marshmallow schema; `inputSchema`
is derived from it here so the two can never drift.
"""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate
from marshmallow.utils import missing

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_SIMPLE: list[tuple[type[fields.Field], dict[str, Any]]] = [
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.Decimal, {"type": "number"}),
    (fields.Number, {"type": "number"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.URL, {"type": "string", "format": "uri"}),
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.String, {"type": "string"}),
    (fields.Dict, {"type": "object"}),
]


def _apply_validators(out: dict[str, Any], field: fields.Field) -> None:
    for v in field.validators:
        if isinstance(v, validate.Length):
            lo, hi = ("minItems", "maxItems") if out.get("type") == "array" else ("minLength", "maxLength")
            if v.min is not None:
                out[lo] = v.min
            if v.max is not None:
                out[hi] = v.max
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum" if v.min_inclusive else "exclusiveMinimum"] = v.min
            if v.max is not None:
                out["maximum" if v.max_inclusive else "exclusiveMaximum"] = v.max
        elif isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern


def field_to_json(field: fields.Field) -> dict[str, Any]:
    """The JSON Schema of one marshmallow field."""
    if isinstance(field, fields.Nested):
        nested = field.nested() if callable(field.nested) and not isinstance(field.nested, type) else field.nested
        inner = schema_to_json(nested if isinstance(nested, type) else type(nested), dialect=False)
        out = {"type": "array", "items": inner} if field.many else inner
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_to_json(field.inner)}
    elif isinstance(field, fields.Raw) and type(field) is fields.Raw:
        out = {}
    else:
        out = next((dict(js) for cls, js in _SIMPLE if isinstance(field, cls)), {})
    _apply_validators(out, field)
    if field.allow_none and "type" in out:
        out["type"] = [out["type"], "null"]
    meta = field.metadata
    # x-mcp-header (2026-07-28): clients mirror the parameter into an Mcp-Param-{name} header for gateways.
    for key in ("title", "description", "examples", "format", "x-mcp-header"):
        if key in meta:
            out[key] = meta[key]
    if field.load_default is not missing and not callable(field.load_default):
        out["default"] = field.load_default
    return out


def schema_to_json(schema_cls: type[Schema], *, dialect: bool = True) -> dict[str, Any]:
    """The object JSON Schema for a marshmallow schema class."""
    schema = schema_cls()
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        props[key] = field_to_json(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    unknown = schema.unknown
    if unknown not in (EXCLUDE, INCLUDE):
        out["additionalProperties"] = False
    if dialect:
        out = {"$schema": DIALECT, **out}
    return out
