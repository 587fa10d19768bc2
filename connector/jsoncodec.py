"""JSON in and out of the hot paths with orjson: a tool call decodes the request and Attio's answer and encodes the
text block and the reply, and the standard library's codec was a measurable part of every call.

The standard library's behaviour is kept exactly where orjson would differ: input it refuses (NaN, numbers beyond a
double, lone surrogates, nesting past its limit) or would read differently (integers of 19 digits or more, which
it turns into doubles) goes to `json`; output it refuses (keys that are not strings, integers beyond 64 bits,
surrogates, other types) is encoded by `json`. Neutral: knows no HTTP and no protocol.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

# A run of 19 digits may not fit in 64 bits, and orjson would read such a number as a double. Found by mapping every
# digit to "0" and everything else to " " and looking for 19 zeros: two C passes (a regex took 15 times as long).
_DIGITS_ONLY = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_RUN = b"0" * 19


def loads(data: bytes | str) -> Any:
    """Parse JSON; `ValueError` (a `json.JSONDecodeError`) when it is not JSON. Deep nesting may raise
    RecursionError, as with `json.loads`."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_RUN not in raw.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the standard library decides: it accepts more (NaN) and words its errors its own way
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON. NaN and infinities become null (they are not JSON)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_refuse)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escaped, the text stays valid JSON
            return json.dumps(value, separators=(",", ":")).encode("ascii")


def dumps_text(value: Any) -> str:
    """`dumps` as text (for a text content block)."""
    return dumps(value).decode("utf-8")


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
