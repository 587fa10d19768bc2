"""Render the OpenAPI document as docs/api.md, so the reference cannot drift from the code.

`python -m connector.apidoc > docs/api.md` regenerates it; a test compares.
"""
from __future__ import annotations

import json
from typing import Any

HEADER = """# HTTP API

Generated from the OpenAPI 3.1 document that `GET /openapi.json` serves, by
`python -m connector.apidoc > docs/api.md`; a test fails when this file and the code disagree.
The document is built with apispec from the marshmallow schemas the endpoints validate with.
"""

METHODS = ("get", "post", "delete")


def _anchor(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def describe_type(schema: dict[str, Any]) -> str:
    """A short, readable type for a JSON Schema: `string`, `array of string`, a link to a component …"""
    if "$ref" in schema:
        return _anchor(schema["$ref"].rsplit("/", 1)[-1])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(describe_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        items = schema.get("items", {})
        return f"array of {describe_type(items)}" + (" (non-empty)" if schema.get("minItems") else "")
    return "/".join(kind) if isinstance(kind, list) else kind


def _notes(prop: dict[str, Any]) -> str:
    notes = []
    if prop.get("description"):
        notes.append(prop["description"])
    items = prop.get("items", {})
    enum = prop.get("enum") or items.get("enum")
    if enum:
        notes.append("one of " + ", ".join(f"`{v}`" for v in enum))
    bounds = {**items, **prop}
    for key, text in (("minLength", "min length"), ("maxLength", "max length"), ("minItems", "min items"),
                      ("maxItems", "max items")):
        if key in bounds:
            notes.append(f"{text} {bounds[key]}")
    if "default" in prop:
        notes.append(f"default `{json.dumps(prop['default'])}`")
    if prop.get("examples"):
        notes.append("e.g. " + ", ".join(f"`{v}`" for v in prop["examples"]))
    return "; ".join(notes)


def _parameters(params: list[dict[str, Any]]) -> list[str]:
    rows = ["| parameter | in | required | type | notes |", "| --- | --- | --- | --- | --- |"]
    for p in params:
        schema = p.get("schema", {})
        notes = "; ".join(n for n in (p.get("description", ""), _notes({**schema, "description": ""})) if n)
        rows.append(f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | "
                    f"{describe_type(schema)} | {notes} |")
    return rows + [""]


def _content(content: dict[str, Any]) -> str:
    return "; ".join(f"`{mime}`: {describe_type(media.get('schema', {}))}" for mime, media in content.items())


def _security(requirements: list[dict[str, list[str]]]) -> str:
    parts = []
    for req in requirements:
        if not req:
            parts.append("none")
        for name, scopes in req.items():
            parts.append(f"`{name}`" + (f" ({', '.join(scopes)})" if scopes else ""))
    return " or ".join(parts)


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}` — {op.get('summary', '')}\n"]
    if op.get("description"):
        out.append(f"{op['description']}\n")
    if op.get("security"):
        out.append(f"Authentication: {_security(op['security'])}\n")
    if op.get("parameters"):
        out += _parameters(op["parameters"])
    body = op.get("requestBody")
    if body:
        out.append(f"Request body{' (required)' if body.get('required') else ''}: {_content(body['content'])}\n")
    out += ["| status | meaning | body |", "| --- | --- | --- |"]
    for status, answer in op.get("responses", {}).items():
        out.append(f"| {status} | {answer.get('description', '')} | {_content(answer.get('content', {}))} |")
    return out + [""]


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f"### {name}\n"]
    if schema.get("description"):
        out.append(f"{schema['description']}\n")
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    if props:
        out += ["| field | type | required | notes |", "| --- | --- | --- | --- |"]
        for field, prop in props.items():
            out.append(f"| `{field}` | {describe_type(prop)} | {'yes' if field in required else 'no'} | "
                       f"{_notes(prop)} |")
        out.append("")
    return out


def render(doc: dict[str, Any]) -> str:
    """The markdown document for an OpenAPI dict."""
    out = [HEADER, doc["info"].get("description", "") + "\n", "## Endpoints\n",
           "| method | path | summary |", "| --- | --- | --- |"]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                out.append(f"| {method.upper()} | `{path}` | {op.get('summary', '')} |")
                by_tag.setdefault((op.get("tags") or ["Other"])[0], []).append((path, method, op))
    out.append("")
    for tag, ops in by_tag.items():
        out.append(f"## {tag}\n")
        for path, method, op in ops:
            out += _operation(path, method, op)
    components = doc.get("components", {})
    out.append("## Authentication\n")
    for name, scheme in components.get("securitySchemes", {}).items():
        line = f"- `{name}`: {scheme['type']}" + (f" {scheme['scheme']}" if scheme.get("scheme") else "")
        out.append(f"{line} — {scheme.get('description', '')}")
    out.append("\n## Schemas\n")
    for name, schema in components.get("schemas", {}).items():
        out += _schema(name, schema)
    return "\n".join(out).rstrip("\n") + "\n"
