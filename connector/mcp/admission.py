"""A rate on new MCP sessions per caller (`initialize`, `GET /sse`), with the `limits` library.

The caller is a session's `client_key`: the token subject, or the client address without auth.
Counters live in Redis when REDIS_URL is set (shared by every worker), else in the worker's memory.
"""
from __future__ import annotations

import time
from typing import Any

from flask import Response
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .. import metrics
from ..web import rpc_error
from . import jsonrpc

NAMESPACE = "attio-connector:mcp-new-session"


class SessionRate:
    """At most RATE_LIMIT_INITIALIZE new sessions per caller; None as the rate turns it off."""

    def __init__(self, rate: str | None, storage_uri: str, socket_timeout: float | None = None) -> None:
        self.items = parse_many(rate) if rate else []
        # With Redis, short timeouts: an outage raises quickly (the app answers 503: fail closed, no admission).
        options = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout} if socket_timeout else {}
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri, **options)) if self.items else None

    def refuse(self, caller: str, msg_id: Any = None) -> Response | None:
        """Count one new session for `caller`; the 429 JSON-RPC error when that is one too many."""
        if self.limiter is None:
            return None
        for item in self.items:
            if not self.limiter.hit(item, NAMESPACE, caller):
                metrics.RATE_LIMITED.labels("RATE_LIMIT_INITIALIZE").inc()
                reset_at, _ = self.limiter.get_window_stats(item, NAMESPACE, caller)
                retry_after = max(1, int(reset_at - time.time()) + 1)
                return rpc_error(429, jsonrpc.INVALID_REQUEST,
                                 f"Too many new sessions for this caller (limit {item}); reuse the session you "
                                 f"have or retry in {retry_after} s", headers={"Retry-After": str(retry_after)},
                                 msg_id=msg_id)
        return None
