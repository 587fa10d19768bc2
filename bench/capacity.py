"""Idle-stream capacity of one worker: N idle streams (legacy SSE, 2026-07-28 subscriptions/listen) held by one
gunicorn + gevent worker, their memory cost, and tool calls answered while all N are open.

    .venv/bin/python -m bench.capacity [--streams 10000] [--kinds sse,listen] [--calls-seconds 10]
                                       [--output docs/benchmarks.md] [--no-write]

For each kind: a fresh `gunicorn -c gunicorn.conf.py wsgi:app` (one worker, bench/run.py's environment, the
connector's default caps), a warm-up (tool calls, and a few streams opened and closed), the worker's memory
(RSS from /proc/<pid>/status, PSS and USS from /proc/<pid>/smaps_rollup), then a load process
(`bench/stream_load.py`) opens N streams from MAX_STREAMS_PER_CLIENT-sized groups of loopback source addresses
and holds them. Measured while they are open: memory again (the difference / N is the cost of a stream), tool
calls (`search`) on keep-alive and on fresh connections, the refusal of stream N+1 (the total cap: 503, and the
per-client cap: 429, both JSON-RPC errors with Retry-After), a tool call after that, whether every stream got
its keep-alive, whether the streams still carry messages, and the drain (SIGTERM to the master: every stream
must get its last event and end). Writes the section between the capacity markers of docs/benchmarks.md; exit
status 1 when a check failed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .run import ROOT, Gunicorn, cpu_seconds, http_call, machine_facts, server_env
from .sections import CAPACITY, write_section
from .stream_load import raise_nofile

TARGET_STREAMS = 10_000
TARGET_KIB = 24.0
RECORD = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"  # Brightwave Energy in the demo seed
KINDS = {"sse": "legacy SSE (`GET /sse`)", "listen": "`subscriptions/listen` (2026-07-28, `POST /mcp`)"}
SETTLE_SECONDS = 2.0
DRAIN_WAIT = 30.0  # above GRACEFUL_TIMEOUT (20 s): how long the load waits for the drain to end every stream
# Warm-up streams come from 127.3.x.y: the server frees their slots only when a keep-alive finds them closed.
WARM_BLOCK = 3


def memory(pid: int) -> dict[str, int]:
    """The process's memory in KiB: rss (VmRSS), pss, uss (private clean + dirty) and anon (anonymous pages)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1])
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            rollup[name] = int(rest.split()[0])
    out["pss"] = rollup.get("Pss", 0)
    out["uss"] = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
    out["anon"] = rollup.get("Anonymous", 0)
    return out


METRICS_TOKEN = "capacity-bench-" + "m" * 32


def gauges(server: Gunicorn) -> dict[str, float]:
    """The server's own count of open streams (summed over transports) and its stream cap, from /metrics."""
    status, _, body = http_call(f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    out = {"open_streams": 0.0, "stream_capacity": 0.0}
    for line in body.decode().splitlines():
        for name in out:
            if line.startswith(f"attio_connector_{name}"):
                out[name] += float(line.rsplit(" ", 1)[1])
    return out


def wait_for_no_streams(server: Gunicorn, timeout: float) -> float:
    """Wait until the server holds no stream (a closed one is noticed at its next keep-alive); seconds waited."""
    t0 = time.monotonic()
    while gauges(server)["open_streams"] > 0:
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"the server still counts {gauges(server)['open_streams']:.0f} open streams")
        time.sleep(1)
    return time.monotonic() - t0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return f"{soft} / {hard}"
    return "?"


SOCKET_SLABS = ("TCP", "sock_inode_cache", "filp", "eventpoll_epi")


def kernel_socket_bytes() -> int | None:
    """Bytes in the kernel's slab caches that every TCP connection takes (the socket, its inode, its file, an epoll
    entry), machine-wide; None where /proc/slabinfo is not readable."""
    try:
        lines = Path("/proc/slabinfo").read_text().splitlines()
    except OSError:
        return None
    total = 0
    for line in lines:
        words = line.split()
        if words and words[0] in SOCKET_SLABS:
            total += int(words[1]) * int(words[3])  # active objects x object size
    return total


class LoadProcess:
    """bench/stream_load.py in its own process, one command at a time."""

    def __init__(self, server: Gunicorn, kind: str, streams: int, per_client: int, probes: int, block: int = 1) -> None:
        cmd = [sys.executable, "-m", "bench.stream_load", "--port", str(server.port), "--kind", kind,
               "--streams", str(streams), "--per-client", str(per_client), "--probes", str(probes),
               "--block", str(block),
               "--record-uri", "attio://records/{}/{}".format(*RECORD.split(":"))]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.hello = self._answer()

    def _answer(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"bench.stream_load exited ({self.proc.wait()})")
        return json.loads(line)

    def ask(self, command: str) -> dict[str, Any]:
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return self._answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.ask("close")
            except (OSError, RuntimeError, ValueError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def settings_of(env: dict[str, str]) -> dict[str, Any]:
    """The caps the server runs with (its own parser and defaults, and gunicorn.conf.py's worker_connections)."""
    from connector.config import load_settings

    cfg = load_settings(env)
    probe = subprocess.run([sys.executable, "-c", "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); "
                            "print(json.dumps({'worker_connections': c['worker_connections']}))"],
                           cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return {"MAX_STREAMS": cfg["MAX_STREAMS"], "MAX_STREAMS_PER_CLIENT": cfg["MAX_STREAMS_PER_CLIENT"],
            "SSE_KEEPALIVE_SECONDS": cfg["SSE_KEEPALIVE_SECONDS"],
            **json.loads(probe.stdout.strip().splitlines()[-1])}


def run_kind(kind: str, env: dict[str, str], caps: dict[str, Any], args: argparse.Namespace,
             workdir: Path) -> dict[str, Any]:
    streams = args.streams or caps["MAX_STREAMS"]
    per_client = caps["MAX_STREAMS_PER_CLIENT"]
    server = Gunicorn("wsgi:app", env, workdir)
    pid = server.workers[0]
    out: dict[str, Any] = {"kind": kind, "streams": streams, "worker_nofile": nofile_limit(pid)}
    load = None
    try:
        warm = LoadProcess(server, kind, min(50, streams), per_client, probes=5, block=WARM_BLOCK)
        warm.ask("calls 2 4")
        if warm.ask("open")["opened"] == 0:
            raise RuntimeError(f"{kind}: no warm-up stream opened:\n{server.log()}")
        warm.ask("probe")
        warm.close()
        out["calls_idle"] = ask_once(server, kind, per_client, f"calls {args.calls_seconds} {args.calls_concurrency}")
        wait_for_no_streams(server, 3 * caps["SSE_KEEPALIVE_SECONDS"] + 10)
        time.sleep(SETTLE_SECONDS)
        out["mem_before"], out["fds_before"] = memory(pid), open_fds(pid)
        kernel0 = kernel_socket_bytes()
        load = LoadProcess(server, kind, streams, per_client, args.probes)
        out["load_nofile"] = load.hello["nofile"]
        cpu0 = cpu_seconds(pid)
        out["open"] = load.ask("open")
        out["open_cpu_us"] = (cpu_seconds(pid) - cpu0) / max(1, out["open"]["opened"]) * 1e6
        time.sleep(SETTLE_SECONDS)
        out["mem_open"], out["fds_open"] = memory(pid), open_fds(pid)
        out["gauges_open"] = gauges(server)
        kernel1 = kernel_socket_bytes()
        out["kernel_bytes"] = None if kernel0 is None or kernel1 is None else kernel1 - kernel0
        print(f"  {kind}: {out['open']['opened']} open ({out['open']['failed']} failed) in "
              f"{out['open']['seconds']:.1f} s; worker RSS {out['mem_before']['rss'] / 1024:.1f} -> "
              f"{out['mem_open']['rss'] / 1024:.1f} MiB", flush=True)
        out["calls_full"] = load.ask(f"calls {args.calls_seconds} {args.calls_concurrency}")
        out["mem_calls"] = memory(pid)
        out["overflow"] = load.ask("overflow")
        out["calls_after_overflow"] = load.ask(f"calls 2 {args.calls_concurrency}")
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        out["alive"] = load.ask(f"alive {caps['SSE_KEEPALIVE_SECONDS'] + 5}")
        out["idle_cpu_share"] = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
        out["probe"] = load.ask("probe")
        out["mem_end"] = memory(pid)
        # The drain: SIGTERM to the master, as a deploy sends it; every stream must get its last event and end.
        t0 = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        out["drain"] = load.ask(f"drained {DRAIN_WAIT}")
        server.proc.wait(timeout=60)
        out["drain"]["server_exit_s"] = time.monotonic() - t0
        out["drain"]["exit_code"] = server.proc.returncode
        out["log_tail"] = server.log()[-1500:]
        return out
    finally:
        if load is not None:
            load.close()
        server.stop()


def ask_once(server: Gunicorn, kind: str, per_client: int, command: str) -> dict[str, Any]:
    """One command in a load process of its own that opens no stream."""
    load = LoadProcess(server, kind, 1, per_client, probes=1)
    try:
        return load.ask(command)
    finally:
        load.close()


# -- the verdicts ----------------------------------------------------------------------------

def per_stream_kib(r: dict[str, Any], key: str = "rss") -> float:
    return (r["mem_open"][key] - r["mem_before"][key]) / max(1, r["open"]["opened"])


def overflow_ok(info: dict[str, Any], status: int, words: str) -> bool:
    body = info.get("json") or {}
    error = body.get("error") if isinstance(body, dict) else None
    return (info.get("status") == status and isinstance(error, dict) and error.get("code") == -32600
            and words in str(error.get("message")) and body.get("jsonrpc") == "2.0"
            and info.get("retry_after") is not None)


def verdict(r: dict[str, Any]) -> dict[str, bool]:
    calls = r["calls_full"]
    return {
        "all_open": r["open"]["opened"] == r["streams"] and r["open"]["failed"] == 0,
        "memory": max(per_stream_kib(r), per_stream_kib(r, "uss")) <= TARGET_KIB,
        "calls": calls["errors"] == 0 and calls["keep-alive"]["calls"] > 0 and calls["new connection"]["calls"] > 0
        and r["calls_after_overflow"]["errors"] == 0,
        "refused_total": overflow_ok(r["overflow"]["total"], 503, "stream capacity reached"),
        "refused_client": overflow_ok(r["overflow"]["per_client"], 429, "Too many open streams for this client"),
        "alive": r["alive"]["open"] == r["streams"] and r["alive"]["with_keepalive"] == r["streams"],
        "probe": _probe_ok(r),
        "drain": r["drain"]["with_last_event"] == r["drain"]["streams"] == r["drain"]["closed"]
        and r["drain"]["exit_code"] == 0,
    }


def _probe_ok(r: dict[str, Any]) -> bool:
    p = r["probe"]
    if r["kind"] == "sse":
        return p["sampled"] > 0 and p["replies"] == p["sampled"]
    return bool(p.get("write_ok")) and p.get("heard") == p.get("streams")


def met(r: dict[str, Any]) -> bool:
    return r["streams"] >= TARGET_STREAMS and all(verdict(r).values())


# -- the report ------------------------------------------------------------------------------

def _mib(kib: int) -> str:
    return f"{kib / 1024:,.1f}"


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.1f}"


def render(results: list[dict[str, Any]], caps: dict[str, Any], args: argparse.Namespace,
           machine: dict[str, str], load_avg: tuple[float, float]) -> str:
    lines = ["## Idle streams per worker", ""]
    overall = all(met(r) for r in results) and {r["kind"] for r in results} == set(KINDS)
    lines.append(f"Target: one worker holds {TARGET_STREAMS:,} idle streams of each kind at ≤ {TARGET_KIB:.0f} KiB "
                 "each, while tool calls are still answered at the stream cap. This run: "
                 f"**{'met' if overall else 'not met'}**.")
    lines += ["", "| | " + " | ".join(KINDS[r["kind"]] for r in results) + " |",
              "| --- |" + " ---: |" * len(results)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("streams asked for / opened / failed", [f"{r['streams']:,} / {r['open']['opened']:,} / "
                                                f"{r['open']['failed']:,}" for r in results])
    row("time to open them all", [f"{r['open']['seconds']:.1f} s ({r['open_cpu_us']:,.0f} µs worker CPU each)"
                                  for r in results])
    row("worker RSS before → with all open (MiB)", [f"{_mib(r['mem_before']['rss'])} → {_mib(r['mem_open']['rss'])}"
                                                    for r in results])
    row("**RSS per stream**", [f"**{per_stream_kib(r):.1f} KiB** ({'met' if verdict(r)['memory'] else 'not met'})"
                               for r in results])
    row("USS / PSS per stream", [f"{per_stream_kib(r, 'uss'):.1f} / {per_stream_kib(r, 'pss'):.1f} KiB"
                                 for r in results])
    row("kernel memory per stream, both ends (slab, machine-wide)",
        ["–" if r["kernel_bytes"] is None else f"{r['kernel_bytes'] / 1024 / max(1, r['open']['opened']):.1f} KiB"
         for r in results])
    row("worker file descriptors before → open", [f"{r['fds_before']:,} → {r['fds_open']:,}" for r in results])
    row("open streams by the server's own gauge / its cap", [f"{r['gauges_open']['open_streams']:,.0f} / "
                                                             f"{r['gauges_open']['stream_capacity']:,.0f}"
                                                             for r in results])
    row("worker RSS after the calls (MiB)", [_mib(r["mem_calls"]["rss"]) for r in results])
    for label, key in (("search, no stream open", "calls_idle"), ("search, all streams open", "calls_full")):
        row(f"{label}: keep-alive calls, p50 / p95 / p99 ms",
            [f"{r[key]['keep-alive']['calls']:,} calls, {_ms(r[key]['keep-alive']['p50_ms'])} / "
             f"{_ms(r[key]['keep-alive']['p95_ms'])} / {_ms(r[key]['keep-alive']['p99_ms'])}" for r in results])
        row(f"{label}: new-connection calls, p50 / p99 ms",
            [f"{r[key]['new connection']['calls']:,} calls, {_ms(r[key]['new connection']['p50_ms'])} / "
             f"{_ms(r[key]['new connection']['p99_ms'])}" for r in results])
        row(f"{label}: errors", [str(r[key]["errors"]) + (f" ({r[key]['example_error']})" if r[key]["errors"] else "")
                                 for r in results])
    row("stream N+1 from a new address", [_refusal(r["overflow"]["total"]) for r in results])
    row("stream N+1 from an address at its per-client cap", [_refusal(r["overflow"]["per_client"]) for r in results])
    row("search right after the refusals", [f"{_calls(r['calls_after_overflow']):,} calls, "
                                            f"{r['calls_after_overflow']['errors']} errors" for r in results])
    row(f"streams still open after {caps['SSE_KEEPALIVE_SECONDS'] + 5:.0f} s / with a keep-alive",
        [f"{r['alive']['open']:,} / {r['alive']['with_keepalive']:,}" for r in results])
    row("worker CPU while idle (keep-alives)", [f"{r['idle_cpu_share'] * 100:.1f}% of a core" for r in results])
    row("streams still carry messages", [_probe(r) for r in results])
    row("drain (SIGTERM to the master): streams given their last event / ended", [_drain(r) for r in results])
    failed = [(r["kind"], name) for r in results for name, ok in verdict(r).items() if not ok]
    lines += ["", "Not met: " + "; ".join(f"{KINDS[k]}: {n}" for k, n in failed) + "." if failed else
              "Every check passed for every kind: all streams opened, each stream cost at most the target, every "
              "call was answered, both refusals had the expected JSON-RPC shape, every stream got its keep-alive "
              "and carried a message, and the drain gave every stream its last event."]
    nofile = results[0]["worker_nofile"] if results else "?"
    lines += ["", "### How it was measured", "",
              f"- One `gunicorn -c gunicorn.conf.py wsgi:app` per kind, one gevent worker, bench/run.py's "
              f"environment (demo Attio over loopback, `AUTH_DISABLED=true`, quiet logs) and the connector's default "
              f"caps: `MAX_STREAMS` {caps['MAX_STREAMS']:,}, `MAX_STREAMS_PER_CLIENT` "
              f"{caps['MAX_STREAMS_PER_CLIENT']}, gunicorn `worker_connections` {caps['worker_connections']:,}, "
              f"`SSE_KEEPALIVE_SECONDS` {caps['SSE_KEEPALIVE_SECONDS']:g}.",
              f"- File descriptors: the worker's limit (soft / hard) was {nofile}; the load process's "
              f"{results[0]['load_nofile'][0]:,} / {results[0]['load_nofile'][1]:,} (each raises its soft limit to "
              "the hard one).",
              f"- Streams come from a load process (`bench/stream_load.py`, gevent, one raw socket each) in groups of "
              f"{caps['MAX_STREAMS_PER_CLIENT']} per loopback source address (127.1.x.y): without authentication "
              "a client is its address, so the load looks like many clients, each at its own cap. A stream counts as "
              "open when its first event (the `endpoint` event; the subscription's acknowledgement) arrived on a 200 "
              "`text/event-stream` response. Listen streams ask for `toolsListChanged` and one record's updates.",
              "- Warm-up before the baseline: tool calls, and 50 streams opened, probed and closed, so code paths "
              "and caches are loaded. Memory: `VmRSS` from `/proc/<pid>/status`, PSS and USS (private clean + dirty) "
              f"from `/proc/<pid>/smaps_rollup`, {SETTLE_SECONDS:.0f} s after the last stream opened; per stream = "
              "(with all open − before) ÷ streams opened. The kernel's share is outside any process's RSS: the row "
              "sums the slab caches every connection takes (`TCP`, `sock_inode_cache`, `filp`, `eventpoll_epi` in "
              "`/proc/slabinfo`), machine-wide, for both ends (the load process's and the worker's); idle streams "
              "hold no socket buffers.",
              f"- Tool calls: 2026-07-28 `tools/call search` (`energy`) for {args.calls_seconds:g} s on "
              f"{args.calls_concurrency} keep-alive connections plus one caller opening a new connection per call, "
              "first with no stream open, then with all N open. An error is anything but HTTP 200 with a "
              "non-error result that has hits.",
              "- Stream N+1: from a fresh address it must get 503 and from an address at its cap 429, each a "
              "JSON-RPC error (-32600) naming the cap, with `Retry-After`.",
              "- Liveness: every stream must still be open and have received a `: keepalive` comment "
              f"{caps['SSE_KEEPALIVE_SECONDS'] + 5:g} s after the last one opened. Messages: legacy SSE, a `ping` "
              f"POSTed to `/messages` for {args.probes} sampled sessions, each reply read on its own stream; listen, "
              "one `update_record` whose `notifications/resources/updated` every stream must hear.",
              "- Drain: SIGTERM to the gunicorn master with all N streams open; every stream must get its last event "
              "(legacy SSE: `retry: 1000` and `: server restarting; reconnect`; listen: the request's `complete` "
              "result) and be closed, and the server must exit 0 (`GRACEFUL_TIMEOUT` 20 s).",
              f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} RAM; Python "
              f"{machine['python']}; load average {load_avg[0]:.2f} before the run and {load_avg[1]:.2f} after; "
              f"run at {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. The load process, the "
              "server and the demo Attio share the machine's cores, so latencies are indicative; the memory figures "
              "do not depend on it.", "",
              "Rerun: `.venv/bin/python -m bench.capacity` (about two minutes; `--streams`, `--kinds sse,listen`, "
              "`--no-write`). It needs a file-descriptor hard limit above the stream count plus some headroom in "
              "both processes (`ulimit -Hn`).", ""]
    return "\n".join(lines)


def _drain(r: dict[str, Any]) -> str:
    d = r["drain"]
    ended = f"all ended {d['all_closed_s']:.1f} s after SIGTERM" if d["all_closed_s"] is not None else \
        f"{d['closed']:,} of {d['streams']:,} ended within {DRAIN_WAIT:.0f} s"
    return (f"{d['with_last_event']:,} / {d['closed']:,} of {d['streams']:,}; {ended}; the server exited "
            f"(code {d['exit_code']}) after {d['server_exit_s']:.1f} s")


def _calls(result: dict[str, Any]) -> int:
    return result["keep-alive"]["calls"] + result["new connection"]["calls"]


def _refusal(info: dict[str, Any]) -> str:
    if info.get("error") and info.get("status") in (None, 200):
        return f"not refused: {info['error']}"
    body = info.get("json") or {}
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else info.get("body", "")[:120]
    code = error.get("code") if isinstance(error, dict) else "?"
    return (f"HTTP {info.get('status')}, JSON-RPC {code} “{message}”, Retry-After {info.get('retry_after')}, "
            f"{info['ms']:.0f} ms")


def _probe(r: dict[str, Any]) -> str:
    p = r["probe"]
    if r["kind"] == "sse":
        return (f"{p['replies']:,} of {p['sampled']:,} pings answered on their stream (p50 {_ms(p['p50_ms'])} ms, "
                f"max {_ms(p['max_ms'])} ms)")
    if "heard" not in p:
        return p.get("kind", "not probed")
    return (f"one record update heard by {p['heard']:,} of {p['streams']:,} streams (p50 {_ms(p['p50_ms'])} ms, "
            f"last {_ms(p['last_ms'])} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=0, help="streams to open (default: MAX_STREAMS)")
    parser.add_argument("--kinds", default="sse,listen")
    parser.add_argument("--calls-seconds", type=float, default=10.0)
    parser.add_argument("--calls-concurrency", type=int, default=4)
    parser.add_argument("--probes", type=int, default=500, help="legacy SSE sessions pinged")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", default=None, help="also write the raw results here")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the server (repeatable); the report names it")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    soft, hard = raise_nofile()  # inherited by gunicorn
    print(f"file descriptors: soft {soft}, hard {hard}", flush=True)
    sys.path.insert(0, str(ROOT))
    from attio_demo import start_demo_attio

    workdir = Path(tempfile.mkdtemp(prefix="capacity-bench-"))
    load_before = os.getloadavg()[0]
    demo = start_demo_attio(testing=True)
    results = []
    try:
        env = server_env(demo.url, workdir)
        env["METRICS_TOKEN"] = METRICS_TOKEN
        env.update(dict(item.split("=", 1) for item in args.env))
        caps = settings_of(env)
        for kind in kinds:
            results.append(run_kind(kind, env, caps, args, workdir))
    finally:
        demo.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    for r in results:
        print(f"{r['kind']}: {per_stream_kib(r):.1f} KiB/stream RSS; checks {verdict(r)}", flush=True)
    section = render(results, caps, args, machine_facts(), (load_before, os.getloadavg()[0]))
    if not args.no_write:
        write_section(Path(args.output), *CAPACITY, section)
    print(section)
    return 0 if all(met(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
