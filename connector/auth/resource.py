"""Resource protection in front of /mcp, /sse and /messages: our bearer tokens only, audience and scope checked.

Audiences are strict per endpoint: a token is good only where its `resource` points (/mcp, or /sse
together with /messages), so a token obtained for one transport cannot be replayed at the other.

401 carries `WWW-Authenticate: Bearer resource_metadata="…"` (with `error=` only when a token
was sent); a token without the needed scope gets 403 `insufficient_scope` naming it.

A token found valid is remembered for a few seconds (connector.auth.verified: never past its expiry, evicted at
once by a revocation in this worker, or in any worker through Redis), so an MCP session's calls do not each
query the OAuth store.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from flask import Flask, Request, Response, current_app

from ..identity import Caller
from ..web import json_response
from . import credentials, store
from .models import Grant, UpstreamCredential, aware
from .verified import Verified, VerifiedTokens


def _is_sse(request: Request) -> bool:
    return request.path.startswith(("/sse", "/messages"))


def endpoint_resource(request: Request) -> str:
    """The one resource a token must name to be used here: /mcp's, or the legacy transport's for /sse and
    /messages (strict per-endpoint audiences; each endpoint's protected-resource metadata names its own)."""
    mcp, sse = store.resources()
    return sse if _is_sse(request) else mcp


def _metadata_url(request: Request) -> str:
    suffix = "sse" if _is_sse(request) else "mcp"
    return f"{store.issuer()}/.well-known/oauth-protected-resource/{suffix}"


def challenge(request: Request, status: int, error: str | None, description: str,
              scope: str = "attio:read") -> Response:
    """The 401/403 reply with an RFC 6750 / RFC 9728 challenge and a JSON-RPC-shaped body."""
    parts = [f'resource_metadata="{_metadata_url(request)}"', f'scope="{scope}"']
    if error:
        parts.insert(0, f'error="{error}"')
        parts.append(f'error_description="{description}"')
    code = -32001 if status == 401 else -32003
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": description}}
    return json_response(body, status, {"WWW-Authenticate": "Bearer " + ", ".join(parts)})


def authenticate(request: Request) -> Caller | Response:
    """The caller behind a valid bearer token, or the refusal."""
    if request.query_string and "access_token" in request.args:  # MCP requests rarely have a query to parse
        # Tokens in URLs leak into logs and referrers; refuse even a valid one.
        return challenge(request, 401, "invalid_request", "Send the token in the Authorization header, not the URL")
    header = request.headers.get("Authorization", "")
    if not header:
        return challenge(request, 401, None, "Authorization required: connect through OAuth to get a token")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return challenge(request, 401, "invalid_token", "The Authorization header must be 'Bearer <token>'")
    cache: VerifiedTokens = current_app.extensions["verified_tokens"]
    digest = store.keyring().digest(value)
    verified = cache.get(digest) if cache.enabled else None
    if verified is None:
        generation = cache.generation
        looked_up = _look_up(request, value)
        if isinstance(looked_up, Response):
            return looked_up
        verified = looked_up
        cache.put(digest, verified, generation)
        current_app.extensions["revocation_feed"].start()
    # Checked on every use, the cached ones too: the audience depends on the endpoint.
    expected = endpoint_resource(request)
    if verified.resource != expected:
        return challenge(request, 401, "invalid_token",
                         f"The access token was issued for another resource; this endpoint is {expected}")
    caller = _caller(verified)
    if caller is None:
        return challenge(request, 401, "invalid_token", "The Attio connection behind this token is gone; reconnect")
    return caller


def _look_up(request: Request, value: str) -> Verified | Response:
    """The token, its grant and (attio_oauth) its Attio credential from the store: what they establish, or the
    refusal."""
    token = store.find_token(access=value)
    now = datetime.now(timezone.utc)
    if token is None or token.revoked_at is not None or aware(token.access_expires_at) <= now:
        return challenge(request, 401, "invalid_token", "The access token is invalid, expired or revoked")
    expected = endpoint_resource(request)
    if token.resource != expected:
        return challenge(request, 401, "invalid_token",
                         f"The access token was issued for another resource; this endpoint is {expected}")
    session = store.db().session
    grant = session.get(Grant, token.grant_id)
    if grant is None or grant.revoked_at is not None:
        return challenge(request, 401, "invalid_token", "The access token's grant was revoked")
    scopes = frozenset(token.scope.split())
    if "attio:read" not in scopes:
        return challenge(request, 403, "insufficient_scope", "attio:read is required", scope="attio:read")
    credential_id, ciphertext = None, None
    if current_app.config["MODE"] == "attio_oauth":
        cred = session.get(UpstreamCredential, grant.upstream_credential_id) if grant.upstream_credential_id else None
        if cred is None or not cred.ciphertext or cred.status != "active" or \
                store.keyring().decrypt(cred.ciphertext) is None:
            return challenge(request, 401, "invalid_token", "The Attio connection behind this token is gone; reconnect")
        credential_id, ciphertext = cred.id, cred.ciphertext
    # The tool (and its Attio calls) or the stream runs next: give the pooled connection back first.
    store.db().release()
    return Verified(subject=token.subject, client_id=token.client_id, grant_id=token.grant_id, scopes=scopes,
                    resource=token.resource, expires_at=aware(token.access_expires_at).timestamp(),
                    credential_id=credential_id, ciphertext=ciphertext)


def _caller(verified: Verified) -> Caller | None:
    """A fresh Caller for this request; the Attio credential (attio_oauth) is decrypted for it alone (None when no
    configured key opens it any more)."""
    credential, on_rejected = None, None
    if verified.credential_id is not None and verified.ciphertext is not None:
        credential = store.keyring().decrypt(verified.ciphertext)
        if credential is None:
            return None
        on_rejected = _attio_rejected(current_app._get_current_object(), verified.credential_id)
    return Caller(subject=verified.subject, scopes=verified.scopes, credential=credential,
                  client_id=verified.client_id, on_upstream_unauthorized=on_rejected)


def _attio_rejected(app: Flask, credential_id: str) -> Callable[[], None]:
    """What an Attio 401 during a tool call does (attio_oauth): wipe the credential and revoke every grant that
    uses it, so the client's next request gets our 401 challenge and it re-authorizes.

    Called by the Attio client, possibly in a tool greenlet outside any request, hence its own app context.
    """
    def revoke() -> None:
        with app.app_context():
            credentials.wipe_rejected(credential_id)
            store.revoke_where(upstream_credential_id=credential_id, reason="upstream_unauthorized")
    return revoke


def insufficient_scope(request: Request, caller: Caller, scope: str) -> Response | None:
    """403 step-up when the caller's token lacks `scope`."""
    if caller.has_scope(scope):
        return None
    wanted = " ".join(sorted({*caller.scopes, scope} - {"offline_access"}))
    return challenge(request, 403, "insufficient_scope", f"{scope} is required", scope=wanted)
