"""The peer: the official MCP Python SDK server (`mcp` 2.3 `MCPServer`) serving the same `search` and `fetch`
shapes as the connector, against the same fake Attio, the way the SDK recommends running it (uvicorn, uvloop and
httptools when installed; an `httpx2.AsyncClient` upstream). Stateful Streamable HTTP with JSON responses.

    ATTIO_API_URL=http://127.0.0.1:PORT .venv/bin/python -m bench.peers.sdk_server --port 8002

Only for benchmarks: no auth, no validation beyond what the SDK does, no caching.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

import httpx2
import uvicorn
from mcp.server.mcpserver import MCPServer

from ..bare_app import record_text

BASE_URL = os.environ.get("ATTIO_API_URL", "").rstrip("/")
TOKEN = os.environ.get("ATTIO_API_KEY") or os.environ.get("DEMO_ATTIO_TOKEN") or "demo-attio-key"
APP_URL = "https://app.attio.com"
SINGULAR = {"people": "person", "companies": "company", "deals": "deal"}
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "User-Agent": "bench-sdk-peer/1"}

# Logging as quiet as the connector's under benchmark (LOG_LEVEL=WARNING): at the default INFO the SDK and httpx
# write a rich-formatted line per request, which would measure its console rather than the server.
server = MCPServer(name="sdk-peer", version="1", log_level="WARNING")
_client: httpx2.AsyncClient | None = None
_slug: list[str] = []


def _http() -> httpx2.AsyncClient:
    global _client
    if _client is None:
        _client = httpx2.AsyncClient(base_url=BASE_URL, headers=HEADERS, timeout=20.0,
                                     limits=httpx2.Limits(max_connections=50, max_keepalive_connections=50))
    return _client


async def _workspace_slug() -> str:
    if not _slug:
        me = (await _http().get("/v2/self")).json()
        _slug.append(me.get("workspace_slug") or "")
    return _slug[0]


async def _url(obj: str, rid: str) -> str:
    return f"{APP_URL}/{await _workspace_slug()}/{SINGULAR.get(obj, obj)}/{rid}"


@server.tool(description="Search the CRM: records whose name, domain or email matches the query.")
async def search(query: str) -> dict[str, Any]:
    """One POST /v2/objects/records/search, reshaped to ChatGPT's search result."""
    resp = await _http().post("/v2/objects/records/search", json={
        "query": query.strip(), "objects": ["people", "companies", "deals"], "request_as": {"type": "workspace"},
        "limit": 20})
    resp.raise_for_status()
    results = []
    for hit in resp.json().get("data") or []:
        obj, rid = hit.get("object_slug") or "", (hit.get("id") or {}).get("record_id")
        if obj and rid:
            title = (hit.get("record_text") or "").strip() or f"{obj} {rid}"
            results.append({"id": f"{obj}:{rid}", "title": title, "url": await _url(obj, rid)})
    return {"results": results}


@server.tool(description="Fetch one record by the id search returned.")
async def fetch(id: str) -> dict[str, Any]:  # noqa: A002 - the argument name ChatGPT uses
    """One GET /v2/objects/{object}/records/{record_id}, reshaped to ChatGPT's fetch result."""
    obj, _, rid = id.partition(":")
    resp = await _http().get(f"/v2/objects/{obj}/records/{rid}")
    resp.raise_for_status()
    record = resp.json().get("data") or {}
    title, text = record_text(record)
    return {"id": id, "title": title or id, "text": text,
            "url": record.get("web_url") or await _url(obj, rid), "metadata": {"object": obj, "record_id": rid}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = server.streamable_http_app(json_response=True)
    loop = "uvloop" if _installed("uvloop") else "asyncio"
    http = "httptools" if _installed("httptools") else "h11"
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", loop=loop, http=http, access_log=False)


def _installed(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
