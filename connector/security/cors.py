"""CORS for the endpoints a browser-based client calls directly: /mcp, /oauth/token and /oauth/register.

A browser MCP client (the MCP Inspector at http://localhost:6274, say) posts to /mcp and, for OAuth,
registers itself and redeems its code from page script. Those answers carry
`Access-Control-Allow-Origin: <that origin>` only when the Origin passes the same allow-list as the
MCP Origin check (a loopback page, PUBLIC_URL's origin, ALLOWED_ORIGINS); a foreign origin gets no
CORS header at all, so its page cannot read anything. Never `*`, never credentials (the token travels
in the Authorization header, not a cookie). Discovery documents send `*` themselves
(connector/auth/metadata.py); every other endpoint sends no CORS header.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, request

from ..web import check_origin, json_response, origin_allowed


@dataclass(frozen=True)
class CorsRule:
    """What a preflight for one endpoint may ask for, and what the page may read back."""

    methods: str
    headers: str
    expose: str


MCP_RULE = CorsRule(methods="GET, POST, DELETE",
                    headers="Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID",
                    expose="Mcp-Session-Id, WWW-Authenticate")
OAUTH_RULE = CorsRule(methods="POST", headers="Authorization, Content-Type", expose="WWW-Authenticate")

RULES = {"/mcp": MCP_RULE, "/mcp/": MCP_RULE, "/oauth/token": OAUTH_RULE, "/oauth/register": OAUTH_RULE}
MAX_AGE = "600"


def preflight() -> Response | None:
    """The before_request hook: answer OPTIONS on the listed endpoints here, without authentication.

    A foreign Origin is refused with 403 (the same answer its POST would get on /mcp); otherwise 204,
    and `add_cors` adds the Access-Control-Allow-* headers.
    """
    rule = RULES.get(request.path)
    if rule is None or request.method != "OPTIONS":
        return None
    allow = f"{rule.methods}, OPTIONS" + (", HEAD" if rule is MCP_RULE else "")
    origin = request.headers.get("Origin")
    if rule is MCP_RULE:
        refused = check_origin()  # JSON-RPC shaped, like the POST it precedes (Host was checked app-wide)
        if refused is not None:
            return refused
    elif origin and not origin_allowed(origin):
        return json_response({"error": "invalid_request", "error_description": f"Origin {origin[:200]} is not allowed"},
                             403, {"Allow": allow})
    resp = Response(status=204, headers={"Allow": allow})
    del resp.headers["Content-Type"]  # no body, so no type (and no page headers)
    return resp


def add_cors(resp: Response) -> Response:
    """The after_request hook: CORS headers on the listed endpoints for an allowed Origin only."""
    rule = RULES.get(request.path)
    if rule is None:
        return resp
    _vary_origin(resp)  # the answer differs per Origin: shared caches must key on it
    origin = request.headers.get("Origin")
    if not origin or not origin_allowed(origin):
        return resp
    resp.headers["Access-Control-Allow-Origin"] = origin
    resp.headers["Access-Control-Expose-Headers"] = rule.expose
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        resp.headers["Access-Control-Allow-Methods"] = rule.methods
        resp.headers["Access-Control-Allow-Headers"] = rule.headers
        resp.headers["Access-Control-Max-Age"] = MAX_AGE
    return resp


def _vary_origin(resp: Response) -> None:
    """Add Origin to Vary (cheaper than parsing the header set through `resp.vary` on every call)."""
    vary = resp.headers.get("Vary")
    if not vary:
        resp.headers["Vary"] = "Origin"
    elif "origin" not in {v.strip().lower() for v in vary.split(",")}:
        resp.headers["Vary"] = f"{vary}, Origin"


def init_cors(app: Flask) -> None:
    """Install the hooks on the app."""
    app.before_request(preflight)
    app.after_request(add_cors)
