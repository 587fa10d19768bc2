"""Marshmallow schemas for the OpenAPI document, beside the ones the endpoints validate with.

The request bodies of /mcp, /messages and /oauth/register are described by the schemas that
validate them (connector.mcp.jsonrpc.MessageSchema, connector.auth.clients.RegistrationSchema).
The OAuth form bodies are parsed by Authlib and the responses are built as dicts, so their
shapes are written down here, following RFC 6749, 7009, 7591, 7662, 8414 and 9728, beside the
security schemes the document names.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..auth.clients import RegistrationSchema


def _text(description: str, **kwargs: object) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


class TokenRequestSchema(Schema):
    """POST /oauth/token form body (authorization_code with PKCE, or refresh_token)."""

    grant_type = fields.String(required=True, validate=validate.OneOf(["authorization_code", "refresh_token"]))
    code = _text("The authorization code (authorization_code grant)")
    redirect_uri = _text("The redirect URI the code was sent to")
    code_verifier = _text("The PKCE verifier whose S256 hash was the code_challenge")
    refresh_token = _text("The refresh token (refresh_token grant); it is rotated on use")
    client_id = _text("The client's id (public clients; confidential ones may use HTTP Basic instead)")
    client_secret = _text("client_secret_post clients only")
    resource = _text("RFC 8707 resource indicator: this server's /mcp or /sse URL")
    scope = _text("A narrower scope on refresh")


class RevokeRequestSchema(Schema):
    """POST /oauth/revoke form body (RFC 7009)."""

    token = _text("An access or refresh token; revoking either ends the whole grant", required=True)
    token_type_hint = fields.String(validate=validate.OneOf(["access_token", "refresh_token"]))
    client_id = _text("The client's id (public clients)")
    client_secret = _text("client_secret_post clients only")


class IntrospectRequestSchema(Schema):
    """POST /oauth/introspect form body (RFC 7662); confidential clients, their own tokens."""

    token = _text("The token to look up", required=True)
    token_type_hint = fields.String(validate=validate.OneOf(["access_token", "refresh_token"]))
    client_id = _text("With client_secret_post")
    client_secret = _text("With client_secret_post")


class ConsentFormSchema(Schema):
    """POST /oauth/authorize: the consent page's own form (not for API clients)."""

    pending_id = _text("The pending authorization the page was rendered for", required=True)
    csrf_token = _text("The page's one-time CSRF token", required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["allow", "deny"]))
    username = _text("api_key mode: the operator-created user's name")
    password = _text("api_key mode: that user's password")


class TokenResponseSchema(Schema):
    """A successful token response (RFC 6749 §5.1)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, validate=validate.Equal("Bearer"))
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until the access token expires"})
    refresh_token = _text("Present when offline_access was granted")
    scope = fields.String(required=True)


class OAuthErrorSchema(Schema):
    """An OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2) — also the shape of every non-MCP JSON error."""

    error = fields.String(required=True, metadata={"description": "A machine-readable code, e.g. invalid_request"})
    error_description = _text("What was wrong and how to fix it")


class RegistrationResponseSchema(RegistrationSchema):
    """The registered client (RFC 7591 §3.2.1)."""

    client_id = fields.String(required=True)
    client_id_issued_at = fields.Integer(required=True)
    client_secret = _text("Only for client_secret_basic / client_secret_post clients")
    client_secret_expires_at = fields.Integer(metadata={"description": "0: the secret does not expire"})


class IntrospectionResponseSchema(Schema):
    """RFC 7662 §2.2: `active` alone when the token is not live."""

    active = fields.Boolean(required=True)
    client_id = fields.String()
    token_type = fields.String()
    scope = fields.String()
    sub = fields.String()
    aud = fields.String()
    iss = fields.String()
    exp = fields.Integer()
    iat = fields.Integer()


class JsonRpcErrorObjectSchema(Schema):
    """The `error` member of a JSON-RPC error response."""

    code = fields.Integer(required=True, metadata={"description": "-32700 parse, -32600 invalid request, "
                                                                  "-32601 unknown method, -32602 invalid params, "
                                                                  "-32001 unauthorized, -32003 forbidden"})
    message = fields.String(required=True)
    data = fields.Raw()


class JsonRpcErrorSchema(Schema):
    """A JSON-RPC error response: how every MCP endpoint refuses a request (with an HTTP 4xx)."""

    jsonrpc = fields.String(required=True, validate=validate.Equal("2.0"))
    id = fields.Raw(required=True, allow_none=True, metadata={"description": "The request's id, or null"})
    error = fields.Nested(JsonRpcErrorObjectSchema, required=True)


class HealthSchema(Schema):
    """GET /healthz and GET /."""

    status = fields.String(metadata={"description": "ok (/healthz)"})
    mode = fields.String(required=True, validate=validate.OneOf(["demo", "api_key", "attio_oauth"]))
    version = fields.String(required=True)
    demo = fields.Boolean()
    note = fields.String()
    mcp = _text("GET / only: the Streamable HTTP endpoint")
    sse = _text("GET / only: the legacy SSE endpoint")


class ReadySchema(Schema):
    """GET /readyz."""

    status = fields.String(required=True, validate=validate.OneOf(["ready", "not ready"]))
    checks = fields.Dict(keys=fields.String(validate=validate.OneOf(["database", "redis", "attio"])),
                         values=fields.Dict(), required=True)
    failing = fields.List(fields.String(), metadata={"description": "The parts that failed (only when not ready)"})
    mode = fields.String(required=True)
    version = fields.String(required=True)
    demo = fields.Boolean()
    note = fields.String()


class AuthorizationServerSchema(Schema):
    """RFC 8414 authorization server metadata (the members we publish)."""

    issuer = fields.String(required=True)
    authorization_endpoint = fields.String(required=True)
    token_endpoint = fields.String(required=True)
    registration_endpoint = fields.String()
    revocation_endpoint = fields.String()
    introspection_endpoint = fields.String()
    response_types_supported = fields.List(fields.String(), required=True)
    grant_types_supported = fields.List(fields.String())
    code_challenge_methods_supported = fields.List(fields.String())
    token_endpoint_auth_methods_supported = fields.List(fields.String())
    scopes_supported = fields.List(fields.String())
    authorization_response_iss_parameter_supported = fields.Boolean()
    client_id_metadata_document_supported = fields.Boolean()


class ProtectedResourceSchema(Schema):
    """RFC 9728 protected resource metadata."""

    resource = fields.String(required=True)
    authorization_servers = fields.List(fields.String(), required=True)
    scopes_supported = fields.List(fields.String())
    bearer_methods_supported = fields.List(fields.String())
    resource_name = fields.String()


def security_schemes(base: str) -> dict[str, Any]:
    """How callers authenticate; OAuth endpoint URLs must be absolute (OpenAPI 3.1 `format: uri`)."""
    scopes = {"attio:read": "Read the CRM", "attio:write": "Change it", "offline_access": "A refresh token"}
    flow = {"authorizationUrl": f"{base}/oauth/authorize", "tokenUrl": f"{base}/oauth/token",
            "refreshUrl": f"{base}/oauth/token", "scopes": scopes}
    return {
        "oauth2": {"type": "oauth2", "description": "Tokens from this server's own OAuth flow (PKCE S256)",
                   "flows": {"authorizationCode": flow}},
        "clientBasic": {"type": "http", "scheme": "basic", "description": "client_secret_basic clients"},
        "statusToken": {"type": "http", "scheme": "bearer", "description": "STATUS_TOKEN"},
        "metricsToken": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN"},
    }
