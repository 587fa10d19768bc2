"""Loopback servers the CIMD and connection-pool tests talk to: a metadata-document host and a watching proxy.

`DocHost` serves client metadata documents over https on 127.0.0.1 with a throwaway certificate;
each path's answer (document, status, headers, a byte-by-byte trickle, a hold until released) is set
by the test, and the host counts requests and the connections open right now. `WatchingProxy`
forwards every request unchanged to another loopback server and calls a hook first (to see, for
instance, how many database connections the app holds while it waits on the network).
"""
from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from tests.conftest import free_port
from tests.integration.tls import self_signed


@dataclass
class Answer:
    """How DocHost answers one path."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    trickle_seconds: float = 0.0  # > 0: send the body one byte at a time, this far apart…
    trickle_bytes: int = 0  # …for this many bytes (0 = all of it), then the rest at once
    hold: threading.Event | None = None  # wait for this (or the host's stop, or hold_max seconds) before answering
    hold_max: float = 30.0


def document(url: str, redirect_uris: list[str], client_name: str = "CIMD Test Client", **extra: Any) -> dict:
    """A client metadata document for `url`, shaped like ChatGPT's (private_key_jwt preferred, none listed)."""
    return {"client_id": url, "client_name": client_name, "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"], **extra}


class DocHost:
    """An https server on 127.0.0.1 whose answers the test sets per path."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = self_signed(directory)
        self.ca_bundle = str(cert)
        self.port = free_port()
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.active = 0
        self.on_request: Callable[[str], None] | None = None
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._httpd.daemon_threads = True
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The https URL of `path` on this host (`host` may be localhost: the certificate names both)."""
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, body: dict | bytes, cache_control: str | None = "max-age=3600",
              **answer: Any) -> None:
        """Answer GET `path` with `body` (a dict is sent as JSON)."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": "application/json", **answer.pop("headers", {})}
        if cache_control:
            headers["Cache-Control"] = cache_control
        self.answers[path] = Answer(raw, headers=headers, **answer)

    def close(self) -> None:
        """Release held and trickling answers, and stop serving."""
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?")[0]
                with host._lock:
                    host.hits[path] += 1
                    host.active += 1
                try:
                    if host.on_request is not None:
                        host.on_request(path)
                    self._answer(host.answers.get(path) or Answer(b'{"error": "not found"}', status=404))
                except OSError:  # the client hung up (a deadline passed): nothing more to send
                    pass
                finally:
                    with host._lock:
                        host.active -= 1

            def _answer(self, answer: Answer) -> None:
                if answer.hold is not None:
                    until = time.monotonic() + answer.hold_max
                    while not (answer.hold.is_set() or host.stop.is_set()) and time.monotonic() < until:
                        answer.hold.wait(0.05)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                body = answer.body
                if answer.trickle_seconds:
                    slow = answer.trickle_bytes or len(body)
                    for i in range(min(slow, len(body))):
                        if host.stop.is_set():
                            return
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(answer.trickle_seconds)
                    body = body[slow:]
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


class WatchingProxy:
    """Forwards requests unchanged to `target` (no redirects followed), calling `on_request(path)` first."""

    def __init__(self, target: str, on_request: Callable[[str], None]) -> None:
        parts = urlsplit(target)
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                on_request(self.path.split("?")[0])
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for name, value in resp.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
