"""The OpenAPI 3.1 document of the HTTP endpoints, built with apispec from the marshmallow schemas.

`GET /openapi.json` serves it (with this deployment's URL as the server);
`python -m connector.apidoc > docs/api.md` renders it as markdown, and a test fails when
that file and the code disagree. The operations are written down here; their bodies and
answers point at the schemas the endpoints validate with or build from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app, request
from marshmallow import INCLUDE

from .. import __version__
from ..auth.clients import RegistrationSchema
from ..web import json_response
from . import openapi_schemas as s

bp = Blueprint("openapi", __name__)

# Nested schemas come before the schemas that nest them, so each is registered once, under its name.
SCHEMAS: dict[str, type] = {
    "JsonRpcErrorObject": s.JsonRpcErrorObjectSchema,
    "JsonRpcError": s.JsonRpcErrorSchema, "ClientRegistration": RegistrationSchema,
    "RegisteredClient": s.RegistrationResponseSchema, "TokenRequest": s.TokenRequestSchema,
    "TokenResponse": s.TokenResponseSchema, "RevokeRequest": s.RevokeRequestSchema,
    "IntrospectRequest": s.IntrospectRequestSchema, "Introspection": s.IntrospectionResponseSchema,
    "ConsentForm": s.ConsentFormSchema, "OAuthError": s.OAuthErrorSchema, "Health": s.HealthSchema,
    "Ready": s.ReadySchema, "AuthorizationServerMetadata": s.AuthorizationServerSchema,
    "ProtectedResourceMetadata": s.ProtectedResourceSchema,
}

DESCRIPTION = (
    "A remote MCP server for the Attio CRM with its own OAuth 2.1 authorization server. MCP clients speak "
    "JSON-RPC 2.0 over Streamable HTTP (`/mcp`) or the legacy HTTP+SSE transport (`/sse` + `/messages`); "
    "the MCP methods themselves (tools, resources, prompts) are listed in docs/tools.md and docs/protocol.md. "
    "Every MCP refusal is a JSON-RPC error object with an HTTP 4xx; every other JSON error is "
    "`{error, error_description}`. Bodies above MAX_REQUEST_BYTES get 413; JSON nested deeper than 64 levels "
    "gets 400. Browser clients on an allowed Origin (a loopback page, PUBLIC_URL, ALLOWED_ORIGINS) get CORS on "
    "`/mcp`, `/oauth/token` and `/oauth/register`; the discovery documents and this one allow any origin."
)


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, **extra}
    if schema:
        out["content"] = _json(ref(schema))
    return out


def _rpc(description: str) -> dict[str, Any]:
    return _answer(description, "JsonRpcError")


def _oauth(description: str) -> dict[str, Any]:
    return _answer(description, "OAuthError")


def _page(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string", **schema}}


def _query(name: str, description: str = "", required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string", **schema}}


def _form(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": ref(schema)}}}


BEARER = [{"oauth2": ["attio:read"]}]
SESSION = _header("Mcp-Session-Id", "The session from initialize's answer; required after initialize",
                  maxLength=200)
MESSAGES = {"oneOf": [ref("JsonRpcMessage"), {"type": "array", "items": ref("JsonRpcMessage"), "minItems": 1}]}
SSE = {"text/event-stream": {"schema": {"type": "string", "description": "Server-Sent Events"}}}
MCP_REFUSALS = {
    "400": _rpc("Not JSON (-32700), not a JSON-RPC message, nested too deeply, or a missing/unsupported header; "
                "for 2026-07-28: _meta incomplete (-32602), headers disagreeing with the body (-32020), a capability "
                "not declared (-32021), a version not served (-32022)"),
    "401": _rpc("No valid bearer token (WWW-Authenticate names the protected-resource metadata)"),
    "403": _rpc("A foreign Origin, or the token lacks the tool's scope (insufficient_scope)"),
    "413": _rpc("The body is larger than MAX_REQUEST_BYTES"),
    "421": _rpc("The Host header is not this server's (DNS-rebinding defence)"),
}
OAUTH_REFUSALS = {"400": _oauth("An invalid request, grant or client"),
                  "401": _oauth("Client authentication failed (invalid_client)"),
                  "429": _oauth("Rate limited; Retry-After says when to retry")}


def _mcp_paths(wire: ProtocolWire) -> dict[str, dict[str, Any]]:
    return {
        "/mcp": {
            "post": {"tags": ["MCP"], "operationId": "mcpPost", "summary": "Send a JSON-RPC message (Streamable HTTP)",
                     "description": "2026-07-28: every request is complete in itself (`params._meta` names the "
                                    "version and client capabilities; Mcp-Method/Mcp-Name mirror the body), no "
                                    "session. 2025 revisions: `initialize` opens a session (its answer carries "
                                    "Mcp-Session-Id); later messages name it. Requests are answered with JSON, or "
                                    "with an SSE stream when the call reports progress or logs (or, on a 2025 "
                                    "session, asks the client something). Batches only in protocol version "
                                    "2025-03-26.",
                     "security": BEARER,
                     "parameters": [SESSION, _version(wire),
                                    _header("Mcp-Method", "2026-07-28: the body's method"),
                                    _header("Mcp-Name", "2026-07-28: params.name or params.uri of tools/call, "
                                                        "prompts/get, resources/read (=?base64?…?= when not plain "
                                                        "ASCII)")],
                     "requestBody": {"required": True, "content": _json(MESSAGES)},
                     "responses": {"200": {"description": "The JSON-RPC response (an array for a batch), or an SSE "
                                                          "stream ending with it",
                                           "headers": {"Mcp-Session-Id": {"description": "initialize only",
                                                                          "schema": {"type": "string"}}},
                                           "content": {**_json(MESSAGES), **SSE}},
                                   "202": {"description": "A notification or a response was accepted"},
                                   **MCP_REFUSALS,
                                   "404": _rpc("The session expired or was terminated: initialize again; for "
                                               "2026-07-28, an unknown or 2025-only method (-32601)"),
                                   "406": _rpc("Accept lists neither application/json nor text/event-stream"),
                                   "415": _rpc("Content-Type is not application/json")}},
            "get": {"tags": ["MCP"], "operationId": "mcpListen", "summary": "Open the session's server→client stream",
                    "security": BEARER,
                    "parameters": [SESSION, _version(wire), _header("Last-Event-ID", "Resume after this event")],
                    "responses": {"200": {"description": "An SSE stream of server-initiated messages", "content": SSE},
                                  **MCP_REFUSALS, "404": _rpc("Unknown session"),
                                  "405": _rpc("2026-07-28 has no GET stream (POST subscriptions/listen)"),
                                  "406": _rpc("Accept does not list text/event-stream"),
                                  "409": _rpc("The session already has an open stream")}},
            "delete": {"tags": ["MCP"], "operationId": "mcpTerminate", "summary": "End a session",
                       "security": BEARER, "parameters": [SESSION],
                       "responses": {"204": {"description": "The session is gone"}, **MCP_REFUSALS,
                                     "404": _rpc("Unknown session"),
                                     "405": _rpc("2026-07-28 has no sessions to end")}},
        },
        "/sse": {
            "get": {"tags": ["MCP (legacy)"], "operationId": "sseOpen",
                    "summary": "Open a 2024-11-05 HTTP+SSE session",
                    "description": "The first event, `endpoint`, names the URL to POST messages to; every answer "
                                   "arrives on this stream. The session ends with the stream.",
                    "security": BEARER,
                    "responses": {"200": {"description": "The session's event stream", "content": SSE},
                                  **MCP_REFUSALS, "406": _rpc("Accept does not list text/event-stream"),
                                  "429": _rpc("Too many open streams for this client")}},
        },
        "/messages": {
            "post": {"tags": ["MCP (legacy)"], "operationId": "ssePost",
                     "summary": "Send one JSON-RPC message to a legacy session",
                     "security": BEARER, "parameters": [_query("sessionId", "From the endpoint event", True,
                                                               maxLength=200)],
                     "requestBody": {"required": True, "content": _json(ref("JsonRpcMessage"))},
                     "responses": {"202": {"description": "Accepted; the answer goes out on the stream",
                                           "content": {"text/plain": {"schema": {"type": "string"}}}},
                                   **MCP_REFUSALS, "404": _rpc("Unknown session"),
                                   "415": _rpc("Content-Type is not application/json")}},
        },
    }


AUTHORIZE_QUERY = [_query("response_type", "code", True, enum=["code"]), _query("client_id", "", True),
                   _query("redirect_uri", "Exactly as registered (any port on loopback)"), _query("state"),
                   _query("scope", "attio:read, attio:write, offline_access"),
                   _query("resource", "This server's /mcp (or /sse) URL"),
                   _query("code_challenge", "PKCE S256 challenge", True),
                   _query("code_challenge_method", "", True, enum=["S256"])]


def _oauth_paths() -> dict[str, dict[str, Any]]:
    tags = ["OAuth"]
    return {
        "/oauth/register": {"post": {
            "tags": tags, "operationId": "register", "summary": "Dynamic client registration (RFC 7591)",
            "requestBody": {"required": True, "content": _json(ref("ClientRegistration"))},
            "responses": {"201": _answer("The registered client", "RegisteredClient"),
                          "400": _oauth("invalid_redirect_uri or invalid_client_metadata (also a body that is "
                                        "not JSON or is nested too deeply)"),
                          "413": _oauth("The body is larger than MAX_REQUEST_BYTES"),
                          "429": OAUTH_REFUSALS["429"]}}},
        "/oauth/token": {"post": {
            "tags": tags, "operationId": "token", "summary": "Redeem a code or rotate a refresh token",
            "security": [{"clientBasic": []}, {}], "requestBody": _form("TokenRequest"),
            "responses": {"200": _answer("Tokens", "TokenResponse"), **OAUTH_REFUSALS}}},
        "/oauth/revoke": {"post": {
            "tags": tags, "operationId": "revoke", "summary": "Revoke a token and its grant (RFC 7009)",
            "security": [{"clientBasic": []}, {}], "requestBody": _form("RevokeRequest"),
            "responses": {"200": {"description": "Revoked, or not a token of this client (same answer)"},
                          **OAUTH_REFUSALS}}},
        "/oauth/introspect": {"post": {
            "tags": tags, "operationId": "introspect", "summary": "Introspect one of the client's tokens (RFC 7662)",
            "security": [{"clientBasic": []}, {}], "requestBody": _form("IntrospectRequest"),
            "responses": {"200": _answer("The token's state", "Introspection"), **OAUTH_REFUSALS}}},
        "/oauth/authorize": {
            "get": {"tags": tags, "operationId": "authorize", "summary": "The sign-in and consent page",
                    "parameters": AUTHORIZE_QUERY,
                    "responses": {"200": _page("Sign-in (api_key mode) and consent"),
                                  "302": {"description": "An error sent back to a trusted redirect URI"},
                                  "400": _page("The request cannot be accepted (never redirected to an "
                                               "unverified URI)"),
                                  "429": OAUTH_REFUSALS["429"]}},
            "post": {"tags": tags, "operationId": "decide", "summary": "The consent form's answer",
                     "requestBody": _form("ConsentForm"),
                     "responses": {"303": {"description": "Back to the client with a code or access_denied"},
                                   "401": _page("Wrong username or password: the form again"),
                                   "403": _page("The form expired, was used, or belongs to another browser"),
                                   "409": _page("Already answered"), "429": OAUTH_REFUSALS["429"]}}},
        "/oauth/attio/callback": {"get": {
            "tags": tags, "operationId": "attioCallback", "summary": "Back from Attio's sign-in (attio_oauth mode)",
            "parameters": [_query("state"), _query("code"), _query("error")],
            "responses": {"302": {"description": "On to the client's redirect URI"},
                          "400": _page("Unknown, expired or used state"),
                          "502": _page("Attio refused the code exchange")}}},
    }


def _other_paths() -> dict[str, dict[str, Any]]:
    def get(op_id: str, summary: str, responses: dict[str, Any], tag: str = "Operations") -> dict[str, Any]:
        return {"get": {"tags": [tag], "operationId": op_id, "summary": summary, "responses": responses}}

    discovery = "Discovery"
    return {
        "/.well-known/oauth-authorization-server": get(
            "authorizationServer", "RFC 8414 metadata",
            {"200": _answer("Metadata", "AuthorizationServerMetadata")}, discovery),
        "/.well-known/openid-configuration": get(
            "openidConfiguration", "The same document, for clients that only look here",
            {"200": _answer("Metadata", "AuthorizationServerMetadata")}, discovery),
        "/.well-known/oauth-protected-resource": get(
            "protectedResource", "RFC 9728 metadata for /mcp",
            {"200": _answer("Metadata", "ProtectedResourceMetadata")}, discovery),
        "/.well-known/oauth-protected-resource/mcp": get(
            "protectedResourceMcp", "RFC 9728 metadata for /mcp (path-suffixed)",
            {"200": _answer("Metadata", "ProtectedResourceMetadata")}, discovery),
        "/.well-known/oauth-protected-resource/sse": get(
            "protectedResourceSse", "RFC 9728 metadata for /sse",
            {"200": _answer("Metadata", "ProtectedResourceMetadata")}, discovery),
        "/": get("index", "Where the MCP endpoints are", {"200": _answer("Mode, version and URLs", "Health")}),
        "/healthz": get("healthz", "Liveness", {"200": _answer("The process answers", "Health")}),
        "/readyz": get("readyz", "Readiness: the database, Redis (when set) and Attio answer; a 503 names the part",
                       {"200": _answer("Ready", "Ready"), "503": _answer("Not ready; checks say why", "Ready")}),
        "/status": {"get": {"tags": ["Operations"], "operationId": "status", "summary": "Operator counters",
                            "security": [{"statusToken": []}],
                            "responses": {"200": {"description": "Counts (no tokens, no personal data)",
                                                  "content": _json({"type": "object"})},
                                          "401": _oauth("Bearer STATUS_TOKEN required"),
                                          "404": _oauth("STATUS_TOKEN is not set")}}},
        "/metrics": {"get": {"tags": ["Operations"], "operationId": "metrics", "summary": "Prometheus metrics",
                             "security": [{"metricsToken": []}],
                             "responses": {"200": {"description": "Prometheus text exposition of every worker",
                                                   "content": {"text/plain": {"schema": {"type": "string"}}}},
                                           "401": _oauth("Bearer METRICS_TOKEN required"),
                                           "404": _oauth("METRICS_TOKEN is not set")}}},
        "/openapi.json": get("openapi", "This document", {"200": {"description": "OpenAPI 3.1",
                                                                  "content": _json({"type": "object"})}}),
    }


@dataclass(frozen=True)
class ProtocolWire:
    """What the document needs from the MCP layer: its message schema, id field and versions. Handed in by
    whoever assembles the document (the MCP extension at run time, connector.apidoc for docs/api.md), so ops
    imports no protocol module."""

    message_schema: type
    id_field: type
    versions: tuple[str, ...]


def _version(wire: ProtocolWire) -> dict[str, Any]:
    return _header("MCP-Protocol-Version", "The negotiated protocol version", examples=list(wire.versions[:3]))


def build_spec(wire: ProtocolWire, server_url: str | None = None) -> dict[str, Any]:
    """The whole document as a dict; `server_url` becomes the only server when given."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Attio Connector", version=__version__, openapi_version="3.1.0", plugins=[plugin],
                   info={"description": DESCRIPTION, "license": {"name": "MIT", "identifier": "MIT"}},
                   **({"servers": [{"url": server_url}]} if server_url else {}))
    plugin.converter.map_to_openapi_type(wire.id_field, ["string", "integer"], None)  # type: ignore[union-attr]
    # Nested schemas before the schemas that nest them: the message first.
    for name, schema in {"JsonRpcMessage": wire.message_schema, **SCHEMAS}.items():
        # Every endpoint ignores members it does not know, so no schema forbids additional properties.
        spec.components.schema(name, schema=schema(unknown=INCLUDE),
                               component={"description": (schema.__doc__ or "").strip()})
    for name, scheme in s.security_schemes(server_url or "http://localhost:8000").items():
        spec.components.security_scheme(name, scheme)
    for paths in (_mcp_paths(wire), _oauth_paths(), _other_paths()):
        for path, operations in paths.items():
            for op in operations.values():
                op["responses"] = dict(sorted(op["responses"].items()))
            spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The document, with this deployment's URL as its server."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    resp = json_response(build_spec(ProtocolWire(**current_app.extensions["mcp"].openapi_wire()), base))
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public, like the discovery documents
    return resp
