"""`/healthz` (the process is alive) and `/readyz` (Attio answers with our credential)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..identity import Caller
from ..web import json_response

bp = Blueprint("health", __name__)


def _summary() -> dict:
    services = current_app.extensions["attio"]
    out = {"mode": services.mode, "version": current_app.config["VERSION"]}
    if services.mode == "demo":
        out["demo"] = True
        out["note"] = "demo mode: serving a built-in sample Attio workspace, not real data"
    return out


@bp.route("/", methods=["GET", "HEAD"])
def index() -> Response:
    """Where the MCP endpoints are, for a person or a probe landing on the root."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return json_response({"name": "Attio Connector", **_summary(), "mcp": f"{base}/mcp", "sse": f"{base}/sse"})


@bp.route("/healthz", methods=["GET", "HEAD"])
def healthz() -> Response:
    """Alive: answers without touching anything else."""
    return json_response({"status": "ok", **_summary()})


@bp.route("/readyz", methods=["GET", "HEAD"])
def readyz() -> Response:
    """Ready: Attio is reachable with the deployment's credential (or, per user, reachable at all)."""
    services = current_app.extensions["attio"]
    checks: dict[str, str] = {}
    ok = True
    if services.mode == "attio_oauth":
        checks["attio"] = "per-user credentials; checked on each call"
    else:
        try:
            me = services.attio_for(Caller()).self_info()
            checks["attio"] = "ok" if me.get("active", True) else "credential inactive"
            ok = me.get("active", True) is not False
            if me.get("workspace_slug"):
                checks["workspace"] = me["workspace_slug"]
        except Exception as exc:  # readiness reports every failure instead of raising
            ok = False
            message = getattr(exc, "tool_message", None)
            checks["attio"] = message() if callable(message) else f"unreachable ({exc.__class__.__name__})"
    return json_response({"status": "ready" if ok else "not ready", "checks": checks, **_summary()},
                         200 if ok else 503)
