"""Saved views of objects and lists (2026 reference §7), mixed into `AttioClient`. Read-only in Attio.

A view's `id.view_id` is what `query_records(..., view_id=)` and `query_entries(..., view_id=)` take to apply
the view's filter and sort.
"""
from __future__ import annotations

from typing import Callable

from .pages import Page
from .paths import compact as _compact, path as _path


class ViewEndpoints:
    """The saved views of an object or a list: each method is one HTTP call returning one page."""

    request_page: Callable[..., Page]

    def list_object_views(self, obj: str, *, show_archived: bool | None = None, limit: int | None = None,
                          cursor: str | None = None) -> Page:
        """An object's saved views, by view id (limit 1-1000, default 500)."""
        return self.request_page(_path("objects", obj, "views"),
                                 _compact(show_archived=show_archived, limit=limit, cursor=cursor))

    def list_list_views(self, list_id: str, *, show_archived: bool | None = None, limit: int | None = None,
                        cursor: str | None = None) -> Page:
        """A list's saved views, by view id (limit 1-1000, default 500)."""
        return self.request_page(_path("lists", list_id, "views"),
                                 _compact(show_archived=show_archived, limit=limit, cursor=cursor))
