"""The `/_admin` switches tests use: faults, the request log, reset, settings (rate limits, timings),
workspace switches (plan, emails) and the OAuth app's state."""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app

from ..errors import body_error, not_found
from ..ratelimit import parse_limits
from ..state import DemoState
from ..web import json_response, read_json
from .recorder import FAULTS, recorder

bp = Blueprint("demo_admin", __name__, url_prefix="/_admin")


def _state() -> DemoState:
    return current_app.extensions["demo_attio"]


@bp.post("/faults")
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
    return json_response({"ok": True, "faults": recorder().add_fault(status, delay, count, path)})


@bp.get("/requests")
def list_requests() -> Response:
    """The /v2 and OAuth calls seen since the last reset (OAuth secrets redacted)."""
    return json_response({"requests": list(recorder().log)})


@bp.post("/requests/reset")
def reset_requests() -> Response:
    """Clear the request log."""
    recorder().log.clear()
    return json_response({"ok": True})


@bp.post("/reset")
def reset_all() -> Response:
    """Restore every workspace's seed and the starting settings; clear faults, the request log, OAuth state."""
    _state().reset()
    recorder().clear()
    return json_response({"ok": True})


def _settings_json(state: DemoState) -> dict[str, Any]:
    return {**dataclasses.asdict(state.settings), "rate_limits": dict(state.settings.rate_limits)}


@bp.get("/settings")
def get_settings() -> Response:
    """The rate limits (requests a second per token; null: none) and timings in force."""
    return json_response(_settings_json(_state()))


@bp.post("/settings")
def change_settings() -> Response:
    """Change settings until the next reset: {"rate_limits": "attio"|"off"|{class: n|null}, "<timing>": s}."""
    body = read_json(default={})
    state = _state()
    timings = {f.name for f in dataclasses.fields(state.settings)} - {"rate_limits"}
    if not isinstance(body, dict) or not set(body) <= timings | {"rate_limits"}:
        raise body_error(f"expected an object with rate_limits and/or {', '.join(sorted(timings))}.")
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name == "rate_limits":
            try:
                changes[name] = parse_limits(value)
            except (ValueError, TypeError) as exc:
                raise body_error(str(exc)) from None
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise body_error(f'"{name}" must be a non-negative number of seconds.')
        else:
            changes[name] = float(value)
    state.configure(state.settings.updated(**changes))
    return json_response(_settings_json(state))


@bp.post("/workspaces/<slug>")
def change_workspace(slug: str) -> Response:
    """Switch a workspace's plan or emails alpha until the next reset: {"plan": "enterprise"|"pro",
    "emails_enabled": bool}."""
    ws = _state().workspaces().get(slug)
    if ws is None:
        raise not_found(f'No workspace with slug "{slug}".')
    body = read_json(default={})
    if not isinstance(body, dict) or not set(body) <= {"plan", "emails_enabled"} or (
            "plan" in body and body["plan"] not in ("enterprise", "pro")) or (
            "emails_enabled" in body and not isinstance(body["emails_enabled"], bool)):
        raise body_error('expected {"plan": "enterprise"|"pro", "emails_enabled": true|false}.')
    ws.plan = body.get("plan", ws.plan)
    ws.emails_enabled = body.get("emails_enabled", ws.emails_enabled)
    return json_response({"slug": ws.slug, "plan": ws.plan, "emails_enabled": ws.emails_enabled})


@bp.get("/oauth/redirects")
def list_redirects() -> Response:
    """The redirect URIs added at runtime (the loopback callbacks are always allowed)."""
    return json_response({"redirect_uris": list(_state().oauth.redirects)})


@bp.post("/oauth/redirects")
def add_redirect() -> Response:
    """Allow one more exact redirect URI: {"redirect_uri": "http(s)://…"}."""
    body = read_json(default={})
    uri = body.get("redirect_uri") if isinstance(body, dict) else None
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise body_error('expected {"redirect_uri": "http(s)://host/path"} without a fragment.')
    return json_response({"ok": True, "redirect_uris": _state().oauth.add_redirect(uri)})


@bp.post("/oauth/revoke-all")
def revoke_all() -> Response:
    """Revoke every OAuth-minted token, as if the app were uninstalled."""
    state = _state()
    revoked = state.oauth.revoke_all()
    for token in revoked:
        state.tokens.pop(token, None)
    return json_response({"ok": True, "revoked": len(revoked)})


@bp.get("/oauth/tokens")
def list_tokens() -> Response:
    """OAuth tokens minted since the last reset, described without the token (SHA-256 only)."""
    store = _state().oauth
    with store.lock:
        grants = list(store.grants.items())
        pending = len(store.codes)
    return json_response({"pending_codes": pending, "tokens": [
        {"token_sha256": hashlib.sha256(t.encode()).hexdigest(), "client_id": gr.client_id,
         "workspace_slug": gr.workspace_slug, "authorized_by_workspace_member_id": gr.member_id,
         "issued_at": gr.issued_at, "revoked_at": gr.revoked_at, "active": gr.revoked_at is None}
        for t, gr in grants]})
