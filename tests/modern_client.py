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


class Listening:
    """A `subscriptions/listen` stream read in a thread: `frames` fills as they arrive; `ready` is set at the
    acknowledgement; reading stops once `done(frames)` is true (or the stream ends)."""

    def __init__(self, url: str, notifications: dict[str, Any], *, rid: Any = "sub",
                 capabilities: dict[str, Any] | None = None, done: Any = None, timeout: float = 20) -> None:
        import threading

        self.frames: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.status: int | None = None
        msg = body("subscriptions/listen", {"notifications": notifications}, rid=rid, capabilities=capabilities)

        def read() -> None:
            with requests.post(url, data=json.dumps(msg), headers=headers(msg), stream=True,
                               timeout=timeout) as stream:
                self.status = stream.status_code
                for line in stream.iter_lines(decode_unicode=True):
                    if not line.startswith("data: "):
                        continue
                    self.frames.append(json.loads(line[6:]))
                    self.ready.set()
                    if done is not None and done(self.frames):
                        return

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def wait_ready(self, timeout: float = 10) -> bool:
        """True once the acknowledgement arrived."""
        return self.ready.wait(timeout)

    def join(self, timeout: float = 20) -> list[dict[str, Any]]:
        """Wait for the reader to stop; the frames read."""
        self.thread.join(timeout)
        return self.frames
