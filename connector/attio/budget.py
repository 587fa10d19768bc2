"""The share of Attio's rate limits each credential may use, kept by every worker together.

Attio allows 100 reads and 25 writes a second per token, and less on a few heavy endpoints (2026 reference §0,
§11): creating a call recording or uploading a file 1 a second, SQL 2, merging records 5, listing notes 10.
Before each attempt the client takes a place in every limit its call counts against, waiting (up to
ATTIO_RATE_WAIT_SECONDS) while the last second's places are taken; past that wait the call fails with
`AttioBudgetExhausted` without reaching Attio. The counts are a moving one-second window of the `limits`
library: in Redis when REDIS_URL is set, so that all workers and instances share them, else in the worker's
memory. A moving window never lets more calls through in any second than Attio's clock-second windows do.
With Redis unreachable the budget is skipped for a few seconds at a time (Attio's own 429s, retried by the
client, still hold the line).
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable, Mapping

import redis
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .. import metrics
from .errors import AttioBudgetExhausted
from .rates import ATTIO_LIMITS, LABELS, parse_limits  # noqa: F401 - ATTIO_LIMITS, parse_limits: part of the API
from .transport import jitter

log = logging.getLogger(__name__)

NAMESPACE = "attio-connector:attio-budget"
# (method, path, limit) on top of read/write.
ENDPOINTS = [("POST", re.compile(r"/v2/meetings/[^/]+/call_recordings"), "recording_create"),
             ("POST", re.compile(r"/v2/files/upload"), "file_upload"),
             ("POST", re.compile(r"/v2/sql"), "sql"),
             ("POST", re.compile(r"/v2/objects/[^/]+/records/merge"), "merge"),
             ("GET", re.compile(r"/v2/notes"), "note_listing")]
_READ_POSTS = re.compile(r"/v2/(?:objects/[^/]+/records/query|lists/[^/]+/entries/query|objects/records/search|sql)")
_LONGEST_NAP = 1.0  # re-check at least this often: another worker's places may free up sooner than predicted
_BYPASS_LOG_EVERY = 30.0
_BYPASS_SECONDS = 5.0  # after a Redis failure, skip the budget this long instead of paying a timeout per call


def classes(method: str, path: str) -> list[str]:
    """The limits a call counts against, the endpoint's own (narrower) one first."""
    read = method in ("GET", "HEAD") or (method == "POST" and _READ_POSTS.fullmatch(path) is not None)
    own = [name for m, pattern, name in ENDPOINTS if m == method and pattern.fullmatch(path)]
    return own + ["read" if read else "write"]


class AttioBudget:
    """Places in Attio's rate limits per (credential, limit), shared through `storage_uri`."""

    def __init__(self, limits: Mapping[str, int | None], storage_uri: str = "memory://", *, max_wait: float = 5.0,
                 storage_options: Mapping[str, Any] | None = None) -> None:
        self.items = {name: RateLimitItemPerSecond(n) for name, n in limits.items() if n}
        self.max_wait = max_wait
        self.shared = not storage_uri.startswith("memory://")
        options = {"wrap_exceptions": True, **(storage_options or {})} if self.shared else {}
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))
        self._bypass_logged = float("-inf")
        self._bypass_until = float("-inf")

    def acquire(self, credential: str, method: str, path: str, *, sleep: Callable[[float], None]) -> float:
        """Take this call's place in every limit it counts against, waiting while they are full; the seconds
        waited. Raises AttioBudgetExhausted when the wait would pass `max_wait`."""
        waited = 0.0
        if self._bypass_until > time.monotonic():
            return waited
        for name in classes(method, path):
            item = self.items.get(name)
            if item is None:
                continue
            try:
                waited = self._take(item, credential, name, waited, sleep)
            except (StorageError, redis.RedisError) as exc:
                self._bypassed(exc, name)
                return waited
        return waited

    def _take(self, item: RateLimitItemPerSecond, credential: str, name: str, waited: float,
              sleep: Callable[[float], None]) -> float:
        """One limit: hit it, or wait until its oldest place in the window frees up and try again."""
        began = waited
        while not self.limiter.hit(item, NAMESPACE, credential, name):
            reset_at, _ = self.limiter.get_window_stats(item, NAMESPACE, credential, name)
            nap = min(max(reset_at - time.time(), 0.005), _LONGEST_NAP) + jitter(0.02)
            if waited + nap > self.max_wait:
                metrics.ATTIO_BUDGET.labels(name, "refused").inc()
                raise AttioBudgetExhausted(f"waited {waited:.1f} s of at most {self.max_wait:g} s", limit=LABELS[name],
                                           waited=waited)
            sleep(nap)
            waited += nap
        if waited > began:
            metrics.ATTIO_BUDGET.labels(name, "waited").inc()
            metrics.ATTIO_BUDGET_WAIT.labels(name).observe(waited - began)
        return waited

    def _bypassed(self, exc: Exception, name: str) -> None:
        """Redis is unreachable: let this call and the next few seconds' through, count it, and say so at most
        every 30 s."""
        metrics.ATTIO_BUDGET.labels(name, "bypassed").inc()
        now = time.monotonic()
        self._bypass_until = now + _BYPASS_SECONDS
        if now - self._bypass_logged >= _BYPASS_LOG_EVERY:
            self._bypass_logged = now
            log.warning("Attio rate budget skipped: Redis unavailable (%s); Attio's own 429s still apply",
                        exc.__class__.__name__)

    def reset(self) -> None:
        """Forget every count (tests)."""
        self.limiter.storage.reset()
