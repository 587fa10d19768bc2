"""Attio Connector: a remote MCP server for the Attio CRM. `create_app()` is the factory."""
from __future__ import annotations

__version__ = "0.1.0"

from typing import Any, Mapping  # noqa: E402

from flask import Flask  # noqa: E402


def create_app(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the app. It reads as a table of contents: settings, then each part in its own function.

    The OAuth store's schema is not touched here: `flask --app connector db upgrade` migrates it (the release
    phase on Heroku/Render/Compose, and once in gunicorn's `on_starting` before workers fork).
    """
    from .config import load_settings
    from .flaskapp import ConnectorFlask
    from .ops.logs import init_logging
    from .sessionless import NoSessions

    settings = load_settings(environ, config)
    app = ConnectorFlask(__name__, instance_path=settings["INSTANCE_PATH"])
    app.session_interface = NoSessions()
    app.config.update(settings)
    keep_generated_secret(app)
    init_logging(app)
    configure_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions (connector.extensions) and the request hooks to the app.

    - cache: Flask-Caching for Attio reads (Redis when REDIS_URL is set);
    - the MCP protocol (its registry filled by connector.tools) and the Attio services behind it;
    - auth: the OAuth store, keys, the Authlib server, the rate limits, the guard in front of /mcp;
    - screening of tool results, then the Host check, security headers and CORS on every request;
    - observability: Prometheus metrics, OpenTelemetry traces, Sentry error reports (each when configured).
    """
    from .attio.provider import AttioServices
    from .auth import init_auth
    from .extensions import cache, redis_options
    from .mcp import McpExtension
    from .tools import register_all

    cache_config = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": app.config["CACHE_TTL_SECONDS"]}
    if app.config["REDIS_URL"]:
        cache_config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": app.config["REDIS_URL"],
                        "CACHE_KEY_PREFIX": "attio-connector:",
                        "CACHE_OPTIONS": redis_options(app.config),
                        "CACHE_DEFAULT_TIMEOUT": app.config["CACHE_TTL_SECONDS"]}
    cache.init_app(app, config=cache_config)
    mcp = McpExtension()
    register_all(mcp.registry)
    attio = AttioServices()
    attio.init_app(app, cache=cache)
    mcp.init_app(app, services=attio, cache=cache)
    init_auth(app)
    register_screening(app)
    register_security(app)
    register_observability(app)


def register_blueprints(app: Flask) -> None:
    """Every route: the MCP transports, the OAuth endpoints and pages, health/status, the API document."""
    from .auth import blueprints as auth_blueprints
    from .auth import unlimited_blueprints
    from .extensions import limiter
    from .ops.health import bp as health_bp
    from .ops.metrics import bp as metrics_bp
    from .ops.openapi import bp as openapi_bp
    from .ops.status import bp as status_bp

    transports = app.extensions["mcp"].blueprints()
    for bp in (*transports, *auth_blueprints(), health_bp, status_bp, metrics_bp, openapi_bp):
        app.register_blueprint(bp)
    # Only the auth routes are rate-limited: the MCP transports, the discovery documents and the health checks
    # skip the limiter entirely (auth, sitting in front of the transports, does not import them).
    for name in (*(bp.name for bp in transports), *unlimited_blueprints(), health_bp.name, metrics_bp.name):
        limiter.exempt(app.blueprints[name])


def register_errorhandlers(app: Flask) -> None:
    """JSON-RPC errors on MCP paths, JSON elsewhere."""
    from .errors import register_errorhandlers as register

    register(app)


def register_screening(app: Flask) -> None:
    """Prompt-injection screening of every tool result and the structural argument check (set on the MCP
    registry, which knows nothing of connector.security)."""
    from .security.hook import init_screening

    init_screening(app, app.extensions["mcp"].registry)


def register_security(app: Flask) -> None:
    """The Host check in front of every route, security headers on every response, CORS where a browser client
    needs it."""
    from .security.cors import init_cors
    from .security.headers import init_headers
    from .security.hosts import init_hosts

    init_hosts(app)
    init_headers(app)
    init_cors(app)


def register_observability(app: Flask) -> None:
    """Metrics (prometheus-client), traces (OpenTelemetry, OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set) and
    error reports (sentry-sdk when SENTRY_DSN is set)."""
    from .ops.errortracking import init_error_tracking
    from .ops.logs import init_request_ids
    from .ops.metrics import init_metrics
    from .ops.tracing import init_tracing

    init_metrics(app)
    init_tracing(app)
    init_error_tracking(app)
    init_request_ids(app)  # last: its hook goes first, so every other hook's lines carry the id


def register_commands(app: Flask) -> None:
    """The `flask --app connector …` commands: users, clients, tokens, db, keys, check, security."""
    from .cli import register_commands as register
    from .security.cli import security

    register(app)
    app.cli.add_command(security)


def keep_generated_secret(app: Flask) -> None:
    """Outside production a missing SECRET_KEY is generated once and kept in the instance folder,
    so tokens survive a restart."""
    if not app.config.get("SECRET_KEY_GENERATED"):
        return
    import os
    from pathlib import Path

    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        app.config["SECRET_KEY"] = path.read_text().strip()
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(app.config["SECRET_KEY"])


def configure_proxy(app: Flask) -> None:
    """Behind Heroku/Render's TLS-terminating router, trust exactly TRUSTED_PROXY_HOPS forwarding hops."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
