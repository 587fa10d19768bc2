"""Neutral web helpers every blueprint shares (auth, ops, security and the MCP transports alike):
JSON replies, the JSON-RPC-shaped error reply, and the browser-Origin policy. Imports no blueprint."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, request

from . import jsoncodec

# The MCP transports' paths: errors there take the JSON-RPC shape.
MCP_PREFIXES = ("/mcp", "/sse", "/messages")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# JSON-RPC 2.0 §5.1: the code of a reply to a request that cannot be taken as it stands.
INVALID_REQUEST = -32600


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response."""
    return Response(jsoncodec.dumps(body), status=status,
                    mimetype="application/json", headers=headers)


def rpc_error(status: int, code: int, message: str, headers: dict[str, str] | None = None,
              msg_id: Any = None, data: Any = None) -> Response:
    """A JSON-RPC error object as an HTTP error reply."""
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return json_response({"jsonrpc": "2.0", "id": msg_id, "error": err}, status, headers)


def operator_token_refusal(setting: str, path: str) -> Response | None:
    """The gate of an operator endpoint (`/metrics`, `/status`): 404 while `setting` is unset, 401 without the
    right `Authorization: Bearer` token (compared in constant time), None when the caller may pass."""
    import hmac

    expected = current_app.config[setting]
    presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected:
        return json_response({"error": "not_found", "error_description": f"set {setting} to enable {path}"}, 404)
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        realm = path.strip("/")
        return json_response({"error": "unauthorized", "error_description": f"Bearer {setting} required"}, 401,
                             {"WWW-Authenticate": f'Bearer realm="{realm}"'})
    return None


# The browser pages (an HTML answer) and the OAuth routes (RFC 6749 JSON): with MCP_PREFIXES, the shapes of a reply.
BROWSER_PATHS = ("/oauth/authorize", "/oauth/attio/callback")
OAUTH_PREFIXES = ("/oauth/", "/.well-known/")


def route_shaped_error(status: int, message: str, *, rpc_code: int, page: str, oauth_error: str, other_error: str,
                       headers: dict[str, str] | None = None, data: Any = None) -> Response:
    """One refusal in the shape of the route it answers: a JSON-RPC error on the MCP endpoints, the HTML `page`
    on the browser pages, `{"error": oauth_error}` on /oauth/* and the discovery documents, `other_error` elsewhere."""
    path = request.path
    if path.startswith(MCP_PREFIXES):
        return rpc_error(status, rpc_code, message, headers=headers, data=data)
    if path in BROWSER_PATHS:
        return Response(page, status=status, mimetype="text/html", headers=headers)
    error = oauth_error if path.startswith(OAUTH_PREFIXES) else other_error
    return json_response({"error": error, "error_description": message}, status, headers)


def origin_allowed(origin: str) -> bool:
    """True for a browser Origin the app serves: a loopback page, PUBLIC_URL's origin, ALLOWED_ORIGINS.

    `null` and anything that does not parse as a URL (e.g. `http://[`) are foreign.
    """
    if not origin or origin == "null":
        return False
    cfg = current_app.config
    allowed = set(cfg["ALLOWED_ORIGINS"])
    if cfg["PUBLIC_URL"]:
        pub = urlsplit(cfg["PUBLIC_URL"])
        allowed.add(f"{pub.scheme}://{pub.netloc}")
    if origin in allowed:
        return True
    try:
        host = (urlsplit(origin).hostname or "").lower()
    except ValueError:
        return False
    return host in LOOPBACK_HOSTS


def check_origin() -> Response | None:
    """Reject foreign browser Origins (403): DNS-rebinding defence beside the app-wide Host check, which has
    already answered 421 for a Host we do not serve (connector.security.hosts)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != "" and not origin_allowed(origin):
        return rpc_error(403, INVALID_REQUEST, f"Forbidden: Origin {origin[:200]} is not allowed")
    return None
