"""Fixtures for the OAuth security tests (checklist in oauth-security.md §4); builders live in flow.py."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from . import flow


@pytest.fixture()
def make_oauth_app(tmp_path: Any) -> Callable[..., Flask]:
    """Build an app (demo mode unless told otherwise) on its own SQLite file; keyword arguments are settings."""
    built = 0

    def build(**overrides: Any) -> Flask:
        nonlocal built
        built += 1
        overrides.setdefault("DATABASE_URL", flow.sqlite_url(tmp_path / f"oauth-{built}.sqlite"))
        return flow.make_app(**overrides)

    return build


@pytest.fixture()
def app(make_oauth_app: Callable[..., Flask]) -> Flask:
    """The connector in demo mode with auth on, a fresh SQLite store, no rate limits, no PUBLIC_URL."""
    return make_oauth_app()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """One browser/client (one cookie jar)."""
    return app.test_client()


@pytest.fixture()
def public_client(client: FlaskClient) -> dict[str, Any]:
    """A DCR public client (auth method none) with redirect https://client.example/cb."""
    return flow.register(client)


@pytest.fixture()
def loopback_client(client: FlaskClient) -> dict[str, Any]:
    """A DCR public client with a loopback redirect (RFC 8252 native app)."""
    return flow.register(client, [flow.LOOPBACK_REDIRECT])
