"""attio_oauth mode: after our consent, the person signs in at Attio; their token is stored encrypted.

The Attio token never reaches the MCP client: it is bound to our grant and decrypted per
request. Attio tokens do not expire, so we introspect them on refresh (at most every
UPSTREAM_INTROSPECT_SECONDS) and revoke our grant once Attio says `active: false`.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import requests
from flask import current_app

from . import store
from .audit import audit
from .crypto import new_token
from .models import PendingAuthorization, UpstreamCredential, aware


class UpstreamError(Exception):
    """The Attio round trip failed; the message is safe to show to the person."""


def callback_url() -> str:
    """Our redirect URI registered with the Attio app."""
    return f"{store.issuer()}/oauth/attio/callback"


def start(pending: PendingAuthorization) -> str:
    """Bind a single-use state to the pending request and return Attio's authorize URL."""
    state = secrets.token_urlsafe(32)
    pending.upstream_state_hash = store.keyring().digest(state)
    pending.expires_at = datetime.now(timezone.utc) + timedelta(minutes=10)
    store.db().session.commit()
    cfg = current_app.config
    query = urlencode({"client_id": cfg["ATTIO_CLIENT_ID"], "response_type": "code",
                       "redirect_uri": callback_url(), "state": state})
    return f"{cfg['ATTIO_OAUTH_URL']}/authorize?{query}"


def _post(path: str, **kwargs: Any) -> requests.Response:
    store.db().release()  # no pooled connection waits on Attio
    try:
        return requests.post(f"{current_app.config['ATTIO_OAUTH_URL']}{path}", timeout=15, **kwargs)
    except requests.RequestException as exc:
        raise UpstreamError(f"Attio could not be reached ({exc.__class__.__name__}); try again.") from None


def exchange(code: str) -> str:
    """Trade Attio's code for Attio's access token (server side, with our client secret)."""
    cfg = current_app.config
    resp = _post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                       "client_id": cfg["ATTIO_CLIENT_ID"], "client_secret": cfg["ATTIO_CLIENT_SECRET"],
                                       "redirect_uri": callback_url()})
    if resp.status_code != 200:
        raise UpstreamError("Attio did not accept the sign-in (the code was rejected); start again from your app.")
    token = (resp.json() or {}).get("access_token")
    if not token:
        raise UpstreamError("Attio's answer had no access token.")
    return token


def introspect(token: str) -> dict[str, Any]:
    """Attio's introspection of its token ({"active": false} when revoked)."""
    resp = _post("/oauth/introspect", headers={"Authorization": f"Bearer {token}"})
    if resp.status_code != 200:
        raise UpstreamError(f"Attio introspection answered HTTP {resp.status_code}")
    return resp.json()


def link(pending: PendingAuthorization, code: str) -> Any:
    """Exchange, introspect, pin the tenant, store the credential; returns the Principal."""
    from .server import Principal

    token = exchange(code)
    info = introspect(token)
    if not info.get("active"):
        raise UpstreamError("Attio reports the new token as inactive.")
    workspace_id = str(info.get("workspace_id") or info.get("sub") or "")
    allowed = current_app.config["ATTIO_ALLOWED_WORKSPACE_IDS"]
    if allowed and workspace_id not in allowed:
        audit("upstream.failed", client_id=pending.client_id, reason="workspace_not_allowed", workspace_id=workspace_id)
        raise UpstreamError("This Attio workspace is not allowed on this connector.")
    ciphertext, key_id = store.keyring().encrypt(token)
    member = str(info.get("authorized_by_workspace_member_id") or "")
    subject = f"attio:{workspace_id}:{member}"
    cred = UpstreamCredential(id=new_token("uc", 12), subject=subject, workspace_id=workspace_id,
                              workspace_slug=str(info.get("workspace_slug") or ""), member_id=member,
                              ciphertext=ciphertext, key_id=key_id, last_introspected_at=datetime.now(timezone.utc))
    store.db().session.add(cred)
    store.db().session.commit()
    audit("upstream.linked", subject=subject, client_id=pending.client_id, workspace_id=workspace_id)
    return Principal(subject=subject, display_name=str(info.get("workspace_name") or ""),
                     upstream_credential_id=cred.id, workspace_id=workspace_id)


def introspect_if_due(cred: UpstreamCredential) -> bool:
    """False once Attio says the token is gone (and the credential is then wiped); outages count as alive."""
    interval = timedelta(seconds=current_app.config["UPSTREAM_INTROSPECT_SECONDS"])
    last = aware(cred.last_introspected_at)
    if last is not None and datetime.now(timezone.utc) - last < interval:
        return True
    token = store.keyring().decrypt(cred.ciphertext or "")
    if token is None:
        return False
    try:
        active = bool(introspect(token).get("active"))
    except UpstreamError:
        return True
    cred.last_introspected_at = datetime.now(timezone.utc)
    if not active:
        cred.status, cred.ciphertext = "revoked", None
        audit("upstream.revoked", subject=cred.subject, commit=False, reason="inactive_at_attio")
    store.db().session.commit()
    return active
