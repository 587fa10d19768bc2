"""`/status` for the operator: mode, clients, active grants, recent auth failures and rate-limit hits.

Authenticated with `Authorization: Bearer $STATUS_TOKEN`; without STATUS_TOKEN the page is off.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, current_app

from ..auth import store
from ..auth.models import AuditEvent, Grant, OAuthClient, Token
from ..web import json_response, operator_token_refusal

bp = Blueprint("status", __name__)

FAILURES = ("signin.failed", "code.replayed", "refresh.reused", "upstream.failed", "auth.failed")


@bp.get("/status")
def status() -> Response:
    """Counts for the operator; never tokens or personal data."""
    refused = operator_token_refusal("STATUS_TOKEN", "/status")
    if refused is not None:
        return refused
    session = store.db().session
    now = datetime.now(timezone.utc)
    day = now - timedelta(hours=24)
    recent = (session.query(AuditEvent).filter(AuditEvent.type.in_(FAILURES), AuditEvent.ts >= day)
              .order_by(AuditEvent.ts.desc()).limit(20).all())
    mcp = current_app.extensions["mcp"]
    body = {
        "mode": current_app.config["MODE"],
        "version": current_app.config["VERSION"],
        "auth": "disabled" if current_app.config["AUTH_DISABLED"] else "oauth",
        "clients": {"total": session.query(OAuthClient).count(),
                    "revoked": session.query(OAuthClient).filter(OAuthClient.revoked_at.isnot(None)).count()},
        "active_grants": session.query(Grant).filter(Grant.revoked_at.is_(None)).count(),
        "live_access_tokens": session.query(Token).filter(Token.revoked_at.is_(None),
                                                          Token.access_expires_at > now).count(),
        "auth_failures_24h": session.query(AuditEvent).filter(AuditEvent.type.in_(FAILURES),
                                                              AuditEvent.ts >= day).count(),
        "rate_limit_hits_24h": session.query(AuditEvent).filter(AuditEvent.type == "ratelimit.hit",
                                                                AuditEvent.ts >= day).count(),
        "recent_failures": [{"at": e.ts.isoformat(), "type": e.type, "client_id": e.client_id, "ip": e.ip}
                            for e in recent],
        "mcp": {"sessions": len(mcp.sessions), "open_streams": mcp.gate.open_streams},
        "attio_cache": dict(current_app.extensions["attio"].cache_stats),  # this worker, since start
    }
    return json_response(body, headers={"Cache-Control": "no-store"})
