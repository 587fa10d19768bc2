"""OAuth state of the demo Attio: the registered app, authorization codes and minted tokens.

Attio is an OAuth 2.0 authorization server without scopes in the request, PKCE, expiry
or refresh tokens (reference §2): a code is exchanged once for a workspace-level access
token that lives until it is revoked or the app is uninstalled. This module holds that
state and the introspection object; `routes_oauth` serves the HTTP side.
"""
from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode

from .tokens import DEMO_OAUTH_APP_NAME, DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET, WORKSPACE_LEVEL
from .schema import uid
from .store import Workspace

CODE_TTL_SECONDS = 600
REVOKE_LIMIT, REVOKE_WINDOW = 50, 60.0  # Attio: 50 revocation requests per minute per IP address
STATIC_TOKEN_IAT = 1764158400
# A field value kept out of the literals below, where bandit (B105) would read it as a hardcoded password.
BEARER = "Bearer"
LOOPBACK_CALLBACK = re.compile(r"http://(?:127\.0\.0\.1|localhost):([0-9]{1,5})/oauth/attio/callback")
REDACTED = "[redacted]"
PUBLIC_FIELDS = frozenset({"client_id", "grant_type", "redirect_uri", "response_type", "state", "scope",
                           "workspace", "decision", "token_type_hint", "demo_auto_approve", "demo_auto_deny"})
KNOWN_FIELDS = PUBLIC_FIELDS | {"client_secret", "code", "token", "access_token", "refresh_token"}


@dataclass(frozen=True)
class OAuthApp:
    """A registered OAuth app (build.attio.com in real Attio)."""

    client_id: str
    client_secret: str
    name: str

    def secret_matches(self, secret: str) -> bool:
        """Constant-time client secret check."""
        return hmac.compare_digest(secret.encode(), self.client_secret.encode())


@dataclass(frozen=True)
class AuthCode:
    """A pending authorization code, bound to a client, a redirect URI and a workspace."""

    client_id: str
    redirect_uri: str
    workspace_slug: str
    member_id: str | None
    expires_at: float


@dataclass
class Grant:
    """An access token minted by the token endpoint."""

    client_id: str
    workspace_slug: str
    member_id: str | None
    issued_at: int
    revoked_at: int | None = field(default=None)


class OAuthStore:
    """Registered apps, runtime redirect URIs, pending codes and minted tokens of one demo app."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.apps = {DEMO_OAUTH_CLIENT_ID: OAuthApp(DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET,
                                                    DEMO_OAUTH_APP_NAME)}
        self.clear()

    def clear(self) -> None:
        """Forget every code, token and runtime redirect URI."""
        with self.lock:
            self.codes: dict[str, AuthCode] = {}
            self.grants: dict[str, Grant] = {}
            self.redirects: list[str] = []
            self.revocations: dict[str, list[float]] = {}

    # --- apps and redirect URIs -----------------------------------------------------------
    def app(self, client_id: str | None) -> OAuthApp | None:
        """The registered app with this client id, if any."""
        return self.apps.get(client_id) if client_id else None

    def redirect_allowed(self, uri: str | None) -> bool:
        """True if `uri` is a loopback `/oauth/attio/callback` (any port) or was added at runtime."""
        if not uri:
            return False
        m = LOOPBACK_CALLBACK.fullmatch(uri)
        if m and 1 <= int(m.group(1)) <= 65535 and not m.group(1).startswith("0"):
            return True
        with self.lock:
            return uri in self.redirects

    def add_redirect(self, uri: str) -> list[str]:
        """Allow one more exact redirect URI; returns the runtime list."""
        with self.lock:
            if uri not in self.redirects:
                self.redirects.append(uri)
            return list(self.redirects)

    # --- codes ----------------------------------------------------------------------------
    def mint_code(self, client_id: str, redirect_uri: str, ws: Workspace) -> str:
        """A new single-use code for this client, redirect URI and workspace."""
        member = ws.members[0]["id"]["workspace_member_id"] if ws.members else None
        code = secrets.token_urlsafe(32)
        entry = AuthCode(client_id, redirect_uri, ws.slug, member, time.monotonic() + CODE_TTL_SECONDS)
        with self.lock:
            now = time.monotonic()
            self.codes = {k: c for k, c in self.codes.items() if c.expires_at > now}
            self.codes[code] = entry
        return code

    def take_code(self, code: str) -> AuthCode | None:
        """Consume a code: it is gone afterwards, whatever the outcome. None if unknown or expired."""
        with self.lock:
            entry = self.codes.pop(code, None)
        if entry is None or entry.expires_at <= time.monotonic():
            return None
        return entry

    # --- tokens ---------------------------------------------------------------------------
    def mint_token(self, code: AuthCode) -> tuple[str, Grant]:
        """A new access token for a consumed code."""
        token = secrets.token_hex(32)
        grant = Grant(code.client_id, code.workspace_slug, code.member_id, int(time.time()))
        with self.lock:
            self.grants[token] = grant
        return token, grant

    def active_grant(self, token: str | None) -> Grant | None:
        """The grant of a live OAuth token, else None."""
        grant = self.grants.get(token) if token else None
        return grant if grant is not None and grant.revoked_at is None else None

    def revoke(self, token: str) -> bool:
        """Revoke one OAuth token; False if it was not a live OAuth token."""
        with self.lock:
            grant = self.grants.get(token)
            if grant is None or grant.revoked_at is not None:
                return False
            grant.revoked_at = int(time.time())
            return True

    def revoke_wait(self, address: str) -> float | None:
        """Count one revocation request from `address`: None if allowed, else the seconds until one is."""
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.revocations.get(address, []) if t > now - REVOKE_WINDOW]
            if len(recent) >= REVOKE_LIMIT:
                self.revocations[address] = recent
                return recent[0] + REVOKE_WINDOW - now
            self.revocations[address] = [*recent, now]
        return None

    def revoke_all(self) -> list[str]:
        """Revoke every live OAuth token (an app uninstall); returns the tokens revoked."""
        now, done = int(time.time()), []
        with self.lock:
            for token, grant in self.grants.items():
                if grant.revoked_at is None:
                    grant.revoked_at = now
                    done.append(token)
        return done


def introspection(ws: Workspace, token: str, scope: str, grant: Grant | None, level: str = WORKSPACE_LEVEL,
                  member_id: str | None = None) -> dict[str, Any]:
    """The flat active introspection object `/v2/self` and `/oauth/introspect` return.

    `token_level` is "workspace", or "user" for a token acting for one member (`member_id`); an absent
    `authorized_by_workspace_member_id` is left out, not null (reference §12).
    """
    if grant is not None:
        client_id, iat, member = grant.client_id, grant.issued_at, grant.member_id
    else:  # a static API key: a stable per-key client id, the first member as its creator
        client_id, iat = uid(ws.id, "client", token), STATIC_TOKEN_IAT
        member = ws.members[0]["id"]["workspace_member_id"] if ws.members else None
    out = {"active": True, "scope": scope, "client_id": client_id, "token_type": BEARER, "exp": None,
           "iat": iat, "sub": ws.id, "aud": client_id, "iss": "attio.com", "token_level": level,
           "authorized_by_workspace_member_id": member_id or member, "workspace_id": ws.id,
           "workspace_name": ws.name, "workspace_slug": ws.slug, "workspace_logo_url": None}
    if out["authorized_by_workspace_member_id"] is None:
        del out["authorized_by_workspace_member_id"]
    return out


def redact_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """URL-encoded pairs safe to log: only known parameter names, secret values redacted.

    An unknown name is itself redacted, since a careless client might post a bare token.
    """
    out = [(k if k in KNOWN_FIELDS else REDACTED, v if k in PUBLIC_FIELDS else REDACTED) for k, v in pairs]
    return urlencode(out, safe="[]")


def redact_query(query: str) -> str:
    """A query string safe to log (see `redact_pairs`)."""
    return redact_pairs(parse_qsl(query, keep_blank_values=True))
