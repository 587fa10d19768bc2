"""Two gunicorn instances of two gevent workers behind nginx, sharing PostgreSQL and Redis.

The nginx configuration is the shipped example (deploy/nginx/connector.conf) with the ports substituted. What runs:
an OAuth flow whose steps land on different instances, a legacy SSE stream on one instance whose POSTs go through
the balancer, and `kill -9` of one whole instance while eight clients call tools through nginx. The figures go to
.pytest_cache/several-instances.json; docs/operations.md quotes them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port, need
from tests.live_client import LiveClient
from tests.oauth import flow
from tests.spare_services import SpareRedis

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENTS = 8
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class Nginx:
    """nginx in the foreground with its own prefix in a temp dir, serving the shipped example config."""

    def __init__(self, port: int, upstreams: list[int]) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="connector-nginx-"))
        site = (ROOT / "deploy" / "nginx" / "connector.conf").read_text()
        site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        site = site.replace("server 127.0.0.1:8001", f"server 127.0.0.1:{upstreams[0]}")
        site = site.replace("server 127.0.0.1:8002", f"server 127.0.0.1:{upstreams[1]}")
        assert str(upstreams[0]) in site and str(upstreams[1]) in site
        (self.dir / "connector.conf").write_text(site)
        temps = "\n".join(f"    {name}_temp_path {self.dir}/{name};" for name in
                          ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n    log_format upstream '$request $upstream_addr';\n"
            f"    access_log {self.dir}/access.log upstream;\n{temps}\n    include {self.dir}/connector.conf;\n}}\n")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return
            except requests.RequestException:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def kill_instance(srv) -> None:
    """SIGKILL the master and every worker at once."""
    pids = [srv.proc.pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(srv.proc.pid)],
                                                            capture_output=True, text=True).stdout.split()]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    srv.proc.wait(timeout=10)


def tokens_for(clients: dict[str, LiveClient], public: str, resource: str, order: str = "ab") -> dict:
    """Register on one instance, open the consent page on the other, allow on the first, exchange on the other."""
    a, b = clients[order[0]], clients[order[1]]
    cid = flow.register(a)["client_id"]
    verifier, challenge = flow.pkce_pair()
    page, fields = flow.open_consent(b, flow.authorize_params(cid, challenge, resource=resource))
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    b.http.cookies = a.http.cookies = requests.cookies.merge_cookies(a.http.cookies, b.http.cookies)
    answer = flow.decide(a, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    query = flow.location_query(answer)
    assert query["iss"] == public
    issued = flow.Issued(code=query["code"], verifier=verifier, client_id=cid, redirect_uri=flow.REDIRECT,
                         state="state-123")
    resp = flow.exchange(b, issued, resource=resource)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {"client_id": cid, **resp.get_json()}


class Caller(threading.Thread):
    """Initialize through nginx, then tools/call in a loop; retries what fails (as a client would)."""

    def __init__(self, url: str, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.stop = url, token, stop
        self.log: list[tuple[float, object]] = []
        self.http = requests.Session()
        self.sid: str | None = None

    def post(self, body: dict) -> requests.Response:
        hdrs = {**ACCEPT, "Authorization": f"Bearer {self.token}"}
        if self.sid:
            hdrs.update({"Mcp-Session-Id": self.sid, "MCP-Protocol-Version": "2025-06-18"})
        return self.http.post(self.url, data=json.dumps(body), headers=hdrs, timeout=10)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                if self.sid is None:
                    r = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                        "protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "lb", "version": "1"}}})
                    if r.status_code == 200:
                        self.sid = r.headers["Mcp-Session-Id"]
                else:
                    r = self.post({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                                   "params": {"name": "search", "arguments": {"query": "energy"}}})
                    if r.status_code == 404:
                        self.sid = None
                status: object = r.status_code
            except requests.RequestException as exc:
                status = exc.__class__.__name__
            self.log.append((time.monotonic(), status))
            if status != 200:
                time.sleep(0.1)


def test_two_instances_behind_nginx(server_factory, pg_url, tmp_path):
    need(Path(NGINX).exists(), "nginx is missing (Debian package nginx; .ci/install-tools installs it)")
    need(SpareRedis.available(), "redis-server is not installed")
    redis_srv = SpareRedis(tmp_path)
    redis_srv.start()
    nport = free_port()
    public = f"http://127.0.0.1:{nport}"
    env = dict(CONNECTOR_WORKERS="2", REDIS_URL=redis_srv.url, DATABASE_URL=pg_url, AUTH_DISABLED="false",
               PUBLIC_URL=public, TRUSTED_PROXY_HOPS="1", RATE_LIMITS_ENABLED="false", SECRET_KEY=flow.SECRET_KEY,
               SSE_KEEPALIVE_SECONDS="1")
    inst_a = server_factory(**env)
    inst_b = server_factory(**env)
    lb = Nginx(nport, [inst_a.port, inst_b.port])
    figures: dict = {}
    try:
        host = f"127.0.0.1:{nport}"  # every request names the public host, as it would through the proxy
        clients = {"a": LiveClient(inst_a.url, host), "b": LiveClient(inst_b.url, host)}
        # One grant per client, the steps alternating A/B and B/A; each refreshed through the balancer.
        mcp = f"{public}/mcp"
        grants = [tokens_for(clients, public, mcp, "ab" if i % 2 == 0 else "ba") for i in range(CLIENTS)]
        sse_tokens = tokens_for(clients, public, f"{public}/sse", "ba")
        via = LiveClient(public, host)
        for grant in grants:
            renewed = flow.refresh(via, grant["refresh_token"], grant["client_id"], resource=mcp)
            assert renewed.status_code == 200, renewed.get_data(as_text=True)
            grant.update(renewed.get_json())

        # A legacy SSE stream held by instance A; its POSTs go through nginx (round robin: both instances).
        bearer = {"Authorization": f"Bearer {sse_tokens['access_token']}"}
        stream = requests.get(f"{inst_a.url}/sse", headers={"Accept": "text/event-stream", "Host": host, **bearer},
                              stream=True, timeout=20)
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == "event: endpoint"
        endpoint = next(lines).removeprefix("data: ")
        messages = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "sse", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"}] + [
            {"jsonrpc": "2.0", "id": i, "method": "tools/list"} for i in range(2, 8)]
        for msg in messages:
            r = requests.post(f"{public}{endpoint}", json=msg, headers={**bearer, "Connection": "close"}, timeout=10)
            assert r.status_code == 202, r.text
        replies = set()
        deadline = time.monotonic() + 15  # keep-alives arrive every second, so the read itself never times out
        for line in lines:
            if line.startswith("data: {"):
                replies.add(json.loads(line[6:])["id"])
            if replies >= set(range(1, 8)) or time.monotonic() > deadline:
                break
        stream.close()
        assert replies == set(range(1, 8)), replies  # every reply, whichever instance took the POST
        access = (lb.dir / "access.log").read_text()
        served_by = Counter(re.findall(r"POST /messages\S* HTTP/1.1 127.0.0.1:(\d+)", access))
        assert sum(served_by.values()) == len(messages)
        assert set(served_by) == {str(inst_a.port), str(inst_b.port)}, served_by  # both instances took POSTs

        # kill -9 of instance B under load through nginx.
        stop = threading.Event()
        callers = [Caller(mcp, grant["access_token"], stop) for grant in grants]
        for c in callers:
            c.start()
        time.sleep(3)
        killed_at = time.monotonic()
        kill_instance(inst_b)
        time.sleep(5)
        stop.set()
        for c in callers:
            c.join(timeout=15)
        every = [(t, s) for c in callers for t, s in c.log]
        statuses = Counter(str(s) for _, s in every)
        recovery = []
        for c in callers:
            failures_after = [t for t, s in c.log if t >= killed_at and s != 200]
            last_failure = max(failures_after) if failures_after else killed_at
            ok_after = [t for t, s in c.log if t > last_failure and s == 200]
            recovery.append((ok_after[0] - killed_at) if ok_after else None)
        # No token lost: every access and refresh token issued before the kill still works through nginx.
        lost = []
        for i, grant in enumerate(grants):
            r = requests.post(mcp, data=json.dumps(flow.INITIALIZE), timeout=10,
                              headers={**ACCEPT, "Authorization": f"Bearer {grant['access_token']}"})
            if r.status_code != 200:
                lost.append((f"access {i}", r.status_code))
        with requests.get(f"{public}/sse", headers={"Accept": "text/event-stream", **bearer}, stream=True,
                          timeout=10) as sse:
            if sse.status_code != 200 or next(sse.iter_lines(decode_unicode=True)) != "event: endpoint":
                lost.append(("access sse", sse.status_code))
        for name, grant, resource in [(f"refresh {i}", g, mcp) for i, g in enumerate(grants)] + [
                ("refresh sse", sse_tokens, f"{public}/sse")]:
            again = flow.refresh(via, grant["refresh_token"], grant["client_id"], resource=resource)
            if again.status_code != 200:
                lost.append((name, again.status_code))
        figures = {"instances": 2, "workers_each": 2, "clients": CLIENTS, "calls": len(every),
                   "by_status": dict(sorted(statuses.items())),
                   "calls_after_kill": sum(1 for t, _ in every if t >= killed_at),
                   "errors_after_kill": sum(1 for t, s in every if t >= killed_at and s != 200),
                   "max_recovery_seconds": round(max(r for r in recovery if r is not None), 2),
                   "clients_recovered": sum(1 for r in recovery if r is not None),
                   "tokens_checked": 2 * (len(grants) + 1), "tokens_lost": len(lost),
                   "sse_posts_through_balancer": len(messages)}
        out = ROOT / ".pytest_cache" / "several-instances.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(figures, indent=2))
        print(json.dumps(figures))
        assert not lost, lost
        assert figures["clients_recovered"] == CLIENTS, figures
        assert figures["max_recovery_seconds"] < 5, figures
        assert "500" not in statuses, statuses
        assert "Traceback" not in inst_a.log()
    finally:
        lb.stop()
        redis_srv.stop()
