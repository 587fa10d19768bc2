"""The Host names this deployment answers to, checked once in front of every route.

Without PUBLIC_URL the OAuth issuer and every URL the discovery documents advertise come from the
request's Host, so a request for a name we do not serve (DNS rebinding, a poisoned shared cache, a
forged issuer) is refused before any view, rate limit or CORS preflight runs: 421 Misdirected Request
in the shape of the route — a JSON-RPC error on the MCP endpoints, RFC 6749 JSON on /oauth/* and the
discovery documents, a short page on the browser pages, JSON elsewhere. ALLOWED_HOSTS is resolved at
start-up (connector.config): never empty, `*` turns the check off.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from markupsafe import escape

from ..web import INVALID_REQUEST, route_shaped_error

NO_STORE = {"Cache-Control": "no-store"}
PAGE = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Misdirected request</title></head>"
        "<body><h1>Misdirected request</h1><p>This server does not answer to the name <code>{name}</code>, so "
        "nothing was done. Check the address you were sent to.</p><p>If you run this server: set PUBLIC_URL to "
        "its public URL, or add the name to ALLOWED_HOSTS.</p></body></html>\n")


def hostname(host: str) -> str:
    """The name part of a Host header, lowercased, port removed (`[::1]` keeps its brackets)."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


def host_allowed(host: str) -> bool:
    """True when this deployment serves `host` (a Host header value)."""
    allowed = current_app.config["ALLOWED_HOSTS"]
    return "*" in allowed or hostname(host) in allowed


def misdirected(name: str) -> Response:
    """The 421 for a Host we do not serve, in the shape of the route it was sent to."""
    message = (f"Misdirected request: Host {name} is not served here (set PUBLIC_URL to the public URL, "
               "e.g. your tunnel's, or add the name to ALLOWED_HOSTS)")
    return route_shaped_error(421, message, rpc_code=INVALID_REQUEST, page=PAGE.format(name=escape(name)),
                              oauth_error="invalid_request", other_error="misdirected_request", headers=dict(NO_STORE))


def check_host() -> Response | None:
    """The before_request hook: nothing for a served Host, the 421 otherwise."""
    host = request.host or ""
    if host_allowed(host):
        return None
    return misdirected(hostname(host)[:200] or "(none)")


def init_hosts(app: Flask) -> None:
    """Install the check as the app's first before_request hook."""
    # First, so that no other hook (the rate limiter, the CORS preflight) answers for a name we do not serve.
    app.before_request_funcs.setdefault(None, []).insert(0, check_host)
