"""Attio's OAuth endpoints on the demo server.

Real Attio serves these on https://app.attio.com; the demo serves them on itself:

- `GET /authorize?client_id&response_type=code&redirect_uri&state` → consent page (or,
  with `demo_auto_approve=<workspace slug>` / `demo_auto_deny=1`, an immediate 302);
  `POST /authorize` takes the page's form. A bad client or redirect URI gets a 400 HTML
  page and is never redirected to.
- `POST /oauth/token` → `{"access_token", "token_type": "Bearer"}` (no expiry, no refresh).
- `POST /oauth/introspect` → the `/v2/self` object, or `{"active": false}`.
- `POST /oauth/revoke` → 204 (token as Bearer or form field `token`; 400 if neither, or if they
  differ; 429 past 50 requests a minute from one address, as Attio limits it).

With `testing=True`, `attio_demo.testing` logs each call (codes, secrets and tokens redacted) and adds the
`/_admin/oauth` switches.
"""
from __future__ import annotations

import json
from typing import Mapping
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, request

from .oauth import BEARER, OAuthApp
from .oauth_pages import consent_page, error_page
from .state import DemoState
from .web import json_response

bp = Blueprint("demo_oauth", __name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
OAUTH_PATHS = ("/authorize", "/oauth/")  # what the request log counts as an OAuth call


def _state() -> DemoState:
    return current_app.extensions["demo_attio"]


def oauth_error(error: str, description: str, status: int = 400,
                headers: Mapping[str, str] | None = None) -> Response:
    """An RFC 6749 error body."""
    return json_response({"error": error, "error_description": description}, status, {**NO_STORE, **(headers or {})})


def form_params() -> dict[str, str]:
    """Form fields (or a JSON object's string fields) of the request body."""
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in body.items() if isinstance(v, (str, int))} if isinstance(body, dict) else {}
    return request.form.to_dict()


def _bearer() -> str | None:
    auth = request.authorization
    return (auth.token or None) if auth is not None and auth.type == "bearer" else None


# --- authorize ---------------------------------------------------------------------------
def _redirect(uri: str, params: Mapping[str, str | None]) -> Response:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=urlencode(query))),
                                         **NO_STORE})


def _check_client(params: Mapping[str, str]) -> tuple[OAuthApp, str] | Response:
    """The app and redirect URI of an authorization request, or a 400 page (never a redirect)."""
    app = _state().oauth.app(params.get("client_id"))
    if app is None:
        return error_page("Unknown client", "No OAuth app is registered with this client_id.")
    uri = params.get("redirect_uri") or ""
    if not _state().oauth.redirect_allowed(uri):
        return error_page("Invalid redirect_uri",
                          f"The redirect_uri does not match one registered for {app.name}.")
    return app, uri


def _authorization(params: Mapping[str, str], decision: str | None, slug: str | None) -> Response:
    checked = _check_client(params)
    if isinstance(checked, Response):
        return checked
    app, uri = checked
    state = params.get("state")
    response_type = params.get("response_type")
    if response_type != "code":
        error = "unsupported_response_type" if response_type else "invalid_request"
        return _redirect(uri, {"error": error, "error_description": 'response_type must be "code".',
                               "state": state})
    if decision == "deny":
        return _redirect(uri, {"error": "access_denied", "state": state})
    if decision != "approve":
        hidden = {"client_id": app.client_id, "redirect_uri": uri, "response_type": "code"}
        hidden.update({"state": state} if state is not None else {})
        return consent_page(app.name, _state().workspaces().values(), hidden)
    ws = _state().workspaces().get(slug or "")
    if ws is None:
        return error_page("Unknown workspace", "Choose one of the workspaces offered.")
    return _redirect(uri, {"code": _state().oauth.mint_code(app.client_id, uri, ws), "state": state})


@bp.get("/authorize")
def authorize() -> Response:
    """The consent page, or an immediate redirect with `demo_auto_approve` / `demo_auto_deny`."""
    args = request.args.to_dict()
    if args.get("demo_auto_deny"):
        return _authorization(args, "deny", None)
    slug = args.get("demo_auto_approve")
    return _authorization(args, "approve" if slug else None, slug)


@bp.post("/authorize")
def authorize_decision() -> Response:
    """The consent form: `decision` = approve | deny, `workspace` = a workspace slug."""
    form = form_params()
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        return error_page("Invalid request", 'decision must be "approve" or "deny".')
    return _authorization(form, decision, form.get("workspace"))


# --- token, introspect, revoke -----------------------------------------------------------
def _client(params: Mapping[str, str]) -> OAuthApp | Response:
    """The authenticated client (HTTP Basic or form credentials), else an OAuth error."""
    auth, basic = request.authorization, False
    client_id, secret = params.get("client_id"), params.get("client_secret")
    if auth is not None and auth.type == "basic":
        basic = True
        b_id, b_secret = unquote_plus(auth.username or ""), unquote_plus(auth.password or "")
        if (client_id and client_id != b_id) or (secret and secret != b_secret):
            return oauth_error("invalid_request", "Client credentials in the body and the Authorization "
                                                  "header differ.")
        client_id, secret = b_id, b_secret
    app = _state().oauth.app(client_id)
    if app is None or not secret or not app.secret_matches(secret):
        headers = {"WWW-Authenticate": 'Basic realm="attio"'} if basic else None
        return oauth_error("invalid_client", "Client authentication failed.", 401, headers)
    return app


@bp.post("/oauth/token")
def token() -> Response:
    """Exchange a single-use authorization code for a workspace-level access token."""
    params = form_params()
    app = _client(params)
    if isinstance(app, Response):
        return app
    grant_type = params.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required.")
    if grant_type != "authorization_code":
        return oauth_error("unsupported_grant_type", "Only grant_type=authorization_code is supported.")
    if not params.get("code"):
        return oauth_error("invalid_request", "code is required.")
    state = _state()
    code = state.oauth.take_code(params["code"])
    if code is None or code.client_id != app.client_id:
        return oauth_error("invalid_grant", "The authorization code is invalid, expired or already used.")
    if params.get("redirect_uri") and params["redirect_uri"] != code.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match the one used to authorize.")
    ws = state.workspaces().get(code.workspace_slug)
    if ws is None:
        return oauth_error("invalid_grant", "The workspace of this code no longer exists.")
    access_token, _ = state.oauth.mint_token(code)
    state.tokens[access_token] = ws
    return json_response({"access_token": access_token, "token_type": BEARER}, 200, NO_STORE)


@bp.post("/oauth/introspect")
def introspect() -> Response:
    """The token's `/v2/self` object; 200 `{"active": false}` if unknown or revoked."""
    token = _bearer() or form_params().get("token")
    if not token:
        return oauth_error("invalid_request", "Send the token as a Bearer token.")
    return json_response(_state().describe_token(token), 200, NO_STORE)


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """Revoke an OAuth token (Bearer or form field `token`) → 204, also for unknown tokens."""
    wait = _state().oauth.revoke_wait(request.remote_addr or "")
    if wait is not None:
        return oauth_error("rate_limit_exceeded", "Too many revocation requests: at most 50 a minute.", 429,
                           {"Retry-After": str(max(1, int(wait + 0.999)))})
    header, body = _bearer(), form_params().get("token")
    if not header and not body:
        return oauth_error("invalid_request", "No token was provided.")
    if header and body and header != body:
        return oauth_error("invalid_request", "The token in the body differs from the Bearer token.")
    state, token = _state(), header or body or ""
    if state.oauth.revoke(token):
        state.tokens.pop(token, None)
    return Response(status=204)
