"""OAuth clients: the redirect-URI policy, DCR validation (marshmallow), and Authlib's client view.

Redirect URIs depend on the client's `application_type` (OpenID Connect Dynamic Client
Registration §2, default `web`): a web client's must be https, or http on a loopback host; a
native client's must be http on a loopback host or a private-use scheme named after a domain
(RFC 8252 §7.1, `com.example.app:/callback`). At /authorize they match exactly, except that a
registered loopback URI matches any port (RFC 8252 §7.3).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from .crypto import Keyring, new_token
from .models import OAuthClient, aware

SCOPES = ("attio:read", "attio:write")
OFFLINE = "offline_access"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
APPLICATION_TYPES = ("web", "native")
MAX_URIS = 10
# RFC 3986 §3.1 scheme syntax with at least one period: RFC 8252 §7.1 has native apps use a reverse domain name
# (com.example.app), which also keeps out javascript:, data:, file: and every other well-known scheme.
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+")


class RedirectError(ValueError):
    """A redirect URI breaks the policy; the message says which rule."""


def check_redirect_uri_policy(uri: str, extra_allowed: list[str] | None = None,
                              application_type: str = "web") -> None:
    """Raise RedirectError unless `uri` is an acceptable redirect URI to register for a client of
    `application_type` (an operator's ALLOWED_REDIRECT_URIS entry is accepted as it is, for either)."""
    if extra_allowed and uri in extra_allowed:
        return
    if len(uri) > 2000:
        raise RedirectError("redirect URI longer than 2000 characters")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise RedirectError(f"{uri!r} is not a URL") from None
    if parts.fragment or "#" in uri:
        raise RedirectError(f"{uri!r} must not contain a fragment")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RedirectError(f"{uri!r} must not contain user information")
    if any(c in uri for c in ("\\", " ", "\n", "\r", "\t")):
        raise RedirectError(f"{uri!r} contains characters not allowed in a URL")
    host = (parts.hostname or "").lower()
    if parts.scheme == "http" and (host in LOOPBACK or f"[{host}]" in LOOPBACK):
        return
    if application_type == "native":
        # OpenID Connect Registration §2: loopback http or a custom scheme, never https; RFC 8252 §7.1: the
        # scheme is a reverse domain name.
        if parts.scheme not in ("http", "https") and PRIVATE_USE_SCHEME.fullmatch(parts.scheme) and \
                uri.startswith(f"{parts.scheme}:") and (parts.path or parts.netloc):
            return
        raise RedirectError(f"{uri!r} is not allowed for a native client: use http on 127.0.0.1, [::1] or "
                            "localhost, or a private-use scheme named after your domain (com.example.app:/callback); "
                            "an https redirect URI needs application_type web")
    if parts.scheme == "https" and host:
        return
    raise RedirectError(f"{uri!r} is not allowed: use https, or http on 127.0.0.1, [::1] or localhost "
                        "(a native app's private-use scheme needs application_type native)")


def private_use_scheme(uri: str) -> str | None:
    """The scheme of a native app's private-use redirect URI (`com.example.app`), None for http(s)."""
    scheme = urlsplit(uri).scheme.lower()
    return scheme if scheme and scheme not in ("http", "https") else None


def redirect_matches(registered: list[str], presented: str) -> bool:
    """Exact match, or the loopback rule: same scheme, host, path and query, any port, no fragment."""
    if presented in registered:
        return True
    try:
        p = urlsplit(presented)
    except ValueError:
        return False
    if p.scheme != "http" or "#" in presented or (p.hostname or "") not in ("127.0.0.1", "::1", "localhost"):
        return False
    for uri in registered:
        r = urlsplit(uri)
        if (r.scheme, r.hostname, r.path, r.query) == (p.scheme, p.hostname, p.path, p.query) and \
                r.username is None and p.username is None:
            return True
    return False


class RegistrationSchema(Schema):
    """RFC 7591 client metadata we accept; unknown members are ignored as the RFC asks."""

    class Meta:
        unknown = EXCLUDE

    redirect_uris = fields.List(fields.String(validate=validate.Length(min=1, max=2000)), required=True,
                                validate=validate.Length(min=1, max=MAX_URIS))
    client_name = fields.String(validate=validate.Length(max=200), load_default="")
    client_uri = fields.String(validate=validate.Length(max=2000), allow_none=True)
    grant_types = fields.List(fields.String(validate=validate.OneOf(["authorization_code", "refresh_token"])),
                              load_default=lambda: ["authorization_code", "refresh_token"])
    response_types = fields.List(fields.String(validate=validate.OneOf(["code"])), load_default=lambda: ["code"])
    token_endpoint_auth_method = fields.String(validate=validate.OneOf(AUTH_METHODS), load_default="none")
    # OpenID Connect Dynamic Client Registration §2; the MCP 2026-07-28 spec has clients send it. Decides which
    # redirect URIs may be registered (check_redirect_uri_policy).
    application_type = fields.String(validate=validate.OneOf(APPLICATION_TYPES), load_default="web")
    scope = fields.String(validate=validate.Length(max=500), allow_none=True)

    @validates("scope")
    def _scope(self, value: str | None, **kwargs: Any) -> None:
        unknown = [s for s in (value or "").split() if s not in (*SCOPES, OFFLINE)]
        if unknown:
            raise ValidationError(f"unknown scope(s): {', '.join(unknown)}")


def registration_error(exc: ValidationError) -> tuple[str, str]:
    """(error code, description) for a failed registration."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    parts = [f"{k}: {v}" for k, v in messages.items()]
    code = "invalid_redirect_uri" if "redirect_uris" in messages else "invalid_client_metadata"
    return code, "; ".join(parts)


def register_client(session: Any, keyring: Keyring, body: Any, ttl_days: int,
                    extra_redirects: list[str]) -> dict[str, Any]:
    """Validate and store a DCR registration; returns the RFC 7591 response (secret only if confidential)."""
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["the body must be a JSON object"]})
    meta = RegistrationSchema().load(body)
    problems = []
    for uri in meta["redirect_uris"]:
        try:
            check_redirect_uri_policy(uri, extra_redirects, meta["application_type"])
        except RedirectError as exc:
            problems.append(str(exc))
    if problems:
        raise ValidationError({"redirect_uris": problems})
    if meta.get("client_uri") and not meta["client_uri"].startswith("https://"):
        raise ValidationError({"client_uri": ["must be an https URL"]})
    client_id = new_token("c", 16)
    secret = new_token("cs", 32) if meta["token_endpoint_auth_method"] != "none" else None
    now = datetime.now(timezone.utc)
    row = OAuthClient(client_id=client_id, source="dcr", client_name=meta["client_name"] or "Unnamed client",
                      secret_hash=keyring.digest(secret) if secret else None,
                      metadata_json=json.dumps({k: v for k, v in meta.items() if v is not None}),
                      created_at=now, expires_at=now + timedelta(days=ttl_days) if ttl_days else None)
    session.add(row)
    session.flush()  # committed with its audit row (tokens.register)
    out = {"client_id": client_id, "client_id_issued_at": int(now.timestamp()),
           **{k: v for k, v in meta.items() if v is not None}}
    if secret:
        out.update(client_secret=secret, client_secret_expires_at=0)
    return out


@dataclass
class ClientView(ClientMixin):
    """What Authlib needs from a client, over our stored row."""

    row: OAuthClient
    keyring: Keyring

    @property
    def client_id(self) -> str:
        """The client identifier."""
        return self.row.client_id

    @property
    def meta(self) -> dict[str, Any]:
        """Registered metadata."""
        return self.row.client_metadata

    @property
    def name(self) -> str:
        """Display name (escaped by the template)."""
        return self.row.client_name or "Unnamed client"

    @property
    def application_type(self) -> str:
        """`web` or `native` as registered (clients registered before it was recorded, and documents, are web)."""
        return self.meta.get("application_type") or "web"

    @property
    def is_public(self) -> bool:
        """Public clients authenticate with `none` and rely on PKCE."""
        return self.meta.get("token_endpoint_auth_method", "none") == "none"

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.meta.get("redirect_uris") or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The scope granted for a requested one (Authlib, at /authorize): the resource scopes the client registered
        (all when it registered none), `attio:read` when nothing was asked for, and `offline_access` exactly when it
        was asked for and the client may use the refresh_token grant, whatever scope it registered (it asks for a
        refresh token, not for access to anything; ChatGPT registers only the attio scopes)."""
        allowed = set(self.meta.get("scope", "").split()) or {*SCOPES}
        wanted = (scope or "attio:read").split()
        return " ".join(s for s in dict.fromkeys(wanted)
                        if s in allowed - {OFFLINE} or (s == OFFLINE and self.may_refresh))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_matches(self.meta.get("redirect_uris") or [], redirect_uri)

    def check_client_secret(self, client_secret: str | None) -> bool:
        # A public client has no secret: guard None instead of crashing compare_digest (Authlib gap #8).
        return self.keyring.matches(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        registered = self.meta.get("token_endpoint_auth_method", "none")
        if endpoint == "token":
            return method == registered
        return method == registered or (method == "none" and registered == "none")

    def check_response_type(self, response_type: str) -> bool:
        return response_type in (self.meta.get("response_types") or ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.meta.get("grant_types") or ["authorization_code", "refresh_token"])

    @property
    def may_refresh(self) -> bool:
        """Registered for the refresh_token grant: such a client gets a refresh token with every code exchange
        (Authlib's rule) and is granted offline_access when it asks for it; no other client is."""
        return self.check_grant_type("refresh_token")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of what the consent page shows and the flow relies on: the name and the metadata."""
        shown = json.dumps({"name": self.row.client_name, "metadata": self.meta}, sort_keys=True)
        return hashlib.sha256(shown.encode()).hexdigest()

    def usable(self) -> bool:
        """Not revoked and not expired (a metadata document's expiry only says when to fetch it again)."""
        expires = aware(self.row.expires_at) if self.row.source != "cimd" else None
        return self.row.revoked_at is None and (expires is None or expires > datetime.now(timezone.utc))
