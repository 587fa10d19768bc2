"""Lookups and state changes on the OAuth store that several modules share."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import or_, select, update

from . import credentials
from .clients import ClientView
from .crypto import Keyring
from .models import Grant, OAuthClient, Token, UpstreamCredential


def db() -> Any:
    """The app's Database."""
    return current_app.extensions["db"]


def keyring() -> Keyring:
    """The app's hashing and encryption keys."""
    return current_app.extensions["keyring"]


# Issuers by (scheme, Host) when PUBLIC_URL is unset: werkzeug's host_url costs tens of µs, and every
# authenticated MCP call needs the issuer (its endpoint's resource). Hosts are few (ALLOWED_HOSTS); bounded anyway.
_ISSUERS: dict[tuple[str, str], str] = {}
_MAX_ISSUERS = 64


def issuer() -> str:
    """Our issuer: PUBLIC_URL, or (local use) the URL this request came in on."""
    public = current_app.config["PUBLIC_URL"]
    if public:
        return public
    if has_request_context():
        key = (request.scheme, request.host)
        found = _ISSUERS.get(key)
        if found is None:
            if len(_ISSUERS) >= _MAX_ISSUERS:
                _ISSUERS.clear()
            found = _ISSUERS[key] = request.host_url.rstrip("/")
        return found
    return "http://127.0.0.1:8000"


def resources() -> list[str]:
    """The resource identifiers tokens may be issued for: the MCP endpoint first, then legacy SSE."""
    base = issuer()
    return [f"{base}/mcp", f"{base}/sse"]


def query_client(client_id: str | None) -> ClientView | None:
    """A usable client by id: a registered one, or a stored metadata document (see views.authorize).

    Within one request the answer is kept (Authlib and our checks ask up to three times): the session would hand
    back the same row anyway, but it forgets rows nobody holds and reads them again.
    """
    if not client_id or len(client_id) > 512:
        return None
    memo = g.setdefault("_oauth_clients", {}) if has_request_context() else {}
    if client_id in memo:
        return memo[client_id]
    # Never a network call here: a metadata document is fetched only when an authorization request starts
    # (views.authorize); consent, Allow, token and refresh all use the row stored then, whatever its age.
    row = db().session.get(OAuthClient, client_id)
    if row is None or (row.source == "cimd" and not current_app.config["CIMD_ENABLED"]):
        view = None
    else:
        view = ClientView(row, keyring())
        view = view if view.usable() else None
    memo[client_id] = view
    return view


def find_token(*, access: str | None = None, refresh: str | None = None) -> Token | None:
    """The token row whose access (or refresh) hash matches, under any current or previous pepper."""
    digests = keyring().digests(access or refresh or "")
    column = Token.access_hash if access else Token.refresh_hash
    return db().session.query(Token).filter(column.in_(digests)).one_or_none()


def revoke_grant(grant_id: str, reason: str) -> None:
    """Revoke a grant and every token of its family; its Attio credential goes too once no live grant uses it."""
    session = db().session
    now = datetime.now(timezone.utc)
    session.execute(update(Grant).where(Grant.id == grant_id, Grant.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=reason))
    session.execute(update(Token).where(Token.grant_id == grant_id, Token.revoked_at.is_(None)).values(revoked_at=now))
    session.commit()
    # Committed: no worker may go on accepting the grant's tokens from memory (connector.auth.verified).
    current_app.extensions["revocation_feed"].announce([grant_id])
    credential_id = session.execute(select(Grant.upstream_credential_id).where(Grant.id == grant_id)).scalar()
    credentials.retire_unused([credential_id], reason)


def revoke_where(*, subject: str | None = None, client_id: str | None = None, upstream_credential_id: str | None = None,
                 reason: str) -> int:
    """Revoke every live grant of a subject, client and/or Attio credential; returns how many."""
    session = db().session
    query = session.query(Grant).filter(Grant.revoked_at.is_(None))
    if subject:
        query = query.filter(Grant.subject == subject)
    if client_id:
        query = query.filter(or_(Grant.client_id == client_id))
    if upstream_credential_id:
        query = query.filter(Grant.upstream_credential_id == upstream_credential_id)
    ids = [g.id for g in query.all()]
    for gid in ids:
        revoke_grant(gid, reason)
    return len(ids)


def upstream_still_active(grant: Grant) -> bool:
    """For attio_oauth grants: the linked Attio credential has not been revoked (checked on refresh)."""
    if not grant.upstream_credential_id:
        return True
    cred = db().session.get(UpstreamCredential, grant.upstream_credential_id)
    if cred is None or cred.status != "active" or not cred.ciphertext:
        return False
    from .upstream import introspect_if_due

    return introspect_if_due(cred)
