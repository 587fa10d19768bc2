"""Parsing a JSON request body with the limits every endpoint shares: no deeper than MAX_DEPTH levels, and no
string that UTF-8 cannot carry. Knows neither HTTP nor any protocol; the MCP layer and the OAuth endpoints each
turn `JsonBodyError` into their own error shape."""
from __future__ import annotations

import re
from typing import Any

from . import jsoncodec

MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # a \uD800-\uDFFF escape somewhere in the body
_LONE = re.compile("[\ud800-\udfff]")


class JsonBodyError(ValueError):
    """The body cannot be used: `reason` says why; `too_deep` tells nesting from syntax."""

    def __init__(self, reason: str, too_deep: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.too_deep = reason, too_deep


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, bounded so hostile input cannot cost much."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        if level > limit:
            return level
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def parse(body: bytes) -> Any:
    """The parsed body, or JsonBodyError: not JSON, nested deeper than MAX_DEPTH, or an unpaired surrogate."""
    too_deep = JsonBodyError(f"JSON nested deeper than {MAX_DEPTH} levels", too_deep=True)
    try:
        data = jsoncodec.loads(body)
    except RecursionError:  # thousands of levels: the parser gave up before we could count them
        raise too_deep from None
    except ValueError as exc:
        raise JsonBodyError(f"body is not valid JSON ({exc.__class__.__name__})") from None
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and depth(data) > MAX_DEPTH:  # fewer brackets: not deep
        raise too_deep
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
        # Valid JSON syntax, but no UTF-8 text can carry it: echoing or storing it would fail later.
        raise JsonBodyError("a string contains an unpaired UTF-16 surrogate escape")
    return data


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string (or key) holds a surrogate code point: json.loads joins valid pairs, so any left is lone."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
