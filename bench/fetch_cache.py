"""`fetch` with the tenant cache on (default TTLs) and off (CACHE_TTL_SECONDS=0), same server config.

With the cache, a warm fetch costs the record read from cache plus one notes call; without it,
every fetch re-reads the workspace, objects, attribute titles, members, the record and its notes.
Writes a section of docs/benchmarks.md between the cache markers.

    .venv/bin/python -m bench.fetch_cache [--duration 8] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .sections import CACHE, write_section

ROOT = Path(__file__).resolve().parent.parent
RECORD = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"  # Brightwave Energy in the demo seed


def _run(cache_ttl: str, demo_url: str, work: Path, args: argparse.Namespace) -> dict:
    from bench.run import mcp_session, tool_call_body

    from .oauth_flow import _free_port

    port = _free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "ATTIO_API_URL": demo_url, "AUTH_DISABLED": "true",
           "CACHE_TTL_SECONDS": cache_ttl, "LOG_LEVEL": "WARNING", "ACCESS_LOG": "/dev/null",
           "ATTIO_RATE_LIMITS": "off",  # the fake Attio has no limits: measure the cache, not Attio's 100 reads/s
           "SECRET_KEY": secrets.token_urlsafe(40), "DATABASE_URL": f"sqlite:///{work / f'db-{cache_ttl}.sqlite'}"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        headers = mcp_session(base)
        cmd = [sys.executable, "-m", "bench.loadgen", "--url", f"{base}/mcp", "--method", "POST",
               "--body", tool_call_body("fetch", {"id": RECORD}), "--duration", str(args.duration),
               "--warmup", "1", "--concurrency", str(args.concurrency), "--expect", '"text":']
        for name, value in headers.items():
            cmd += ["--header", f"{name}: {value}"]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from attio_demo import start_demo_attio

    work = Path(tempfile.mkdtemp(prefix="cache-bench-"))
    demo = start_demo_attio(testing=True)
    try:
        cached = _run("60", demo.url, work, args)
        uncached = _run("0", demo.url, work, args)
    finally:
        demo.stop()
    rows = ["| cache | req/s | p50 ms | p95 ms | p99 ms | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, r in (("on (default TTLs)", cached), ("off (`CACHE_TTL_SECONDS=0`)", uncached)):
        rows.append(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                    f"{r['errors']} |")
    ratio = cached["rps"] / uncached["rps"] if uncached["rps"] else float("nan")
    section = "\n".join([
        "## `fetch` with and without the cache", "",
        f"`tools/call fetch` of `{RECORD}` for {args.duration:.0f} s at {args.concurrency} connections, one gevent "
        f"worker, demo Attio over loopback. Cached / uncached throughput: **{ratio:.2f}×** "
        f"(p50 {uncached['p50_ms'] / cached['p50_ms']:.2f}× faster with the cache).", "", *rows, "",
        "Rerun: `.venv/bin/python -m bench.fetch_cache`", ""])
    write_section(Path(args.output), *CACHE, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
