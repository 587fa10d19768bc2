"""Shared fixtures: the demo Attio over loopback, and the real server under gunicorn + gevent."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(condition: bool, reason: str) -> None:
    """Skip with a clear reason when a part is absent; under CI=true a missing part is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


class RunningServer:
    """A gunicorn process serving the connector on a loopback port."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}", "PYTHONUNBUFFERED": "1"}
        full_env.pop("PORT", None)
        self.log_path = ROOT / ".pytest_cache" / f"gunicorn-{self.port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
                                     cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    @property
    def mcp_url(self) -> str:
        """The Streamable HTTP endpoint."""
        return f"{self.url}/mcp"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the master process runs."""
        return self.proc.poll() is None

    def stop(self) -> None:
        """Stop gunicorn and wait for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="session")
def demo_attio() -> Iterator[object]:
    """The demo Attio server on a loopback port, for the whole session."""
    from attio_demo import start_demo_attio

    demo = start_demo_attio(testing=True)
    yield demo
    demo.stop()


@pytest.fixture()
def reset_demo(demo_attio: object) -> object:
    """Restore the demo seed and clear faults before a test."""
    _admin(demo_attio, "/_admin/reset")
    return demo_attio


def _admin(demo: object, path: str, body: dict | None = None) -> dict:
    import json

    req = urllib.request.Request(f"{demo.url}{path}", data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        raw = r.read()
    return json.loads(raw) if raw else {}


@pytest.fixture(scope="session")
def server_factory(demo_attio: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Start extra servers with their own settings; all stopped at the end of the session."""
    started: list[RunningServer] = []
    tmp_dir = tmp_path_factory.mktemp("servers")

    def start(app: str = "wsgi:app", **env: str) -> RunningServer:
        base = {"ATTIO_API_URL": demo_attio.url, "LOG_LEVEL": "WARNING", "ACCESS_LOG": "/dev/null",
                "AUTH_DISABLED": "true", "DATABASE_URL": f"sqlite:///{tmp_dir / f'db-{len(started)}.sqlite'}",
                "SECRET_KEY": "test-secret-key-" + "x" * 32}
        server = RunningServer(app, {**base, **env})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(server_factory: object) -> RunningServer:
    """The connector in demo mode, one gevent worker, shared by the session."""
    # One server serves the whole run's tool tests from one caller: the per-caller session-creation limit
    # (tested on its own in tests/oauth/test_session_caps.py) is raised so the suite does not trip it.
    return server_factory(SSE_KEEPALIVE_SECONDS="1", RATE_LIMIT_INITIALIZE="100000/minute")


def node22() -> str | None:
    """The Node 22 binary installed by .ci/install-tools, if present."""
    local = ROOT / ".tools" / "node22" / "node_modules" / ".bin" / "node"
    if local.exists():
        return str(local)
    found = shutil.which("node")
    if found:
        out = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        if out.startswith("v2") and int(out[1:].split(".")[0]) >= 22:
            return found
    return None


def postgres_up() -> bool:
    """True when PostgreSQL answers on 127.0.0.1:5432."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    need(postgres_up(), "PostgreSQL is not running on 127.0.0.1:5432")
    import secrets

    import psycopg

    name = f"connector_test_{secrets.token_hex(6)}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
