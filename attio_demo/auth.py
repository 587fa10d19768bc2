"""In front of every `/v2` route, as Attio answers them: the token, its scopes, its level, the rate limits."""
from __future__ import annotations

import re

from flask import current_app, g, request

from .errors import AttioError
from .state import DemoState
from .tokens import WORKSPACE_LEVEL
from .web import json_response

MISSING_AUTH = ("The Authorization header was not provided. Please provide an API key or access token as a "
                "Bearer token in the Authorization header.")
BAD_TOKEN = ("The access token provided is invalid, expired or has been revoked. "  # nosec B105  # a message
             "Please provide a valid token.")
_SCOPE_AREAS = {"notes": "note", "tasks": "task", "threads": "comment", "comments": "comment",
                "workspace_members": "user_management", "webhooks": "webhook", "emails": "email"}
# Endpoints Attio serves to workspace-level tokens only (reference §0.1).
WORKSPACE_ONLY = [("GET", re.compile(r"/v2/meetings")), ("GET", re.compile(r"/v2/emails")),
                  ("GET", re.compile(r"/v2/meetings/[^/]+/call_recordings/[^/]+/transcript")),
                  ("GET", re.compile(r"/v2/webhooks")), ("DELETE", re.compile(r"/v2/webhooks/[^/]+"))]
# The exact wording is not published (reference §15): this one says what is wrong and what would work.
WORKSPACE_LEVEL_ONLY = ("This endpoint only accepts workspace-level access tokens; this token acts for a single "
                        "workspace member (token level \"user\").")


def bearer_token() -> str | None:
    """The token of the request: a Bearer token, or the username of HTTP Basic (as Attio accepts)."""
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "bearer":
        return auth.token or None
    if auth.type == "basic":
        return auth.username or None
    return None


def required_scopes(method: str, path: str) -> list[str]:
    """The scopes Attio requires for a `/v2` call."""
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
    if area == "meetings":
        return ["meeting:read", f"call_recording:{level}"] if "call_recordings" in parts else [
            f"meeting:{level}", "record_permission:read"]
    if area == "emails":
        return ["email:read", "record_permission:read", "object_configuration:read"]
    if area == "files":
        return [f"file:{level}", "object_configuration:read", "record_permission:read"]
    if area == "sql":
        return ["record_permission:read", "object_configuration:read"]
    return [f"{_SCOPE_AREAS[area]}:{level}"] if area in _SCOPE_AREAS else []


def authenticate():
    """Before every `/v2` call: the token's workspace into `g.ws`, else Attio's 401; missing scopes and member
    tokens on workspace-only endpoints are 403; past a rate limit, 429."""
    if not request.path.startswith("/v2/"):
        return None
    state: DemoState = current_app.extensions["demo_attio"]
    token = bearer_token()
    ws = state.tokens.get(token) if token else None
    if ws is None:
        if token and request.path == "/v2/self":
            return json_response({"active": False})
        raise AttioError(401, "unauthorized", BAD_TOKEN if token else MISSING_AUTH)
    granted = set(state.scope_of(token).split())
    for scope in required_scopes(request.method, request.path):
        if scope not in granted and scope.replace(":read", ":read-write") not in granted:
            raise AttioError(403, "unauthorized", f'This token is missing the required scope "{scope}".')
    if state.level_of(token) != WORKSPACE_LEVEL and any(
            request.method == m and p.fullmatch(request.path) for m, p in WORKSPACE_ONLY):
        raise AttioError(403, "unauthorized", WORKSPACE_LEVEL_ONLY)
    state.limiter.hit(token, request.method, request.path)
    ws.settle()
    actor = ws.actor_for_token(token)
    if token in state.levels:  # a member-level token writes as its member
        actor = {"type": "workspace-member", "id": ws.member(state.levels[token][1])["id"]["workspace_member_id"]}
    g.ws, g.token, g.actor, g.settings = ws, token, actor, state.settings
    return None
