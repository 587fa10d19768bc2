"""Pages of tool results: the `limit`/`cursor` arguments and the one cursor encoding (`mcp.cursors`).

Two kinds of paging meet here. Attio's older endpoints page by offset, and so do the lists we hold whole
(objects, lists, members): the cursor carries the offset of the next page. Attio's newer endpoints (meetings,
call recordings, emails, files, views) page by their own cursor: ours carries Attio's, unchanged, so a page
continues exactly where Attio left off. A cursor of one kind handed to a tool of the other is refused.
"""
from __future__ import annotations

from typing import Any, Callable

from marshmallow import Schema, fields, validate

from ..mcp import cursors
from ..mcp.registry import ToolError

ATTIO_PAGE_MAX = 50  # notes and threads: Attio's hard cap per call
UPSTREAM_CALLS = 5  # Attio calls one cursor page may take (emails may answer short or empty pages mid-stream)
BAD_CURSOR = "Invalid cursor: pass the next_cursor value of the previous page unchanged."
NEXT_CURSOR = {"type": ["string", "null"]}


class PageArgs(Schema):
    """Pagination shared by list tools: `limit` (capped) and an opaque `cursor` from the previous page."""

    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100),
                           metadata={"description": "How many items to return (1-100, default 25)."})
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                           metadata={"description": "The next_cursor of the previous page, to continue."})


class CursorPageArgs(PageArgs):
    """Pagination of tools over Attio's cursor-paged endpoints (their cursors are longer)."""

    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                           metadata={"description": "The next_cursor of the previous page, to continue."})


def decode_cursor(cursor: str | None) -> int:
    """The offset inside an opaque cursor (0 for the first page)."""
    if not cursor:
        return 0
    try:
        return cursors.decode_offset(cursor)
    except ValueError:
        raise ToolError(BAD_CURSOR) from None


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the page starting at `offset`."""
    return cursors.encode_offset(offset)


def page_fields(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """`next_cursor` for a page fetched with limit+1: present only when more items exist."""
    return {"next_cursor": encode_cursor(offset + limit) if len(items) > limit else None}


def fetch_capped(fetch: Callable[[int, int], list[Any]], offset: int, limit: int) -> list[Any]:
    """One page plus a look-ahead item from an endpoint capped at 50 per call (limit ≤ 50)."""
    items = fetch(offset, min(limit + 1, ATTIO_PAGE_MAX))
    if limit >= ATTIO_PAGE_MAX and len(items) >= ATTIO_PAGE_MAX:
        items = items + fetch(offset + ATTIO_PAGE_MAX, 1)
    return items


def attio_cursor(cursor: str | None) -> str | None:
    """Attio's cursor inside one of ours (None for the first page)."""
    if not cursor:
        return None
    try:
        return cursors.decode(cursor, cursors.UPSTREAM)
    except ValueError:
        raise ToolError(BAD_CURSOR) from None


def our_cursor(attio_next: str | None) -> str | None:
    """Our cursor wrapping Attio's next_cursor (None on the last page)."""
    return cursors.encode(cursors.UPSTREAM, attio_next) if attio_next else None


def collect(fetch: Callable[[str | None, int], tuple[list[Any], str | None]], cursor: str | None,
            limit: int) -> tuple[list[Any], str | None]:
    """Up to `limit` items from a cursor-paged Attio endpoint, and our next_cursor.

    `fetch(attio_cursor, n)` is one Attio call returning (items, Attio's next_cursor). The end is a null
    next_cursor, never a short page: Attio may answer short or empty pages mid-stream, so a short page is
    followed up (a few calls at most) until `limit` items are in hand.
    """
    position, items = attio_cursor(cursor), []
    for _ in range(UPSTREAM_CALLS):
        batch, position = fetch(position, limit - len(items))
        items += batch[:limit - len(items)]
        if position is None or len(items) >= limit:
            break
    return items, our_cursor(position)
