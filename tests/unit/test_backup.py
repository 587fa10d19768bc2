"""Back up, wipe, restore: a client's refresh token still refreshes and a stored Attio credential still decrypts.

SQLite in-process through the CLI runner; PostgreSQL (the machine's server, a fresh database) through the real
`flask --app connector db backup/restore` commands in a subprocess, as an operator runs them.
"""
from __future__ import annotations

import os
import pty
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing

import pytest

from connector.auth.backup import holdings
from connector.auth.migrate import current_and_head, upgrade
from connector.auth.models import UpstreamCredential
from tests.conftest import ROOT
from tests.oauth import flow

ATTIO_TOKEN = "attio-live-token-for-backup-test"


def seed(app) -> dict:
    """A registered client with tokens, and an encrypted Attio credential."""
    client = app.test_client()
    cid = flow.register(client)["client_id"]
    tokens = flow.authorized(client, cid)
    with app.app_context():
        ciphertext, key_id = app.extensions["keyring"].encrypt(ATTIO_TOKEN)
        session = app.extensions["db"].session
        session.add(UpstreamCredential(id="uc-backup", subject="person-1", ciphertext=ciphertext, key_id=key_id))
        session.commit()
    return {"client_id": cid, **tokens}


def still_works(app, seeded: dict) -> None:
    client = app.test_client()
    renewed = flow.refresh(client, seeded["refresh_token"], seeded["client_id"])
    assert renewed.status_code == 200, renewed.get_data(as_text=True)
    with app.app_context():
        cred = app.extensions["db"].session.get(UpstreamCredential, "uc-backup")
        assert app.extensions["keyring"].decrypt(cred.ciphertext) == ATTIO_TOKEN


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["db", *args])


def test_sqlite_backup_wipe_restore(tmp_path):
    db_file = tmp_path / "store.sqlite"
    app = flow.make_app(flow.sqlite_url(db_file))
    seeded = seed(app)
    target = tmp_path / "backup.sqlite"
    out = cli(app, "backup", str(target))
    assert out.exit_code == 0, out.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "already exists" in cli(app, "backup", str(target)).output

    app.extensions["db"].engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"store.sqlite{suffix}").unlink(missing_ok=True)
    from connector import create_app

    fresh = create_app(app.config.copy() | {"DATABASE_URL": flow.sqlite_url(db_file)}, environ={})
    out = cli(fresh, "restore", str(target))
    assert out.exit_code == 0, out.output
    still_works(fresh, seeded)
    again = cli(fresh, "restore", str(target))
    assert again.exit_code != 0 and "pass --yes" in again.output
    assert cli(fresh, "restore", str(target), "--yes").exit_code == 0


def test_restore_refuses_the_wrong_kind_of_file(tmp_path):
    app = flow.make_app(flow.sqlite_url(tmp_path / "s.sqlite"))
    junk = tmp_path / "dump.custom"
    junk.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    out = cli(app, "restore", str(junk))
    assert out.exit_code != 0 and "is not a SQLite backup" in out.output
    assert "is not a file" in cli(app, "restore", str(tmp_path / "missing")).output
    other = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    out = cli(app, "restore", str(other))
    assert out.exit_code != 0 and "holds no connector store" in out.output


def test_backup_refusals_name_the_path(tmp_path):
    app = flow.make_app(flow.sqlite_url(tmp_path / "s.sqlite"))
    out = cli(app, "backup", str(tmp_path / "no-such-dir" / "b.sqlite"))
    assert out.exit_code != 0 and "cannot create" in out.output and "No such file or directory" in out.output
    from connector import create_app

    gone = create_app(app.config.copy() | {"DATABASE_URL": flow.sqlite_url(tmp_path / "s.sqlite")}, environ={})
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"s.sqlite{suffix}").unlink(missing_ok=True)
    out = cli(gone, "backup", str(tmp_path / "b.sqlite"))
    assert out.exit_code != 0 and "does not exist: check DATABASE_URL" in out.output
    assert not (tmp_path / "b.sqlite").exists() and not (tmp_path / "s.sqlite").exists()


def revisions(app) -> tuple:
    with app.app_context():
        return current_and_head(app)


def test_sqlite_older_backup_is_migrated_and_a_newer_one_refused(tmp_path):
    from connector import create_app

    old = create_app(flow.make_app(None).config.copy() | {"DATABASE_URL": flow.sqlite_url(tmp_path / "old.sqlite")},
                     environ={})
    upgrade(old, "0001")
    assert revisions(old)[0] == "0001"
    assert cli(old, "backup", str(tmp_path / "old.backup")).exit_code == 0

    live = flow.make_app(flow.sqlite_url(tmp_path / "live.sqlite"))
    seed(live)
    out = cli(live, "restore", str(tmp_path / "old.backup"), "--yes")
    assert out.exit_code == 0, out.output
    current, head = revisions(live)
    assert current == head != "0001"
    assert holdings(live)["oauth_clients"] == 0  # replaced by the (empty) backup

    with closing(sqlite3.connect(tmp_path / "old.sqlite")) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert cli(old, "backup", str(tmp_path / "newer.backup")).exit_code == 0
    seed(live)
    out = cli(live, "restore", str(tmp_path / "newer.backup"), "--yes")
    assert out.exit_code != 0 and "was taken by a newer version of the connector (schema 9999)" in out.output
    assert holdings(live)["oauth_clients"] == 1  # untouched


def test_restore_asks_at_a_terminal(tmp_path):
    """Without --yes, a terminal is asked (and 'n' keeps the store); a script without one is refused."""
    app = flow.make_app(flow.sqlite_url(tmp_path / "live.sqlite"))
    assert cli(app, "backup", str(tmp_path / "empty.backup")).exit_code == 0
    seed(app)
    app.extensions["db"].engine.dispose()
    env = {**os.environ, "DATABASE_URL": flow.sqlite_url(tmp_path / "live.sqlite"), "SECRET_KEY": flow.SECRET_KEY,
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)

    def at_terminal(answer: bytes) -> subprocess.CompletedProcess:
        primary, secondary = pty.openpty()
        try:
            os.write(primary, answer)
            return subprocess.run([sys.executable, "-m", "flask", "--app", "connector", "db", "restore",
                                   str(tmp_path / "empty.backup")], cwd=ROOT, env=env, stdin=secondary,
                                  capture_output=True, text=True, timeout=120)
        finally:
            os.close(primary)
            os.close(secondary)

    kept = at_terminal(b"n\n")
    assert kept.returncode != 0 and "Replace them all with the backup?" in kept.stdout, kept
    assert "1 clients" in kept.stdout and holdings(app)["oauth_clients"] == 1
    replaced = at_terminal(b"y\n")
    assert replaced.returncode == 0 and "restored the sqlite store" in replaced.stdout, replaced
    assert holdings(app)["oauth_clients"] == 0


def flask_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "connector", "db", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_postgresql_backup_wipe_restore_through_the_cli(pg_url, tmp_path):
    import psycopg

    app = flow.make_app(pg_url)
    seeded = seed(app)
    app.extensions["db"].engine.dispose()
    env = {**os.environ, "DATABASE_URL": pg_url, "SECRET_KEY": flow.SECRET_KEY, "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    target = tmp_path / "store.pgdump"
    done = flask_cli(env, "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:5] == b"PGDMP" and stat.S_IMODE(target.stat().st_mode) == 0o600

    with psycopg.connect(pg_url, autocommit=True) as conn:  # wipe
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    done = flask_cli(env, "restore", str(target))
    assert done.returncode == 0, done.stderr
    assert "restored the postgresql store" in done.stdout
    from connector import create_app

    still_works(create_app(app.config.copy(), environ={}), seeded)
    refused = flask_cli(env, "restore", str(target))
    assert refused.returncode != 0 and "pass --yes" in refused.stderr


def test_a_failing_pg_tool_reports_without_the_password(tmp_path):
    from connector.auth.backup import BackupError, _run

    url = "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/nothing"
    with pytest.raises(BackupError) as err:
        _run([sys.executable, "-c", "import os,sys; sys.stderr.write('auth failed for ' + os.environ['PGPASSWORD']);"
                                    "sys.exit(3)"], url)
    assert "exit 3" in str(err.value) and "s3cret-pw" not in str(err.value) and "***" in str(err.value)


def pg_app(url: str):
    """An app on a PostgreSQL URL that is never connected to (backup hands it to the tools)."""
    from connector import create_app

    return create_app(flow.make_app(None).config.copy() | {"DATABASE_URL": url}, environ={})


def test_the_pg_tools_get_the_url_without_the_password(tmp_path, monkeypatch):
    """A stand-in pg_dump on PATH records what it was given: the password only in PGPASSWORD, never in argv."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "record.json"
    (bindir / "pg_dump").write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv, 'password': os.environ.get('PGPASSWORD')}}, open({str(record)!r}, 'w'))\n"
        "target = [a for a in sys.argv if a.startswith('--file=')][0][7:]\n"
        "open(target, 'wb').write(b'PGDMP fake')\n")
    (bindir / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    app = pg_app("postgresql://svc:s3cret%2Fpw@db.internal:6543/store?sslmode=require")
    out = cli(app, "backup", str(tmp_path / "b.dump"))
    assert out.exit_code == 0, out.output
    import json

    seen = json.loads(record.read_text())
    assert seen["password"] == "s3cret/pw"
    assert "s3cret" not in " ".join(seen["argv"]) and "s3cret" not in out.output
    assert "--dbname=postgresql://svc@db.internal:6543/store?sslmode=require" in seen["argv"]
    assert "--format=custom" in seen["argv"]

    (bindir / "pg_dump").unlink()
    out = cli(app, "backup", str(tmp_path / "c.dump"))
    assert out.exit_code != 0 and "pg_dump is not installed: install the PostgreSQL client tools" in out.output
    assert not (tmp_path / "c.dump").exists()
    (tmp_path / "c.dump").write_bytes(b"PGDMP fake")
    out = cli(app, "restore", str(tmp_path / "c.dump"))
    assert out.exit_code != 0 and "pg_restore is not installed" in out.output


def test_postgresql_older_backup_is_migrated_damaged_or_newer_ones_refused(pg_url, tmp_path):
    """On the real server: a backup at 0001 restored over a store at head ends at head; a truncated archive and one
    from a newer version are refused before the store is touched."""
    import psycopg

    old = pg_app(pg_url)
    upgrade(old, "0001")
    assert cli(old, "backup", str(tmp_path / "old.dump")).exit_code == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert cli(old, "backup", str(tmp_path / "newer.dump")).exit_code == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    old.extensions["db"].engine.dispose()

    live = flow.make_app(pg_url)  # migrated to head
    seed(live)
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes((tmp_path / "old.dump").read_bytes()[:200])
    out = cli(live, "restore", str(damaged), "--yes")
    assert out.exit_code != 0 and "pg_restore failed (exit 1): " in out.output, out.output
    out = cli(live, "restore", str(tmp_path / "newer.dump"), "--yes")
    assert out.exit_code != 0 and "was taken by a newer version of the connector (schema 9999)" in out.output
    assert holdings(live)["oauth_clients"] == 1

    out = cli(live, "restore", str(tmp_path / "old.dump"), "--yes")
    assert out.exit_code == 0, out.output
    current, head = revisions(live)
    assert current == head != "0001"
    assert holdings(live)["oauth_clients"] == 0
    live.extensions["db"].engine.dispose()
