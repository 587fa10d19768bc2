"""`fetch` with the tenant cache on (default TTLs) and off (CACHE_TTL_SECONDS=0), same server config.

With the cache on, a warm fetch makes no Attio call: the record and its latest notes are cached reads (dropped
by the connector's own writes) and the rendered result is derived from them. With it off, every fetch reads the
record, the records it references (to name them) and its notes; the workspace schema (objects, attribute
titles, members) is cached for 5 minutes either way. Writes a section of docs/benchmarks.md between the cache
markers.

    .venv/bin/python -m bench.fetch_cache [--duration 8] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .sections import CACHE, write_section

ROOT = Path(__file__).resolve().parent.parent
RECORD = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"  # Brightwave Energy in the demo seed
TARGET = 5.0  # issue 12: cached fetch throughput >= 5x uncached


def _run(cache_ttl: str | None, demo: Any, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One gunicorn (one gevent worker) with the cache at its default (None) or the given TTL, under load."""
    from .run import Gunicorn, Load, cpu_seconds, mcp_session, run_python, server_env, tool_call_body, \
        upstream_calls_per_request

    env = server_env(demo.url, work)  # demo mode, auth off, one worker, quiet logs, no Attio rate budget
    if cache_ttl is not None:
        env["CACHE_TTL_SECONDS"] = cache_ttl
    server = Gunicorn("wsgi:app", env, work)
    try:
        load = Load(f"{server.url}/mcp", "POST", mcp_session(server.url), tool_call_body("fetch", {"id": RECORD}),
                    '"text":')
        run_python(load, 1.0, args.concurrency)  # warm-up (and the cache, when on)
        upstream = upstream_calls_per_request(demo.url, load)
        cpu_server, cpu_demo = server.worker_cpu(), cpu_seconds(demo.process.pid)
        result = run_python(load, args.duration, args.concurrency)
        n = max(1, result["requests"])
        result.update({"upstream": upstream, "server_us": (server.worker_cpu() - cpu_server) / n * 1e6,
                       "demo_us": (cpu_seconds(demo.process.pid) - cpu_demo) / n * 1e6})
        return result
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--summary", default=None, help="also write the target's figures here (JSON)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from attio_demo import start_demo_attio

    work = Path(tempfile.mkdtemp(prefix="cache-bench-"))
    load_before = os.getloadavg()[0]
    demo = start_demo_attio(testing=True)
    try:
        cached = _run(None, demo, work, args)
        uncached = _run("0", demo, work, args)
    finally:
        demo.stop()
    rows = ["| cache | req/s | mean ms | p50 ms | p95 ms | p99 ms | errors | Attio calls/req | server CPU µs/req | "
            "demo Attio CPU µs/req |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, r in (("on (default TTLs)", cached), ("off (`CACHE_TTL_SECONDS=0`)", uncached)):
        rows.append(f"| {label} | {r['rps']:.0f} | {r['mean_ms']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['errors']} | {r['upstream']:.1f} | {r['server_us']:,.0f} | "
                    f"{r['demo_us']:,.0f} |")
    ratio = cached["rps"] / uncached["rps"] if uncached["rps"] else float("nan")
    cpu_ratio = uncached["server_us"] / cached["server_us"] if cached["server_us"] else float("nan")
    verdict = "met" if ratio >= TARGET else "not met"
    # Both runs are bound by the one worker's CPU when the machine is quiet, so the throughput ratio then lands
    # near the CPU ratio; on a busy machine the uncached run (which also needs the demo Attio's CPU) loses more.
    caveat = "" if cpu_ratio >= TARGET or ratio < TARGET else (
        f" The CPU ratio ({cpu_ratio:.2f}×) is below the target: on a quiet machine, where the worker has a core to "
        "itself in both runs, the throughput ratio should land near it, so this figure is not the verdict.")
    section = "\n".join([
        "## `fetch` with and without the cache", "",
        f"`tools/call fetch` of `{RECORD}` for {args.duration:.0f} s at {args.concurrency} connections, one gevent "
        f"worker, demo Attio over loopback, the Python load generator. Target: cached ≥ {TARGET:.0f}× uncached "
        f"throughput. This run: **{ratio:.2f}×**, **{verdict}** (mean latency "
        f"{uncached['mean_ms'] / cached['mean_ms']:.2f}× lower with the cache; the server's CPU per request "
        f"{cpu_ratio:.2f}× lower). Load average before the run: {load_before:.2f} on {os.cpu_count()} CPUs.{caveat}",
        "",
        *rows, "",
        "With the cache on, a warm `fetch` makes no Attio call: the record and its 10 latest notes are cached reads "
        "per tenant (`CACHE_TTL_SECONDS`, 30 s by default: what a 2026-07-28 result's `ttlMs` tells clients a "
        "private read stays good for), dropped by every write of the connector that changes the record, its "
        "references or its notes, and the rendered text and result are derived from them and kept while they are "
        "unchanged. Screening still runs on every result. With the cache off, each `fetch` reads the record, the "
        "records it references (to name them) and its notes; the workspace schema stays cached for 5 minutes in "
        "both runs. On the 2-core machine the load generator and the demo Attio share the cores with the worker, "
        "so compare the CPU columns rather than req/s on a busy machine.", "",
        "Rerun: `.venv/bin/python -m bench.fetch_cache`", ""])
    write_section(Path(args.output), *CACHE, section)
    print(section)
    if args.summary:
        Path(args.summary).write_text(json.dumps({"ratio": ratio, "cpu_ratio": cpu_ratio, "target": TARGET}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
