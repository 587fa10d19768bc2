"""The browser side of the flow: /oauth/authorize (sign-in + consent) and the Attio callback.

Errors found before the redirect URI is verified render a local page and never redirect.
The consent POST is bound to a server-side pending request, a CSRF token and a browser
cookie; its answer is a 303.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from sqlalchemy import update

from . import signin, store, upstream
from .audit import audit
from .cimd import CimdError, is_cimd_client_id, load_cimd_client
from .clients import OFFLINE
from .consent import client_context, still_as_shown
from .models import PendingAuthorization, aware
from .ratelimit import limit
from .server import Principal, StoredRequest, random_id

bp = Blueprint("oauth", __name__, template_folder="templates", static_folder="static",
               static_url_path="/oauth/static")

PENDING_TTL = timedelta(minutes=15)
SCOPE_TEXT = {
    "attio:read": ("Read your CRM", "Search and read companies, people, deals, notes, tasks and lists."),
    "attio:write": ("Change your CRM", "Create and update records, notes, tasks and list entries, and delete records."),
    "offline_access": ("Stay connected", "Keep access without asking again, until you revoke it."),
}
DEMO_SUBJECT = "demo:demo-user"


def _server() -> Any:
    return current_app.extensions["oauth_server"]


def _cookie_name() -> str:
    # __Host- cookies must be Secure, which browsers only keep over https.
    return "__Host-ac_browser" if store.issuer().startswith("https://") else "ac_browser"


def page(template: str, http_status: int = 200, **context: Any) -> Response:
    """Render an auth page; its security headers (CSP with `g.form_targets`, framing, referrer, no-store)
    are added app-wide by connector.security.headers."""
    context.setdefault("demo", current_app.config["MODE"] == "demo")
    context.setdefault("issuer", store.issuer())
    return Response(render_template(template, **context), status=http_status, mimetype="text/html")


def error_page(status: int, title: str, message: str, detail: str | None = None) -> Response:
    """A local error page: never a redirect to an unverified URI."""
    return page("error.html", status, title=title, message=message, detail=detail, status=status)


def _origin(uri: str) -> str:
    """The CSP source a form answer may go to: the origin, or for a native app's private-use scheme the scheme."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{parts.netloc}"


def _error_redirect(err: OAuth2Error, status: int = 302) -> Response:
    params = {"error": err.error}
    if err.description:
        params["error_description"] = err.description
    state = getattr(err, "state", None) or request.values.get("state")
    if state:
        params["state"] = state
    params["iss"] = store.issuer()
    sep = "&" if "?" in err.redirect_uri else "?"
    return redirect(f"{err.redirect_uri}{sep}{urlencode(params)}", code=status)


# Known callbacks of hosted clients (ChatGPT); other self-registered redirect URIs are not vouched for.
TRUSTED_REDIRECT_PREFIXES = ("https://chatgpt.com/connector_platform_oauth_redirect",
                             "https://chatgpt.com/connector/oauth/", "https://platform.openai.com/apps-manage/oauth")


def _trusted_redirect(uri: str) -> bool:
    """May an error be sent to `uri` without the person choosing to go there? (RFC 9700 §4.11.2)

    Anyone can register an https redirect URI (DCR, CIMD) and send a broken request to use us as
    an open redirector, so only loopback (the person's own machine), the operator's
    ALLOWED_REDIRECT_URIS and known ChatGPT callbacks get an automatic error redirect.
    """
    parts = urlsplit(uri)
    if parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost", "::1"):
        return True
    return uri in current_app.config["ALLOWED_REDIRECT_URIS"] or uri.startswith(TRUSTED_REDIRECT_PREFIXES)


def _authorize_error(err: OAuth2Error) -> Response:
    if getattr(err, "redirect_uri", None) and _trusted_redirect(err.redirect_uri):
        return _error_redirect(err)
    return error_page(400, "This sign-in link is not valid",
                      "The app that sent you here made a request this server cannot accept, so you were not "
                      "sent back to it.", f"{err.error}: {err.description or ''}".strip())


def _render_consent(grant: Any, pending: PendingAuthorization, csrf: str, error: str | None = None,
                    status: int = 200) -> Response:
    redirect_uri = pending.redirect_uri or ""  # decided (and stored) when the request was first validated
    g.form_targets = {_origin(redirect_uri)}
    if current_app.config["MODE"] == "attio_oauth":
        g.form_targets.add(_origin(current_app.config["ATTIO_OAUTH_URL"]))
    # "Stay connected" is said exactly when the code exchange returns a refresh token: for every client registered
    # for the refresh_token grant, offline_access asked for or not (ChatGPT asks for the challenged scopes only and
    # must still stay connected past an hour), and never for one that cannot refresh.
    granted = (grant.request.scope or "").split()
    shown = [s for s in granted if s in SCOPE_TEXT and s != OFFLINE] + [OFFLINE] * grant.client.may_refresh
    scopes = [{"name": s, "title": SCOPE_TEXT[s][0], "description": SCOPE_TEXT[s][1]} for s in shown]
    mode = current_app.config["MODE"]
    return page("authorize.html", status, client=client_context(grant.client, redirect_uri), scopes=scopes,
                mode=mode, needs_signin=mode == "api_key", signed_in_as="Demo user" if mode == "demo" else None,
                form={"action": f"{store.issuer()}/oauth/authorize", "pending_id": pending.id, "csrf_token": csrf},
                error=error)


@bp.get("/oauth/authorize")
@limit("RATE_LIMIT_AUTHORIZE")
def authorize() -> Response:
    """Validate the request and show sign-in + consent."""
    client_id = request.args.get("client_id")
    if client_id and is_cimd_client_id(client_id) and current_app.config["CIMD_ENABLED"]:
        if not request.args.get("redirect_uri"):
            # Its document can change at any time, so the URI the code goes to is never taken from it by default.
            return error_page(400, "This sign-in link is not valid",
                              "The app did not say where to send you back, which an app identified by a metadata "
                              "document must do.", "invalid_request: redirect_uri is required for this client")
        try:
            load_cimd_client(store.db(), client_id)
        except CimdError as exc:
            return error_page(exc.status, "This app could not be verified",
                              "Its client metadata document was refused.", str(exc))
    try:
        grant = _server().get_consent_grant(end_user=None)
    except OAuth2Error as err:
        return _authorize_error(err)
    except ValueError:  # Authlib cannot build an error whose description echoes non-ASCII input (e.g. response_type)
        return _authorize_error(InvalidRequestError("a parameter contains characters outside printable ASCII"))
    csrf, browser = secrets.token_urlsafe(32), request.cookies.get(_cookie_name()) or secrets.token_urlsafe(32)
    keyring = store.keyring()
    # Everything the Allow answer relies on is decided now: where the code goes (the URI sent, or a registered
    # client's only one) and which client description the person is shown.
    pending = PendingAuthorization(id=random_id(), client_id=grant.client.client_id,
                                   query=request.query_string.decode(), csrf_hash=keyring.digest(csrf),
                                   browser_hash=keyring.digest(browser), redirect_uri=grant.redirect_uri,
                                   client_fingerprint=grant.client.fingerprint,
                                   expires_at=datetime.now(timezone.utc) + PENDING_TTL)
    store.db().session.add(pending)
    store.db().session.commit()
    resp = _render_consent(grant, pending, csrf)
    resp.set_cookie(_cookie_name(), browser, max_age=int(PENDING_TTL.total_seconds()), httponly=True,
                    secure=store.issuer().startswith("https://"), samesite="Lax", path="/")
    return resp


def _load_pending(pending_id: str | None, csrf: str | None = None) -> PendingAuthorization | None:
    session = store.db().session
    pending = session.get(PendingAuthorization, pending_id) if pending_id and len(pending_id) < 100 else None
    keyring = store.keyring()
    if pending is None or pending.consumed_at is not None or aware(pending.expires_at) <= datetime.now(timezone.utc):
        return None
    if csrf is not None and not keyring.matches(csrf, pending.csrf_hash):
        return None
    if not keyring.matches(request.cookies.get(_cookie_name()), pending.browser_hash):
        return None
    return pending


def _consume(pending: PendingAuthorization, *, commit: bool = True) -> bool:
    """Use the pending request up (of two concurrent answers one wins; the other waits for this transaction).
    Without `commit` it is committed with what the answer creates (_finish), so a failure in between leaves it
    unanswered rather than answered with nothing."""
    session = store.db().session
    done = session.execute(update(PendingAuthorization).where(PendingAuthorization.id == pending.id,
                                                             PendingAuthorization.consumed_at.is_(None))
                           .values(consumed_at=datetime.now(timezone.utc))).rowcount
    if commit or done != 1:
        session.commit()
    return done == 1


def _stored(pending: PendingAuthorization) -> StoredRequest:
    return StoredRequest(f"{store.issuer()}/oauth/authorize?{pending.query}", pending.query,
                         decided_redirect_uri=pending.redirect_uri)


def _client_changed_page() -> Response:
    return error_page(409, "This app changed while you were deciding",
                      "Its details changed after the consent page was shown, so it was not given access. "
                      "Start again from your app.")


def _finish(pending: PendingAuthorization, principal: Principal | None, status: int, *,
            shown_checked: bool = False) -> Response:
    """Mint the code (or the access_denied answer) for the stored request and send the browser back; the grant, the
    code and the audit row are committed together. `shown_checked`: this request already compared the client with
    the one the consent page showed."""
    if principal is not None and not shown_checked and not still_as_shown(pending):
        return _client_changed_page()
    stored = _stored(pending)
    try:
        grant = _server().get_consent_grant(stored, end_user=principal)
    except OAuth2Error as err:
        store.db().session.commit()  # the request stays used up, as when it is consumed on its own
        return _authorize_error(err)
    resp = _server().create_authorization_response(stored, grant_user=principal, grant=grant)
    resp.status_code = status if resp.status_code in (301, 302, 303, 307) else resp.status_code
    audit("consent.granted" if principal else "consent.denied", subject=principal.subject if principal else None,
          client_id=pending.client_id, grant_id=principal.grant_id if principal else None)
    return resp


def _same_origin_post() -> bool:
    """A cross-site form post is refused even with a valid token (defence in depth beside SameSite).

    Browsers send `Origin: null` for our own form because the page's Referrer-Policy is no-referrer;
    the CSRF token, the pending id and the SameSite browser cookie still bind that post to this page.
    """
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site == "cross-site":
        return False
    if origin == "null":
        return fetch_site == "same-origin"
    return not origin or origin == _origin(store.issuer())


@bp.post("/oauth/authorize")
@limit("RATE_LIMIT_CONSENT")
def decide() -> Response:
    """Allow or Deny, bound to the pending request, its CSRF token and this browser."""
    pending = _load_pending(request.form.get("pending_id"), request.form.get("csrf_token") or "")
    if pending is None or not _same_origin_post():
        return error_page(403, "This consent form is no longer valid",
                          "It expired, was already used, or was not opened in this browser. Start again from your app.")
    if request.form.get("decision") != "allow":
        if not _consume(pending):
            return error_page(409, "Already answered", "This request was already answered.")
        return _finish(pending, None, 303)
    if not still_as_shown(pending):
        _consume(pending)
        return _client_changed_page()
    mode = current_app.config["MODE"]
    if mode == "attio_oauth":
        return redirect(upstream.start(pending), code=303)
    if mode == "api_key":
        principal = _sign_in(pending)
        if isinstance(principal, Response):
            return principal
    else:
        principal = Principal(subject=DEMO_SUBJECT, display_name="Demo user")
    if not _consume(pending, commit=False):
        return error_page(409, "Already answered", "This request was already answered.")
    return _finish(pending, principal, 303, shown_checked=True)


def _sign_in(pending: PendingAuthorization) -> Principal | Response:
    """api_key mode: the local account, within the guessing limits of connector.auth.signin."""
    username = (request.form.get("username") or "").strip()[:150]
    outcome = signin.attempt(pending, username, request.form.get("password") or "")
    user = outcome.user
    if outcome.exhausted:
        return error_page(429, "Too many sign-in attempts",
                          "This sign-in request was closed after too many failed attempts. Start again from your app.")
    if user is None:
        csrf = secrets.token_urlsafe(32)
        pending.csrf_hash = store.keyring().digest(csrf)
        store.db().session.commit()
        try:
            grant = _server().get_consent_grant(_stored(pending), end_user=None)
        except OAuth2Error as err:
            return _authorize_error(err)
        return _render_consent(grant, pending, csrf, error=signin.REFUSED, status=401)
    return Principal(subject=f"user:{user.id}", display_name=user.display_name or user.username)


@bp.get("/oauth/attio/callback")
@limit("RATE_LIMIT_CONSENT")
def attio_callback() -> Response:
    """Back from Attio: check the single-use state, link the credential, send the browser to the client."""
    state = request.args.get("state") or ""
    session = store.db().session
    digests = store.keyring().digests(state) if state else []
    pending = session.query(PendingAuthorization).filter(
        PendingAuthorization.upstream_state_hash.in_(digests)).one_or_none() if digests else None
    # The lookup is by keyed hash; the explicit constant-time comparison confirms the match.
    if pending is None or not store.keyring().matches(state, pending.upstream_state_hash) or \
            _load_pending(pending.id) is None or not _consume(pending):
        return error_page(400, "This Attio sign-in is not valid",
                          "The link expired, was already used, or did not start in this browser. "
                          "Start again from your app.")
    if request.args.get("error") or not request.args.get("code"):
        return _finish(pending, None, 302)
    try:
        principal = upstream.link(pending, request.args["code"])
    except upstream.UpstreamError as exc:
        audit("upstream.failed", client_id=pending.client_id, reason=str(exc)[:120])
        return error_page(502, "Attio sign-in failed", str(exc))
    return _finish(pending, principal, 302)
