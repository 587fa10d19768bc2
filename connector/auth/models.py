"""OAuth store tables. Tokens, codes, secrets and CSRF values are stored only as keyed hashes;
the upstream Attio token only as ciphertext."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite drops tzinfo; treat stored naive datetimes as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class User(Base):
    """A local account (api_key mode), or the demo user."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Password guessing: consecutive failures and the time before which no sign-in is even checked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OAuthClient(Base):
    """A registered (DCR) or metadata-document (CIMD) client."""

    __tablename__ = "oauth_clients"
    client_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="dcr")  # dcr | cimd
    client_name: Mapped[str] = mapped_column(String(200), default="")
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def client_metadata(self) -> dict[str, Any]:
        """The registered metadata (RFC 7591 fields): parsed once per row and stored text (a flow reads it a few
        dozen times); treat it as read-only."""
        text = self.metadata_json or "{}"
        parsed = self.__dict__.get("_parsed_metadata")
        if parsed is None or parsed[0] != text:
            parsed = self.__dict__["_parsed_metadata"] = (text, json.loads(text))
        return parsed[1]


class UpstreamCredential(Base):
    """A person's Attio token (attio_oauth mode), encrypted with a key id."""

    __tablename__ = "upstream_credentials"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    workspace_slug: Mapped[str] = mapped_column(String(200), default="")
    member_id: Mapped[str] = mapped_column(String(64), default="")
    ciphertext: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_introspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Grant(Base):
    """One consent by one subject to one client: the family every code and token descends from."""

    __tablename__ = "oauth_grants"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(500), default="")
    resource: Mapped[str] = mapped_column(String(500), default="")
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    upstream_credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("upstream_credentials.id", ondelete="SET NULL"), nullable=True)
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuthCode(Base):
    """An authorization code, consumed atomically (used_at) so a replay is detectable."""

    __tablename__ = "oauth_codes"
    code_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(512))
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(500), default="")
    resource: Mapped[str] = mapped_column(String(500), default="")
    code_challenge: Mapped[str] = mapped_column(String(200), default="")
    code_challenge_method: Mapped[str] = mapped_column(String(10), default="S256")
    subject: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Not a column: set by the code grant from its Grant (did the authorization request send redirect_uri?).
    redirect_uri_sent = True

    def get_redirect_uri(self) -> str:
        """The redirect URI the token request must repeat (Authlib): the one the code was sent to, or "" when
        the authorization request omitted it (RFC 6749 §4.1.3); a presented one is still checked by the grant."""
        return self.redirect_uri if self.redirect_uri_sent else ""

    def get_scope(self) -> str:
        """The granted scope (Authlib)."""
        return self.scope


class Token(Base):
    """An access token and its refresh token; `parent_id` links rotations within a grant."""

    __tablename__ = "oauth_tokens"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(512), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    access_hash: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(128), unique=True, index=True, nullable=True)
    scope: Mapped[str] = mapped_column(String(500), default="")
    resource: Mapped[str] = mapped_column(String(500), default="")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def check_client(self, client: Any) -> bool:
        """True when `client` is the one the token was issued to (Authlib)."""
        return client is not None and client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        """The token's scope (Authlib)."""
        return self.scope

    def is_expired(self) -> bool:
        """The access token's lifetime is over (Authlib)."""
        return aware(self.access_expires_at) <= utcnow()

    def is_revoked(self) -> bool:
        """Revoked directly or with its grant (Authlib)."""
        return self.revoked_at is not None


class PendingAuthorization(Base):
    """An authorization request between the consent page and the code (or the Attio round trip)."""

    __tablename__ = "oauth_pending"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(512))
    query: Mapped[str] = mapped_column(Text)  # the validated authorize query, replayed to mint the code
    csrf_hash: Mapped[str] = mapped_column(String(128))
    browser_hash: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    upstream_state_hash: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Decided when the consent page was rendered: where the code goes, and which client document was shown.
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    client_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEvent(Base):
    """One security-relevant event; never a secret."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    grant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
