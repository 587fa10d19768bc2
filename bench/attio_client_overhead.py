"""Per-call client CPU cost of one Attio request: stock requests vs AttioClient vs bare urllib3.

Starts a tiny keep-alive JSON server on 127.0.0.1 in a child process (so its CPU is not
counted), then measures `time.process_time()` over N calls per variant, in interleaved
rounds, and prints the best round per variant in microseconds per call.

    .venv/bin/python bench/attio_client_overhead.py [--calls 3000] [--rounds 5] [--breakdown]

`--breakdown` adds the intermediate steps between stock requests and AttioClient, to
show what each change saves.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
import urllib3  # noqa: E402
from requests.models import PreparedRequest  # noqa: E402
from requests.structures import CaseInsensitiveDict  # noqa: E402

from connector.attio.client import AttioClient, make_session  # noqa: E402

TOKEN = "bench-token"
RECORD_PATH = "/v2/objects/people/records/0174bfac-74b9-41de-b757-c6fa2a68ab00"
QUERY_PATH = "/v2/objects/people/records/query"
QUERY = {"filter": {"email_addresses": {"email_address": {"$eq": "ada@example.com"}}}, "limit": 10}
NAME = {"first_name": "Phone", "last_name": "Test", "full_name": "Phone Test",
        "attribute_type": "personal-name"}
BODY = json.dumps({"data": {"id": {"record_id": "0174bfac"}, "values": {"name": [NAME]}}}).encode()
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(BODY), BODY))
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
           "User-Agent": "attio-connector/bench"}


def _serve_connection(conn: socket.socket) -> None:
    """Answer every request on a keep-alive connection with the fixed JSON body, in one write."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                buf += conn.recv(65536)
            buf = buf[length:]
            conn.sendall(RESPONSE)


def _server(listener: socket.socket) -> None:
    """Accept loop of the child process."""
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


def variants(base: str, breakdown: bool) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (one GET, one POST) callables, each decoding the JSON body."""
    stock = requests.Session()
    out: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "requests.Session (stock)": (
            lambda: stock.get(base + RECORD_PATH, headers=HEADERS, timeout=20).json(),
            lambda: stock.post(base + QUERY_PATH, json=QUERY, headers=HEADERS, timeout=20).json()),
    }
    if breakdown:
        quiet = make_session()
        quiet.trust_env = False
        out["  + trust_env=False, pool"] = (
            lambda: quiet.get(base + RECORD_PATH, headers=HEADERS, timeout=20).json(),
            lambda: quiet.post(base + QUERY_PATH, json=QUERY, headers=HEADERS, timeout=20).json())
        prepped = make_session()
        prepped.trust_env = False
        adapter = prepped.get_adapter(base)

        def prepare(method: str, path: str, body: bytes | None) -> PreparedRequest:
            p = PreparedRequest()
            headers = CaseInsensitiveDict(HEADERS)
            if body is not None:
                headers["Content-Type"] = "application/json"
                headers["Content-Length"] = str(len(body))
            p.method, p.url, p.headers, p.body = method, base + path, headers, body
            return p

        def via_session(method: str, path: str, body: bytes | None = None) -> object:
            r = prepped.send(prepare(method, path, body), timeout=20, allow_redirects=False, stream=False,
                             verify=True, cert=None, proxies={})
            return json.loads(r.content)

        def via_adapter(method: str, path: str, body: bytes | None = None) -> object:
            r = adapter.send(prepare(method, path, body), timeout=20, stream=False, verify=True, cert=None,
                             proxies={})
            return json.loads(r.content)

        query = json.dumps(QUERY).encode()
        out["  + own PreparedRequest, Session.send"] = (lambda: via_session("GET", RECORD_PATH),
                                                        lambda: via_session("POST", QUERY_PATH, query))
        out["  + adapter.send (no cookies/hooks)"] = (lambda: via_adapter("GET", RECORD_PATH),
                                                      lambda: via_adapter("POST", QUERY_PATH, query))
    client = AttioClient(base, TOKEN)
    out["AttioClient"] = (lambda: client.get_record("people", "0174bfac-74b9-41de-b757-c6fa2a68ab00"),
                          lambda: client.query_records("people", **QUERY))
    pool = urllib3.PoolManager(maxsize=50)
    query_bytes = json.dumps(QUERY).encode()
    post_headers = {**HEADERS, "Content-Type": "application/json"}
    out["urllib3.PoolManager (bare)"] = (
        lambda: json.loads(pool.request("GET", base + RECORD_PATH, headers=HEADERS, timeout=20).data),
        lambda: json.loads(pool.request("POST", base + QUERY_PATH, body=query_bytes, headers=post_headers,
                                        timeout=20).data))
    return out


def measure(fn: Callable[[], object], calls: int) -> float:
    """CPU microseconds per call over `calls` calls."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = multiprocessing.get_context("fork").Process(target=_server, args=(listener,), daemon=True)
    server.start()
    listener.close()
    try:
        table = variants(base, args.breakdown)
        best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in table}
        for pair in table.values():  # warm up: connections, caches
            for fn in pair:
                measure(fn, 200)
        for _ in range(args.rounds):
            for name, pair in table.items():
                for i, fn in enumerate(pair):
                    best[name][i] = min(best[name][i], measure(fn, args.calls))
    finally:
        server.terminate()
        server.join()

    stock_get, stock_post = best["requests.Session (stock)"]
    print(f"per-call client CPU, best of {args.rounds} rounds x {args.calls} calls "
          f"(python {sys.version.split()[0]}, requests {requests.__version__}, "
          f"urllib3 {urllib3.__version__}, {len(os.environ)} environment variables)")
    print(f"{'variant':40} {'GET µs':>8} {'POST µs':>8} {'vs stock':>9}")
    for name, (get_us, post_us) in best.items():
        ratio = (get_us + post_us) / (stock_get + stock_post)
        print(f"{name:40} {get_us:8.0f} {post_us:8.0f} {ratio:8.0%}")


if __name__ == "__main__":
    main()
