"""Did a fuzzed server stay healthy? Alive, answering, no traceback, no worker lost."""
from __future__ import annotations

import re

import requests

# What gunicorn's arbiter writes (at WARNING or above) when a worker dies, hangs or is killed.
WORKER_TROUBLE = re.compile(r"WORKER TIMEOUT|Worker \(pid:\d+\) (?:exited|was sent)|terminated due to signal")


def assert_survived(server) -> None:
    """The master runs, /healthz answers, and the log has no traceback and no lost worker."""
    assert server.alive(), server.log()[-3000:]
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
    log = server.log()
    assert "unhandled error" not in log and "Traceback" not in log, log[-3000:]
    assert not WORKER_TROUBLE.search(log), log[-3000:]
