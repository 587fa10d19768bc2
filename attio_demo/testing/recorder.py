"""Fault injection and the request log: what tests use to see and disturb the calls the connector makes.

Every `/v2` and OAuth call is logged (OAuth codes, secrets and tokens redacted; only a token's last four
characters kept) and may be answered by a queued fault instead: a 429 with Attio's body and `Retry-After`,
a 5xx, or a delay before the real answer.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from email.utils import formatdate
from typing import Any

from flask import Response, current_app, g, request

from ..auth import bearer_token
from ..errors import AttioError
from ..oauth import REDACTED, redact_pairs, redact_query
from ..routes_oauth import OAUTH_PATHS, form_params, oauth_error
from ..web import json_response

FAULTS = {429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded, please try again later"),
          500: ("api_error", "internal_server_error",
                "An unexpected error occurred. Please try again later."),
          502: ("api_error", "bad_gateway", "Bad gateway. Please try again later."),
          503: ("api_error", "service_unavailable",
                "The service is temporarily unavailable. Please try again later."),
          504: ("api_error", "gateway_timeout", "The upstream request timed out. Please try again later.")}
OAUTH_FAULTS = {429: "rate_limit_exceeded", 500: "server_error", 502: "server_error",
                503: "temporarily_unavailable", 504: "server_error"}


class Recorder:
    """Queued faults and the request log of one demo app."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.faults: list[dict[str, Any]] = []

    def clear(self) -> None:
        """Forget every queued fault and logged request."""
        with self.lock:
            self.faults = []
        self.log.clear()

    def add_fault(self, status: int | None, delay_ms: float, count: int, path: str) -> list[dict[str, Any]]:
        """Queue a delay and/or a status for the next `count` calls under `path`; returns what is pending."""
        with self.lock:
            if delay_ms:
                self.faults.append({"status": None, "delay_ms": delay_ms, "remaining": count, "path": path})
            if status is not None:
                self.faults.append({"status": status, "delay_ms": 0, "remaining": count, "path": path})
            return [dict(f) for f in self.faults]

    def take_faults(self, path: str) -> tuple[float, int | None]:
        """Consume the faults that apply to this call: (delay in ms, status or None)."""
        delay, status = 0, None
        with self.lock:
            for f in self.faults:
                if f["remaining"] <= 0 or not path.startswith(f["path"]):
                    continue
                if f["delay_ms"] and not delay:
                    delay = f["delay_ms"]
                elif f["status"] and status is None:
                    status = f["status"]
                else:
                    continue
                f["remaining"] -= 1
            self.faults = [f for f in self.faults if f["remaining"] > 0]
        return delay, status


def recorder() -> Recorder:
    """The current app's recorder."""
    return current_app.extensions["demo_attio_testing"]


def _entry(is_oauth: bool) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if is_oauth:
        body = None
        if raw:
            body = redact_pairs(form_params().items()) if request.mimetype in (
                "application/json", "application/x-www-form-urlencoded") else REDACTED
        entry = {"method": request.method, "path": request.path,
                 "query": redact_query(request.query_string.decode("latin-1")),
                 "status": None, "at": time.time(), "body": body}
        entry["token_suffix"] = None  # no bearer token on these routes (apart: bandit B105 reads it as one)
        return entry
    token = bearer_token()
    return {"method": request.method, "path": request.path, "query": request.query_string.decode("latin-1"),
            "token_suffix": token[-4:] if token else None, "status": None, "at": time.time(),
            "body": raw[:2000].decode("utf-8", "replace") if raw else None}


def before_request() -> Response | None:
    """Log a `/v2` or OAuth call, then apply the faults queued for its path."""
    is_oauth = request.path.startswith(OAUTH_PATHS)
    if not (is_oauth or request.path.startswith("/v2/")):
        return None
    rec = recorder()
    entry = _entry(is_oauth)
    rec.log.append(entry)
    g.log_entry = entry
    delay, status = rec.take_faults(request.path)
    if delay:
        time.sleep(delay / 1000)
    if status is None:
        return None
    headers = {"Retry-After": formatdate(int(time.time()) + 1, usegmt=True)} if status == 429 else None
    if is_oauth:
        return oauth_error(OAUTH_FAULTS[status], "Injected fault: please try again later.", status, headers)
    type_, code, message = FAULTS[status]
    return json_response(AttioError(status, code, message, type_).body(), status, headers)


def after_request(resp: Response) -> Response:
    """Record the status of a logged call."""
    entry = g.get("log_entry")
    if entry is not None:
        entry["status"] = resp.status_code
    return resp
