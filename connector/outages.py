"""A dependency that is down (Redis, the OAuth store's database) is an outage, not a bug: 503 with Retry-After.

Every route answers it in its own shape — a JSON-RPC error on the MCP endpoints, RFC 6749-style JSON on
/oauth/* and the discovery documents, a short page on the browser pages, JSON elsewhere — and says which part
is unavailable, never how to reach it (no URL, host or credential). Nothing is half-written: the request's
transaction is rolled back by the session teardown, and each part reconnects on its next use (redis-py per
command, SQLAlchemy's pool with pre-ping).
"""
from __future__ import annotations

import logging
import time

from flask import Response
from markupsafe import escape

from . import metrics
from .web import route_shaped_error

log = logging.getLogger("connector.outage")
RETRY_AFTER_SECONDS = 5
# JSON-RPC: an implementation-defined server error (-32000..-32099); the HTTP status carries the meaning.
SERVER_UNAVAILABLE = -32000
PAGE = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Temporarily unavailable</title>"
        "</head><body><h1>Temporarily unavailable</h1><p>{message}</p><p>Nothing was changed. Please try again "
        "in a few seconds.</p></body></html>\n")
_last_logged: dict[str, float] = {}


def failing_part(exc: BaseException) -> str | None:
    """'redis' or 'database' when `exc` says that dependency is unreachable, else None (a bug of ours)."""
    import redis
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "redis"
    if isinstance(exc, redis.exceptions.BusyLoadingError | redis.exceptions.ReadOnlyError):
        return "redis"
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError):
        return "database"
    if isinstance(exc, sa_exc.TimeoutError):  # the connection pool stayed empty
        return "database"
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return "database"
    cause = exc.__cause__ or exc.__context__
    return failing_part(cause) if isinstance(cause, Exception) and cause is not exc else None


MESSAGES = {
    "redis": "Service temporarily unavailable: the session and rate-limit store (Redis) cannot be reached",
    "database": "Service temporarily unavailable: the authorization database cannot be reached",
}


def log_outage(part: str, exc: BaseException) -> None:
    """One warning per part every 10 s: an outage under load must not flood the log."""
    metrics.OUTAGES.labels(part).inc()
    now = time.monotonic()
    if now - _last_logged.get(part, 0.0) >= 10:
        _last_logged[part] = now
        log.warning("%s unavailable (%s); answering 503 until it returns", part, exc.__class__.__name__)


def unavailable(part: str) -> Response:
    """The 503 for an outage of `part`, in the shape of the route."""
    message = f"{MESSAGES[part]}; retry in {RETRY_AFTER_SECONDS} seconds"
    page = PAGE.format(message=escape(MESSAGES[part]))
    return route_shaped_error(503, message, rpc_code=SERVER_UNAVAILABLE, page=page,
                              oauth_error="temporarily_unavailable", other_error="service_unavailable",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
                              data={"unavailable": part})
