"""`/metrics` (Prometheus exposition) and the request hooks that time every response.

Protected by `Authorization: Bearer $METRICS_TOKEN`; without METRICS_TOKEN the endpoint is off (404). Under
gunicorn the values of every worker are summed from PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py);
elsewhere (`flask run`, in-process tests) the process's own registry is served.
"""
from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from .. import metrics
from ..web import operator_token_refusal

bp = Blueprint("metrics", __name__)
# RFC 6749 §5.2 codes (and the rate limit's): anything else is counted as "other" to bound the label.
TOKEN_ERRORS = frozenset({"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                          "unsupported_grant_type", "invalid_scope", "invalid_target", "slow_down",
                          "temporarily_unavailable", "rate_limited"})


@bp.get("/metrics")
def scrape() -> Response:
    """The exposition of every worker's metrics."""
    refused = operator_token_refusal("METRICS_TOKEN", "/metrics")
    if refused is not None:
        return refused
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _start() -> None:
    g.metrics_started = time.perf_counter()


# The labelled children of the two request metrics, resolved once per (route, method, status): `labels()` costs more
# than the observation itself. Bounded like the labels themselves (routes and statuses are few; methods are not,
# so past the bound the children are looked up every time).
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_CHILDREN_MAX = 2048


def _children(rule: str, method: str, status: int) -> tuple[Any, Any]:
    key = (rule, method, status)
    found = _CHILDREN.get(key)
    if found is None:
        found = (metrics.HTTP_LATENCY.labels(rule), metrics.HTTP_REQUESTS.labels(rule, method, str(status)))
        if len(_CHILDREN) < _CHILDREN_MAX:
            _CHILDREN[key] = found
    return found


def _record(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    url_rule = request.url_rule
    rule = url_rule.rule if url_rule is not None else "unmatched"
    latency, requests = _children(rule, request.method, response.status_code)
    if started is not None:
        latency.observe(time.perf_counter() - started)
    requests.inc()
    if rule == "/oauth/token" and response.status_code >= 400 and response.is_json:
        error = (response.get_json(silent=True) or {}).get("error")
        metrics.TOKEN_ERRORS.labels(error if error in TOKEN_ERRORS else "other").inc()
    return response


def init_metrics(app: Flask) -> None:
    """Time every request (the blueprint itself is registered with the others)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_record)
