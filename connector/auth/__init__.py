"""The OAuth 2.1 authorization server and resource protection, bound by `init_auth(app)`."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, request

from .crypto import Keyring


def init_auth(app: Flask) -> None:
    """Database, keys, Authlib server, rate limits, and the guard in front of the MCP endpoints.

    The schema is not touched here: `flask --app connector db upgrade` migrates (the release phase, and once
    in gunicorn's on_starting before workers fork).
    """
    from ..extensions import db, oauth
    from . import resource
    from .ratelimit import init_limits
    from .revocation_feed import init_feed
    from .verified import VerifiedTokens

    db.init_app(app)
    cfg = app.config
    # Authlib debug-logs every issued token ("Issue token {...}"); never let LOG_LEVEL=DEBUG write them out.
    logging.getLogger("authlib").setLevel(max(logging.INFO, getattr(logging, cfg["LOG_LEVEL"])))
    app.extensions["keyring"] = Keyring.from_config(cfg["SECRET_KEY"], cfg["SECRET_KEY_FALLBACKS"],
                                                    cfg["ENCRYPTION_KEYS"])
    oauth.init_app(app)
    init_limits(app)
    # Verified access tokens, remembered a few seconds per worker; revocations evict them (through Redis in
    # every worker with REDIS_URL), so they exist even with AUTH_DISABLED (the CLI and the OAuth routes revoke).
    verified = app.extensions["verified_tokens"] = VerifiedTokens(cfg["TOKEN_CACHE_SECONDS"])
    init_feed(app, verified, app.extensions["keyring"].peppers[0])
    mcp = app.extensions["mcp"]
    if cfg["AUTH_DISABLED"]:
        return
    mcp.set_authenticator(resource.authenticate,
                          scope_check=lambda caller, scope: resource.insufficient_scope(request, caller, scope))


def blueprints() -> tuple[Blueprint, ...]:
    """The discovery documents, the token endpoints, and the sign-in/consent pages."""
    from . import metadata, tokens, views

    return metadata.bp, tokens.bp, views.bp


def unlimited_blueprints() -> tuple[str, ...]:
    """Auth blueprints the rate limits skip: the discovery documents."""
    from . import metadata

    return (metadata.bp.name,)
