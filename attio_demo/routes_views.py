"""Saved views of objects and lists (§7): read-only, cursor pages ordered by view id."""
from __future__ import annotations

from flask import Blueprint, Response, g, request

from .errors import invalid
from .pagination import paginate
from .views import views_of
from .web import json_response

bp = Blueprint("demo_views", __name__)


def _archived() -> bool:
    raw = (request.args.get("show_archived") or "false").lower()
    if raw not in ("true", "false"):
        raise invalid('Query parameter "show_archived" must be true or false.')
    return raw == "true"


@bp.get("/objects/<obj>/views")
def object_views(obj: str) -> Response:
    """An object's saved views (limit 1–1000, default 500)."""
    return json_response(paginate(views_of(g.ws, g.ws.object_def(obj), _archived()), 500, 1000))


@bp.get("/lists/<lst>/views")
def list_views(lst: str) -> Response:
    """A list's saved views (limit 1–1000, default 500)."""
    return json_response(paginate(views_of(g.ws, g.ws.list_def(lst), _archived()), 500, 1000))
