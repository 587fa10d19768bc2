"""Back up and restore the OAuth store: SQLite's online backup API, or pg_dump/pg_restore on PostgreSQL.

A backup holds token hashes, encrypted Attio credentials and the audit log: it is written owner-only (0600).
Restoring it needs the same SECRET_KEY (and ENCRYPTION_KEYS, or their fallbacks) as when it was taken: tokens are
looked up by keyed hashes and Attio credentials are encrypted under those keys. The PostgreSQL password never goes
on a command line: the tools get the URL without it, and the password in PGPASSWORD.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore with fixed argv, no shell
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, make_url

from .db import private_sqlite_file

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
PG_CONNECT_TIMEOUT = "10"  # seconds; a dead host fails the tool instead of hanging it (PGCONNECT_TIMEOUT wins)


class BackupError(Exception):
    """Why a backup or restore cannot go ahead, in words an operator can act on."""


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("DATABASE_URL is an in-memory SQLite database: there is nothing on disk to back up")
    return path


def libpq_url(url: str) -> str:
    """The URL for pg_dump/pg_restore: libpq's scheme (no `+psycopg`), the query kept, the password left out."""
    u = make_url(url)
    return URL.create("postgresql", username=u.username, host=u.host, port=u.port, database=u.database,
                      query=u.query).render_as_string(hide_password=False)


def _pg_env(url: str) -> dict[str, str]:
    """The tools' environment: the password in PGPASSWORD (never argv), a connect timeout unless one is set."""
    env = {**os.environ}
    env.setdefault("PGCONNECT_TIMEOUT", PG_CONNECT_TIMEOUT)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client) "
                          "in the same major version as the server")
    return found


def _run(argv: list[str], url: str) -> str:
    """Run a PostgreSQL tool; its stdout, or a BackupError with the tail of its stderr (password masked)."""
    done = subprocess.run(argv, env=_pg_env(url), capture_output=True, text=True, check=False)  # nosec B603  # fixed argv
    if done.returncode != 0:
        password = make_url(url).password
        tail = done.stderr.strip()[-800:]
        if password:
            tail = tail.replace(str(password), "***")
        raise BackupError(f"{Path(argv[0]).name} failed (exit {done.returncode}): {tail}")
    return done.stdout


def backup(app: Flask, target: Path) -> str:
    """Write a consistent copy of the store to `target` (owner-only, never over an existing file); its kind."""
    url = app.config["DATABASE_URL"]
    target = Path(target)
    kind = _kind(url)
    if kind == "sqlite" and not Path(_sqlite_path(url)).is_file():
        raise BackupError(f"the SQLite database {_sqlite_path(url)} does not exist: check DATABASE_URL")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name (a backup never overwrites)")
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise BackupError(f"cannot create {target}: {exc.strerror}") from None
    try:
        if kind == "sqlite":
            with closing(sqlite3.connect(_sqlite_path(url))) as source, closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
                  f"--dbname={libpq_url(url)}"], url)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return kind


def holdings(app: Flask) -> dict[str, int]:
    """How many clients, grants and users the live store holds (0 for a store without tables)."""
    from .models import Grant, OAuthClient, User

    engine = app.extensions["db"].engine
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (OAuthClient, Grant, User) if model.__tablename__ in tables}


def _sqlite_revision(source: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _pg_revision(source: Path, url: str) -> str | None:
    """The archive's alembic_version row (pg_restore reads the file; no database is touched)."""
    restore_tool = _tool("pg_restore")
    _run([restore_tool, "--list", str(source)], url)  # a truncated or damaged archive stops here
    sql = _run([restore_tool, "--data-only", "--table=alembic_version", "--file=-", str(source)], url)
    found = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n", sql, re.MULTILINE)
    return found.group(1).strip() if found else None


def _check_revision(app: Flask, source: Path, revision: str | None) -> None:
    from .migrate import alembic_config

    if revision is None:
        raise BackupError(f"{source} holds no connector store (it has no alembic_version table)")
    try:
        ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"])).get_revision(revision)
    except CommandError:
        raise BackupError(f"{source} was taken by a newer version of the connector (schema {revision}): restore it "
                          "with that version or a later one") from None


def restore(app: Flask, source: Path, overwrite: bool = False,
            confirm: Callable[[dict[str, int]], bool] | None = None) -> str:
    """Replace the store with the backup at `source`, then migrate it to the code's schema; its kind.

    A store that holds clients, grants or users is replaced only with `overwrite`, or when `confirm(counts)` says
    so. The backup is checked (its kind, that it is a connector store this code can migrate) before anything is
    touched.
    """
    from .migrate import upgrade

    url = app.config["DATABASE_URL"]
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with source.open("rb") as f:
        head = f.read(16)
    kind = _kind(url)
    if kind == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a SQLite backup, and DATABASE_URL is SQLite "
                          "(a PostgreSQL backup restores only into PostgreSQL)")
    if kind == "postgresql" and not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup, and DATABASE_URL is PostgreSQL "
                          "(a SQLite backup restores only into SQLite)")
    _check_revision(app, source, _sqlite_revision(source) if kind == "sqlite" else _pg_revision(source, url))
    counts = holdings(app)
    if any(counts.values()) and not overwrite and not (confirm and confirm(counts)):
        raise BackupError("the database already holds clients or grants: restoring replaces them all; "
                          "pass --yes to go ahead")
    engine: Any = app.extensions["db"].engine
    engine.dispose()
    if kind == "sqlite":
        private_sqlite_file(url)  # owner-only, should the file not exist yet
        with closing(sqlite3.connect(source)) as backup_db, closing(sqlite3.connect(_sqlite_path(url))) as live:
            backup_db.backup(live)
    else:
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={libpq_url(url)}", str(source)], url)
    engine.dispose()
    try:
        upgrade(app)
    except Exception as exc:  # the restore itself succeeded: say so, and how to see the whole error
        raise BackupError(f"the backup was restored, but migrating it to this version's schema failed "
                          f"({exc.__class__.__name__}): run flask --app connector db upgrade to see the full "
                          "error") from None
    return kind
