"""Attio's cursor pages (2026 reference §0.2), read in one place.

The newer list endpoints (meetings, call recordings, emails, files, views, a thread's comments) take `limit` and
`cursor` and answer `{"data": [...], "pagination": {"next_cursor": "<opaque>" | null}}`. The end is a null
`next_cursor`, never a short page: emails may answer short or even empty pages mid-stream.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple

from .errors import AttioError

MAX_PAGES = 200  # a bound on following cursors, against an upstream that never says "last page"


class Page(NamedTuple):
    """One page: its items, and Attio's cursor for the next page (None on the last one)."""

    items: list[Any]
    next_cursor: str | None


def next_cursor(body: Any) -> str | None:
    """`pagination.next_cursor` of a response body; None when absent, null or empty."""
    pagination = body.get("pagination") if isinstance(body, dict) else None
    cursor = pagination.get("next_cursor") if isinstance(pagination, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def page_from(body: Any, status: int) -> Page:
    """The Page in a response body; a typed error if the body is not a page."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise AttioError("Attio sent a page without a list of items.", status=status, code="invalid_response")
    return Page(data, next_cursor(body))


def every_item(fetch: Callable[[str | None], Page], *, max_items: int | None = None) -> Iterator[Any]:
    """Each item of every page, following `next_cursor` from the first page (`fetch(None)`) to the last.

    Stops at `max_items`, after MAX_PAGES pages, or when Attio repeats a cursor (it would loop forever).
    """
    cursor: str | None = None
    seen: set[str] = set()
    count = 0
    for _ in range(MAX_PAGES):
        page = fetch(cursor)
        for item in page.items:
            if max_items is not None and count >= max_items:
                return
            count += 1
            yield item
        if page.next_cursor is None or page.next_cursor in seen:
            return
        seen.add(page.next_cursor)
        cursor = page.next_cursor
