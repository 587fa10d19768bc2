"""Structural checks on tool arguments, run before a tool's marshmallow schema loads them.

Arguments are data and are stored as given: quotes, ampersands, angle brackets and SQL-ish words
("O'Neil", "AT&T", "<b>", "delete from") are ordinary CRM text, never escaped or refused. Only
structural abuse is refused: strings longer than `MAX_STRING`, nesting deeper than `MAX_DEPTH`,
C0 control characters other than tab and line breaks anywhere, and line breaks in identifiers
(ids, slugs, cursors, object and attribute names), where they can only be a mistake or an attack.
"""
from __future__ import annotations

import re
from typing import Any

MAX_STRING = 100_000
MAX_DEPTH = 32
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAK = re.compile(r"[\r\n\t]")
IDENTIFIER_KEYS = frozenset({"id", "object", "list", "attribute", "slug", "cursor", "record", "member",
                             "assignee", "object_slug", "list_slug", "attribute_slug", "format", "parent"})


def _identifier(key: str) -> bool:
    return key in IDENTIFIER_KEYS or key.endswith(("_id", "_ids", "_slug"))


def _problem(value: str, path: str, identifier: bool) -> str | None:
    if len(value) > MAX_STRING:
        return f"{path}: text is too long ({len(value)} characters; the limit is {MAX_STRING})"
    bad = CONTROL.search(value)
    where = "in text"
    if bad is None and identifier:
        bad, where = LINE_BREAK.search(value), "in an identifier"
    if bad:
        return f"{path}: contains the control character U+{ord(bad.group(0)):04X}, which is not allowed {where}"
    return None


def check_arguments(tool: Any, arguments: Any) -> str | None:
    """Why `arguments` are refused, or None. `tool` is unused today (the rules are the same for all tools)."""
    stack: list[tuple[Any, str, bool, int]] = [(arguments, "arguments", False, 0)]
    while stack:
        value, path, identifier, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str):
            problem = _problem(value, path, identifier)
            if problem:
                return problem
        elif isinstance(value, dict):
            for key, item in value.items():
                name = str(key)
                problem = _problem(name, f"{path} key {name[:40]!r}", True)
                if problem:
                    return problem
                here = name if path == "arguments" else f"{path}.{name}"
                stack.append((item, here, identifier or _identifier(name), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", identifier, depth + 1) for i, item in enumerate(value))
    return None
