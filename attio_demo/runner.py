"""Run the demo Attio as a subprocess on a loopback port (standard library only).

`gunicorn.conf.py` and the tests import this module, so it must stay cheap: no Flask,
no gevent, no third-party imports.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess  # nosec B404  # starts the demo on fixed arguments
import sys
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import IO, Any

from .tokens import DEMO_TOKEN

STARTUP_TIMEOUT = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class DemoAttio:
    """A running demo Attio subprocess: `.url`, `.token`, `.stop()`; usable as a context manager."""

    def __init__(self, process: subprocess.Popen, url: str, errors: IO[bytes],
                 token: str = DEMO_TOKEN) -> None:
        self.process, self.url, self.token, self._errors = process, url, token, errors

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (for diagnosing failures)."""
        self._errors.seek(0)
        return self._errors.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server and wait for it to exit (kill if it will not)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._errors.close()

    def __enter__(self) -> "DemoAttio":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DemoAttio(url={self.url!r}, pid={self.process.pid})"


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def _healthy(url: str) -> bool:
    try:
        with _OPENER.open(f"{url}/_admin/health", timeout=1.0) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_demo_attio(host: str = "127.0.0.1", port: int = 0, timeout: float = STARTUP_TIMEOUT, *,
                     testing: bool = False, rate_limits: str | None = None) -> DemoAttio:
    """Start `python -m attio_demo` and wait until it answers its health check.

    `testing=True` adds the test-only parts (`attio_demo.testing`): what the tests and bench/ use.
    `rate_limits`: the `--rate-limits` spec ("attio", "off" or "read=5,sql=1,…"); default: Attio's limits,
    none with `testing`.
    """
    port = port or free_port(host)
    url = f"http://{host}:{port}"
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would stall the server
    cmd = [sys.executable, "-m", "attio_demo", "--host", host, "--port", str(port)]
    cmd += ["--testing"] if testing else []
    cmd += ["--rate-limits", rate_limits] if rate_limits else []
    proc = subprocess.Popen(cmd,  # nosec B603  # fixed argv, sys.executable, no shell
                            stdout=subprocess.DEVNULL, stderr=errors, env=env)
    server = DemoAttio(proc, url, errors)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = server.stderr_text()
            server.stop()
            raise RuntimeError(f"demo Attio exited with code {proc.returncode}: {err.strip()[-2000:]}")
        if _healthy(url):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"demo Attio did not become healthy on {url} within {timeout:.0f}s")


# A clean exit, or the signals a stopping server's process group receives: not a crash.
DELIBERATE_EXITS = frozenset({0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP})


class SupervisedDemo:
    """The demo Attio kept alive: a watcher thread restarts it on the same port if it dies (the workers already
    hold its URL), with backoff, until `stop()`. Its sample data starts afresh after a restart.

    A thread, not a greenlet: this runs in gunicorn's master, which gevent does not patch.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log: Any = None, poll: float = 0.5,
                 stopping: Any = None, settle: float = 2.0) -> None:
        import threading

        self.current = start_demo_attio(host, port)
        self.host, self.port = host, int(self.current.url.rsplit(":", 1)[1])
        self.url, self.token = self.current.url, self.current.token
        self.restarts = 0
        self._log = log or (lambda message: sys.stderr.write(message + "\n"))
        self._poll = poll
        # Whether the server around us is stopping (then the demo's exit is part of it). Without one, the exit
        # code tells; in gunicorn's master it cannot (the master reaps every child, so the code reads 0).
        self._stopping_server, self._settle = stopping, settle
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="demo-attio-supervisor", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        delay = 1.0
        while not self._stopping.wait(self._poll):
            code = self.current.process.poll()
            if code is None:
                continue
            if self._deliberate(code):
                # Ctrl-C or a platform's SIGTERM reaches the whole process group: the server is stopping too.
                self._log("demo Attio stopped with the server; not restarting it")
                return
            self._log(f"demo Attio exited (code {code}); restarting it on {self.url}")
            while not self._stopping.is_set():
                try:
                    self.current.stop()
                    self.current = start_demo_attio(self.host, self.port)
                    self.restarts += 1
                    self._log(f"demo Attio restarted on {self.url} (its sample data starts afresh)")
                    delay = 1.0
                    break
                except (RuntimeError, OSError) as exc:
                    self._log(f"demo Attio restart failed ({exc}); retrying in {delay:.0f}s")
                    self._stopping.wait(delay)
                    delay = min(30.0, delay * 2)

    def _deliberate(self, code: int) -> bool:
        if self._stopping_server is None:
            return code in DELIBERATE_EXITS
        self._stopping.wait(self._settle)  # the server's own signal handling takes up to a second
        return self._stopping.is_set() or bool(self._stopping_server())

    def stop(self) -> None:
        """Stop watching, then stop the demo."""
        self._stopping.set()
        self._watcher.join(timeout=5)
        self.current.stop()
