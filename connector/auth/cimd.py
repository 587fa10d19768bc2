"""Client ID Metadata Documents: a `client_id` that is an https URL names the document describing the client.

The document is fetched (cimd_fetch: SSRF-safe, one deadline, capped concurrency) only when an
authorization request starts and the stored copy's cache lifetime is over. Everything later in
that flow (consent, Allow, token, refresh) uses the stored row, whatever its age: a document's
cache headers decide when the *next* flow re-fetches, never what this one does. No database
connection is held while fetching, and a failed fetch is remembered briefly so a slow or broken
host is not asked again on every request.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from .cimd_fetch import BUSY, FETCH_FAILED, FetchError, FetchGate, fetch
from .clients import RedirectError, check_redirect_uri_policy
from .models import OAuthClient, aware

log = logging.getLogger(__name__)

# When the next authorization request re-fetches: the document's max-age, within these bounds.
MIN_TTL = timedelta(minutes=1)
DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=1)
# The auth method of a public client, kept out of a dict literal where bandit (B105) would read it as a password.
PUBLIC_CLIENT = "none"


class CimdError(ValueError):
    """The document could not be used; the message is safe to show. `status` is the page's HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def is_cimd_client_id(client_id: str | None) -> bool:
    """A URL-shaped client id (https, or http when loopback is allowed) with a path."""
    if not client_id or not client_id.startswith(("https://", "http://")):
        return False
    try:
        parts = urlsplit(client_id)
    except ValueError:
        return False
    return bool(parts.hostname) and parts.path not in ("", "/")


def cache_lifetime(cache_control: str) -> timedelta:
    """How long the stored document serves new authorization requests: max-age clamped to [1 min, 1 day];
    no-store / no-cache mean the minimum (the current flow still uses the row it stored)."""
    cc = parse_cache_control_header(cache_control or "", cls=ResponseCacheControl)
    if cc.no_store or cc.no_cache:
        return MIN_TTL
    if cc.max_age is None:
        return DEFAULT_TTL
    return min(max(timedelta(seconds=cc.max_age), MIN_TTL), MAX_TTL)


def validate_document(url: str, doc: Any) -> dict[str, Any]:
    """The client metadata we keep, or CimdError naming the problem."""
    if not isinstance(doc, dict):
        raise CimdError("the client metadata document must be a JSON object")
    if doc.get("client_id") != url:
        raise CimdError("the document's client_id does not equal its URL")
    uris = doc.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise CimdError("the document needs a non-empty redirect_uris list")
    for uri in uris:
        try:
            check_redirect_uri_policy(uri)
        except RedirectError as exc:
            raise CimdError(str(exc)) from None
    if any(k in doc for k in ("client_secret", "client_secret_expires_at")):
        raise CimdError("a client metadata document must not carry a secret")
    name = doc.get("client_name")
    # We do not implement private_key_jwt: a document that also lists `none` (ChatGPT's does) is a public
    # client with PKCE, which is exactly as safe for the code flow.
    return {"redirect_uris": uris, "client_name": name if isinstance(name, str) else urlsplit(url).hostname,
            "client_uri": doc.get("client_uri") if isinstance(doc.get("client_uri"), str) else None,
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": PUBLIC_CLIENT}


def _gate() -> FetchGate:
    cfg = current_app.config
    return current_app.extensions.setdefault(
        "cimd_gate", FetchGate(cfg["CIMD_MAX_FETCHES"], cfg["CIMD_MAX_FETCHES_PER_HOST"]))


def _failure_key(url: str) -> str:
    return "cimd-failed:" + hashlib.sha256(url.encode()).hexdigest()


def _cache() -> Any:
    from ..extensions import cache

    return cache


def _download(url: str) -> tuple[dict[str, Any], timedelta]:
    """Fetch and validate, remembering a failure for CIMD_FAILURE_CACHE_SECONDS."""
    cfg = current_app.config
    remembered = _cache().get(_failure_key(url))
    if remembered:
        raise CimdError(remembered)
    try:
        with _gate().slot((urlsplit(url).hostname or "").lower()):
            got = fetch(url, deadline=cfg["CIMD_FETCH_DEADLINE"], allow_loopback=cfg["CIMD_ALLOW_LOOPBACK"],
                        ca_bundle=cfg["CIMD_CA_BUNDLE"])
        try:
            doc = json.loads(got.body)
        except ValueError:  # as for any other fetch failure, the page does not say what came back
            raise CimdError(FETCH_FAILED) from None
        return validate_document(url, doc), cache_lifetime(got.cache_control)
    except FetchError as exc:
        if str(exc) == BUSY:  # our own limit, not the host's fault: nothing to remember
            raise CimdError(str(exc), status=503) from None
        failure = CimdError(str(exc))
    except CimdError as exc:
        failure = exc
    if cfg["CIMD_FAILURE_CACHE_SECONDS"]:
        _cache().set(_failure_key(url), str(failure), timeout=cfg["CIMD_FAILURE_CACHE_SECONDS"])
    raise failure


def load_cimd_client(db: Any, url: str) -> OAuthClient:
    """The stored client for a metadata URL, fetched (again) first when its cache lifetime is over.

    The session's transaction is ended before the fetch, so no pooled connection waits on the host.
    """
    session = db.session
    row = session.get(OAuthClient, url)
    now = datetime.now(timezone.utc)
    if row is not None and row.revoked_at is not None:
        raise CimdError("this client has been revoked by the operator")
    if row is not None and row.source == "cimd" and (aware(row.expires_at) or now) > now:
        return row
    db.release()
    meta, ttl = _download(url)
    try:
        return _save(session, url, meta, ttl)
    except IntegrityError:  # a concurrent request stored the same client first: update its row instead
        session.rollback()
        return _save(session, url, meta, ttl)


def _save(session: Any, url: str, meta: dict[str, Any], ttl: timedelta) -> OAuthClient:
    row = session.get(OAuthClient, url)
    if row is None:
        row = OAuthClient(client_id=url, source="cimd")
        session.add(row)
    row.client_name = (meta["client_name"] or "")[:200]
    row.metadata_json = json.dumps(meta)
    row.expires_at = datetime.now(timezone.utc) + ttl
    session.commit()
    return row
