"""Attio Connector: a remote MCP server for the Attio CRM. `create_app()` is the factory."""
from __future__ import annotations

__version__ = "0.1.0"

import logging  # noqa: E402
from typing import Any, Mapping  # noqa: E402

from flask import Flask  # noqa: E402


def create_app(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers."""
    from .config import load_settings

    from .sessionless import NoSessions

    app = Flask(__name__)
    app.session_interface = NoSessions()
    app.config.update(load_settings(environ, config))
    keep_generated_secret(app)
    configure_logging(app)
    configure_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_screening(app)
    register_commands(app)
    return app


def register_screening(app: Flask) -> None:
    """Prompt-injection screening of every tool result and the structural argument check (set on the MCP
    registry, which knows nothing of connector.security), and the `security` command group."""
    from .security.cli import security
    from .security.hook import init_screening

    init_screening(app, app.extensions["mcp"].registry)
    app.cli.add_command(security)


def register_security(app: Flask) -> None:
    """The Host check in front of every route, security headers on every response, CORS where a browser client
    needs it, the OpenAPI document."""
    from .ops.openapi import bp as openapi_bp
    from .security.cors import init_cors
    from .security.headers import init_headers
    from .security.hosts import init_hosts

    init_hosts(app)
    init_headers(app)
    init_cors(app)
    app.register_blueprint(openapi_bp)


def register_commands(app: Flask) -> None:
    """The `flask --app connector …` commands."""
    from .cli import register_commands as register

    register(app)


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


def configure_logging(app: Flask) -> None:
    """One line per event, level from LOG_LEVEL."""
    level = getattr(logging, app.config["LOG_LEVEL"])
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("connector").setLevel(level)
    if app.config["MODE"] == "demo":
        logging.getLogger("connector").info(
            "DEMO MODE: serving the built-in sample Attio workspace at %s (no real data)", app.config["ATTIO_API_URL"])
    if app.config.get("SECRET_KEY_GENERATED") and app.config["MODE"] != "demo":
        logging.getLogger("connector").warning("SECRET_KEY is not set; using a random one for this process")


def register_extensions(app: Flask) -> None:
    """Bind cache, Attio services and the MCP protocol to the app."""
    from .attio.provider import AttioServices
    from .extensions import cache
    from .mcp import McpExtension
    from .tools import register_all

    cache_config = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": app.config["CACHE_TTL_SECONDS"]}
    if app.config["REDIS_URL"]:
        cache_config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": app.config["REDIS_URL"],
                        "CACHE_KEY_PREFIX": "attio-connector:",
                        "CACHE_DEFAULT_TIMEOUT": app.config["CACHE_TTL_SECONDS"]}
    cache.init_app(app, config=cache_config)
    mcp = McpExtension()
    register_all(mcp.registry)
    attio = AttioServices()
    attio.init_app(app, registry=mcp.registry, cache=cache)
    mcp.init_app(app, services=attio, cache=cache)
    from .auth import init_auth
    from .auth.migrate import upgrade

    init_auth(app)
    upgrade(app)


def register_blueprints(app: Flask) -> None:
    """Transports are registered by the MCP extension; the rest here."""
    from .ops.health import bp as health_bp
    from .ops.status import bp as status_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(status_bp)
    from .auth.ratelimit import exempt_blueprints

    # Only the auth routes are rate-limited: the MCP transports and the health checks skip the limiter.
    exempt_blueprints(app, ("mcp_streamable", "mcp_sse", "health"))


def register_errorhandlers(app: Flask) -> None:
    """JSON-RPC errors on MCP paths, JSON elsewhere."""
    from .errors import register_errorhandlers as register

    register(app)
