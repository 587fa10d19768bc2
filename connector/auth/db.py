"""The SQLAlchemy engine and session for the OAuth store: SQLite by default, PostgreSQL via DATABASE_URL."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, g, has_app_context
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every OAuth table."""


def normalise_url(url: str) -> str:
    """Platform quirks in one place: Heroku's `postgres://` and the psycopg 3 driver name."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def default_sqlite_url(app: Flask) -> str:
    """A SQLite file in the instance folder."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'connector.db'}"


_MADE = "_db_session_made"


def _noted(factory: sessionmaker) -> Session:
    """A new session, noted on the app context (if any) so that its teardown removes it."""
    if has_app_context():
        setattr(g, _MADE, True)
    return factory()


class DatabaseBinding:
    """One app's engine + a greenlet-scoped session (gevent patches threading.local), removed after each request.

    It lives in `app.extensions["db"]`, put there by the unbound `connector.extensions.db`.
    """

    def __init__(self, app: Flask) -> None:
        """Create the engine from DATABASE_URL and bind the session's lifetime to the app context."""
        url = normalise_url(app.config.get("DATABASE_URL") or default_sqlite_url(app))
        app.config["DATABASE_URL"] = url
        # hide_parameters: a database error's message would otherwise quote the statement's values (token
        # hashes, ciphertext) into whatever logs it.
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
            # A file never drops a connection: no "SELECT 1" before every transaction (PostgreSQL keeps it, so a
            # restarted server costs no failed request).
            kwargs["pool_pre_ping"] = False
            private_sqlite_file(url)
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        factory = sessionmaker(self.engine, expire_on_commit=False)
        self._session: Any = scoped_session(lambda: _noted(factory))
        app.teardown_appcontext(self._end)

    def _end(self, exc: BaseException | None) -> None:
        """Remove the session of a context that made one. Asking the greenlet-local registry whether it holds one
        would create the greenlet's local storage, kept for as long as a long-lived stream holds that greenlet."""
        if g.pop(_MADE, False):
            self._session.remove()

    @property
    def session(self) -> Session:
        """The current greenlet's session."""
        return self._session()

    def release(self) -> None:
        """End the current transaction so its pooled connection goes back before a network call.

        A session holds a connection from its first query until commit or close; a request that
        then waits on a slow host would keep it, and enough of them empty the pool for everyone.
        Loaded objects stay usable (expire_on_commit=False) and a later query starts afresh.
        """
        session = self._session()
        if session.in_transaction():
            session.commit()

    def create_all(self) -> None:
        """Create missing tables directly (tests); deployments run the Alembic migrations."""
        from . import models  # noqa: F401  (registers the tables)

        Base.metadata.create_all(self.engine)


class Database:
    """The unbound database extension (`connector.extensions.db`): `init_app` gives each app its own binding,
    which the code reaches as `app.extensions["db"]`."""

    def init_app(self, app: Flask) -> DatabaseBinding:
        """Bind an engine and session to `app` (kept in `app.extensions["db"]`)."""
        binding = DatabaseBinding(app)
        app.extensions["db"] = binding
        return binding


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file owner-only (0600), and tighten an existing one and its -wal/-shm companions.

    It holds token hashes, encrypted Attio tokens and the audit log; SQLite itself would create it
    world-readable under the usual umask. SQLite gives the -wal and -shm files the database file's mode.
    """
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        for name in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(name) and os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
    except OSError as exc:  # e.g. a file owned by another account: SQLite reports what matters on connect
        logging.getLogger("connector.auth").warning("could not make the SQLite file owner-only: %s", exc.strerror)


def _sqlite_pragmas(dbapi_conn: Any, record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable across crashes, no fsync per commit
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
