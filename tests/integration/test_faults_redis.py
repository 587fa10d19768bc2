"""Redis killed and restarted under load: 503 + Retry-After while it is down, never 500, recovery by itself.

The experiment of issue 9: three gevent workers sharing sessions through our own redis-server (never the
machine's), sixteen clients calling `search` in a loop, Redis killed mid-load and started again on the same port.
The figures go to .pytest_cache/faults-redis-<variant>.json; docs/operations.md quotes them.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, need
from tests.spare_services import SpareRedis

pytestmark = [pytest.mark.integration, pytest.mark.slow]
APP = "tests.integration.testing_app:app"
CLIENTS = 16
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class Client(threading.Thread):
    """One MCP client: initialize, then `search` until told to stop; re-initialize after a 404 (spec)."""

    def __init__(self, url: str, stop: threading.Event, log: list) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.log = url, stop, log
        self.http = requests.Session()
        self.sid: str | None = None

    def _post(self, body: dict, sid: str | None) -> requests.Response:
        hdrs = dict(ACCEPT)
        if sid:
            hdrs.update({"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"})
        return self.http.post(self.url, data=json.dumps(body), headers=hdrs, timeout=15)

    def _open(self) -> requests.Response:
        r = self._post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fault", "version": "1"}}},
            None)
        if r.status_code == 200:
            self.sid = r.headers["Mcp-Session-Id"]
            self._post({"jsonrpc": "2.0", "method": "notifications/initialized"}, self.sid)
        return r

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                r = self._open() if self.sid is None else self._post(
                    {"jsonrpc": "2.0", "id": n, "method": "tools/call",
                     "params": {"name": "search", "arguments": {"query": "energy"}}}, self.sid)
                record = (time.monotonic(), r.status_code, r.headers.get("Retry-After"), r.text[:300])
                if r.status_code == 404:
                    self.sid = None
            except requests.RequestException as exc:
                record = (time.monotonic(), "conn", None, exc.__class__.__name__)
            self.log.append(record)
            if record[1] != 200:
                time.sleep(0.2)


def run_experiment(server_factory, tmp_path: Path, persistent: bool) -> dict:
    redis_srv = SpareRedis(tmp_path, persistent=persistent)
    redis_srv.start()
    srv = server_factory(APP, CONNECTOR_WORKERS="3", REDIS_URL=redis_srv.url, RATE_LIMIT_INITIALIZE="100000/minute",
                         REDIS_SOCKET_TIMEOUT="1")
    stop, logs = threading.Event(), [[] for _ in range(CLIENTS)]
    clients = [Client(srv.mcp_url, stop, logs[i]) for i in range(CLIENTS)]
    oauth: list[tuple[float, int, str | None, str]] = []
    try:
        for c in clients:
            c.start()
        time.sleep(3)
        down_at = time.monotonic()
        if persistent:
            redis_srv.shutdown_saving()
        else:
            redis_srv.kill()
        time.sleep(0.5)
        # An auth route while Redis is down: its rate limit cannot be checked, so it fails closed (503).
        r = requests.post(f"{srv.url}/oauth/token", data={"grant_type": "authorization_code", "code": "x"}, timeout=10)
        oauth.append((time.monotonic(), r.status_code, r.headers.get("Retry-After"), r.text[:300]))
        time.sleep(1.5)
        redis_srv.start()
        up_at = time.monotonic()
        time.sleep(6)
        r = requests.post(f"{srv.url}/oauth/token", data={"grant_type": "authorization_code", "code": "x"}, timeout=10)
        oauth.append((time.monotonic(), r.status_code, r.headers.get("Retry-After"), r.text[:300]))
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=20)
        server_log = srv.log()
        srv.stop()
        redis_srv.stop()
    every = [rec for log in logs for rec in log]
    statuses = Counter(rec[1] for rec in every)
    recovery = []
    for log in logs:
        first_ok = next((t for t, status, *_ in log if t > up_at and status == 200), None)
        recovery.append(None if first_ok is None else first_ok - up_at)
    figures = {
        "variant": "redis restarted with its data (SHUTDOWN SAVE, RDB)" if persistent
        else "redis killed (SIGKILL, no persistence)",
        "workers": 3, "clients": CLIENTS, "calls": len(every),
        "by_status": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "outage_seconds": round(up_at - down_at, 2),
        "sessions_reopened": sum(1 for rec in every if rec[1] == 404),
        "max_recovery_seconds": round(max(x for x in recovery if x is not None), 2)
        if any(x is not None for x in recovery) else None,
        "clients_recovered": sum(1 for x in recovery if x is not None),
        "oauth_token_during_and_after": [o[1] for o in oauth],
    }
    out = ROOT / ".pytest_cache" / f"faults-redis-{'persistent' if persistent else 'volatile'}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return {"figures": figures, "records": every, "oauth": oauth, "log": server_log}


def check(result: dict) -> None:
    figures, records = result["figures"], result["records"]
    five_hundreds = [r for r in records if r[1] == 500] + [o for o in result["oauth"] if o[1] == 500]
    assert not five_hundreds, five_hundreds[:3]
    for _, status, retry_after, body in records:
        assert status in (200, 202, 404, 503), (status, body)
        if status == 503:
            assert retry_after and int(retry_after) > 0, body
            err = json.loads(body)["error"]
            assert "Redis" in err["message"] and err["data"] == {"unavailable": "redis"}, err
    during, after = result["oauth"]
    assert during[1] == 503 and during[2], during
    assert json.loads(during[3])["error"] == "temporarily_unavailable", during
    assert after[1] == 401 and json.loads(after[3])["error"] == "invalid_client", after  # refused for what it is
    assert figures["by_status"].get("503", 0) > 0, figures  # the outage was seen
    assert figures["clients_recovered"] == CLIENTS, figures
    assert figures["max_recovery_seconds"] < 5, figures
    assert "Traceback" not in result["log"], result["log"][-3000:]


def test_redis_killed_under_load_answers_503_never_500_and_recovers(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed (Debian package redis-server)")
    result = run_experiment(server_factory, tmp_path, persistent=False)
    check(result)
    assert result["figures"]["sessions_reopened"] > 0  # the sessions went with the data: clients re-initialized


def test_redis_restarted_with_its_data_keeps_every_session(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed (Debian package redis-server)")
    result = run_experiment(server_factory, tmp_path, persistent=True)
    check(result)
    assert result["figures"]["sessions_reopened"] == 0, result["figures"]
