"""The demo Attio server: a small Flask app speaking Attio's REST API v2.

`create_demo_app()` wires token auth, fault injection and the request log in front of
the `/v2` routes (`routes_records`, `routes_misc`), plus Attio's OAuth endpoints
(`routes_oauth`) and `/_admin` routes for tests.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from email.utils import formatdate
from typing import Any, Callable, Mapping

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from . import DEMO_TOKEN, DEMO_TOKEN_2, DEMO_TOKEN_READONLY
from .errors import AttioError, body_error
from .oauth import OAuthStore
from .seed import seed_northwind, seed_sales
from .seed_planted import PLANTED_TOKEN, seed_planted
from .store import Workspace

ALL_SCOPES = ("record_permission:read-write object_configuration:read-write list_configuration:read-write "
              "list_entry:read-write note:read-write task:read-write comment:read-write user_management:read "
              "webhook:read-write")
READ_SCOPES = ("record_permission:read object_configuration:read list_configuration:read list_entry:read "
               "note:read task:read comment:read user_management:read webhook:read")
MISSING_AUTH = ("The Authorization header was not provided. Please provide an API key or access token as a "
                "Bearer token in the Authorization header.")
BAD_TOKEN = ("The access token provided is invalid, expired or has been revoked. "  # nosec B105  # a message
             "Please provide a valid token.")
FAULTS = {429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded, please try again later"),
          500: ("api_error", "internal_server_error",
                "An unexpected error occurred. Please try again later."),
          502: ("api_error", "bad_gateway", "Bad gateway. Please try again later."),
          503: ("api_error", "service_unavailable",
                "The service is temporarily unavailable. Please try again later."),
          504: ("api_error", "gateway_timeout", "The upstream request timed out. Please try again later.")}
_SCOPE_AREAS = {"notes": "note", "tasks": "task", "threads": "comment", "comments": "comment",
                "workspace_members": "user_management", "webhooks": "webhook"}


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A compact JSON response (no key sorting, UTF-8)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def ok(data: Any) -> Response:
    """Attio's success envelope `{"data": …}`."""
    return json_response({"data": data})


def read_json(*, default: Any = None) -> Any:
    """The request body parsed as JSON (`default` when empty); 400 `validation_type` if malformed."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise body_error("the request body is not valid JSON.") from None


class DemoState:
    """Workspaces by token, fault switches and the request log of one demo app."""

    def __init__(self, factories: Mapping[str, Callable[[], Workspace]], scopes: Mapping[str, str]) -> None:
        self.factories, self.scopes = dict(factories), dict(scopes)
        self.lock = threading.Lock()
        self.log: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.oauth = OAuthStore()
        self.reset()

    def reset(self) -> None:
        """Rebuild every workspace from its seed; clear faults, the log and OAuth codes/tokens/redirects."""
        built: dict[int, Workspace] = {}
        for f in self.factories.values():
            built.setdefault(id(f), f())
        self.tokens = {t: built[id(f)] for t, f in self.factories.items()}
        self.faults: list[dict[str, Any]] = []
        self.log.clear()
        self.oauth.clear()

    def take_faults(self, path: str) -> tuple[int, int | None]:
        """Consume the faults that apply to this call: (delay in ms, status or None)."""
        delay, status = 0, None
        with self.lock:
            for f in self.faults:
                if f["remaining"] <= 0 or not path.startswith(f["path"]):
                    continue
                if f["delay_ms"] and not delay:
                    delay = f["delay_ms"]
                elif f["status"] and status is None:
                    status = f["status"]
                else:
                    continue
                f["remaining"] -= 1
            self.faults = [f for f in self.faults if f["remaining"] > 0]
        return delay, status


def _token() -> str | None:
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "bearer":
        return auth.token or None
    if auth.type == "basic":
        return auth.username or None
    return None


def _required_scopes(method: str, path: str) -> list[str]:
    parts = path.split("/")
    area = parts[2] if len(parts) > 2 else ""
    level = "read" if method in ("GET", "HEAD") or path.endswith(("/query", "/search")) else "read-write"
    if area == "objects":
        if "records" in parts:
            return [f"record_permission:{level}", "object_configuration:read"]
        return [f"object_configuration:{level}"]
    if area == "lists":
        return [f"list_entry:{level}", "list_configuration:read"] if "entries" in parts else [
            f"list_configuration:{level}"]
    if area == "workspace_members":
        return ["user_management:read"]
    return [f"{_SCOPE_AREAS[area]}:{level}"] if area in _SCOPE_AREAS else []


def _before_v2() -> Response | None:
    if not request.path.startswith("/v2/"):
        return None
    state: DemoState = current_app.extensions["demo_attio"]
    token = _token()
    raw = request.get_data(cache=True)
    entry = {"method": request.method, "path": request.path, "query": request.query_string.decode("latin-1"),
             "token_suffix": token[-4:] if token else None, "status": None, "at": time.time(),
             "body": raw[:2000].decode("utf-8", "replace") if raw else None}
    state.log.append(entry)
    g.log_entry = entry
    delay, status = state.take_faults(request.path)
    if delay:
        time.sleep(delay / 1000)
    if status is not None:
        type_, code, message = FAULTS[status]
        headers = {"Retry-After": formatdate(int(time.time()) + 1, usegmt=True)} if status == 429 else None
        return json_response(AttioError(status, code, message, type_).body(), status, headers)
    ws = state.tokens.get(token) if token else None
    if ws is None:
        if token and request.path == "/v2/self":
            return json_response({"active": False})
        raise AttioError(401, "unauthorized", BAD_TOKEN if token else MISSING_AUTH)
    granted = set(state.scopes.get(token, ALL_SCOPES).split())
    for scope in _required_scopes(request.method, request.path):
        if scope not in granted and scope.replace(":read", ":read-write") not in granted:
            raise AttioError(403, "unauthorized", f'This token is missing the required scope "{scope}".')
    g.ws, g.token, g.actor = ws, token, ws.actor_for_token(token)
    return None


def _after(resp: Response) -> Response:
    entry = g.get("log_entry")
    if entry is not None:
        entry["status"] = resp.status_code
    return resp


def _handle_attio(e: AttioError) -> Response:
    return json_response(e.body(), e.status)


def _handle_http(e: HTTPException) -> Response:
    code = e.code or 500
    if code == 405:
        err = AttioError(405, "method_not_allowed", f"{request.method} is not supported on {request.path}.")
    elif code == 404:
        err = AttioError(404, "not_found", f"No route matches {request.method} {request.path}.")
    else:
        err = AttioError(code, "validation_type" if code < 500 else "internal_server_error",
                         e.description or "")
    return json_response(err.body(), code)


def _handle_unexpected(e: Exception) -> Response:
    current_app.logger.exception("demo Attio: unexpected error")
    return json_response(AttioError(500, *FAULTS[500][1:], FAULTS[500][0]).body(), 500)


admin = Blueprint("demo_admin", __name__, url_prefix="/_admin")


@admin.get("/health")
def health() -> Response:
    """Liveness for the runner."""
    return json_response({"ok": True})


@admin.post("/faults")
def add_fault() -> Response:
    """Queue a fault: {"status": 429|5xx, "count": N} or {"delay_ms": D, "count": N}[, "path": prefix]."""
    body = read_json(default={})
    body = body if isinstance(body, dict) else {}
    status, delay, count = body.get("status"), body.get("delay_ms", 0), body.get("count", 1)
    path = body.get("path", "/v2/")
    valid = (status is None or status in FAULTS) and (status is not None or delay) and isinstance(path, str)
    valid = valid and isinstance(count, int) and count >= 0 and isinstance(delay, (int, float)) and delay >= 0
    if not valid:
        raise body_error('expected {"status": 429|500|502|503|504, "count": N} '
                         'or {"delay_ms": D, "count": N}.')
    state: DemoState = current_app.extensions["demo_attio"]
    with state.lock:
        if delay:
            state.faults.append({"status": None, "delay_ms": delay, "remaining": count, "path": path})
        if status is not None:
            state.faults.append({"status": status, "delay_ms": 0, "remaining": count, "path": path})
        pending = [dict(f) for f in state.faults]
    return json_response({"ok": True, "faults": pending})


@admin.get("/requests")
def list_requests() -> Response:
    """The /v2 and OAuth calls seen since the last reset (OAuth secrets redacted)."""
    return json_response({"requests": list(current_app.extensions["demo_attio"].log)})


@admin.post("/requests/reset")
def reset_requests() -> Response:
    """Clear the request log."""
    current_app.extensions["demo_attio"].log.clear()
    return json_response({"ok": True})


@admin.post("/reset")
def reset_all() -> Response:
    """Restore every workspace's seed; clear faults, the request log and all OAuth state."""
    current_app.extensions["demo_attio"].reset()
    return json_response({"ok": True})


def create_demo_app(workspaces: Mapping[str, Callable[[], Workspace]] | None = None) -> Flask:
    """Build the demo Attio app.

    `workspaces` maps a token to a zero-argument factory building its workspace; tokens
    given the same factory share one workspace. Default: `DEMO_TOKEN` (and the read-only
    `DEMO_TOKEN_READONLY`) → "Demo Sales Co", `DEMO_TOKEN_2` → "Northwind Traders", `PLANTED_TOKEN` →
    "Inbound Leads" (planted prompt injections, `seed_planted.py`).
    Attio's OAuth server (`routes_oauth`) offers these workspaces on its consent page.
    """
    from . import routes_misc, routes_oauth, routes_records

    if workspaces is None:
        workspaces = {DEMO_TOKEN: seed_sales, DEMO_TOKEN_READONLY: seed_sales, DEMO_TOKEN_2: seed_northwind,
                      PLANTED_TOKEN: seed_planted}
    app = Flask(__name__)
    app.extensions["demo_attio"] = DemoState(workspaces, {DEMO_TOKEN_READONLY: READ_SCOPES})
    app.before_request(_before_v2)
    app.after_request(_after)
    app.register_blueprint(routes_records.bp, url_prefix="/v2")
    app.register_blueprint(routes_misc.bp, url_prefix="/v2")
    app.register_blueprint(admin)
    app.register_blueprint(routes_oauth.bp)
    app.register_blueprint(routes_oauth.admin)
    app.register_error_handler(AttioError, _handle_attio)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
    return app
