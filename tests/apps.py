"""In-process apps for tests: the factory, then the migrations a deployment runs with `flask db upgrade`."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask


def migrated_app(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """`connector.create_app(config, environ)` on a database brought to the head revision."""
    from connector import create_app
    from connector.auth.migrate import upgrade

    app = create_app(config, environ)
    upgrade(app)
    return app
