"""Authlib's authorization server, with the gaps the security BCP leaves to us closed.

PKCE S256 on every request; codes consumed atomically (a replay revokes the grant);
a refresh token for every client registered for the refresh_token grant, rotated with reuse detection;
`resource` bound to code, grant and token; opaque tokens stored as keyed hashes; `iss` on
every authorization response.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import current_app
from sqlalchemy import select, update

from . import store
from .audit import audit
from .clients import AUTH_METHODS
from .crypto import new_token, pkce_s256_matches
from .models import AuthCode, Grant, Token, aware


class InvalidTargetError(OAuth2Error):
    """RFC 8707: the `resource` is not this server's MCP endpoint."""

    error = "invalid_target"
    status_code = 400


@dataclass
class Principal:
    """Who consented: a subject, and (attio_oauth) the Attio credential behind the grant."""

    subject: str
    display_name: str = ""
    upstream_credential_id: str | None = None
    workspace_id: str = ""
    grant_id: str | None = None

    def get_user_id(self) -> str:
        """Authlib asks for this."""
        return self.subject


class S256Only(CodeChallenge):
    """PKCE required on every authorization request, S256 only (Authlib allows none and plain)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS = {"S256": pkce_s256_matches}  # constant time; no "plain"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256",
                                      redirect_uri=redirect_uri)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidGrantError("code_verifier is required")
        super().validate_code_verifier(grant, result)


def _check_resource(value: str | None, expected: str | None = None, redirect_uri: str | None = None) -> str:
    """The canonical resource for a request, or InvalidTargetError."""
    allowed = store.resources()
    if not value:
        return expected or allowed[0]
    canonical = value.rstrip("/")
    if canonical not in allowed or (expected and canonical != expected):
        raise InvalidTargetError(f"resource must be {expected or allowed[0]}", redirect_uri=redirect_uri)
    return canonical


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code grant over our store."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_authorization_request(self) -> str:
        redirect_uri = super().validate_authorization_request()
        _check_resource(self.request.payload.data.get("resource"), redirect_uri=redirect_uri)
        return redirect_uri

    def validate_authorization_redirect_uri(self, request: Any, client: Any) -> str:
        """The redirect URI decided when the consent page was shown, once the request is replayed after it;
        otherwise Authlib's rule (the one sent, checked, or the single registered one)."""
        decided = getattr(request, "decided_redirect_uri", None)
        if decided:
            return decided
        return super().validate_authorization_redirect_uri(request, client)

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        self.redirect_uri = redirect_uri  # the code is bound to where it is actually sent
        return super().create_authorization_response(redirect_uri, grant_user)

    def save_authorization_code(self, code: str, request: Any) -> None:
        principal: Principal = request.user
        data = request.payload.data
        if not self.redirect_uri:
            raise InvalidRequestError("no redirect URI was decided for this request")
        db = store.db()
        # The grant keeps redirect_uri as the authorization request sent it ("" when omitted): RFC 6749 §4.1.3
        # then lets the token request omit it too. The code keeps where it was actually sent.
        grant = Grant(id=new_token("g", 12), subject=principal.subject, client_id=request.client.get_client_id(),
                      scope=request.scope or "", resource=_check_resource(data.get("resource")),
                      redirect_uri=data.get("redirect_uri") or "", workspace_id=principal.workspace_id,
                      upstream_credential_id=principal.upstream_credential_id)
        db.session.add(grant)
        db.session.flush()  # the grant row must exist before the code that references it
        db.session.add(AuthCode(code_hash=store.keyring().digest(code), grant_id=grant.id,
                                client_id=grant.client_id, redirect_uri=self.redirect_uri,
                                scope=grant.scope, resource=grant.resource,
                                code_challenge=data.get("code_challenge") or "",
                                code_challenge_method=data.get("code_challenge_method") or "S256",
                                subject=principal.subject,
                                expires_at=datetime.now(timezone.utc) + timedelta(
                                    seconds=current_app.config["AUTH_CODE_TTL"])))
        db.session.flush()  # committed with the consent's audit row (views._finish), before the code is sent
        principal.grant_id = grant.id

    def query_authorization_code(self, code: str, client: Any) -> AuthCode | None:
        db = store.db()
        # Every pepper, current first: a code issued just before a SECRET_KEY rotation still redeems.
        digests = store.keyring().digests(code)
        now = datetime.now(timezone.utc)
        # Atomic consume: of two concurrent redemptions exactly one updates the row.
        consumed = db.session.execute(update(AuthCode).where(AuthCode.code_hash.in_(digests),
                                                             AuthCode.used_at.is_(None))
                                      .values(used_at=now)).rowcount
        db.session.commit()
        row = db.session.query(AuthCode).filter(AuthCode.code_hash.in_(digests)).one_or_none()
        if row is None:
            return None
        if consumed != 1:
            store.revoke_grant(row.grant_id, "code_replayed")
            audit("code.replayed", subject=row.subject, client_id=row.client_id, grant_id=row.grant_id)
            return None
        if row.client_id != client.get_client_id() or aware(row.expires_at) <= now:
            return None
        grant = db.session.get(Grant, row.grant_id)
        # This request consumed the code first, so it is the legitimate first use and is answered even if a
        # concurrent replay has just revoked the grant: that revocation already makes its tokens unusable.
        if grant is None or (grant.revoked_at is not None and grant.revoked_reason != "code_replayed"):
            return None
        row.redirect_uri_sent = bool(grant.redirect_uri)
        return row

    def validate_token_request(self) -> None:
        super().validate_token_request()
        code: AuthCode = self.request.authorization_code
        # Authlib compares only when the authorization request sent redirect_uri; a presented one must always
        # be where the code went (codes issued before the URI was recorded on them have "").
        presented = self.request.form.get("redirect_uri")
        if presented is not None and code.redirect_uri and presented != code.redirect_uri:
            raise InvalidGrantError("redirect_uri does not match the one the code was sent to")
        _check_resource(self.request.form.get("resource"), expected=code.resource)

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        """Nothing to do: the code was consumed when it was queried."""

    def authenticate_user(self, authorization_code: AuthCode) -> Principal:
        return Principal(subject=authorization_code.subject, grant_id=authorization_code.grant_id)


class RotatingRefresh(grants.RefreshTokenGrant):
    """Refresh tokens rotate on every use; presenting a rotated one revokes the whole grant.

    Every refresh returns the next refresh token, whatever scope it asks for: the chain began with the consent page's
    "Stay connected", and the one presented is used up, so answering without a successor would end the grant.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """The usable token row, without using it up: a request refused afterwards (another client, a wider
        scope, another resource) must not burn the token. A rotated token presented again revokes the grant."""
        row = store.find_token(refresh=refresh_token)
        if row is None:
            return None
        if row.rotated_at is not None:
            _refresh_reused(row)
            return None
        grant = store.db().session.get(Grant, row.grant_id)
        expires = aware(row.refresh_expires_at)
        if row.revoked_at is not None or grant is None or grant.revoked_at is not None or \
                (expires is not None and expires <= datetime.now(timezone.utc)):
            return None
        _check_resource(self.request.form.get("resource"), expected=row.resource)
        if not store.upstream_still_active(grant):
            store.revoke_grant(grant.id, "upstream_inactive")
            return None
        return row

    def authenticate_user(self, refresh_token: Token) -> Principal:
        """Called once every check has passed: use the token up atomically (of two concurrent uses one wins; the
        other waits for this transaction). The rotation commits with its successor (save_token): a failure in
        between leaves the presented token usable rather than the client without any."""
        db = store.db()
        taken = db.session.execute(update(Token).where(Token.id == refresh_token.id, Token.rotated_at.is_(None),
                                                       Token.revoked_at.is_(None))
                                   .values(rotated_at=datetime.now(timezone.utc))).rowcount
        if taken != 1:
            db.session.commit()
            if db.session.execute(select(Token.rotated_at).where(Token.id == refresh_token.id)).scalar():
                _refresh_reused(refresh_token)
            raise InvalidGrantError()
        return Principal(subject=refresh_token.subject, grant_id=refresh_token.grant_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Already marked rotated in authenticate_user."""


def _refresh_reused(row: Token) -> None:
    """A rotated refresh token came back: someone holds a copy, so the whole family goes (no grace window)."""
    store.revoke_grant(row.grant_id, "refresh_reused")
    audit("refresh.reused", subject=row.subject, client_id=row.client_id, grant_id=row.grant_id)


def _secret_auth(read: Callable[[Any], tuple[str | None, str | None]]) -> Callable[[Any, Any], Any]:
    """client_secret_basic/_post that treat an unknown client exactly like a wrong secret.

    Authlib answers "The client does not exist on this server" (and for _post a 400), which tells
    a prober which client ids exist; here both fall through to the same 401 invalid_client.
    """
    def authenticate(query_client: Callable[[str], Any], request: Any) -> Any:
        client_id, secret = read(request)
        if not client_id or not secret:
            return None
        client = query_client(client_id)
        if client is None:
            store.keyring().matches(secret, "0" * 64)  # the same work as checking a wrong secret
            return None
        return client if client.check_client_secret(secret) else None
    return authenticate


class Issuer(IssuerParameter):
    """RFC 9207: `iss` on every authorization response."""

    def get_issuer(self) -> str:
        return store.issuer()


class StoredRequest(OAuth2Request):
    """An authorization request replayed from its stored query (after consent or the Attio round trip)."""

    def __init__(self, uri: str, query: str, decided_redirect_uri: str | None = None) -> None:
        super().__init__("GET", uri)
        self._args = dict(parse_qsl(query, keep_blank_values=True))
        self.payload = BasicOAuth2Payload(self._args)
        self.decided_redirect_uri = decided_redirect_uri

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return {}


class ConnectorAuthorizationServer(AuthorizationServer):
    """Flask AuthorizationServer that also accepts a prepared OAuth2Request."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)


def save_token(token: dict[str, Any], request: Any) -> None:
    """Store a newly issued token pair as hashes, linked to its grant (and parent on refresh)."""
    db = store.db()
    keyring = store.keyring()
    now = datetime.now(timezone.utc)
    parent: Token | None = getattr(request, "refresh_token", None)
    code: AuthCode | None = getattr(request, "authorization_code", None)
    grant_id = parent.grant_id if parent is not None else code.grant_id
    resource = parent.resource if parent is not None else code.resource
    refresh = token.get("refresh_token")
    refresh_ttl = timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"])
    row = Token(id=new_token("t", 12), grant_id=grant_id, client_id=request.client.get_client_id(),
                subject=request.user.subject, access_hash=keyring.digest(token["access_token"]),
                refresh_hash=keyring.digest(refresh) if refresh else None, scope=token.get("scope") or "",
                resource=resource, issued_at=now,
                access_expires_at=now + timedelta(seconds=int(token.get("expires_in") or 3600)),
                refresh_expires_at=now + refresh_ttl if refresh else None,
                parent_id=parent.id if parent is not None else None)
    db.session.add(row)
    # One commit: the token, its audit row and, on refresh, its parent's rotation (RotatingRefresh.authenticate_user).
    audit("token.refreshed" if parent is not None else "token.issued", subject=row.subject, client_id=row.client_id,
          grant_id=grant_id, token_id=row.id, scope=row.scope)


class AuthorizationServerExtension:
    """The unbound OAuth server (`connector.extensions.oauth`): Authlib keeps settings on its server object,
    so each app gets its own, kept in `app.extensions["oauth_server"]`."""

    def init_app(self, app: Any) -> ConnectorAuthorizationServer:
        """Build and keep `app`'s authorization server."""
        server = create_server(app)
        app.extensions["oauth_server"] = server
        return server


def create_server(app: Any) -> ConnectorAuthorizationServer:
    """Configure Authlib and register grants, PKCE and the issuer parameter."""
    ttl = app.config["ACCESS_TOKEN_TTL"]
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": ttl, "refresh_token": ttl}
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = lambda *a, **kw: new_token("atk", 32)
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = lambda *a, **kw: new_token("rtk", 32)
    app.config["OAUTH2_SCOPES_SUPPORTED"] = ["attio:read", "attio:write", "offline_access"]
    server = ConnectorAuthorizationServer()
    server.init_app(app, query_client=store.query_client, save_token=save_token)
    server.register_client_auth_method("client_secret_basic", _secret_auth(
        lambda request: extract_basic_authorization(request.headers)))
    server.register_client_auth_method("client_secret_post", _secret_auth(
        lambda request: (request.form.get("client_id"), request.form.get("client_secret"))))
    server.register_grant(CodeGrant, [S256Only(required=True)])
    server.register_grant(RotatingRefresh)
    server.register_extension(Issuer())
    from .endpoints import Introspection, Revocation

    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    return server


def random_id() -> str:
    """An opaque id for pending requests."""
    return secrets.token_urlsafe(24)

