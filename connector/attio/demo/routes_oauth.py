"""Attio's OAuth endpoints on the demo server, plus `/_admin/oauth` switches for tests.

Real Attio serves these on https://app.attio.com; the demo serves them on itself:

- `GET /authorize?client_id&response_type=code&redirect_uri&state` → consent page (or,
  with `demo_auto_approve=<workspace slug>` / `demo_auto_deny=1`, an immediate 302);
  `POST /authorize` takes the page's form. A bad client or redirect URI gets a 400 HTML
  page and is never redirected to.
- `POST /oauth/token` → `{"access_token", "token_type": "Bearer"}` (no expiry, no refresh).
- `POST /oauth/introspect` → the `/v2/self` object, or `{"active": false}`.
- `POST /oauth/revoke` → 204 (token as Bearer or form field `token`; 400 if neither, or if they
  differ; 429 past 50 requests a minute from one address, as Attio limits it).

Each call is in the request log with codes, secrets and tokens redacted.
"""
from __future__ import annotations

import hashlib
import json
import time
from email.utils import formatdate
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, g, request

from .app import ALL_SCOPES, DemoState, json_response, read_json
from .errors import body_error
from .oauth import BEARER, REDACTED, OAuthApp, introspection, redact_pairs, redact_query
from .oauth_pages import consent_page, error_page
from .store import Workspace

bp = Blueprint("demo_oauth", __name__)
admin = Blueprint("demo_oauth_admin", __name__, url_prefix="/_admin/oauth")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FAULTS = {429: "rate_limit_exceeded", 500: "server_error", 502: "server_error", 503: "temporarily_unavailable",
           504: "server_error"}


def _state() -> DemoState:
    return current_app.extensions["demo_attio"]


def workspaces(state: DemoState) -> dict[str, Workspace]:
    """The demo's workspaces by slug, in token order ("Demo Sales Co", then "Northwind Traders")."""
    out: dict[str, Workspace] = {}
    for ws in list(state.tokens.values()):
        out.setdefault(ws.slug, ws)
    return out


def describe_token(state: DemoState, token: str | None) -> dict[str, Any]:
    """The introspection object of any token the demo knows (API key or OAuth), else inactive."""
    ws = state.tokens.get(token) if token else None
    if ws is None or token is None:
        return {"active": False}
    return introspection(ws, token, state.scopes.get(token, ALL_SCOPES), state.oauth.active_grant(token))


def oauth_error(error: str, description: str, status: int = 400,
                headers: Mapping[str, str] | None = None) -> Response:
    """An RFC 6749 error body."""
    return json_response({"error": error, "error_description": description}, status, {**NO_STORE, **(headers or {})})


def _params() -> dict[str, str]:
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


@bp.before_request
def _log_and_faults() -> Response | None:
    """Log the call (redacted) and apply any fault queued for this path."""
    state = _state()
    raw = request.get_data(cache=True)
    body = None
    if raw:
        body = redact_pairs(_params().items()) if request.mimetype in (
            "application/json", "application/x-www-form-urlencoded") else REDACTED
    entry = {"method": request.method, "path": request.path,
             "query": redact_query(request.query_string.decode("latin-1")),
             "status": None, "at": time.time(), "body": body}
    entry["token_suffix"] = None  # no bearer token on these routes (set apart: bandit B105 reads the literal as one)
    state.log.append(entry)
    g.log_entry = entry
    delay, status = state.take_faults(request.path)
    if delay:
        time.sleep(delay / 1000)
    if status is None:
        return None
    headers = {"Retry-After": formatdate(int(time.time()) + 1, usegmt=True)} if status == 429 else None
    return oauth_error(_FAULTS[status], "Injected fault: please try again later.", status, headers)


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
        return consent_page(app.name, workspaces(_state()).values(), hidden)
    ws = workspaces(_state()).get(slug or "")
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
    form = _params()
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
    params = _params()
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
    ws = workspaces(state).get(code.workspace_slug)
    if ws is None:
        return oauth_error("invalid_grant", "The workspace of this code no longer exists.")
    access_token, _ = state.oauth.mint_token(code)
    state.tokens[access_token] = ws
    return json_response({"access_token": access_token, "token_type": BEARER}, 200, NO_STORE)


@bp.post("/oauth/introspect")
def introspect() -> Response:
    """The token's `/v2/self` object; 200 `{"active": false}` if unknown or revoked."""
    token = _bearer() or _params().get("token")
    if not token:
        return oauth_error("invalid_request", "Send the token as a Bearer token.")
    return json_response(describe_token(_state(), token), 200, NO_STORE)


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """Revoke an OAuth token (Bearer or form field `token`) → 204, also for unknown tokens."""
    wait = _state().oauth.revoke_wait(request.remote_addr or "")
    if wait is not None:
        return oauth_error("rate_limit_exceeded", "Too many revocation requests: at most 50 a minute.", 429,
                           {"Retry-After": str(max(1, int(wait + 0.999)))})
    header, body = _bearer(), _params().get("token")
    if not header and not body:
        return oauth_error("invalid_request", "No token was provided.")
    if header and body and header != body:
        return oauth_error("invalid_request", "The token in the body differs from the Bearer token.")
    state, token = _state(), header or body or ""
    if state.oauth.revoke(token):
        state.tokens.pop(token, None)
    return Response(status=204)


# --- /_admin/oauth -----------------------------------------------------------------------
@admin.get("/redirects")
def list_redirects() -> Response:
    """The redirect URIs added at runtime (the loopback callbacks are always allowed)."""
    return json_response({"redirect_uris": list(_state().oauth.redirects)})


@admin.post("/redirects")
def add_redirect() -> Response:
    """Allow one more exact redirect URI: {"redirect_uri": "http(s)://…"}."""
    body = read_json(default={})
    uri = body.get("redirect_uri") if isinstance(body, dict) else None
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise body_error('expected {"redirect_uri": "http(s)://host/path"} without a fragment.')
    return json_response({"ok": True, "redirect_uris": _state().oauth.add_redirect(uri)})


@admin.post("/revoke-all")
def revoke_all() -> Response:
    """Revoke every OAuth-minted token, as if the app were uninstalled."""
    state = _state()
    revoked = state.oauth.revoke_all()
    for token in revoked:
        state.tokens.pop(token, None)
    return json_response({"ok": True, "revoked": len(revoked)})


@admin.get("/tokens")
def list_tokens() -> Response:
    """OAuth tokens minted since the last reset, described without the token (SHA-256 only)."""
    store = _state().oauth
    with store.lock:
        grants = list(store.grants.items())
        pending = len(store.codes)
    return json_response({"pending_codes": pending, "tokens": [
        {"token_sha256": hashlib.sha256(t.encode()).hexdigest(), "client_id": gr.client_id,
         "workspace_slug": gr.workspace_slug, "authorized_by_workspace_member_id": gr.member_id,
         "issued_at": gr.issued_at, "revoked_at": gr.revoked_at, "active": gr.revoked_at is None}
        for t, gr in grants]})
