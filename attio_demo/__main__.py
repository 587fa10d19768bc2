"""Serve the demo Attio: `python -m attio_demo --host 127.0.0.1 --port 8765 [--testing]`."""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402  (gevent must patch the standard library first)
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402


class DemoServer(WSGIServer):
    """pywsgi's server with TCP_NODELAY on every connection.

    pywsgi sends the headers and the body in two writes; with Nagle's algorithm on, the
    second waits for the client's delayed ACK (~40 ms), capping a keep-alive connection
    at ~25 requests/s.
    """

    def handle(self, sock: socket.socket, address: Any) -> None:
        """Disable Nagle, then serve the connection."""
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        super().handle(sock, address)


def main(argv: list[str] | None = None) -> int:
    """Serve the demo Attio until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m attio_demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    parser.add_argument("--testing", action="store_true",
                        help="add the test-only parts: the planted workspace, faults, the request log, /_admin")
    parser.add_argument("--rate-limits", metavar="SPEC",
                        help='"attio" (the default, or "off" with --testing), "off", or class=N,… on top of '
                             "Attio's (classes: read, write, recording_create, file_upload, sql, merge, "
                             "note_listing)")
    args = parser.parse_args(argv)

    from .app import create_demo_app
    from .ratelimit import parse_limits
    from .state import DemoSettings

    settings = None
    if args.rate_limits:
        spec: object = args.rate_limits
        try:
            if "=" in args.rate_limits:
                pairs = [p.partition("=") for p in args.rate_limits.split(",") if p]
                spec = {k.strip(): (None if v.strip() in ("", "none", "off") else int(v)) for k, _, v in pairs}
            settings = DemoSettings(rate_limits=parse_limits(spec))  # type: ignore[arg-type]
        except ValueError as exc:
            parser.error(f"--rate-limits: {exc}")
    server = DemoServer((args.host, args.port), create_demo_app(testing=args.testing, settings=settings),
                        log=sys.stderr if args.access_log else None)
    server.start()
    print(f"demo Attio listening on http://{args.host}:{server.server_port}", flush=True)
    stop = Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(sig, stop.set)
    stop.wait()
    server.stop(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
