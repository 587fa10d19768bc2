"""The baseline for the benchmark: the same upstream Attio calls as the connector's
`search` and `fetch` tools, through the leanest path Flask allows.

No MCP, no sessions, no schema validation, no caching layer, no retries: one
module-level `urllib3.PoolManager` and `json`. Served by the same gunicorn config
as the connector, so worker class, worker count and connection limits are identical:

    ATTIO_API_URL=http://127.0.0.1:PORT BIND=127.0.0.1:8001 \
        .venv/bin/gunicorn -c gunicorn.conf.py bench.bare_app:app

Routes: `POST /search` {"query": "..."} -> {"results": [{"id", "title", "url"}]};
`GET /fetch?id=<object>:<record uuid>` -> {"id", "title", "text", "url", "metadata"};
`GET /healthz` (a trivial reply, for checking the load generator and readiness).
"""
from __future__ import annotations

import json
import os
from typing import Any

import urllib3
from flask import Flask, Response, request

BASE_URL = os.environ.get("ATTIO_API_URL", "").rstrip("/")
TOKEN = os.environ.get("ATTIO_API_KEY") or os.environ.get("DEMO_ATTIO_TOKEN") or "demo-attio-key"
APP_URL = "https://app.attio.com"
SINGULAR = {"people": "person", "companies": "company", "deals": "deal", "users": "user",
            "workspaces": "workspace"}
SEARCH_OBJECTS = ["people", "companies", "deals"]
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
           "Content-Type": "application/json", "User-Agent": "attio-connector-bench-bare/1"}

http = urllib3.PoolManager(maxsize=50, retries=False, timeout=urllib3.Timeout(total=20.0))
_slug: list[str] = []  # the workspace slug, read once from /v2/self (the connector caches it too)

app = Flask(__name__)


def _reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _upstream(method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    resp = http.request(method, BASE_URL + path, body=body, headers=HEADERS)
    return resp.status, (json.loads(resp.data) if resp.data else None)


def _workspace_slug() -> str:
    if not _slug:
        status, me = _upstream("GET", "/v2/self")
        if status != 200:
            raise RuntimeError(f"GET /v2/self answered {status}")
        _slug.append(me.get("workspace_slug") or "")
    return _slug[0]


def _url(obj: str, rid: str) -> str:
    return f"{APP_URL}/{_workspace_slug()}/{SINGULAR.get(obj, obj)}/{rid}"


def record_text(record: dict[str, Any]) -> tuple[str, str]:
    """A record's title and its first value per attribute as `slug: value` lines (the minimal fetch shaping,
    shared with the SDK peer in bench/peers/sdk_server.py)."""
    lines, title = [], ""
    for slug, values in (record.get("values") or {}).items():
        first = values[0] if values else None
        if not first:
            continue
        value = first.get("value", first.get("full_name", first.get("domain", first.get("email_address"))))
        if value is not None:
            lines.append(f"{slug}: {value}")
            if slug == "name" and not title:
                title = str(value)
    return title, "\n".join(lines)


@app.get("/healthz")
def healthz() -> Response:
    """A trivial reply: no upstream call."""
    return _reply({"status": "ok"})


@app.post("/search")
def search() -> Response:
    """One POST /v2/objects/records/search, reshaped to the tool's result."""
    query = ((request.get_json(silent=True) or {}).get("query") or "").strip()
    body = json.dumps({"query": query, "objects": SEARCH_OBJECTS, "request_as": {"type": "workspace"},
                       "limit": 20}, separators=(",", ":")).encode()
    status, data = _upstream("POST", "/v2/objects/records/search", body)
    if status != 200:
        return _reply({"error": f"attio answered {status}"}, 502)
    results = []
    for hit in data.get("data") or []:
        obj, rid = hit.get("object_slug") or "", (hit.get("id") or {}).get("record_id")
        if obj and rid:
            title = (hit.get("record_text") or "").strip() or f"{obj} {rid}"
            results.append({"id": f"{obj}:{rid}", "title": title, "url": _url(obj, rid)})
    return _reply({"results": results})


@app.get("/fetch")
def fetch() -> Response:
    """One GET /v2/objects/{object}/records/{record_id}, reshaped (minimally) to the tool's result."""
    obj, _, rid = (request.args.get("id") or "").partition(":")
    if not obj or not rid:
        return _reply({"error": "id must be <object>:<record id>"}, 400)
    status, data = _upstream("GET", f"/v2/objects/{obj}/records/{rid}")
    if status != 200:
        return _reply({"error": f"attio answered {status}"}, 404 if status == 404 else 502)
    record = data.get("data") or {}
    title, text = record_text(record)
    return _reply({"id": f"{obj}:{rid}", "title": title or f"{obj} {rid}", "text": text,
                   "url": record.get("web_url") or _url(obj, rid),
                   "metadata": {"object": obj, "record_id": rid}})
