"""Benchmark the whole OAuth flow against the real server (gunicorn + gevent, auth on, demo mode).

One flow = discovery (401 challenge, protected-resource and authorization-server metadata)
→ dynamic registration → GET /oauth/authorize (consent page) → POST consent (Allow) →
code exchange at /oauth/token → an authenticated MCP `initialize` + `tools/call search` →
refresh. Reports p50/p95/p99 per flow and per step, the server worker's CPU per flow (from /proc), and the
same flow one at a time, and writes a section of docs/benchmarks.md between the oauth markers.

    .venv/bin/python -m bench.oauth_flow [--flows 200] [--concurrency 4] [--sequential 50]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from .run import cpu_seconds
from .sections import OAUTH, write_section

ROOT = Path(__file__).resolve().parent.parent
REDIRECT = "http://127.0.0.1:53682/callback"
ACCEPT = "application/json, text/event-stream"
TARGET_P95_MS = 50  # issue 12
# Kept in the section on every rerun: what the flow's figures mean and what was done about them.
NOTES = (
    "**Reading these figures.** The flows run 4 at a time against one worker, which they keep busy: each request "
    "waits for the other flows' requests, so a whole flow takes about 4 × the worker's CPU per flow (the 17 ms "
    "\"discovery\" of earlier runs was that queue, plus a new connection; the two documents cost about 0.4 ms of "
    "CPU each). One at a time (the second table) a flow is what a person meets. **What was done (issue 12):** "
    "audit rows commit with the change they record (a registration, a consent's grant and code, a token; a "
    "refresh's rotation commits with its successor) as plain INSERTs; Allow consumes its pending request in the "
    "transaction that mints the code; a client is read once per request and its metadata parsed once; the "
    "consent POST compares the client with the one shown once, not twice; SQLite transactions skip the "
    "`SELECT 1` pre-ping (PostgreSQL keeps it); the first MCP calls after the exchange find the token in the "
    "worker's memory of verified tokens after one lookup (connector/auth/verified.py). The five OAuth "
    "requests of a flow went from 12 commits and 23 statements (plus 12 pre-pings) to 6 commits and 22 "
    "statements. Nothing here is a password-hash-like cost: tokens, codes and secrets "
    "are HMAC-SHA256 (µs), scrypt only runs for api_key sign-ins, and rate limits are off in this run. What "
    "remains per flow is about 11 requests' worth of HTTP parsing, Flask dispatch and response writing (about "
    "0.4 ms each), the SQLAlchemy statements, Authlib's validation, the consent page's template, and the MCP "
    "`initialize` + `tools/call`.")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the consent page's form (what Allow posts back)."""
    out = {}
    for tag in re.findall(r"<input[^>]+>", html):
        if 'type="hidden"' in tag:
            out[re.search(r'name="([^"]+)"', tag).group(1)] = unescape(re.search(r'value="([^"]*)"', tag).group(1))
    return out


def one_flow(base: str) -> dict[str, float]:
    """Run one complete flow; returns seconds per step."""
    steps: dict[str, float] = {}
    http = requests.Session()
    mcp = f"{base}/mcp"

    def step(name: str, t0: float) -> float:
        now = time.perf_counter()
        steps[name] = now - t0
        return now

    t = t0 = time.perf_counter()
    r = http.post(mcp, json={"jsonrpc": "2.0", "id": 0, "method": "ping"}, headers={"Accept": ACCEPT})
    assert r.status_code == 401
    prm = http.get(f"{base}/.well-known/oauth-protected-resource/mcp").json()
    meta = http.get(f"{base}/.well-known/oauth-authorization-server").json()
    t = step("discovery", t)
    client = http.post(meta["registration_endpoint"], json={
        "client_name": "bench", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}).json()
    t = step("registration", t)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    page = http.get(meta["authorization_endpoint"] + "?" + urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT, "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": prm["resource"],
        "scope": "attio:read offline_access"}))
    assert page.status_code == 200
    t = step("consent page", t)
    answer = http.post(meta["authorization_endpoint"], data={**hidden_fields(page.text), "decision": "allow"},
                       allow_redirects=False)
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    t = step("consent allow", t)
    tokens = http.post(meta["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client["client_id"],
        "code_verifier": verifier, "resource": prm["resource"]}).json()
    t = step("token", t)
    auth = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": ACCEPT}
    init = http.post(mcp, headers=auth, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    auth["Mcp-Session-Id"] = init.headers["Mcp-Session-Id"]
    call = http.post(mcp, headers=auth, json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                              "params": {"name": "search", "arguments": {"query": "energy"}}})
    assert call.status_code == 200 and '"isError":false' in call.text
    t = step("first tool call", t)
    fresh = http.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "client_id": client["client_id"],
                                                    "refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200
    t = step("refresh", t)
    steps["whole flow"] = t - t0
    return steps


def _worker_pid(master: int) -> int:
    """The gunicorn worker (one) under `master`, else the master itself."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return int(children[0]) if children else master


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _table(runs: list[dict[str, float]]) -> list[str]:
    rows = ["| step | p50 ms | p95 ms | p99 ms |", "| --- | ---: | ---: | ---: |"]
    for name in runs[0]:
        values = [r[name] for r in runs]
        rows.append(f"| {name} | {_pct(values, .5):.1f} | {_pct(values, .95):.1f} | {_pct(values, .99):.1f} |")
    return rows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sequential", type=int, default=50, help="flows run one at a time afterwards (0: none)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--summary", default=None, help="also write the target's figures here (JSON)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from attio_demo import start_demo_attio

    work = Path(tempfile.mkdtemp(prefix="oauth-bench-"))
    demo = start_demo_attio(testing=True)
    port = _free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "ATTIO_API_URL": demo.url, "LOG_LEVEL": "WARNING",
           "ACCESS_LOG": "/dev/null", "RATE_LIMITS_ENABLED": "false", "SECRET_KEY": secrets.token_urlsafe(40),
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}"}
    env.pop("AUTH_DISABLED", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        for _ in range(5):
            one_flow(base)  # warm-up
        worker = _worker_pid(server.pid)
        worker_cpu, own_cpu, started = cpu_seconds(worker), _own_cpu(), time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            runs = list(pool.map(lambda _: one_flow(base), range(args.flows)))
        elapsed = time.perf_counter() - started
        worker_cpu, own_cpu = cpu_seconds(worker) - worker_cpu, _own_cpu() - own_cpu
        alone = [one_flow(base) for _ in range(args.sequential)]
    finally:
        server.terminate()
        server.wait(20)
        demo.stop()
    whole = [r["whole flow"] for r in runs]
    p95 = _pct(whole, .95)
    per_flow = worker_cpu / args.flows * 1000
    lines = [
        "## Full OAuth flow", "",
        f"{args.flows} complete flows, {args.concurrency} at a time, against one gunicorn + gevent worker in "
        f"demo mode with the OAuth store on SQLite; {args.flows / elapsed:.1f} flows/s overall. Each flow: the "
        "401 challenge and both discovery documents, dynamic registration, the consent page, Allow, the code "
        "exchange, an authenticated `initialize` + `tools/call search`, and a refresh.", "",
        f"Target (issue 12): whole-flow p95 ≤ {TARGET_P95_MS} ms at {args.concurrency} at a time. This run: p50 "
        f"{_pct(whole, .5):.0f} ms, p95 **{p95:.0f} ms**, {'met' if p95 <= TARGET_P95_MS else '**not met**'}. "
        f"The server worker spent {per_flow:.1f} ms of CPU per flow ({worker_cpu / elapsed * 100:.0f}% of a core "
        f"during the run), the load generator {own_cpu / args.flows * 1000:.1f} ms.", "",
        *_table(runs), ""]
    if alone:
        solo = [r["whole flow"] for r in alone]
        lines += [f"The same flow one at a time ({len(alone)} flows): p50 {_pct(solo, .5):.0f} ms, p95 "
                  f"{_pct(solo, .95):.0f} ms.", "", *_table(alone), ""]
    lines += [NOTES, "", "Rerun: `.venv/bin/python -m bench.oauth_flow`", ""]
    body = "\n".join(lines)
    write_section(Path(args.output), *OAUTH, body)
    if args.summary:
        Path(args.summary).write_text(json.dumps({"p50_ms": _pct(whole, .5), "p95_ms": p95, "target_ms": TARGET_P95_MS,
                                                  "concurrency": args.concurrency, "cpu_ms_per_flow": per_flow}))

    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
