"""The id of the request being served, for every log line and audit row it causes (a neutral module: any layer
may read it). It lives in a context variable; the MCP transports copy the context into the greenlets that run
tool calls, so lines logged there (and by the Attio client) carry it too."""
from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar

from opentelemetry import trace

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
# What a client or proxy may send as X-Request-ID: short and plain, so it cannot forge log lines or fields.
ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def choose(presented: str | None) -> str:
    """The caller's X-Request-ID when it is acceptable, else a new one."""
    if presented and ACCEPTABLE.match(presented):
        return presented
    return secrets.token_hex(16)  # 32 hex digits, as uuid4().hex gave, without building a UUID per request


def current() -> str:
    """The id of the request being served, or '-' outside one."""
    return REQUEST_ID.get()


def trace_id() -> str:
    """The OpenTelemetry trace id of the current span (32 hex digits), or '-'. An MCP request that brought a
    `traceparent` in its `_meta` runs inside a span continuing that trace, so its lines name the client's trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` and `trace_id` to every record (the JSON format carries both)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops one."""
        record.request_id = REQUEST_ID.get()
        record.trace_id = trace_id()
        return True
