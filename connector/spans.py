"""Whether OpenTelemetry spans go anywhere (a neutral helper for every layer). Without a configured SDK the API
hands out non-recording spans, yet starting one still costs a context switch, an attributes dict and a few
function calls: the hot paths skip spans that would carry nothing."""
from __future__ import annotations

from opentelemetry import trace


def recording() -> bool:
    """True once a real tracer provider is set (connector.ops.tracing does so when an OTLP endpoint is configured)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
