"""/readyz names the failing part — database, Redis, Attio — with 503; /healthz stays 200 (liveness)."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from tests.conftest import _admin, free_port, need
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


class StallingProxy:
    """A loopback TCP relay to the machine's PostgreSQL that can stop relaying (a hung server or a dropped route:
    connections stay open, nothing comes back)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.flowing.wait()
            upstream = socket.create_connection(self.upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                sock.close()

    def close(self) -> None:
        self.flowing.set()
        self.listener.close()


def test_names_a_database_that_stops_answering_within_the_budget(server_factory, pg_url):
    """A database that hangs (no refusal, no reply) costs /readyz about 3 s, then a 503 naming it; /healthz stays
    instant and the server serves on."""
    proxy = StallingProxy(("127.0.0.1", 5432))
    try:
        srv = server_factory(DATABASE_URL=pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
        assert ready(srv)[0] == 200
        proxy.flowing.clear()
        started = time.monotonic()
        status, body = ready(srv)
        took = time.monotonic() - started
        assert status == 503 and body["failing"] == ["database"], body
        assert body["checks"]["database"]["detail"].startswith("no answer within 3 s;"), body
        assert 2.5 < took < 8, took
        assert str(proxy.port) not in str(body)
        started = time.monotonic()
        assert requests.get(f"{srv.url}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1
        proxy.flowing.set()
        assert ready(srv)[0] == 200
    finally:
        proxy.close()


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
