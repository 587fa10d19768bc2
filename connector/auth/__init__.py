"""The OAuth 2.1 authorization server and resource protection, bound by `init_auth(app)`."""
from __future__ import annotations

import logging

from flask import Flask, request

from .crypto import Keyring
from .db import Database


def init_auth(app: Flask) -> None:
    """Database, keys, Authlib server, rate limits, blueprints, and the guard in front of the MCP endpoints."""
    from . import metadata, resource, tokens, views
    from .ratelimit import init_limits
    from .server import create_server

    db = Database()
    db.init_app(app)
    cfg = app.config
    # Authlib debug-logs every issued token ("Issue token {...}"); never let LOG_LEVEL=DEBUG write them out.
    logging.getLogger("authlib").setLevel(max(logging.INFO, getattr(logging, cfg["LOG_LEVEL"])))
    app.extensions["keyring"] = Keyring.from_config(cfg["SECRET_KEY"], cfg["SECRET_KEY_FALLBACKS"],
                                                    cfg["ENCRYPTION_KEYS"])
    app.extensions["oauth_server"] = create_server(app)
    init_limits(app)
    for bp in (metadata.bp, tokens.bp, views.bp):
        app.register_blueprint(bp)
    from .ratelimit import limiter

    # The discovery documents are not limited; the factory exempts the MCP transports and health checks
    # (connector.register_blueprints), which auth, sitting in front of them, does not import.
    limiter.exempt(metadata.bp)
    mcp = app.extensions["mcp"]
    if cfg["AUTH_DISABLED"]:
        return
    mcp.set_authenticator(resource.authenticate,
                          scope_check=lambda caller, scope: resource.insufficient_scope(request, caller, scope))
