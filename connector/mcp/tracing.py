"""A span per JSON-RPC request, following the OpenTelemetry semantic conventions for MCP, continuing the trace
context a client put in the request's `_meta` (`traceparent`, `tracestate`, `baggage`: MCP 2026-07-28) or else
the HTTP request's span. Uses only the OpenTelemetry API: without a configured SDK every call is a no-op."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from opentelemetry import trace
from opentelemetry.propagate import extract

from .. import spans

TRACER = trace.get_tracer("connector.mcp")
CARRIER_KEYS = ("traceparent", "tracestate", "baggage")


@contextmanager
def request_span(method: str, params: dict[str, Any], meta: dict[str, Any], request_id: Any,
                 session_id: str | None) -> Iterator[Any]:
    """The span of one MCP request (`tools/call search`, `resources/read`, …)."""
    carrier = {k: meta[k] for k in CARRIER_KEYS if isinstance(meta.get(k), str)} if meta else {}
    if "traceparent" not in carrier and not spans.recording():
        yield trace.INVALID_SPAN  # nothing to continue and nowhere to send it: the HTTP request's context stands
        return
    parent = extract(carrier) if "traceparent" in carrier else None
    target = params.get("name") if method in ("tools/call", "prompts/get") else None
    name = f"{method} {target}" if isinstance(target, str) else method
    attributes: dict[str, Any] = {"mcp.method.name": method, "jsonrpc.request.id": str(request_id)}
    if session_id:
        attributes["mcp.session.id"] = session_id
    if method == "tools/call" and isinstance(target, str):
        attributes.update({"gen_ai.tool.name": target, "gen_ai.operation.name": "execute_tool"})
    with TRACER.start_as_current_span(name, context=parent, kind=trace.SpanKind.SERVER if parent else
                                      trace.SpanKind.INTERNAL, attributes=attributes) as span:
        yield span
