"""Purging the OAuth store: expired pending requests and codes, dead tokens and grants, and credentials no grant
uses; `flask --app connector db purge` runs it once, `start_timer` every PURGE_INTERVAL_SECONDS in each worker.

A row goes once it has been dead for PURGE_GRACE_SECONDS: a used code stays until then so a replay is still
recognised (and revokes its grant), a rotated refresh token until its own lifetime ends so reuse is still
recognised. A live grant that can no longer produce a token (no live token, no code left) is revoked, which
wipes its Attio credential and revokes it at Attio.
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import gevent
from flask import Flask, current_app
from sqlalchemy import and_, delete, exists, or_, select

from . import credentials, store
from .audit import audit
from .models import AuthCode, Grant, PendingAuthorization, Token, UpstreamCredential

log = logging.getLogger("connector.auth")

# A credential is stored a moment before the grant that uses it (the Attio callback): never treat a younger one
# as orphaned, whatever the grace.
ORPHAN_MIN_AGE = timedelta(minutes=15)


def purge() -> dict[str, int]:
    """Delete what can no longer be used; counts per kind (never a value)."""
    session = store.db().session
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(seconds=current_app.config["PURGE_GRACE_SECONDS"])
    counts = {"pending": session.execute(delete(PendingAuthorization)
                                         .where(PendingAuthorization.expires_at < cutoff)).rowcount,
              "codes": session.execute(delete(AuthCode).where(AuthCode.expires_at < cutoff)).rowcount}
    dead_token = or_(Token.revoked_at < cutoff, Token.refresh_expires_at < cutoff,
                     and_(Token.refresh_expires_at.is_(None), Token.access_expires_at < cutoff))
    counts["tokens"] = session.execute(delete(Token).where(dead_token)).rowcount
    session.commit()

    has_token = exists().where(Token.grant_id == Grant.id)
    has_code = exists().where(AuthCode.grant_id == Grant.id)
    barren = session.execute(select(Grant.id).where(Grant.revoked_at.is_(None), Grant.created_at < cutoff,
                                                    ~has_token, ~has_code)).scalars().all()
    for grant_id in barren:
        store.revoke_grant(grant_id, "expired")
    counts["grants_expired"] = len(barren)
    counts["grants"] = session.execute(delete(Grant).where(Grant.revoked_at < cutoff, ~has_token,
                                                            ~has_code)).rowcount
    session.commit()

    # Credentials left behind: no live grant uses them (a link whose flow never finished, or a revocation from
    # before credentials were wiped with their grants).
    in_use = exists().where(Grant.upstream_credential_id == UpstreamCredential.id, Grant.revoked_at.is_(None))
    stale = session.execute(select(UpstreamCredential.id).where(
        UpstreamCredential.ciphertext.is_not(None), ~in_use,
        UpstreamCredential.created_at < min(cutoff, now - ORPHAN_MIN_AGE))).scalars().all()
    counts["credentials_wiped"] = credentials.retire_unused(stale, "purged")
    referenced = exists().where(Grant.upstream_credential_id == UpstreamCredential.id)
    counts["credentials"] = session.execute(delete(UpstreamCredential).where(
        UpstreamCredential.ciphertext.is_(None), ~referenced)).rowcount
    session.commit()
    if any(counts.values()):
        audit("store.purged", **counts)
    return counts


def start_timer(app: Flask) -> gevent.Greenlet | None:
    """Purge every PURGE_INTERVAL_SECONDS (jittered) in this process; None when the setting is 0. Once per app."""
    interval = app.config["PURGE_INTERVAL_SECONDS"]
    if not interval:
        return None
    running = app.extensions.get("purge_timer")
    if running is not None and not running.dead:
        return running
    timer = gevent.spawn(_every, app, float(interval))
    app.extensions["purge_timer"] = timer
    return timer


def _every(app: Flask, interval: float) -> None:
    # Jittered so that workers and instances sharing one database do not purge in step; the first run comes
    # anywhere within the first interval. No app context (so no database session) is held while sleeping.
    wait = random.uniform(0, interval)  # nosec B311  # scheduling jitter, not a secret
    while True:
        gevent.sleep(wait)
        _run_once(app)
        wait = interval * random.uniform(0.8, 1.2)  # nosec B311  # scheduling jitter, not a secret


def _run_once(app: Flask) -> Any:
    try:
        with app.app_context():
            counts = purge()
    except Exception:  # a bad run must not end the timer: the next one retries
        log.exception("purging the OAuth store failed; retrying at the next interval")
        return None
    if any(counts.values()):
        log.info("purged the OAuth store: %s", counts)
    return counts
