"""The Attio REST client: one `requests.Session`, typed errors, retries per Attio's limits.

Per-call cost matters here (it bounds the server's throughput), so the hot path skips
what `Session.request` would redo on every call for nothing: environment proxy/CA/netrc
lookups (resolved once at construction, then `trust_env = False`), session/cookie
merging, request re-validation, cookie extraction and hooks. It builds a
`PreparedRequest` itself and hands it to the session's mounted transport adapter;
`bench/attio_client_overhead.py` measures the result.
"""
from __future__ import annotations

import copy
import json as _json
import logging
import os
import random
import re
import time
from datetime import timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Callable, Mapping
from urllib.parse import urlencode, urlsplit

import requests
from opentelemetry import trace
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies

from connector import __version__, metrics

from .adapter import LeanAdapter
from .endpoints import AttioEndpoints
from .errors import AttioBadRequest, AttioError, AttioUnavailable, error_from_response

TRACER = trace.get_tracer("connector.attio")
log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.attio.com"
USER_AGENT = f"attio-connector/{__version__}"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_READ_POSTS = ("/records/query", "/records/search", "/entries/query")  # POSTs that only read
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_NETWORK_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


def make_session(pool_maxsize: int = 50) -> requests.Session:
    """A session with a pooled adapter and no urllib3-level retries (the client retries itself)."""
    session = requests.Session()
    adapter = LeanAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@lru_cache(maxsize=32)
def _normalize_base_url(base_url: str) -> str:
    """Validate and normalise the base URL once (IDNA host, quoting), without trailing slash."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an absolute http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base_url must not contain credentials, a query or a fragment")
    prepared = PreparedRequest()
    prepared.prepare_url(base_url, None)
    return str(prepared.url).rstrip("/")


def settle_environment(session: requests.Session, url: str) -> dict[str, str]:
    """Resolve proxies and CA bundle from the environment once, then turn per-call lookups off."""
    if session.trust_env:
        env = get_environ_proxies(url, no_proxy=session.proxies.get("no_proxy"))
        session.proxies = {**env, **session.proxies}  # explicit session settings win
        if session.verify is True:
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False  # also stops ~/.netrc from replacing our Authorization header
    return dict(session.proxies)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter for 5xx and connection failures."""
    base = min(4.0, 0.25 * 2 ** (attempt - 1))
    return base + random.uniform(0, base / 2)  # nosec B311  # retry jitter, not a secret


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: integer seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC in HTTP dates
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() - (time.time() if now is None else now)


class AttioClient(AttioEndpoints):
    """A thin, typed client for Attio's REST API v2 (`base_url` None means api.attio.com)."""

    def __init__(self, base_url: str | None, token: str, *, timeout: float = 20.0, max_attempts: int = 3,
                 retry_budget: float = 10.0, session: requests.Session | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
            raise ValueError("token must be a non-empty string of printable ASCII without spaces")
        self.base_url = _normalize_base_url(base_url or DEFAULT_BASE_URL)
        self.timeout, self.max_attempts, self.retry_budget = timeout, max(1, max_attempts), retry_budget
        # sleep is looked up at call time when not given, so gevent's patched time.sleep is the one used.
        self._sleep, self._clock, self._token = sleep, clock or time.monotonic, token
        self.session = session if session is not None else make_session()
        self._proxies = settle_environment(self.session, self.base_url)
        self._headers = {**self.session.headers, "User-Agent": USER_AGENT, "Accept": "application/json",
                         "Authorization": f"Bearer {token}"}
        self.on_unauthorized: Callable[[], None] | None = None

    def bound(self, on_unauthorized: Callable[[], None]) -> "AttioClient":
        """This client (same session and pool) for one caller: `on_unauthorized()` runs when Attio answers 401."""
        twin = copy.copy(self)
        twin.on_unauthorized = on_unauthorized
        return twin

    @property
    def proxies(self) -> dict[str, str]:
        """The proxy mapping every call uses (resolved from the environment at construction)."""
        return dict(self._proxies)

    def __repr__(self) -> str:
        return f"AttioClient(base_url={self.base_url!r})"

    def _prepare(self, method: str, path: str, params: Mapping[str, Any] | None, body: bytes | None
                 ) -> PreparedRequest:
        """Build the PreparedRequest directly: URL, headers and body are valid by construction."""
        url = self.base_url + path
        pairs = [(k, ("true" if v else "false") if isinstance(v, bool) else str(v))
                 for k, v in (params or {}).items() if v is not None]
        if pairs:
            url += "?" + urlencode(pairs)
        headers = CaseInsensitiveDict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        if body is not None or method not in ("GET", "HEAD"):
            headers["Content-Length"] = str(len(body or b""))
        prepared = PreparedRequest()
        prepared.method, prepared.url, prepared.headers, prepared.body = method, url, headers, body
        return prepared

    def _send(self, prepared: PreparedRequest) -> requests.Response:
        """One exchange through the session's mounted adapter, body read in full."""
        adapter = self.session.get_adapter(prepared.url)  # type: ignore[arg-type]
        url = urlsplit(prepared.url or "")
        endpoint = metrics.endpoint_template(url.path)
        started = time.perf_counter()
        # A client span per exchange (the adapter is called directly, so the requests instrumentation cannot see
        # it); the OpenTelemetry API is a no-op unless tracing is configured.
        with TRACER.start_as_current_span(f"{prepared.method} {endpoint}", kind=trace.SpanKind.CLIENT, attributes={
                "http.request.method": prepared.method or "", "url.template": endpoint,
                "server.address": url.hostname or "", "url.path": url.path}) as span:
            try:
                resp = adapter.send(prepared, stream=False, timeout=self.timeout, verify=self.session.verify,
                                    cert=self.session.cert, proxies=self._proxies)
                resp.content  # noqa: B018 - read now, so a broken body surfaces as a retryable error
            except requests.RequestException as exc:
                metrics.ATTIO_REQUESTS.labels(endpoint, prepared.method, "network_error").inc()
                span.set_attribute("error.type", type(exc).__name__)
                raise
            span.set_attribute("http.response.status_code", resp.status_code)
        elapsed = time.perf_counter() - started
        metrics.ATTIO_LATENCY.labels(endpoint).observe(elapsed)
        log.debug("attio %s %s -> %d in %.1f ms", prepared.method, endpoint, resp.status_code, elapsed * 1000)
        metrics.ATTIO_REQUESTS.labels(endpoint, prepared.method, str(resp.status_code)).inc()
        if resp.status_code == 429:
            metrics.ATTIO_RATE_LIMITED.labels(endpoint).inc()
        return resp

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None) -> Any:
        """Call Attio and return the parsed body (`data` unwrapped), retrying per Attio's policy."""
        method = method.upper()
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        try:
            body = None if json is None else _json.dumps(
                json, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except ValueError:
            raise AttioBadRequest("A number in the request is not valid JSON (NaN or Infinity).",
                                  code="invalid_json") from None
        prepared = self._prepare(method, path, params, body)
        idempotent = method in _IDEMPOTENT or (method == "POST" and path.endswith(_READ_POSTS))
        start, attempt = self._clock(), 0
        while True:
            attempt += 1
            try:
                resp = self._send(prepared)
            except requests.exceptions.SSLError:
                raise AttioUnavailable("TLS connection failed", code="tls_error", attempts=attempt) from None
            except _NETWORK_ERRORS as exc:
                failure: AttioError = AttioUnavailable(self._describe(exc), code="network_error",
                                                       attempts=attempt)
                retryable, delay = idempotent, _backoff(attempt)
            except requests.RequestException as exc:
                raise AttioError(f"The request could not be sent ({type(exc).__name__}).",
                                 code="request_failed", attempts=attempt) from None
            else:
                if 200 <= resp.status_code < 300:
                    return self._parse(path, resp.status_code, resp.content)
                failure = error_from_response(resp.status_code, resp.content, reason=resp.reason or "",
                                              attempts=attempt, secrets=(self._token,))
                if resp.status_code == 429:  # Attio did not process it: safe to retry any method
                    wait = retry_after_seconds(resp.headers.get("Retry-After"))
                    wait = _backoff(attempt) if wait is None else min(10.0, max(0.05, wait))
                    retryable, delay = True, wait + random.uniform(0, 0.1)  # nosec B311  # retry jitter, not a secret
                elif resp.status_code in _RETRY_STATUSES:
                    retryable, delay = idempotent, _backoff(attempt)
                else:
                    if resp.status_code == 401:
                        self._report_unauthorized(failure)
                    raise failure
            out_of_budget = self._clock() - start + delay > self.retry_budget
            if not retryable or attempt >= self.max_attempts or out_of_budget:
                raise failure
            metrics.ATTIO_RETRIES.labels(metrics.endpoint_template(path)).inc()
            log.warning("attio %s %s failed (%s); retry %d in %.2fs", method, path,
                        failure.code or failure.status, attempt, delay)
            (self._sleep or time.sleep)(delay)

    def _report_unauthorized(self, failure: AttioError) -> None:
        """Attio no longer accepts the token: tell the caller's owner, and say so in the error."""
        if self.on_unauthorized is None:
            return
        try:
            self.on_unauthorized()
        except Exception:  # the tool still gets Attio's 401; the callback's own failure is only logged
            log.exception("the handler for Attio's 401 failed")
            return
        failure.reconnect = True

    def _describe(self, exc: Exception) -> str:
        """A short, secret-free reason for a network failure."""
        if isinstance(exc, requests.ConnectTimeout):
            return f"could not connect within {self.timeout:g} s"
        if isinstance(exc, requests.Timeout):
            return f"no response within {self.timeout:g} s"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "the connection broke while reading the response"
        return "connection failed"

    @staticmethod
    def _parse(path: str, status: int, content: bytes) -> Any:
        """Decode a 2xx body straight from bytes; unwrap `data` except for the flat /v2/self."""
        if not content:
            return None
        try:
            body = _json.loads(content)
        except ValueError:
            raise AttioError("Attio sent a response that is not JSON.", status=status,
                             code="invalid_response") from None
        if isinstance(body, dict) and "data" in body and path != "/v2/self":
            return body["data"]
        return body
