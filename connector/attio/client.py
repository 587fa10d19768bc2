"""The Attio REST client: one `requests.Session`, typed errors, retries per Attio's limits.

Per-call cost matters here (it bounds the server's throughput), so the hot path skips
what `Session.request` would redo on every call for nothing: environment proxy/CA/netrc
lookups (resolved once at construction, then `trust_env = False`), session/cookie
merging, request re-validation, cookie extraction and hooks. It builds a
`PreparedRequest` itself and hands it to the session's mounted transport adapter;
`bench/attio_client_overhead.py` measures the result.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json as _json
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlencode, urlsplit

import requests
from opentelemetry import trace
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict

from connector import __version__, jsoncodec, metrics, spans

from . import access
from .endpoints import AttioEndpoints
from .engagement import EngagementEndpoints
from .errors import AttioBadRequest, AttioError, AttioUnavailable, error_from_response
from .files import FileEndpoints
from .pages import Page, page_from
from .sql import SqlEndpoints
from .transport import (  # noqa: F401 - make_session and retry_after_seconds are part of this module's API
    backoff as _backoff,
    jitter,
    make_session,
    normalize_base_url as _normalize_base_url,
    retry_after_seconds,
    settle_environment,
)
from .views import ViewEndpoints

if TYPE_CHECKING:
    from .budget import AttioBudget

TRACER = trace.get_tracer("connector.attio")
log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.attio.com"
USER_AGENT = f"attio-connector/{__version__}"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_READ_POSTS = ("/records/query", "/records/search", "/entries/query", "/v2/sql")  # POSTs that only read
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_NETWORK_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


_NO_SPAN = contextlib.nullcontext(trace.INVALID_SPAN)


@functools.lru_cache(maxsize=1024)  # endpoint templates, methods and statuses are few
def _exchange_metrics(endpoint: str, method: str, status: int) -> tuple[Any, Any]:
    """The latency and request-count children of one (endpoint template, method, status)."""
    return metrics.ATTIO_LATENCY.labels(endpoint), metrics.ATTIO_REQUESTS.labels(endpoint, method, str(status))


@functools.lru_cache(maxsize=1024)
def fingerprint(token: str) -> str:
    """A short, non-reversible id for a credential (never the token itself). Memoised: every cache key and client
    lookup of a tool call asks for it (a dozen times per search), and the tokens are held by the clients anyway."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class AttioClient(AttioEndpoints, EngagementEndpoints, FileEndpoints, ViewEndpoints, SqlEndpoints):
    """A thin, typed client for Attio's REST API v2 (`base_url` None means api.attio.com).

    With a `budget` (connector.attio.budget), every attempt first takes its place in the credential's share of
    Attio's rate limits, waiting for it if need be.
    """

    def __init__(self, base_url: str | None, token: str, *, timeout: float = 20.0, max_attempts: int = 3,
                 retry_budget: float = 10.0, session: requests.Session | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None, budget: AttioBudget | None = None) -> None:
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
        self.budget, self.credential = budget, fingerprint(token)
        self._facts: dict[str, Any] = {}  # what /v2/self said, shared by the bound twins of this client
        self.on_unauthorized: Callable[[], None] | None = None

    def bound(self, on_unauthorized: Callable[[], None]) -> "AttioClient":
        """This client (same session, pool, budget and cached token level) for one caller: `on_unauthorized()`
        runs when Attio answers 401."""
        twin = copy.copy(self)
        twin.on_unauthorized = on_unauthorized
        return twin

    @property
    def proxies(self) -> dict[str, str]:
        """The proxy mapping every call uses (resolved from the environment at construction)."""
        return dict(self._proxies)

    def __repr__(self) -> str:
        return f"AttioClient(base_url={self.base_url!r})"

    # -- token level ------------------------------------------------------------------------

    def token_level(self) -> str | None:
        """"workspace" or "user" (a member-level token), from `/v2/self` once per credential; None while Attio
        calls the token inactive (not cached: it may be a passing state)."""
        level = self._facts.get("token_level")
        if level is None:
            level = access.level_of(self.self_info())
            if level is not None:
                self._facts["token_level"] = level
        return level

    def is_member_token(self) -> bool:
        """Whether the token acts for one workspace member (some list endpoints then refuse it)."""
        return self.token_level() == access.MEMBER

    # -- calls ----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, timeout: float | None = None) -> Any:
        """Call Attio and return the parsed body (`data` unwrapped), retrying per Attio's policy.

        `timeout` raises the per-exchange timeout for this call (never below the client's own)."""
        resp = self.exchange(method, path, params=params, json=json, timeout=timeout)
        return self._parse(path, resp.status_code, resp.content)

    def request_with_status(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                            json: Any = None) -> tuple[int, Any]:
        """`request`, with the HTTP status of the answer (e.g. to tell 200 from 202)."""
        resp = self.exchange(method, path, params=params, json=json)
        return resp.status_code, self._parse(path, resp.status_code, resp.content)

    def request_whole(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                      json: Any = None) -> Any:
        """`request`, returning the whole body (`data` and `pagination` side by side)."""
        resp = self.exchange(method, path, params=params, json=json)
        return self._decode(resp.status_code, resp.content)

    def request_page(self, path: str, params: Mapping[str, Any] | None = None) -> Page:
        """GET one page of a cursor-paged endpoint: (items, Attio's next_cursor or None)."""
        resp = self.exchange("GET", path, params=params)
        return page_from(self._decode(resp.status_code, resp.content), resp.status_code)

    def exchange(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                 redirects: bool = False, timeout: float | None = None) -> requests.Response:
        """One call to Attio with retries, budget and typed errors; the 2xx (or, with `redirects`, 3xx) response."""
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
        timeout = self.timeout if timeout is None else max(self.timeout, timeout)
        sleep = self._sleep or time.sleep
        start, attempt = self._clock(), 0
        while True:
            attempt += 1
            if self.budget is not None:
                self.budget.acquire(self.credential, method, path, sleep=sleep)
            try:
                resp = self._send(prepared, timeout)
            except requests.exceptions.SSLError:
                raise AttioUnavailable("TLS connection failed", code="tls_error", attempts=attempt) from None
            except _NETWORK_ERRORS as exc:
                failure: AttioError = AttioUnavailable(self._describe(exc, timeout), code="network_error",
                                                       attempts=attempt)
                retryable, delay = idempotent, _backoff(attempt)
            except requests.RequestException as exc:
                raise AttioError(f"The request could not be sent ({type(exc).__name__}).",
                                 code="request_failed", attempts=attempt) from None
            else:
                if 200 <= resp.status_code < 300 or (redirects and 300 <= resp.status_code < 400):
                    return resp
                failure = error_from_response(resp.status_code, resp.content, reason=resp.reason or "",
                                              attempts=attempt, secrets=(self._token,))
                if resp.status_code == 429:  # Attio did not process it: safe to retry any method
                    wait = retry_after_seconds(resp.headers.get("Retry-After"))
                    wait = _backoff(attempt) if wait is None else min(10.0, max(0.05, wait))
                    retryable, delay = True, wait + jitter()
                elif resp.status_code in _RETRY_STATUSES:
                    retryable, delay = idempotent, _backoff(attempt)
                else:
                    if resp.status_code == 401:
                        self._report_unauthorized(failure)
                    raise access.refine(failure, method, path, self.token_level)
            out_of_budget = self._clock() - start + delay > self.retry_budget
            if not retryable or attempt >= self.max_attempts or out_of_budget:
                raise failure
            metrics.ATTIO_RETRIES.labels(metrics.endpoint_template(path)).inc()
            log.warning("attio %s %s failed (%s); retry %d in %.2fs", method, path,
                        failure.code or failure.status, attempt, delay)
            sleep(delay)

    def fetch_outside(self, url: str) -> requests.Response:
        """GET a URL Attio handed out (a signed download link), streamed, without the Attio token: the caller
        reads and closes it. Redirects are not followed."""
        # Straight to the transport adapter, like Attio calls: no cookies kept, no session headers merged.
        prepared = requests.Request("GET", url, headers={"User-Agent": USER_AGENT}).prepare()
        adapter = self.session.get_adapter(url)
        return adapter.send(prepared, stream=True, timeout=self.timeout, verify=self.session.verify,
                            cert=self.session.cert, proxies=self._proxies)

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

    def _send(self, prepared: PreparedRequest, timeout: float) -> requests.Response:
        """One exchange through the session's mounted adapter, body read in full."""
        adapter = self.session.get_adapter(prepared.url)  # type: ignore[arg-type]
        url = urlsplit(prepared.url or "")
        endpoint = metrics.endpoint_template(url.path)
        started = time.perf_counter()
        # A client span per exchange when spans are recorded (the adapter is called directly, so the requests
        # instrumentation cannot see it); without tracing configured there is nothing to record.
        span = TRACER.start_as_current_span(f"{prepared.method} {endpoint}", kind=trace.SpanKind.CLIENT, attributes={
            "http.request.method": prepared.method or "", "url.template": endpoint,
            "server.address": url.hostname or "", "url.path": url.path}) if spans.recording() else _NO_SPAN
        with span as current:
            try:
                resp = adapter.send(prepared, stream=False, timeout=timeout, verify=self.session.verify,
                                    cert=self.session.cert, proxies=self._proxies)
                resp.content  # noqa: B018 - read now, so a broken body surfaces as a retryable error
            except requests.RequestException as exc:
                metrics.ATTIO_REQUESTS.labels(endpoint, prepared.method, "network_error").inc()
                current.set_attribute("error.type", type(exc).__name__)
                raise
            current.set_attribute("http.response.status_code", resp.status_code)
        elapsed = time.perf_counter() - started
        latency, answered = _exchange_metrics(endpoint, prepared.method or "", resp.status_code)
        latency.observe(elapsed)
        log.debug("attio %s %s -> %d in %.1f ms", prepared.method, endpoint, resp.status_code, elapsed * 1000)
        answered.inc()
        if resp.status_code == 429:
            metrics.ATTIO_RATE_LIMITED.labels(endpoint).inc()
        return resp

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

    @staticmethod
    def _describe(exc: Exception, timeout: float) -> str:
        """A short, secret-free reason for a network failure."""
        if isinstance(exc, requests.ConnectTimeout):
            return f"could not connect within {timeout:g} s"
        if isinstance(exc, requests.Timeout):
            return f"no response within {timeout:g} s"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "the connection broke while reading the response"
        return "connection failed"

    @staticmethod
    def _decode(status: int, content: bytes) -> Any:
        """A 2xx body decoded straight from bytes (None when empty)."""
        if not content:
            return None
        try:
            return jsoncodec.loads(content)
        except ValueError:
            raise AttioError("Attio sent a response that is not JSON.", status=status,
                             code="invalid_response") from None

    @classmethod
    def _parse(cls, path: str, status: int, content: bytes) -> Any:
        """Decode a 2xx body; unwrap `data` except for the flat /v2/self."""
        body = cls._decode(status, content)
        if isinstance(body, dict) and "data" in body and path != "/v2/self":
            return body["data"]
        return body
