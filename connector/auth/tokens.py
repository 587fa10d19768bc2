"""The machine-facing OAuth endpoints: registration, token, revocation, introspection.

Errors are RFC 6749 JSON; token responses carry `Cache-Control: no-store`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from ..jsonbody import JsonBodyError, parse
from ..web import json_response
from . import store
from .audit import audit
from .clients import private_use_scheme, register_client, registration_error
from .ratelimit import limiter, limit

bp = Blueprint("oauth_tokens", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str) -> Response:
    """An RFC 6749 error body."""
    return json_response({"error": error, "error_description": description}, status, dict(NO_STORE))


def _form_only() -> Response | None:
    """Token-style endpoints take a form body, POSTed, with nothing in the query string."""
    if request.query_string:
        return oauth_error(400, "invalid_request", "parameters must be sent in the form body, not the query string")
    if request.mimetype != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    return None


def _json_body() -> Any:
    """The body as JSON (None unless declared application/json), with the MCP endpoints' limits:
    RequestEntityTooLarge past MAX_REQUEST_BYTES, JsonBodyError when malformed or too deeply nested."""
    if not request.is_json:
        return None
    return parse(request.get_data(cache=False))


def _no_store(resp: Response) -> Response:
    resp.headers.update(NO_STORE)
    return resp


def _redirect_target(uri: str) -> str:
    """Where a redirect URI sends the browser, for the audit log: its host (and port), or a native app's scheme."""
    scheme = private_use_scheme(uri)
    return f"{scheme}:" if scheme else urlsplit(uri).netloc


@bp.post("/oauth/register")
@limit("RATE_LIMIT_REGISTER")
def register() -> Response:
    """RFC 7591 dynamic client registration (open, policy-checked)."""
    try:
        body = _json_body()
    except RequestEntityTooLarge:
        return oauth_error(413, "invalid_request",
                           f"Request body too large: the limit is {request.max_content_length} bytes")
    except JsonBodyError as exc:  # not JSON, or nested deeper than jsonbody.MAX_DEPTH
        return oauth_error(400, "invalid_client_metadata", exc.reason)
    try:
        out = register_client(store.db().session, store.keyring(), body, current_app.config["DCR_CLIENT_TTL_DAYS"],
                              current_app.config["ALLOWED_REDIRECT_URIS"])
    except ValidationError as exc:
        code, description = registration_error(exc)
        return oauth_error(400, code, description)
    audit("client.registered", client_id=out["client_id"], client_name=out.get("client_name", ""),
          auth_method=out["token_endpoint_auth_method"], application_type=out["application_type"],
          redirect_hosts=sorted({_redirect_target(u) for u in out["redirect_uris"]}))
    return json_response(out, 201, dict(NO_STORE))


@bp.post("/oauth/token")
@limit("RATE_LIMIT_TOKEN")
def token() -> Response:
    """authorization_code and refresh_token grants."""
    refused = _form_only()
    if refused is not None:
        return refused
    return _no_store(current_app.extensions["oauth_server"].create_token_response())


@bp.post("/oauth/revoke")
@limit("RATE_LIMIT_REVOKE")
def revoke() -> Response:
    """RFC 7009."""
    refused = _form_only()
    if refused is not None:
        return refused
    return _no_store(current_app.extensions["oauth_server"].create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
@limit("RATE_LIMIT_TOKEN")
def introspect() -> Response:
    """RFC 7662, for confidential clients about their own tokens."""
    refused = _form_only()
    if refused is not None:
        return refused
    return _no_store(current_app.extensions["oauth_server"].create_endpoint_response("introspection"))


__all__ = ["bp", "limiter", "oauth_error"]
