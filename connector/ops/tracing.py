"""OpenTelemetry traces, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set.

The official SDK and instrumentations for Flask (a server span per request, W3C `traceparent` honoured from the
headers), requests (the Attio calls), SQLAlchemy and redis. The MCP layer adds a span per JSON-RPC request that
continues a `traceparent` found in the request's `_meta` (connector.mcp.tracing). The standard OTEL_* variables
configure the exporter (headers, timeout, batch delay); OTEL_SERVICE_NAME defaults to attio-connector. Without an
endpoint nothing is set up: the API's no-op tracer costs a function call. Query strings never reach a span
(an OAuth callback carries its code there).
"""
from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from flask import Flask, request

log = logging.getLogger("connector.tracing")
_process_provider: Any = None


def enabled() -> bool:
    """True when an OTLP endpoint is configured."""
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _provider(version: str) -> Any:
    """One tracer provider per process (each gunicorn worker builds its own after the fork)."""
    global _process_provider
    if _process_provider is None:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "attio-connector"),
                                    "service.version": version})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        atexit.register(provider.shutdown)  # flush what is buffered when the worker exits
        _process_provider = provider
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        RequestsInstrumentor().instrument(tracer_provider=provider)
        RedisInstrumentor().instrument(tracer_provider=provider)
    return _process_provider


def _path_only_target() -> None:
    """Runs before the instrumentation reads the request: the raw request target it would record as `http.target`
    becomes the path alone (the app reads the query from QUERY_STRING, which stays)."""
    environ = request.environ
    environ["RAW_URI"] = environ.get("PATH_INFO", "") or "/"
    environ.pop("REQUEST_URI", None)


def init_tracing(app: Flask) -> None:
    """Instrument `app` when tracing is configured."""
    if not enabled():
        return
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    provider = _provider(app.config["VERSION"])
    app.before_request_funcs.setdefault(None, []).insert(0, _path_only_target)
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider,
                                       excluded_urls="healthz,readyz,metrics", enable_commenter=False)
    SQLAlchemyInstrumentor().instrument(engine=app.extensions["db"].engine, tracer_provider=provider,
                                        enable_commenter=False)
    log.info("tracing: exporting spans over OTLP")
