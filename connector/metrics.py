"""The Prometheus metrics every layer records (like `logging`, this module imports nothing of the connector).

Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` is set before any worker imports this module (gunicorn.conf.py), so
prometheus-client keeps each worker's values in files the scrape sums; gauges are `livesum`: a dead worker's
streams vanish with it. Labels stay low-cardinality: a route is its URL rule, an Attio endpoint its template,
a tool its registered name — never a raw path, an id or a person.
"""
from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram

NS = "attio_connector"
# Seconds: tool calls and Attio requests range from ~1 ms (cached) to the 20 s Attio timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(f"{NS}_http_requests", "HTTP requests answered, by route, method and status",
                        ["route", "method", "status"])
HTTP_LATENCY = Histogram(f"{NS}_http_request_duration_seconds", "Time to the response headers, by route",
                         ["route"], buckets=LATENCY_BUCKETS)
TOOL_CALLS = Histogram(f"{NS}_tool_call_duration_seconds", "tools/call time by tool and outcome "
                       "(ok, tool_error, protocol_error, cancelled)", ["tool", "outcome"], buckets=LATENCY_BUCKETS)
ATTIO_REQUESTS = Counter(f"{NS}_attio_requests", "Requests sent to Attio, by endpoint template, method and "
                         "status (a number, or network_error)", ["endpoint", "method", "status"])
ATTIO_LATENCY = Histogram(f"{NS}_attio_request_duration_seconds", "Attio response time by endpoint template",
                          ["endpoint"], buckets=LATENCY_BUCKETS)
ATTIO_RATE_LIMITED = Counter(f"{NS}_attio_rate_limited", "Attio 429 answers, by endpoint template", ["endpoint"])
ATTIO_RETRIES = Counter(f"{NS}_attio_retries", "Attio requests retried, by endpoint template", ["endpoint"])
ATTIO_BUDGET = Counter(f"{NS}_attio_budget", "Calls held by the Attio rate budget, by limit and outcome (waited; "
                       "refused: waited too long; bypassed: Redis down)", ["limit", "outcome"])
ATTIO_BUDGET_WAIT = Histogram(f"{NS}_attio_budget_wait_seconds", "Time a call waited for room in one of Attio's "
                              "rate limits (only calls that waited)", ["limit"],
                              buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
CACHE = Counter(f"{NS}_cache_lookups", "Attio read-cache lookups: hit, miss, or bypass (Redis down)", ["result"])
OPEN_STREAMS = Gauge(f"{NS}_open_streams", "SSE streams open now, by transport", ["transport"],
                     multiprocess_mode="livesum")
STREAM_CAP = Gauge(f"{NS}_stream_capacity", "MAX_STREAMS of each live worker (the cap open_streams is held to)",
                   multiprocess_mode="livesum")
STREAMS_REFUSED = Counter(f"{NS}_streams_refused", "Streams refused at a cap (client or total)", ["cap"])
SESSIONS = Gauge(f"{NS}_sessions", "MCP sessions held in worker memory", multiprocess_mode="livesum")
SESSIONS_CREATED = Counter(f"{NS}_sessions_created", "MCP sessions opened, by transport", ["transport"])
AUTH_EVENTS = Counter(f"{NS}_auth_events", "OAuth and sign-in events (the audit log's types)", ["event"])
TOKEN_ERRORS = Counter(f"{NS}_token_endpoint_errors", "Token endpoint refusals by OAuth error code", ["error"])
SCREENING = Counter(f"{NS}_screening_verdicts", "Tool results screened for prompt injection, by verdict",
                    ["verdict"])
RATE_LIMITED = Counter(f"{NS}_rate_limited", "Requests refused by our own rate limits, by limit", ["limit"])
OUTAGES = Counter(f"{NS}_dependency_unavailable", "Requests answered 503 because a dependency was down",
                  ["part"])

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# The literal words of Attio's paths; any other segment is a parameter, named after the word before it.
_WORDS = frozenset({
    "v2", "self", "objects", "records", "query", "search", "lists", "entries", "attributes", "options", "statuses",
    "values", "notes", "tasks", "comments", "threads", "workspace_members", "webhooks", "meetings",
    "call_recordings", "transcript", "files", "folders", "emails", "views", "merge", "sql", "oauth", "token",
    "introspect", "revoke", "assert", "content", "link", "unlink",
})
_PARAM_NAMES = {"objects": "object", "lists": "list", "attributes": "attribute", "records": "record_id",
                "entries": "entry_id", "notes": "note_id", "tasks": "task_id", "comments": "comment_id",
                "threads": "thread_id", "workspace_members": "member_id", "meetings": "meeting_id",
                "call_recordings": "recording_id", "files": "file_id", "views": "view_id", "webhooks": "webhook_id"}
_ENDPOINT_CACHE: dict[str, str] = {}


def endpoint_template(path: str) -> str:
    """`/v2/objects/people/records/1f2e…` → `/v2/objects/{object}/records/{record_id}` (query string dropped)."""
    path = path.split("?", 1)[0]
    known = _ENDPOINT_CACHE.get(path)
    if known is not None:
        return known
    out, previous = [], ""
    for segment in path.strip("/").split("/"):
        if segment in _WORDS and not _UUID.match(segment):
            out.append(segment)
        else:
            out.append("{" + _PARAM_NAMES.get(previous, "id") + "}")
        previous = segment
    template = "/" + "/".join(out)
    if len(_ENDPOINT_CACHE) < 10_000:
        _ENDPOINT_CACHE[path] = template
    return template
