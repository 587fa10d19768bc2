"""Our own Redis and PostgreSQL servers on spare loopback ports, for fault tests that kill and restart them.

The machine's own servers (6379, 5432) are never touched.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import free_port


def _wait_port(port: int, up: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not come {'up' if up else 'down'} in {timeout} s")


class SpareRedis:
    """A `redis-server` on a free port; `persistent` keeps its data across a restart (RDB on shutdown)."""

    def __init__(self, workdir: Path, persistent: bool = False) -> None:
        self.port = free_port()
        self.dir = workdir
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> bool:
        """True when redis-server is on PATH."""
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        """Start (or restart on the same port and directory)."""
        save = ["--save", "3600 1", "--dbfilename", "dump.rdb"] if self.persistent else ["--save", ""]
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.dir), "--appendonly", "no", *save],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, up=True)

    def kill(self) -> None:
        """SIGKILL: no save, connections drop at once."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        _wait_port(self.port, up=False)

    def shutdown_saving(self) -> None:
        """A clean restart's first half: SHUTDOWN SAVE writes the data to disk, then the process exits."""
        import redis

        try:
            redis.Redis(port=self.port).shutdown(save=True)
        except redis.ConnectionError:
            pass
        if self.proc is not None:
            self.proc.wait(timeout=10)
        _wait_port(self.port, up=False)

    def stop(self) -> None:
        """Kill it for good."""
        self.kill()


class SparePostgres:
    """A PostgreSQL cluster (initdb + pg_ctl) in a temp dir on a free port, run as an unprivileged user."""

    def __init__(self) -> None:
        import tempfile

        self.port = free_port()
        # Its own directory under the system temp dir: pytest's are private to root, which PostgreSQL is not.
        self.workdir = Path(tempfile.mkdtemp(prefix="connector-pg-"))
        self.dir = self.workdir / "pgdata"
        self.log = self.workdir / "pg.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        """True when initdb and pg_ctl are on PATH."""
        return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            prefix = ["runuser", "-u", "postgres", "--"]
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=60, check=False)

    def init(self) -> None:
        """initdb with trust auth for loopback."""
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        done = self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")

    def start(self) -> None:
        """pg_ctl start on our port, loopback only."""
        opts = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run("pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-o", opts, "-w", "start")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr[-2000:]} {self.log.read_text()[-2000:]}")
        _wait_port(self.port, up=True)

    def stop(self, mode: str = "immediate") -> None:
        """pg_ctl stop (immediate: like a crash, every connection cut)."""
        self._run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "stop")
        _wait_port(self.port, up=False)

    def remove(self) -> None:
        """Stop it and delete its files."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
