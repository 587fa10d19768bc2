"""Rate limits on the auth routes (Flask-Limiter): per client address and per (client_id, address).

The client_id a request names (form, query or Basic header) is not authenticated when the limit is
checked, and a public client (every DCR default, ChatGPT's shared metadata document) never is, so a
bucket keyed by the client_id alone could be filled by anyone to lock that client out for everyone.
The client bucket therefore also carries the address: a caller only ever spends its own budget.

Storage is Redis when REDIS_URL is set (shared by every worker and instance), else memory.
A breach gets 429, `Retry-After`, and an OAuth-shaped error body.
"""
from __future__ import annotations

import base64
import hashlib
import time
from typing import Any, Callable

from flask import Flask, Response, current_app, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..extensions import limiter
from ..web import json_response

__all__ = ["limiter", "limit", "client_key", "exempt_blueprints", "init_limits"]


def named_client_id() -> str | None:
    """The client_id the request names (form, query or Basic auth), unauthenticated."""
    cid = request.values.get("client_id")
    auth = request.headers.get("Authorization", "")
    if not cid and auth.lower().startswith("basic "):
        try:
            cid = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            cid = None
    return cid or None


def client_key() -> str:
    """The (client_id, address) bucket of the request, else the address alone."""
    address = get_remote_address()
    cid = named_client_id()
    if not cid:
        return f"ip:{address}"
    # Hashed: the id is caller-chosen text of any length (up to the body limit), not a fit for a storage key.
    digest = hashlib.sha256(cid.encode("utf-8", "replace")).hexdigest()[:32]
    return f"client:{digest}@{address}"


def limit(setting: str) -> Callable[[Any], Any]:
    """Apply the limit named by `setting` per address and per (client_id, address)."""
    def value() -> str:
        return current_app.config[setting]

    def wrap(view: Any) -> Any:
        view = limiter.limit(value, key_func=client_key, scope=f"{setting}:client")(view)
        return limiter.limit(value, scope=f"{setting}:ip")(view)
    return wrap


def exempt_blueprints(app: Flask, names: tuple[str, ...]) -> None:
    """Let the named, already registered blueprints skip the limiter entirely (only auth routes are limited)."""
    for name in names:
        limiter.exempt(app.blueprints[name])


def init_limits(app: Flask) -> None:
    """Bind the limiter with the right storage and the OAuth-shaped 429."""
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    if app.config["REDIS_URL"]:
        from ..extensions import redis_options

        app.config["RATELIMIT_STORAGE_OPTIONS"] = redis_options(app.config)
    # Fail closed: a storage error is not swallowed (no limit would hold); it reaches connector.outages → 503.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = False
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False
    app.config["RATELIMIT_KEY_PREFIX"] = "attio-connector-limits"
    app.config["RATELIMIT_ENABLED"] = app.config["RATE_LIMITS_ENABLED"]
    limiter.init_app(app)
    # Limits are declared on the auth views' decorators, which check them themselves; the global
    # before-request hook would only re-derive "no limit here" for every MCP call.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    # Likewise its after-request headers and teardown reset: only the blueprints whose views carry limits run them.
    for table in (app.after_request_funcs, app.teardown_request_funcs):
        mine = [f for f in table.get(None, []) if _belongs_to_limiter(f)]
        for f in mine:
            table[None].remove(f)
            for name in LIMITED_BLUEPRINTS:
                table.setdefault(name, []).append(f)
    app.register_error_handler(RateLimitExceeded, _too_many)


LIMITED_BLUEPRINTS = ("oauth", "oauth_tokens")  # connector.auth.views.bp and connector.auth.tokens.bp


def _belongs_to_limiter(hook: Any) -> bool:
    """A hook Flask-Limiter installed (a bound method or a partial of one)."""
    return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())


def _too_many(exc: RateLimitExceeded) -> Response:
    from .. import metrics
    from .audit import audit

    metrics.RATE_LIMITED.labels(str(getattr(exc.limit, "scope", None) or "auth").split(":")[0]).inc()
    try:
        audit("ratelimit.hit", path=request.path, limit=str(exc.limit.limit))
    except Exception:  # the 429 must go out even if the audit store is down
        current_app.logger.exception("could not audit a rate-limit hit")
    current = limiter.current_limit
    retry_after = max(1, int(current.reset_at - time.time()) + 1) if current else 60
    resp = json_response({"error": "rate_limited" if not request.path.startswith("/oauth/token") else "slow_down",
                          "error_description": f"Too many requests ({exc.limit.limit}); retry later"}, 429)
    resp.headers["Retry-After"] = str(retry_after)
    resp.headers["Cache-Control"] = "no-store"
    return resp
