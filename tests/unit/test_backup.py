"""Back up, wipe, restore: a client's refresh token still refreshes and a stored Attio credential still decrypts.

SQLite in-process through the CLI runner; PostgreSQL (the machine's server, a fresh database) through the real
`flask --app connector db backup/restore` commands in a subprocess, as an operator runs them.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

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
