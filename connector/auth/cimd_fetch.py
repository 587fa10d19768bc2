"""The network side of Client ID Metadata Documents: an SSRF-safe GET with one deadline and capped concurrency.

Only globally routable addresses (`ipaddress…is_global`) on port 443 are contacted; loopback,
on any port, only under the test setting CIMD_ALLOW_LOOPBACK. The host is resolved once and the
connection pinned to that address (no second lookup to rebind), TLS is verified against the
host name, redirects are not followed and at most 5 KB is read. The whole fetch, from DNS to the
last body byte, must finish within one deadline. Every failure reaches the person as the same
sentence, so the error page cannot be used to probe ports; the cause is logged at debug level.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, ContextManager, Iterator
from urllib.parse import urlsplit

import urllib3

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024
CHUNK = 1024
FETCH_FAILED = "The app's client metadata document could not be fetched."
BUSY = "Too many app metadata documents are being fetched right now; try again in a minute."
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class FetchError(ValueError):
    """The document could not be fetched; the message is one of the generic sentences above."""


class _Deadline(Exception):
    """The overall deadline passed (raised inside the fetch, turned into FetchError)."""


@dataclass(frozen=True)
class Fetched:
    """A 200 answer: the raw body (≤ MAX_BYTES) and its Cache-Control header."""

    body: bytes
    cache_control: str


class FetchGate:
    """Caps this worker's concurrent fetches, overall and per host.

    A fetch over a cap is refused at once rather than queued: waiting would keep the person's
    request (and its greenlet and socket) parked behind someone else's slow host.
    """

    def __init__(self, total: int, per_host: int) -> None:
        self.total, self.per_host = total, per_host
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one fetch slot for `host`, or raise FetchError(BUSY)."""
        with self._lock:
            if sum(self._running.values()) >= self.total or self._running.get(host, 0) >= self.per_host:
                raise FetchError(BUSY)
            self._running[host] = self._running.get(host, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[host] - 1
                if left:
                    self._running[host] = left
                else:
                    del self._running[host]


def _overall_timeout(seconds: float) -> ContextManager[Any]:
    """Under gevent (gunicorn's workers) one timer interrupts any step: DNS, connect, TLS, headers, body.

    Without gevent (flask run, in-process tests) each socket operation is bounded by the time left
    instead, and the body is read in chunks with the deadline checked between them.
    """
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:  # pragma: no cover - gevent is a dependency
        return nullcontext()
    return Timeout(seconds, _Deadline()) if is_module_patched("socket") else nullcontext()


def _address(host: str, port: int, allow_loopback: bool) -> str:
    """The one address to connect to: globally routable, or loopback when the test setting allows it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_global and port == 443:
            return str(addr)
        if allow_loopback and addr.is_loopback:
            return str(addr)
    raise FetchError(FETCH_FAILED)


def fetch(url: str, *, deadline: float, allow_loopback: bool = False, ca_bundle: str | None = None) -> Fetched:
    """GET `url` within `deadline` seconds; FetchError (a generic message) on any failure."""
    parts = urlsplit(url)
    loopback_http = allow_loopback and parts.scheme == "http" and parts.hostname in LOOPBACK_NAMES
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(FETCH_FAILED) from None
    if not (parts.scheme == "https" or loopback_http) or not parts.hostname:
        raise FetchError(FETCH_FAILED)
    started = time.monotonic()
    try:
        with _overall_timeout(deadline):
            return _get(parts, port, started + deadline, allow_loopback, ca_bundle)
    except FetchError as exc:
        log.debug("CIMD fetch of %s refused: %s", url, exc)
        raise
    except (_Deadline, socket.timeout):
        log.debug("CIMD fetch of %s passed its %.1f s deadline", url, deadline)
    except (OSError, ValueError, urllib3.exceptions.HTTPError) as exc:
        log.debug("CIMD fetch of %s failed: %s", url, exc.__class__.__name__)
    raise FetchError(FETCH_FAILED)


def _get(parts: Any, port: int, end: float, allow_loopback: bool, ca_bundle: str | None) -> Fetched:
    def left() -> float:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise _Deadline()
        return remaining

    host = parts.hostname
    address = _address(host, port, allow_loopback)
    timeout = urllib3.Timeout(connect=left(), read=left())
    if parts.scheme == "https":
        pool: Any = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                                timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
                                                ca_certs=ca_bundle)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        resp = pool.urlopen("GET", path, headers={"Host": parts.netloc, "Accept": "application/json"},
                            redirect=False, preload_content=False, decode_content=False)
        if resp.status != 200:
            raise FetchError(FETCH_FAILED)
        body = b""
        while len(body) <= MAX_BYTES:
            sock = getattr(resp.connection, "sock", None)
            if sock is not None:
                sock.settimeout(left())  # a host that trickles bytes still meets the one deadline
            chunk = resp.read1(CHUNK, decode_content=False)
            if not chunk:
                break
            body += chunk
            left()
        if len(body) > MAX_BYTES:
            raise FetchError(FETCH_FAILED)
        return Fetched(body, resp.headers.get("Cache-Control", ""))
    finally:
        pool.close()
