"""/readyz names the failing part — database, Redis, Attio — with 503; /healthz stays 200 (liveness)."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import _admin, need
from tests.spare_services import SparePostgres, SpareRedis

pytestmark = pytest.mark.integration


def ready(srv):
    r = requests.get(f"{srv.url}/readyz", timeout=10)
    return r.status_code, r.json()


def test_ready_when_every_part_answers_and_names_redis_when_it_dies(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed (Debian package redis-server)")
    redis_srv = SpareRedis(tmp_path)
    redis_srv.start()
    srv = server_factory(REDIS_URL=redis_srv.url, REDIS_SOCKET_TIMEOUT="0.5")
    status, body = ready(srv)
    assert status == 200 and body["status"] == "ready" and body["checks"]["redis"]["ok"] is True, body
    assert body["checks"]["database"] == {"ok": True, "detail": "ok"}
    redis_srv.kill()
    status, body = ready(srv)
    assert status == 503 and body["failing"] == ["redis"], body
    assert "check REDIS_URL" in body["checks"]["redis"]["detail"] and str(redis_srv.port) not in str(body)
    assert requests.get(f"{srv.url}/healthz", timeout=5).status_code == 200
    redis_srv.start()
    assert ready(srv)[0] == 200


def test_names_the_database_when_it_cannot_be_reached(server_factory):
    need(SparePostgres.available(), "initdb/pg_ctl are not installed (Debian package postgresql)")
    pg = SparePostgres()
    pg.init()
    pg.start()
    try:
        srv = server_factory(DATABASE_URL=pg.url)
        assert ready(srv)[0] == 200
        pg.stop("immediate")
        status, body = ready(srv)
        assert status == 503 and body["failing"] == ["database"], body
        assert "check DATABASE_URL" in body["checks"]["database"]["detail"] and str(pg.port) not in str(body)
        pg.start()
        assert ready(srv)[0] == 200
    finally:
        pg.remove()


def test_names_a_database_behind_on_migrations(server_factory, tmp_path):
    import sqlite3

    srv = server_factory(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite'}")
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    status, body = ready(srv)
    assert status == 503 and body["failing"] == ["database"], body
    assert "flask --app connector db upgrade" in body["checks"]["database"]["detail"]


def test_names_attio_when_it_fails(server_factory, reset_demo):
    srv = server_factory()
    _admin(reset_demo, "/_admin/faults", {"status": 503, "count": 50})
    try:
        status, body = ready(srv)
    finally:
        _admin(reset_demo, "/_admin/reset")
    assert status == 503 and body["failing"] == ["attio"], body
    assert body["checks"]["attio"]["ok"] is False and body["checks"]["attio"]["detail"]
