"""Email metadata (`GET /v2/emails`, §5) and read-only SQL (`POST /v2/sql`, §8): the two gated surfaces.

Emails need the workspace's alpha enablement and a workspace-level token; SQL needs the Enterprise plan.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, request

from . import emails, sql
from .web import json_response, ok, read_json

bp = Blueprint("demo_reporting", __name__)


@bp.get("/emails")
def list_emails() -> Response:
    """Email metadata by linked records, participants or domain; cursor pages (limit 1–50, default 25)."""
    return json_response(emails.list_emails(g.ws, request.args))


@bp.post("/sql")
def run_sql() -> Response:
    """One read-only SELECT → `{"data": {"rows": […]}}` (the body is not wrapped in `data`)."""
    return ok({"rows": sql.run(g.ws, read_json(), g.settings.sql_timeout_seconds)})
