"""Benchmark the connector's `search` and `fetch` tools against a bare Flask route doing the same
upstream Attio call, and write docs/benchmarks.md.

    .venv/bin/python -m bench.run [--duration 10] [--concurrency 32] [--output docs/benchmarks.md]

One demo Attio serves every run. For each target (connector `tools/call search`, bare
`POST /search`, connector `tools/call fetch`, bare `GET /fetch`) a fresh gunicorn (same
`gunicorn.conf.py`, same environment, one gevent worker) is started, checked with one fully
parsed reply, warmed up, then driven by a closed-loop load generator on keep-alive
connections for the duration. Every non-200 reply, JSON-RPC error, `isError` result, reply
without the expected body, and connection failure is counted as an error and reported.

Load generator: `wrk` when it is on PATH and passes the calibration (its latencies must be
consistent with its throughput by Little's law), else `bench/loadgen.py` (gevent, raw
sockets, stdlib + gevent only). `--loadgen` forces one. Both are calibrated against the
bare app's trivial `/healthz` first, and the cheaper consistent one (generator CPU per
request) is used.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .sections import OWNED, existing_section

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_VERSION = "2025-11-25"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
TARGET_RATIO = 0.8
CALIBRATION_SECONDS = 3.0
UPSTREAM_PROBE_CALLS = 10
INTRO_START, INTRO_END = "<!-- intro:start -->", "<!-- intro:end -->"
DEFAULT_INTRO = (
    "How much does the MCP layer cost? Each scenario sends the same Attio request through the "
    "connector's MCP tool and through a bare Flask route that calls the demo Attio with one "
    "module-level `urllib3.PoolManager` and `json`, served by the same gunicorn configuration. "
    "The difference is the connector's own overhead (Streamable HTTP transport, JSON-RPC, "
    "argument validation, the Attio client, rendering). This file is written by `bench/run.py`; "
    "the text between the intro markers is kept when it is regenerated.")
# Environment that would change the connector's mode or the servers' shape; removed for both targets.
SCRUBBED_ENV = ("PORT", "BIND", "ATTIO_API_KEY", "ATTIO_CLIENT_ID", "ATTIO_CLIENT_SECRET", "REDIS_URL",
                "PUBLIC_URL", "ALLOWED_HOSTS", "PRODUCTION", "WEB_CONCURRENCY", "MAX_REQUESTS",
                "MAX_REQUESTS_JITTER", "CACHE_TTL_SECONDS", "DATABASE_URL", "AUTH_DISABLED", "SECRET_KEY",
                "RATE_LIMITS_ENABLED", "ATTIO_RATE_LIMITS")


# -- small HTTP helpers (setup only; the load goes through the generator) -----------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
              timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: (status, headers, body)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=data, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- processes -------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (0.0 when unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct children of a process (Linux /proc)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out += [int(p) for p in text]
    except OSError:
        pass
    return out


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py APP` on a free loopback port, with the given environment."""

    def __init__(self, app: str, env: dict[str, str], log_dir: Path) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}", "PYTHONUNBUFFERED": "1"}
        script = Path(sys.executable).parent / "gunicorn"
        self.cmd = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
        self.cmd += ["-c", "gunicorn.conf.py", app]
        self.log_path = log_dir / f"gunicorn-{app.replace(':', '_')}-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        self.workers: list[int] = []
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited early:\n{self.log()}")
            try:
                status, _, _ = http_call(f"{self.url}/healthz", timeout=1)
                if status == 200:
                    self.workers = children(self.proc.pid)
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn {self.app} did not become ready:\n{self.log()}")

    def worker_cpu(self) -> float:
        """CPU seconds used so far by the worker processes."""
        return sum(cpu_seconds(pid) for pid in self.workers)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# -- load generators -------------------------------------------------------------------------

@dataclass
class Load:
    """What to send: one request, repeated."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect: str = ""


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_python(load: Load, duration: float, concurrency: int) -> dict[str, Any]:
    """bench/loadgen.py in its own process."""
    cmd = [sys.executable, "-m", "bench.loadgen", "--url", load.url, "--method", load.method,
           "--duration", str(duration), "--concurrency", str(concurrency)]
    for name, value in load.headers.items():
        cmd += ["--header", f"{name}: {value}"]
    if load.body:
        cmd += ["--body", load.body]
    if load.expect:
        cmd += ["--expect", load.expect]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.loadgen failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _lua_string(text: str) -> str:
    level = "=" * 4
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
{dynamic}
local expect = {expect}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad_status = 0; bad_body = 0; bad_expect = 0; first_bad = "" end
function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    if first_bad == "" then first_bad = "HTTP " .. status .. " " .. string.sub(body or "", 1, 200) end
  elseif string.find(body, '"isError":true', 1, true) or string.find(body, '"error":{{', 1, true) then
    bad_body = bad_body + 1
    if first_bad == "" then first_bad = string.sub(body, 1, 300) end
  elseif expect ~= "" and not string.find(body, expect, 1, true) then
    bad_expect = bad_expect + 1
    if first_bad == "" then first_bad = string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local bs, bb, be, fb = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    bs = bs + t:get("bad_status"); bb = bb + t:get("bad_body"); be = be + t:get("bad_expect")
    if fb == "" then fb = t:get("first_bad") or "" end
  end
  local e = summary.errors
  io.write(string.format("WRKRESULT %d %d %d %d %d %d %.3f %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.timeout, bs, bb, be))
  io.write("WRKFIRSTBAD " .. string.gsub(fb, "\\n", " ") .. "\\n")
end
"""


def run_wrk(load: Load, duration: float, concurrency: int, workdir: Path) -> dict[str, Any]:
    """wrk with a generated Lua script (body, headers, per-response error checks)."""
    headers = "\n".join(f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in load.headers.items())
    dynamic = ""
    if ID_PLACEHOLDER in load.body:
        before, after = load.body.split(ID_PLACEHOLDER, 1)
        dynamic = (f"local before, after, counter = {_lua_string(before)}, {_lua_string(after)}, 1000\n"
                   "function request()\n  counter = counter + 1\n"
                   "  return wrk.format(nil, nil, nil, before .. counter .. after)\nend")
    script = WRK_SCRIPT.format(method=_lua_string(load.method), body=_lua_string(load.body) if load.body else "nil",
                               headers=headers, expect=_lua_string(load.expect), dynamic=dynamic)
    path = workdir / f"wrk-{abs(hash((load.url, load.body))) % 10**8}.lua"
    path.write_text(script)
    seconds = max(1, int(round(duration)))
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path), load.url]
    cpu0 = _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu = _children_cpu() - cpu0
    match = re.search(r"^WRKRESULT (.+)$", proc.stdout, re.M)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    v = match.group(1).split()
    requests, dur_us = int(v[0]), int(v[1])
    p50, p95, p99, mx, mean = (float(x) / 1000 for x in v[2:7])
    connect, read, write, timeout, bad_status, bad_body, bad_expect = (int(x) for x in v[7:14])
    first_bad = re.search(r"^WRKFIRSTBAD ?(.*)$", proc.stdout, re.M)
    kinds = {"connect": connect, "read": read, "write": write, "timeout": timeout, "non_200": bad_status,
             "error_in_body": bad_body, "unexpected_body": bad_expect}
    kinds = {k: n for k, n in kinds.items() if n}
    seconds_run = dur_us / 1e6
    return {"generator": "wrk", "requests": requests, "seconds": seconds_run,
            "rps": requests / seconds_run if seconds_run else 0.0,
            "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": mx, "mean_ms": mean,
            "errors": sum(kinds.values()), "errors_by_kind": kinds,
            "example_error": (first_bad.group(1).strip() or None) if first_bad else None,
            "generator_cpu_s": cpu, "generator_cpu_us_per_req": cpu / requests * 1e6 if requests else float("nan")}


class Generator:
    """The chosen load generator."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name, self.workdir = name, workdir

    def run(self, load: Load, duration: float, concurrency: int) -> dict[str, Any]:
        if self.name == "wrk":
            return run_wrk(load, duration, concurrency, self.workdir)
        return run_python(load, duration, concurrency)


def little_ratio(result: dict[str, Any], concurrency: int) -> float:
    """Throughput x mean latency / connections: about 1.0 for a consistent closed-loop measurement."""
    return result["rps"] * result["mean_ms"] / 1000 / concurrency


# -- targets ---------------------------------------------------------------------------------

def mcp_session(base: str) -> dict[str, str]:
    """initialize + notifications/initialized; returns the headers for later calls."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                       "clientInfo": {"name": "bench", "version": "1"}}}
    status, headers, body = http_call(f"{base}/mcp", "POST", init, MCP_HEADERS)
    if status != 200 or "mcp-session-id" not in headers:
        raise RuntimeError(f"initialize failed: HTTP {status} {body[:300]!r}")
    session = {**MCP_HEADERS, "Mcp-Session-Id": headers["mcp-session-id"], "MCP-Protocol-Version": PROTOCOL_VERSION}
    status, _, body = http_call(f"{base}/mcp", "POST", {"jsonrpc": "2.0", "method": "notifications/initialized"},
                                session)
    if status != 202:
        raise RuntimeError(f"notifications/initialized failed: HTTP {status} {body[:300]!r}")
    return session


ID_PLACEHOLDER = "{{id}}"  # the generators put a fresh integer here on every request


def tool_call_body(name: str, arguments: dict[str, Any]) -> str:
    """A tools/call request whose id is the placeholder."""
    params = json.dumps({"name": name, "arguments": arguments}, separators=(",", ":"))
    return f'{{"jsonrpc":"2.0","id":{ID_PLACEHOLDER},"method":"tools/call","params":{params}}}'


def concrete(load: Load, msg_id: int) -> bytes | None:
    """The body of one request sent outside the generator."""
    return load.body.replace(ID_PLACEHOLDER, str(msg_id)).encode() if load.body else None


def check_once(load: Load, kind: str) -> dict[str, Any]:
    """One request, parsed in full: the payload (raises with the reply if it is not a success)."""
    status, _, raw = http_call(load.url, load.method, concrete(load, 10), load.headers)
    if status != 200:
        raise RuntimeError(f"{load.method} {load.url}: HTTP {status} {raw[:500]!r}")
    data = json.loads(raw)
    if "jsonrpc" in data:
        if "error" in data or data.get("result", {}).get("isError"):
            raise RuntimeError(f"{load.url}: tool call failed: {raw[:500]!r}")
        data = data["result"]["structuredContent"]
    if kind == "search" and not data.get("results"):
        raise RuntimeError(f"{load.url}: search returned no results: {raw[:500]!r}")
    if kind == "fetch" and not data.get("text"):
        raise RuntimeError(f"{load.url}: fetch returned no text: {raw[:500]!r}")
    return data


def upstream_calls_per_request(demo_url: str, load: Load, n: int = UPSTREAM_PROBE_CALLS) -> float:
    """Sequential requests against a cleared demo request log: Attio calls per request."""
    http_call(f"{demo_url}/_admin/requests/reset", "POST", {}, {"Content-Type": "application/json"})
    for i in range(n):
        http_call(load.url, load.method, concrete(load, 100 + i), load.headers)
    _, _, raw = http_call(f"{demo_url}/_admin/requests")
    return len(json.loads(raw)["requests"]) / n


@dataclass
class Scenario:
    key: str          # "search" or "fetch"
    target: str       # "connector" or "bare"
    label: str
    app: str


SCENARIOS = [
    Scenario("search", "connector", "connector `tools/call search`", "wsgi:app"),
    Scenario("search", "bare", "bare `POST /search`", "bench.bare_app:app"),
    Scenario("fetch", "connector", "connector `tools/call fetch`", "wsgi:app"),
    Scenario("fetch", "bare", "bare `GET /fetch`", "bench.bare_app:app"),
]


def build_load(sc: Scenario, server: Gunicorn, query: str, fetch_id: str | None) -> Load:
    if sc.target == "connector":
        headers = mcp_session(server.url)
        if sc.key == "search":
            return Load(f"{server.url}/mcp", "POST", headers, tool_call_body("search", {"query": query}), '"results":')
        return Load(f"{server.url}/mcp", "POST", headers, tool_call_body("fetch", {"id": fetch_id}), '"text":')
    if sc.key == "search":
        return Load(f"{server.url}/search", "POST", {"Content-Type": "application/json"},
                    json.dumps({"query": query}), '"results":')
    from urllib.parse import quote
    return Load(f"{server.url}/fetch?id={quote(fetch_id or '', safe=':')}", "GET", {}, "", '"text":')


# -- the run ---------------------------------------------------------------------------------

def server_env(demo_url: str, workdir: Path) -> dict[str, str]:
    """The same environment for every target: demo mode, authentication off, one worker, quiet logs, and no Attio
    rate budget (the fake Attio has no limits; the budget would hold the connector to Attio's 100 reads a second)."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update({"ATTIO_API_URL": demo_url, "LOG_LEVEL": "WARNING", "ACCESS_LOG": "off",
                "CONNECTOR_WORKERS": "1", "AUTH_DISABLED": "true", "ATTIO_RATE_LIMITS": "off",
                "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
                "SECRET_KEY": secrets.token_urlsafe(48)})
    return env


def calibrate(names: list[str], env: dict[str, str], workdir: Path, concurrency: int) -> list[dict[str, Any]]:
    """Each candidate generator against the bare app's trivial /healthz."""
    out = []
    server = Gunicorn("bench.bare_app:app", env, workdir)
    try:
        load = Load(f"{server.url}/healthz", expect='"ok"')
        for name in names:
            gen = Generator(name, workdir)
            gen.run(load, 1.0, concurrency)  # connections and code paths warm
            cpu0 = server.worker_cpu()
            result = gen.run(load, CALIBRATION_SECONDS, concurrency)
            result["server_cpu_us_per_req"] = (server.worker_cpu() - cpu0) / max(1, result["requests"]) * 1e6
            result["little"] = little_ratio(result, concurrency)
            result["name"] = name
            out.append(result)
            print(f"  calibration {name:6s} /healthz: {result['rps']:8.0f} req/s, generator "
                  f"{result['generator_cpu_us_per_req']:.0f} us CPU/req, Little check {result['little']:.2f}",
                  flush=True)
    finally:
        server.stop()
    return out


def choose(calibration: list[dict[str, Any]], forced: str | None) -> str:
    if forced:
        return forced
    consistent = [c for c in calibration if c["errors"] == 0 and 0.8 <= c["little"] <= 1.1]
    pool = consistent or calibration
    return min(pool, key=lambda c: c["generator_cpu_us_per_req"])["name"]


def run_scenario(sc: Scenario, gen: Generator, env: dict[str, str], demo: Any, args: argparse.Namespace,
                 fetch_id: str | None, workdir: Path) -> tuple[dict[str, Any], str | None]:
    server = Gunicorn(sc.app, env, workdir)
    try:
        load = build_load(sc, server, args.query, fetch_id)
        sample = check_once(load, sc.key)
        if sc.key == "search" and fetch_id is None:
            fetch_id = next((r["id"] for r in sample["results"] if r["id"].startswith("companies:")),
                            sample["results"][0]["id"])
        upstream = upstream_calls_per_request(demo.url, load)
        if args.warmup > 0:
            gen.run(load, args.warmup, args.concurrency)
        cpu_server0, cpu_demo0 = server.worker_cpu(), cpu_seconds(demo.process.pid)
        result = gen.run(load, args.duration, args.concurrency)
        cpu_server, cpu_demo = server.worker_cpu() - cpu_server0, cpu_seconds(demo.process.pid) - cpu_demo0
        n = max(1, result["requests"])
        result.update({"ok_rps": (result["requests"] - result["errors"]) / result["seconds"],
                       "scenario": sc.key, "target": sc.target, "label": sc.label,
                       "upstream_calls_per_req": upstream,
                       "server_cpu_us_per_req": cpu_server / n * 1e6,
                       "server_cpu_share": cpu_server / result["seconds"],
                       "demo_cpu_us_per_req": cpu_demo / n * 1e6,
                       "demo_cpu_share": cpu_demo / result["seconds"],
                       "generator_cpu_share": result["generator_cpu_s"] / result["seconds"],
                       "little": little_ratio(result, args.concurrency),
                       "server_alive": server.proc.poll() is None})
        print(f"  {sc.label:32s} {result['rps']:7.0f} req/s  p50 {result['p50_ms']:6.1f} ms  p95 "
              f"{result['p95_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}", flush=True)
        return result, fetch_id
    finally:
        server.stop()


# -- the report ------------------------------------------------------------------------------

def machine_facts() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "-"

    return {"nproc": str(os.cpu_count()), "cpu": model, "memory": mem,
            "python": platform.python_version(), "kernel": platform.release(),
            "packages": ", ".join(f"{p} {version(p)}" for p in ("gunicorn", "gevent", "flask", "werkzeug",
                                                                    "requests", "urllib3")),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def existing_intro(path: Path) -> str | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    if INTRO_START in text and INTRO_END in text:
        return text.split(INTRO_START, 1)[1].split(INTRO_END, 1)[0].strip()
    return None




def _f(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def render(results: list[dict[str, Any]], calibration: list[dict[str, Any]], chosen: str,
           args: argparse.Namespace, command: str, facts: dict[str, str], intro: str,
           fetch_id: str | None, failures: list[str]) -> str:
    by = {(r["scenario"], r["target"]): r for r in results}
    lines = ["# Benchmarks", "", INTRO_START, intro, INTRO_END, ""]

    ratios: dict[str, tuple[float, float, float]] = {}
    for key in ("search", "fetch"):
        c, b = by.get((key, "connector")), by.get((key, "bare"))
        if c and b and b["ok_rps"] and b["p50_ms"]:
            ratios[key] = (c["ok_rps"] / b["ok_rps"], c["p50_ms"] / b["p50_ms"],
                           b["server_cpu_us_per_req"] / c["server_cpu_us_per_req"] if c["server_cpu_us_per_req"]
                           else float("nan"))
    total_errors = sum(r["errors"] for r in results)

    lines += ["## Result", ""]
    if "search" in ratios:
        tp = ratios["search"][0]
        search_errors = by[("search", "connector")]["errors"] + by[("search", "bare")]["errors"]
        if search_errors:
            verdict = f"**not established**: the search runs had {search_errors} errors"
        else:
            verdict = "**met**" if tp >= TARGET_RATIO else "**not met**"
        lines.append(f"Target: connector `search` throughput ≥ {TARGET_RATIO}× the bare route (auth off), one "
                     f"worker. This run: **{tp:.2f}×**, {verdict}.")
    else:
        lines.append("Target: connector `search` ≥ 0.8× the bare route (auth off), one worker. This run could "
                     "not compute the ratio (a scenario failed; see below).")
    lines.append("")
    lines += ["| scenario | throughput ratio (connector / bare) | p50 latency ratio (connector / bare) | "
              "server CPU per request (bare / connector) |",
              "| --- | ---: | ---: | ---: |"]
    for key, (tp, p50, cpu) in ratios.items():
        lines.append(f"| {key} | {tp:.2f}× | {p50:.2f}× | {cpu:.2f}× |")
    lines += ["", "Throughput counts successful replies only. A throughput ratio below 1 and a latency ratio "
              "above 1 mean the connector is slower. The last column is the throughput ratio a CPU-bound "
              "single worker would show from its CPU cost per request alone; it moves less with the machine's "
              "noise than req/s does.", ""]
    starved = [r for r in results if r["server_cpu_share"] < 0.9]
    if starved:
        lines += ["**Noise warning:** " + "; ".join(
            f"{r['label']} got only {r['server_cpu_share']:.0%} of a core" for r in starved)
            + " while the generator kept every connection busy: the host gave the worker less CPU than it "
            "could use, so that req/s (and its ratio) is low for reasons outside the code. Rerun, or read the "
            "CPU-per-request ratio.", ""]
    if total_errors:
        lines += [f"**Errors: {total_errors} in total** — see the tables; every error is counted, none is "
                  "dropped from the figures.", ""]
    else:
        lines += ["Errors: none (every reply was HTTP 200 with the expected body and no JSON-RPC error or "
                  "`isError`).", ""]
    for failure in failures:
        lines += [f"**Failed:** {failure}", ""]

    header = ["| target | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | Attio calls/req | "
              "server CPU µs/req | demo Attio CPU µs/req |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, title in (("search", "search"), ("fetch", "fetch")):
        rows = [by[(key, t)] for t in ("connector", "bare") if (key, t) in by]
        if not rows:
            continue
        lines += [f"## Scenario: {title}", ""]
        if key == "search":
            lines.append(f"Query `{args.query}` across people, companies and deals (limit 20), the same "
                         "`POST /v2/objects/records/search` body for both targets.")
        else:
            lines.append(f"Record `{fetch_id}`. The connector's `fetch` reads the record **and its notes** and "
                         "renders every attribute as text (attribute titles, members and referenced records "
                         "come from its cache after warm-up); the bare route makes the single "
                         "`GET /v2/objects/{object}/records/{id}` and lists the raw values. Not like for "
                         "like: the column *Attio calls/req* shows the difference.")
        lines += [""] + header
        for r in rows:
            lines.append(f"| {r['label']} | {r['requests']:,} | {_f(r['rps'], 0)} | {_f(r['p50_ms'])} | "
                         f"{_f(r['p95_ms'])} | {_f(r['p99_ms'])} | {_f(r['max_ms'])} | {r['errors']} | "
                         f"{_f(r['upstream_calls_per_req'], 1)} | {_f(r['server_cpu_us_per_req'], 0)} | "
                         f"{_f(r['demo_cpu_us_per_req'], 0)} |")
        errored = [r for r in rows if r["errors"]]
        if errored:
            lines.append("")
        for r in errored:
            kinds = ", ".join(f"{k}: {n}" for k, n in r["errors_by_kind"].items())
            lines.append(f"- {r['label']}: {r['errors']} errors ({kinds}); first: `{r.get('example_error')}`")
        lines += ["", "CPU share of one core during the run (server worker / demo Attio / load generator): "
                  + "; ".join(f"{r['label']} {r['server_cpu_share']:.0%} / {r['demo_cpu_share']:.0%} / "
                              f"{r['generator_cpu_share']:.0%}" for r in rows) + ". Little check (req/s × mean "
                  "latency ÷ connections, ≈ 1.0 when consistent): "
                  + "; ".join(f"{r['little']:.2f}" for r in rows) + ".", ""]

    lines += ["## How it was measured", "",
              "```",
              command,
              "```", "",
              "- One demo Attio process (`python -m attio_demo`, gevent pywsgi) serves every run.",
              "- Each target gets a fresh `gunicorn -c gunicorn.conf.py <app>` with the same environment: "
              "`ATTIO_API_URL` = the demo, `CONNECTOR_WORKERS=1` (one gevent worker), `LOG_LEVEL=WARNING`, "
              "`ACCESS_LOG=off` (no access log), `AUTH_DISABLED=true` (no authentication; the "
              "connector's other defaults unchanged), a throw-away SQLite `DATABASE_URL`, demo mode. The bare app is "
              "`bench/bare_app.py` "
              "(one module-level `urllib3.PoolManager(maxsize=50)`).",
              f"- Before the load: one request parsed in full (must succeed), then {UPSTREAM_PROBE_CALLS} sequential "
              f"requests against the demo's request log to count Attio calls per request, then {args.warmup:g} s of "
              f"warm-up load (not recorded).",
              f"- Load: {args.concurrency} keep-alive HTTP/1.1 connections, closed loop (each sends its next request "
              f"when the previous reply is complete), {args.duration:g} s, generator `{chosen}` in its own process. "
              f"The connector's {args.concurrency} connections share one MCP session (`initialize` + "
              f"`notifications/initialized` done once before).",
              "- Errors: any non-200 reply, a body with a JSON-RPC error (`\"error\":{`) or `\"isError\":true`, a body "
              "without the expected key (`\"results\":` / `\"text\":`), or a connection failure.",
              "- CPU µs/req: CPU time of the gunicorn worker (or the demo Attio) from `/proc/<pid>/stat` over the "
              "measured run, divided by the requests completed. Less sensitive to the machine's noise than req/s.",
              ""]
    lines += ["## Load generator check", "",
              f"Each available generator ran {CALIBRATION_SECONDS:g} s against the bare app's trivial `/healthz` "
              f"({args.concurrency} connections). *Little* is req/s × mean latency ÷ connections; it must be about "
              f"1.0 for latencies that agree with the throughput. The consistent generator with the lowest CPU per "
              f"request is used.", "",
              "| generator | /healthz req/s | p50 ms | p99 ms | generator CPU µs/req | one-core ceiling req/s | "
              "server CPU µs/req | Little | errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c in calibration:
        ceiling = 1e6 / c["generator_cpu_us_per_req"] if c["generator_cpu_us_per_req"] > 0 else float("nan")
        lines.append(f"| {c['name']}{' (used)' if c['name'] == chosen else ''} | {_f(c['rps'], 0)} | "
                     f"{_f(c['p50_ms'], 2)} | {_f(c['p99_ms'], 1)} | {_f(c['generator_cpu_us_per_req'], 0)} | "
                     f"{_f(ceiling, 0)} | {_f(c['server_cpu_us_per_req'], 0)} | {c['little']:.2f} | {c['errors']} |")
    fastest = max((r["rps"] for r in results), default=0.0)
    used = next((c for c in calibration if c["name"] == chosen), None)
    if used and fastest:
        lines += ["", f"The generator drove `/healthz` at {_f(used['rps'], 0)} req/s, {used['rps'] / fastest:.1f}× "
                  f"the fastest scenario ({_f(fastest, 0)} req/s), and its own CPU cost implies a ceiling of about "
                  f"{_f(1e6 / used['generator_cpu_us_per_req'], 0)} req/s on one core: it is not the bottleneck "
                  f"here."]
    for c in calibration:
        if c["name"] != chosen and not (0.8 <= c["little"] <= 1.1):
            lines += ["", f"`{c['name']}` was not used: on `/healthz` its latencies disagree with its own throughput "
                      f"(Little {c['little']:.2f}; above 1 is impossible for a closed loop), so its percentiles "
                      "cannot be trusted on this machine."]
    if not shutil.which("wrk"):
        lines += ["", "`wrk` was not on PATH, so only the Python generator (`bench/loadgen.py`) was tried."]
    lines += ["", "## Machine", "",
              f"- {facts['nproc']} CPUs: {facts['cpu']}" + (f", {facts['memory']} RAM" if facts["memory"] else ""),
              f"- Python {facts['python']}, Linux {facts['kernel']}",
              f"- {facts['packages']}",
              f"- Run at {facts['date']}", "",
              f"This machine is noisy: its {facts['nproc']} cores are shared by the load generator, the server under "
              "test and the demo Attio (all on loopback), plus whatever else the host runs. Throughput and latency "
              "move by several percent between runs; compare ratios from the same run, and prefer the CPU µs/req "
              "columns for the cost of each layer. Only figures measured in this run appear above.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per target")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load per target")
    parser.add_argument("--output", default="docs/benchmarks.md")
    parser.add_argument("--query", default="energy", help="the search query")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    if args.loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("--loadgen wrk: wrk is not on PATH (Debian: apt-get install wrk)")

    shown = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m bench.run"] + [shlex.quote(a) for a in shown])
    output = (ROOT / args.output) if not Path(args.output).is_absolute() else Path(args.output)
    intro = existing_intro(output) or DEFAULT_INTRO
    facts = machine_facts()

    sys.path.insert(0, str(ROOT))
    from attio_demo import start_demo_attio

    workdir = Path(tempfile.mkdtemp(prefix="attio-bench-"))
    print(f"bench: logs and scripts in {workdir}", flush=True)
    demo = start_demo_attio(testing=True)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    fetch_id: str | None = None
    try:
        env = server_env(demo.url, workdir)
        candidates = (["wrk"] if shutil.which("wrk") and args.loadgen in ("auto", "wrk") else [])
        candidates += ["python"] if args.loadgen in ("auto", "python") else []
        calibration = calibrate(candidates, env, workdir, args.concurrency)
        chosen = choose(calibration, None if args.loadgen == "auto" else args.loadgen)
        print(f"bench: load generator: {chosen}", flush=True)
        gen = Generator(chosen, workdir)
        for sc in SCENARIOS:
            if sc.key == "fetch" and fetch_id is None:
                failures.append(f"{sc.label}: no record id (the search scenarios failed)")
                continue
            try:
                result, fetch_id = run_scenario(sc, gen, env, demo, args, fetch_id, workdir)
                results.append(result)
                if not result["server_alive"]:
                    failures.append(f"{sc.label}: the gunicorn master exited during the run")
            except Exception as exc:  # report it, keep going with the other targets
                failures.append(f"{sc.label}: {type(exc).__name__}: {str(exc)[:1500]}")
                print(f"  {sc.label}: FAILED: {exc}", file=sys.stderr, flush=True)
    finally:
        demo.stop()
    report = render(results, calibration, chosen, args, command, facts, intro, fetch_id, failures)
    for start, end in OWNED:
        kept = existing_section(output, start, end)  # written by bench/oauth_flow.py and bench/fetch_cache.py
        if kept:
            report = report.rstrip("\n") + "\n\n" + kept + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    print(f"bench: wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}", flush=True)
    shutil.rmtree(workdir, ignore_errors=True) if not failures else None
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
