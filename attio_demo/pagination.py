"""Cursor pagination as Attio's newer list endpoints do it (reference §0.2).

`?limit=&cursor=` in, `{"data": […], "pagination": {"next_cursor": "<opaque>"|null}}` out; clients stop when
`next_cursor` is null, not on a short page. A cursor is base64 JSON plus a signature, like Attio's
(`eyJ…=.eM56…`): it is bound to the endpoint and its filters, so a cursor from another query, another
demo process or a tampered one is refused with a 400.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any, Sequence

from flask import request

from .errors import invalid

_KEY = secrets.token_bytes(32)  # per process: a restarted demo refuses old cursors, as a redeploy might
BAD_CURSOR = "The cursor is invalid or has expired."


def _scope() -> str:
    """What a cursor is bound to: the path and every query parameter but the page's own."""
    args = sorted((k, v) for k, vs in request.args.lists() for v in vs if k not in ("cursor", "limit"))
    return hashlib.sha256(json.dumps([request.path, args]).encode()).hexdigest()[:16]


def _sign(payload: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(_KEY, payload.encode(), hashlib.sha256).digest()[:18]).decode()


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the next page of this request's query."""
    payload = base64.b64encode(json.dumps({"offset": offset, "scope": _scope()}).encode()).decode()
    return f"{payload}.{_sign(payload)}"


def decode_cursor(cursor: str) -> int:
    """The offset a cursor of this request's query stands for; 400 if it is not one."""
    payload, _, signature = cursor.partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(payload).encode()):
        raise invalid(BAD_CURSOR)
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except ValueError:
        raise invalid(BAD_CURSOR) from None
    if not isinstance(data, dict) or data.get("scope") != _scope() or not isinstance(data.get("offset"), int):
        raise invalid(BAD_CURSOR)
    return data["offset"]


def page_limit(default: int, maximum: int) -> int:
    """The `limit` query parameter: an integer from 1 to `maximum`, else 400."""
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise invalid(f'Query parameter "limit" must be an integer between 1 and {maximum}.')
    return int(raw)


def page_window(default: int, maximum: int) -> tuple[int, int]:
    """(offset, limit) of the page this request asks for."""
    limit = page_limit(default, maximum)
    cursor = request.args.get("cursor")
    return (decode_cursor(cursor) if cursor else 0), limit


def paginate(items: Sequence[Any], default: int, maximum: int) -> dict[str, Any]:
    """One cursor page of `items`: `{"data", "pagination": {"next_cursor"}}`."""
    offset, limit = page_window(default, maximum)
    end = offset + limit
    return page_body(list(items[offset:end]), end if end < len(items) else None)


def page_body(data: list[Any], next_offset: int | None) -> dict[str, Any]:
    """The response body of a cursor page whose next page starts at `next_offset` (None: the last page)."""
    return {"data": data, "pagination": {"next_cursor": encode_cursor(next_offset) if next_offset else None}}
