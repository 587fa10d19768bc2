"""Attio's rate limits (reference §0, §11): 100 reads and 25 writes a second across the API, and lower
limits on a few heavy endpoints, counted per access token in clock-second windows.

A refused call gets Attio's 429 body with `Retry-After` as an HTTP date (the next second); it was not
processed, so it counts against nothing. Reads are GETs and the POSTs that only read (records and entries
queries, records search, SQL).
"""
from __future__ import annotations

import re
import threading
import time
from email.utils import formatdate
from typing import Mapping

from .errors import AttioError

# Requests per second; None: unlimited.
ATTIO_LIMITS: dict[str, int | None] = {"read": 100, "write": 25, "recording_create": 1, "file_upload": 1,
                                       "sql": 2, "merge": 5, "note_listing": 10}
# (method, path pattern, class) on top of read/write.
ENDPOINTS = [("POST", re.compile(r"/v2/meetings/[^/]+/call_recordings"), "recording_create"),
             ("POST", re.compile(r"/v2/files/upload"), "file_upload"),
             ("POST", re.compile(r"/v2/sql"), "sql"),
             ("POST", re.compile(r"/v2/objects/[^/]+/records/merge"), "merge"),
             ("GET", re.compile(r"/v2/notes"), "note_listing")]
_READ_POSTS = re.compile(r"/v2/(?:objects/[^/]+/records/query|lists/[^/]+/entries/query|objects/records/search|sql)")
RATE_LIMITED = "Rate limit exceeded, please try again later"


def classes(method: str, path: str) -> list[str]:
    """The limits a call counts against."""
    read = method in ("GET", "HEAD") or (method == "POST" and _READ_POSTS.fullmatch(path) is not None)
    out = ["read" if read else "write"]
    out += [name for m, pattern, name in ENDPOINTS if m == method and pattern.fullmatch(path)]
    return out


def parse_limits(spec: str | Mapping[str, int | None] | None) -> dict[str, int | None]:
    """Limits from "attio", "off" (or None), or a mapping of class → requests per second on top of Attio's."""
    if spec is None or spec == "off":
        return dict.fromkeys(ATTIO_LIMITS)
    if spec == "attio":
        return dict(ATTIO_LIMITS)
    if isinstance(spec, str):
        raise ValueError(f'rate limits must be "attio", "off" or a mapping, not {spec!r}')
    unknown = set(spec) - set(ATTIO_LIMITS)
    bad = [k for k, v in spec.items() if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1)]
    if unknown or bad:
        raise ValueError(f"unknown rate-limit classes {sorted(unknown)} or bad values for {sorted(bad)}; "
                         f"classes: {', '.join(ATTIO_LIMITS)}; values: a positive integer or null")
    return {**ATTIO_LIMITS, **spec}


class RateLimiter:
    """Fixed one-second windows per (token, class)."""

    def __init__(self, limits: Mapping[str, int | None]) -> None:
        self.limits = dict(limits)
        self._lock = threading.Lock()
        self._second = 0
        self._counts: dict[tuple[str, str], int] = {}

    def hit(self, token: str, method: str, path: str) -> None:
        """Count this call, or raise Attio's 429 if any of its limits is used up this second."""
        now = time.time()
        second = int(now)
        names = [n for n in classes(method, path) if self.limits.get(n) is not None]
        if not names:
            return
        with self._lock:
            if second != self._second:
                self._second, self._counts = second, {}
            if any(self._counts.get((token, n), 0) >= self.limits[n] for n in names):  # type: ignore[operator]
                raise AttioError(429, "rate_limit_exceeded", RATE_LIMITED, "rate_limit_error",
                                 headers={"Retry-After": formatdate(second + 1, usegmt=True)})
            for n in names:
                self._counts[(token, n)] = self._counts.get((token, n), 0) + 1
