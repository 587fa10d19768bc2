"""Back up and restore the OAuth store: SQLite's online backup API, or pg_dump/pg_restore on PostgreSQL.

A backup holds token hashes, encrypted Attio credentials and the audit log: it is written owner-only (0600).
Restoring it needs the same SECRET_KEY (and ENCRYPTION_KEYS, or their fallbacks) as when it was taken: tokens are
looked up by keyed hashes and Attio credentials are encrypted under those keys. The PostgreSQL password never goes
on a command line: the tools get the connection through PG* environment variables.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore with fixed argv, no shell
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Why a backup or restore cannot go ahead, in words an operator can act on."""


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("DATABASE_URL is an in-memory SQLite database: there is nothing on disk to back up")
    return path


def _pg_env(url: str) -> dict[str, str]:
    """The connection as PG* variables (the password stays out of argv and of every message)."""
    u = make_url(url)
    env = {**os.environ, "PGHOST": u.host or "localhost", "PGPORT": str(u.port or 5432),
           "PGDATABASE": u.database or ""}
    if u.username:
        env["PGUSER"] = u.username
    if u.password:
        env["PGPASSWORD"] = u.password
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client) "
                          "in the same major version as the server")
    return found


def _run(argv: list[str], url: str) -> None:
    done = subprocess.run(argv, env=_pg_env(url), capture_output=True, text=True, check=False)  # nosec B603  # fixed argv
    if done.returncode != 0:
        password = make_url(url).password
        tail = done.stderr.strip()[-800:]
        if password:
            tail = tail.replace(password, "***")
        raise BackupError(f"{Path(argv[0]).name} failed (exit {done.returncode}): {tail}")


def backup(app: Flask, target: Path) -> str:
    """Write a consistent copy of the store to `target`; what kind of backup it is."""
    url = app.config["DATABASE_URL"]
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name (a backup never overwrites)")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if _kind(url) == "sqlite":
            with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
                source.backup(copy)
            return "sqlite"
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)
        return "postgresql"
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _has_data(app: Flask) -> bool:
    engine = app.extensions["db"].engine
    tables = set(inspect(engine).get_table_names())
    if "oauth_clients" not in tables:
        return False
    with engine.connect() as conn:
        return any(conn.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first()  # nosec B608  # fixed table names
                   for name in ("oauth_clients", "oauth_grants", "users") if name in tables)


def restore(app: Flask, source: Path, overwrite: bool = False) -> str:
    """Replace the store with the backup at `source`, then migrate it to the code's schema."""
    from .migrate import upgrade

    url = app.config["DATABASE_URL"]
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    head = source.read_bytes()[:16]
    kind = _kind(url)
    if kind == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a SQLite backup, and DATABASE_URL is SQLite "
                          "(a PostgreSQL backup restores only into PostgreSQL)")
    if kind == "postgresql" and not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup, and DATABASE_URL is PostgreSQL "
                          "(a SQLite backup restores only into SQLite)")
    if _has_data(app) and not overwrite:
        raise BackupError("the database already holds clients or grants: restoring replaces them all; "
                          "pass --yes to go ahead")
    engine: Any = app.extensions["db"].engine
    engine.dispose()
    if kind == "sqlite":
        with sqlite3.connect(source) as backup_db, sqlite3.connect(_sqlite_path(url)) as live:
            backup_db.backup(live)
    else:
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={make_url(url).database}", str(source)], url)
    engine.dispose()
    upgrade(app)
    return kind
