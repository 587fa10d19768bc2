"""The audit log: one table row and one structured log line per security event, never a secret."""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import insert

from .. import metrics, requestid
from .models import AuditEvent

log = logging.getLogger("connector.audit")

EVENTS = frozenset({
    "client.registered", "client.metadata_fetched", "client.revoked",
    "signin.succeeded", "signin.failed", "signin.locked", "consent.granted", "consent.denied",
    "token.issued", "token.refreshed", "token.revoked", "grant.revoked",
    "code.replayed", "refresh.reused", "upstream.linked", "upstream.failed", "upstream.revoked",
    "upstream.revoke_failed", "store.purged",
    "ratelimit.hit", "auth.failed", "screening.flagged",
})


def audit(event: str, *, subject: str | None = None, client_id: str | None = None, grant_id: str | None = None,
          commit: bool = True, **detail: Any) -> None:
    """Record `event`; `detail` must hold no secrets (ids, counts, reasons only)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event}")
    metrics.AUTH_EVENTS.labels(event).inc()
    if requestid.current() != "-":
        detail = {**detail, "request_id": requestid.current()}
    ip = request.remote_addr if has_request_context() else None
    db = current_app.extensions["db"]
    # A plain INSERT in the session's transaction (the row is never read back here): the unit of work would add a
    # flush's bookkeeping to every OAuth request that audits.
    db.session.execute(insert(AuditEvent.__table__).values(type=event, subject=subject, client_id=client_id,
                                                           grant_id=grant_id, ip=ip, detail=detail))
    if commit:
        db.session.commit()
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps({"audit": event, "subject": subject, "client_id": client_id, "grant_id": grant_id,
                             "ip": ip, **detail}, default=str, separators=(",", ":")))
