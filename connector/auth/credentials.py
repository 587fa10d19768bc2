"""The Attio credentials behind attio_oauth grants: wiped and revoked at Attio once no live grant uses them,
wiped at once when Attio rejects them, and re-encrypted under the newest key.

Attio tokens never expire, so a copy left in the store is a standing key to a workspace. Our copy
is wiped first and only then is Attio asked to revoke the token: an Attio outage (or its 50/min
limit on revocations) leaves nothing here, and is audited as `upstream.revoke_failed`.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

import requests
from flask import current_app
from sqlalchemy import select, update

from .audit import audit
from .models import Grant, UpstreamCredential

log = logging.getLogger("connector.auth")
REVOKE_TIMEOUT = 10.0  # seconds; a revocation runs inside the request (or command) that revoked the grant


def _db() -> Any:
    return current_app.extensions["db"]


def retire_unused(credential_ids: Iterable[str | None], reason: str) -> int:
    """Wipe (and revoke at Attio) each credential that no live grant still uses; how many were wiped."""
    session = _db().session
    keyring = current_app.extensions["keyring"]
    wiped: list[tuple[str, str, str | None]] = []
    for cred_id in sorted({c for c in credential_ids if c}):
        in_use = session.execute(select(Grant.id).where(Grant.upstream_credential_id == cred_id,
                                                        Grant.revoked_at.is_(None)).limit(1)).first()
        cred = session.get(UpstreamCredential, cred_id)
        if in_use or cred is None or cred.ciphertext is None:
            continue
        ciphertext = cred.ciphertext
        # Conditional on the ciphertext read: of two concurrent revocations one wipes and calls Attio.
        if _wipe(session, cred_id, ciphertext):
            wiped.append((cred_id, cred.subject, keyring.decrypt(ciphertext)))
    session.commit()
    for cred_id, subject, token in wiped:
        error = revoke_at_attio(token) if token else "no configured key opens the stored ciphertext"
        audit("upstream.revoked", subject=subject, commit=False, reason=reason, credential_id=cred_id,
              attio="failed" if error else "revoked")
        if error:
            audit("upstream.revoke_failed", subject=subject, commit=False, credential_id=cred_id, error=error)
            log.warning("Attio did not confirm revoking credential %s (%s); our copy is wiped", cred_id, error)
    session.commit()
    return len(wiped)


def wipe_rejected(credential_id: str) -> bool:
    """Attio answered 401 to this credential: wipe it (nothing to revoke at Attio); False if already gone."""
    session = _db().session
    cred = session.get(UpstreamCredential, credential_id)
    subject = cred.subject if cred is not None else None
    done = cred is not None and cred.ciphertext is not None and _wipe(session, credential_id, cred.ciphertext)
    session.commit()
    if done:
        audit("upstream.revoked", subject=subject, reason="unauthorized_at_attio", credential_id=credential_id,
              attio="already_rejected")
    return done


def _wipe(session: Any, cred_id: str, ciphertext: str) -> bool:
    changed = session.execute(update(UpstreamCredential)
                              .where(UpstreamCredential.id == cred_id, UpstreamCredential.ciphertext == ciphertext)
                              .values(ciphertext=None, status="revoked")).rowcount
    return changed == 1


def revoke_at_attio(token: str) -> str | None:
    """POST the token to Attio's /oauth/revoke (204 when done); None on success, else why not (never the token)."""
    cfg = current_app.config
    _db().release()  # no pooled connection waits on Attio
    try:
        resp = requests.post(f"{cfg['ATTIO_OAUTH_URL']}/oauth/revoke", data={"token": token}, timeout=REVOKE_TIMEOUT)
    except requests.RequestException as exc:
        return f"Attio could not be reached ({exc.__class__.__name__})"
    if resp.status_code in (200, 204):
        return None
    return f"Attio answered HTTP {resp.status_code}"


def rotate_all() -> dict[str, int]:
    """Re-encrypt every stored credential under the newest key: counts of rotated, current and unreadable."""
    session = _db().session
    keyring = current_app.extensions["keyring"]
    counts = {"rotated": 0, "current": 0, "unreadable": 0}
    ids = session.execute(select(UpstreamCredential.id).where(UpstreamCredential.ciphertext.is_not(None))).scalars()
    for cred_id in list(ids):
        cred = session.get(UpstreamCredential, cred_id)
        if cred is None or cred.ciphertext is None:
            continue
        if keyring.decrypt(cred.ciphertext) is None:
            counts["unreadable"] += 1
        elif cred.key_id == keyring.key_ids[0]:
            counts["current"] += 1
        else:
            cred.ciphertext, cred.key_id = keyring.rotate(cred.ciphertext)
            counts["rotated"] += 1
    session.commit()
    return counts
