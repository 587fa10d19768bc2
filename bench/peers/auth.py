"""The connector with authentication on, for the side-by-side run (issue 12: the cost of auth on every call).

`AuthedGunicorn` starts `wsgi:app` like the auth-off targets (same environment, one gevent worker, the OAuth store
on the run's SQLite file) but with AUTH_DISABLED=false, then obtains an access token through the real OAuth flow
a client goes through: dynamic registration, the consent page and Allow (demo mode), the code exchange with PKCE.
Every request of the load then carries that bearer token, so each one is authenticated as in production.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ..oauth_flow import hidden_fields
from ..run import MCP_HEADERS, PROTOCOL_VERSION, Gunicorn, Load, http_call, tool_call_body

REDIRECT = "http://127.0.0.1:53682/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _checked(step: str, status: int, expected: int, body: bytes) -> None:
    if status != expected:
        raise RuntimeError(f"OAuth flow, {step}: HTTP {status} (expected {expected}) {body[:300]!r}")


def mint_token(base: str) -> str:
    """An access token for `{base}/mcp` with attio:read, through DCR, consent (Allow) and the code exchange."""
    status, _, raw = http_call(f"{base}/oauth/register", "POST", {
        "client_name": "bench", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"},
        {"Content-Type": "application/json"})
    _checked("registration", status, 201, raw)
    client_id = json.loads(raw)["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
                       "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{base}/mcp",
                       "scope": "attio:read"})
    status, headers, raw = http_call(f"{base}/oauth/authorize?{query}")
    _checked("consent page", status, 200, raw)
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    form = urlencode({**hidden_fields(raw.decode()), "decision": "allow"}).encode()
    status, headers, raw = http_call(f"{base}/oauth/authorize", "POST", form, {**FORM, "Cookie": cookie})
    _checked("consent allow", status, 303, raw)
    code = parse_qs(urlsplit(headers["location"]).query)["code"][0]
    form = urlencode({"grant_type": "authorization_code", "code": code, "client_id": client_id,
                      "redirect_uri": REDIRECT, "code_verifier": verifier, "resource": f"{base}/mcp"}).encode()
    status, _, raw = http_call(f"{base}/oauth/token", "POST", form, FORM)
    _checked("code exchange", status, 200, raw)
    return json.loads(raw)["access_token"]


class AuthedGunicorn(Gunicorn):
    """`gunicorn -c gunicorn.conf.py wsgi:app` with authentication on, and a token for the load (`.token`)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        super().__init__("wsgi:app", {**env, "AUTH_DISABLED": "false"}, log_dir)
        try:
            self.token = mint_token(self.url)
        except Exception:
            self.stop()
            raise

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def authed_session_load(server: AuthedGunicorn, name: str, arguments: dict[str, Any], expect: str) -> Load:
    """2025-11-25: `initialize` + `notifications/initialized` with the token, then tools/call on that session."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                       "clientInfo": {"name": "bench", "version": "1"}}}
    status, headers, raw = http_call(f"{server.url}/mcp", "POST", init, {**MCP_HEADERS, **server.bearer})
    if status != 200 or "mcp-session-id" not in headers:
        raise RuntimeError(f"initialize with a bearer token failed: HTTP {status} {raw[:300]!r}")
    session = {**MCP_HEADERS, **server.bearer, "Mcp-Session-Id": headers["mcp-session-id"],
               "MCP-Protocol-Version": PROTOCOL_VERSION}
    status, _, raw = http_call(f"{server.url}/mcp", "POST", {"jsonrpc": "2.0", "method": "notifications/initialized"},
                               session)
    if status != 202:
        raise RuntimeError(f"notifications/initialized failed: HTTP {status} {raw[:300]!r}")
    return Load(f"{server.url}/mcp", "POST", session, tool_call_body(name, arguments), expect)


def with_bearer(load: Load, server: AuthedGunicorn) -> Load:
    """The same load, every request carrying the server's token (2026-07-28: no session, auth on each request)."""
    return Load(load.url, load.method, {**load.headers, **server.bearer}, load.body, load.expect)
