"""Saved views of objects and lists (attio-api-2026.md §7) and querying through one (`filter_view_id`).

A view is stored as `{"meta": <API object>, "container": <object or list id>, "filter", "sorts", "archived"}`.
Read-only, as in Attio. A records or entries query naming `filter_view_id` gets the view's filter combined
(AND) with its own, and the view's sorts unless it sends its own — Attio documents the parameter, not how it
combines with a body filter, so the demo takes the strictest reading.
"""
from __future__ import annotations

from typing import Any

from .errors import invalid
from .store import Workspace


def add_view(ws: Workspace, container: Any, view_id: str, title: str, created_at: str, flt: dict[str, Any] | None,
             sorts: list[dict[str, Any]] | None, archived: bool = False) -> None:
    """Store a saved view of an object or list."""
    key = "object_id" if container.owner_key == "object_id" else "list_id"
    meta = {"id": {"workspace_id": ws.id, key: container.id, "view_id": view_id}, "title": title,
            "created_at": created_at}
    ws.views[view_id] = {"meta": meta, "container": container.id, "filter": flt, "sorts": sorts,
                         "archived": archived}


def views_of(ws: Workspace, container: Any, show_archived: bool) -> list[dict[str, Any]]:
    """A container's views, ordered by view id."""
    found = [v for v in list(ws.views.values()) if v["container"] == container.id
             and (show_archived or not v["archived"])]
    return [v["meta"] for v in sorted(found, key=lambda v: v["meta"]["id"]["view_id"])]


def through_view(ws: Workspace, container: Any, body: Any) -> Any:
    """A query body with its `filter_view_id` replaced by the view's filter and sorts."""
    if not isinstance(body, dict) or "filter_view_id" not in body:
        return body
    vid = body["filter_view_id"]
    view = ws.views.get(vid) if isinstance(vid, str) else None
    if view is None or view["container"] != container.id:
        raise invalid(f'View with ID "{vid}" was not found.', "value_not_found")
    rest = {k: v for k, v in body.items() if k != "filter_view_id"}
    filters = [f for f in (view["filter"], rest.get("filter")) if f]
    if filters:
        rest["filter"] = filters[0] if len(filters) == 1 else {"$and": filters}
    if not rest.get("sorts") and view["sorts"]:
        rest["sorts"] = view["sorts"]
    return rest
