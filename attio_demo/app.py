"""The demo Attio server: a small Flask app speaking Attio's REST API v2.

`create_demo_app()` puts token auth in front of the `/v2` routes (`routes_records`, `routes_misc`) and serves
Attio's OAuth endpoints (`routes_oauth`) and a liveness check. With `testing=True` it also installs the test-only
parts from `attio_demo.testing`: the planted-injection workspace, fault injection, the request log and the
`/_admin` switches. `make run` serves it without them.
"""
from __future__ import annotations

from typing import Callable, Mapping

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import (routes_files, routes_meetings, routes_misc, routes_oauth, routes_records, routes_reporting,
               routes_views)
from .auth import authenticate
from .errors import AttioError
from .ratelimit import parse_limits
from .seed import seed_northwind, seed_sales
from .state import DemoSettings, DemoState
from .store import Workspace
from .tokens import DEMO_TOKEN, DEMO_TOKEN_2, DEMO_TOKEN_MEMBER, DEMO_TOKEN_READONLY, READ_SCOPES, USER_LEVEL
from .web import json_response

SERVER_ERROR = ("internal_server_error", "An unexpected error occurred. Please try again later.")

health = Blueprint("demo_health", __name__)


@health.get("/_admin/health")
def alive() -> Response:
    """Liveness for the runner."""
    return json_response({"ok": True})


# The member-level token acts for this member of "Demo Sales Co".
MEMBER_TOKENS = {DEMO_TOKEN_MEMBER: (USER_LEVEL, "tomas.alvarez@demo-sales.example")}


def default_workspaces() -> dict[str, Callable[[], Workspace]]:
    """Token → seed: `DEMO_TOKEN` (and the read-only `DEMO_TOKEN_READONLY` and member-level
    `DEMO_TOKEN_MEMBER`) → "Demo Sales Co" (Enterprise plan, emails enabled), `DEMO_TOKEN_2` → "Northwind
    Traders" (neither)."""
    return {DEMO_TOKEN: seed_sales, DEMO_TOKEN_READONLY: seed_sales, DEMO_TOKEN_MEMBER: seed_sales,
            DEMO_TOKEN_2: seed_northwind}


def _handle_attio(e: AttioError) -> Response:
    return json_response(e.body(), e.status, e.headers)


def _handle_http(e: HTTPException) -> Response:
    code = e.code or 500
    if code == 405:
        err = AttioError(405, "method_not_allowed", f"{request.method} is not supported on {request.path}.")
    elif code == 404:
        err = AttioError(404, "not_found", f"No route matches {request.method} {request.path}.")
    else:
        err = AttioError(code, "validation_type" if code < 500 else SERVER_ERROR[0], e.description or "")
    return json_response(err.body(), code)


def _handle_unexpected(e: Exception) -> Response:
    current_app.logger.exception("demo Attio: unexpected error")
    return json_response(AttioError(500, *SERVER_ERROR, "api_error").body(), 500)


def create_demo_app(workspaces: Mapping[str, Callable[[], Workspace]] | None = None, *,
                    testing: bool = False, settings: DemoSettings | None = None) -> Flask:
    """Build the demo Attio app.

    `workspaces` maps a token to a zero-argument factory building its workspace; tokens given the same
    factory share one workspace (default: `default_workspaces()`, plus, with `testing`, `PLANTED_TOKEN` →
    "Inbound Leads"). Attio's OAuth server (`routes_oauth`) offers these workspaces on its consent page.
    `settings`: rate limits and timings; by default Attio's, except that the test build starts without rate
    limits (tests turn them on through `POST /_admin/settings`).
    """
    testing_parts = None
    if testing:
        from . import testing as testing_parts
    if workspaces is None:
        workspaces = default_workspaces() | (testing_parts.extra_workspaces() if testing_parts else {})
    if settings is None:
        settings = DemoSettings(rate_limits=parse_limits("off")) if testing else DemoSettings()
    app = Flask(__name__)
    app.extensions["demo_attio"] = DemoState(workspaces, {DEMO_TOKEN_READONLY: READ_SCOPES}, MEMBER_TOKENS,
                                             settings)
    if testing_parts is not None:
        testing_parts.install(app)  # first: faults and the request log come before authentication
    app.before_request(authenticate)
    app.register_blueprint(health)
    for routes in (routes_records, routes_misc, routes_meetings, routes_files, routes_views, routes_reporting):
        app.register_blueprint(routes.bp, url_prefix="/v2")
    app.register_blueprint(routes_files.content)
    app.register_blueprint(routes_oauth.bp)
    app.register_error_handler(AttioError, _handle_attio)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
    return app
