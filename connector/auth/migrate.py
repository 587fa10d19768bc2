"""Alembic migrations for the OAuth store, run programmatically (start-up, `flask db upgrade`)."""
from __future__ import annotations

import logging
from pathlib import Path

logging.getLogger("alembic").setLevel(logging.WARNING)  # before import: its INFO lines say nothing to operators

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from flask import Flask  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_and_head(app: Flask) -> tuple[str | None, str | None]:
    """(the database's revision, the newest the code knows)."""
    cfg = alembic_config(app.config["DATABASE_URL"])
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with app.extensions["db"].engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def upgrade(app: Flask, revision: str = "head") -> None:
    """Bring the database to `revision` (a no-op, and quiet, when it is already there)."""
    db = app.extensions["db"]
    cfg = alembic_config(app.config["DATABASE_URL"])
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if revision == "head" and current == head:
        return
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    logging.getLogger("connector").info("database migrated from %s to %s", current, head)
