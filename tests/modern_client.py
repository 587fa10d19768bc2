"""A bare 2026-07-28 request, as a conforming client sends it over HTTP: `_meta` plus the mirrored headers."""
from __future__ import annotations

import json
from typing import Any

import requests

VERSION = "2026-07-28"


def meta(capabilities: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The per-request `_meta` of a modern client."""
    return {"io.modelcontextprotocol/protocolVersion": VERSION,
            "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": capabilities or {}, **extra}


def body(method: str, params: dict[str, Any] | None = None, rid: Any = 1,
         capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    """A request whose params carry the modern `_meta`."""
    p = dict(params or {})
    p["_meta"] = {**meta(capabilities), **p.get("_meta", {})}
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": p}


def headers(msg: dict[str, Any], **extra: str) -> dict[str, str]:
    """MCP-Protocol-Version, Mcp-Method and (where the method names something) Mcp-Name."""
    out = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
           "MCP-Protocol-Version": VERSION, "Mcp-Method": msg["method"]}
    params = msg.get("params") or {}
    named = params.get("uri") if msg["method"] == "resources/read" else params.get("name", params.get("taskId"))
    if isinstance(named, str):
        out["Mcp-Name"] = named
    return {**out, **extra}


def post(url: str, method: str, params: dict[str, Any] | None = None, *, rid: Any = 1,
         capabilities: dict[str, Any] | None = None, fresh: bool = True,
         extra: dict[str, str] | None = None) -> requests.Response:
    """POST one modern request (`extra`: more headers, e.g. Mcp-Param-*); `fresh` uses a new connection (so
    several workers share the load)."""
    msg = body(method, params, rid, capabilities)
    hdrs = headers(msg, **(extra or {}))
    if fresh:
        hdrs["Connection"] = "close"
    return requests.post(url, data=json.dumps(msg), headers=hdrs, timeout=15)
