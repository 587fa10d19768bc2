"""`/healthz` (the process is alive) and `/readyz` (Attio answers with our credential)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, current_app, request

from ..identity import Caller
from ..web import json_response

bp = Blueprint("health", __name__)

DATABASE_CHECK_SECONDS = 3.0  # a load balancer's probe usually gives up after 5 s
T = TypeVar("T")


class DeadlineExceeded(Exception):
    """A readiness check took longer than its budget."""


def bounded(seconds: float, fn: Callable[[], T]) -> T:
    """`fn()`, cut short with DeadlineExceeded after `seconds` under gevent (the server's workers, where the database
    and Redis drivers yield on I/O); a plain call elsewhere (the CLI, in-process tests)."""
    monkey = sys.modules.get("gevent.monkey")
    if not (monkey and monkey.is_module_patched("socket")):
        return fn()
    import gevent

    timer = gevent.Timeout(seconds)
    timer.start()
    try:
        return fn()
    except BaseException:
        # Fired: a driver's own clean-up may have replaced our Timeout with its error (SQLAlchemy's psycopg ping
        # resets autocommit in a `finally` and raises ProgrammingError), so ask the timer, not the exception.
        if not timer.pending:
            raise DeadlineExceeded from None
        raise
    finally:
        timer.close()


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
    """Ready: every part answers — the database (and its schema), Redis when set, and Attio. A 503 names the part
    that failed and why, in words an operator can act on (no address or credential)."""
    checks = {"database": check_database(), "attio": check_attio()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = check_redis()
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "not ready" if failing else "ready", "checks": checks, **_summary()}
    if failing:
        body["failing"] = failing
    return json_response(body, 503 if failing else 200, {"Cache-Control": "no-store"})


def _database_revisions() -> tuple[str | None, str | None]:
    from sqlalchemy import text

    from ..auth.migrate import current_and_head

    with current_app.extensions["db"].engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return current_and_head(current_app)


def check_database() -> dict:
    """SELECT 1 through the app's engine within DATABASE_CHECK_SECONDS, and the schema at the newest migration."""
    try:
        current, head = bounded(DATABASE_CHECK_SECONDS, _database_revisions)
    except DeadlineExceeded:
        return {"ok": False, "detail": f"no answer within {DATABASE_CHECK_SECONDS:g} s; check that the database "
                                       "server is up and not overloaded, and the network to it"}
    except Exception as exc:  # readiness reports every failure instead of raising
        return {"ok": False, "detail": f"unreachable ({exc.__class__.__name__}); check DATABASE_URL and that the "
                                       "database server is up"}
    if current != head:
        return {"ok": False, "detail": f"schema at {current or 'nothing'}, code expects {head}: run "
                                       "`flask --app connector db upgrade`"}
    return {"ok": True, "detail": "ok"}


def check_redis() -> dict:
    """PING with the app's short Redis timeouts."""
    import redis

    from ..extensions import redis_options

    try:
        redis.Redis.from_url(current_app.config["REDIS_URL"], **redis_options(current_app.config)).ping()
    except redis.RedisError as exc:
        return {"ok": False, "detail": f"unreachable ({exc.__class__.__name__}); check REDIS_URL and that Redis is "
                                       "up"}
    return {"ok": True, "detail": "ok"}


def check_attio() -> dict:
    """Attio answers with the deployment's credential (per-user credentials are checked on each call)."""
    services = current_app.extensions["attio"]
    if services.mode == "attio_oauth":
        return {"ok": True, "detail": "per-user credentials; checked on each call"}
    try:
        me = services.attio_for(Caller()).self_info()
    except Exception as exc:  # readiness reports every failure instead of raising
        message = getattr(exc, "tool_message", None)
        return {"ok": False, "detail": message() if callable(message) else f"unreachable ({exc.__class__.__name__})"}
    if me.get("active", True) is False:
        return {"ok": False, "detail": "credential inactive: the Attio key was revoked; set a new ATTIO_API_KEY"}
    out = {"ok": True, "detail": "ok"}
    if me.get("workspace_slug"):
        out["workspace"] = me["workspace_slug"]
    return out
