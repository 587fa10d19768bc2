"""Discovery: RFC 8414 authorization-server metadata and RFC 9728 protected-resource metadata.

These ignore MCP-Protocol-Version (SDK 2.x sends 2026-07-28 on its discovery GETs).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..web import json_response
from . import store

bp = Blueprint("oauth_metadata", __name__)

SCOPES = ["attio:read", "attio:write"]


def server_metadata() -> dict:
    """The AS metadata document."""
    base = store.issuer()
    out = {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "registration_endpoint": f"{base}/oauth/register",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [*SCOPES, "offline_access"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": bool(current_app.config["CIMD_ENABLED"]),
        "service_documentation": f"{base}/",
    }
    return out


def resource_metadata(resource: str) -> dict:
    """The PRM document for one of our resources."""
    return {"resource": resource, "authorization_servers": [store.issuer()], "scopes_supported": SCOPES,
            "bearer_methods_supported": ["header"], "resource_name": "Attio Connector"}


def _cors(resp: Response) -> Response:
    # Discovery documents are public; browser-based clients (the Inspector) read them cross-origin.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    # Without PUBLIC_URL every URL in them comes from this request's Host: no shared cache may keep that.
    resp.headers["Cache-Control"] = "public, max-age=300" if current_app.config["PUBLIC_URL"] else "no-store"
    return resp


@bp.route("/.well-known/oauth-authorization-server", methods=["GET", "HEAD"])
@bp.route("/.well-known/openid-configuration", methods=["GET", "HEAD"])
def authorization_server() -> Response:
    """RFC 8414."""
    return _cors(json_response(server_metadata()))


@bp.route("/.well-known/oauth-protected-resource", methods=["GET", "HEAD"])
@bp.route("/.well-known/oauth-protected-resource/mcp", methods=["GET", "HEAD"])
def protected_resource_mcp() -> Response:
    """RFC 9728, for /mcp (root and path-suffixed)."""
    return _cors(json_response(resource_metadata(store.resources()[0])))


@bp.route("/.well-known/oauth-protected-resource/sse", methods=["GET", "HEAD"])
def protected_resource_sse() -> Response:
    """RFC 9728, for the legacy /sse endpoint."""
    return _cors(json_response(resource_metadata(store.resources()[1])))
