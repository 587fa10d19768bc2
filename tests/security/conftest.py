"""Shared helpers: the planted demo records, an in-process app and an MCP client over Flask's test client."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from attio_demo.schema import uid
from attio_demo.testing.seed_planted import PLANTED_TOKEN, seed_planted

CORPUS = Path(__file__).parent / "corpus"
_WS = seed_planted()
PELLUCID = f"companies:{uid(_WS.id, 'companies', 'pellucid')}"
LARKSPUR = f"companies:{uid(_WS.id, 'companies', 'larkspur')}"
WENDELL = f"people:{uid(_WS.id, 'people', 'wendell')}"
ODILE = f"people:{uid(_WS.id, 'people', 'odile')}"
ACCEPT = "application/json, text/event-stream"


def corpus(name: str) -> list[dict[str, Any]]:
    """One labelled corpus file."""
    return [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def sse_result(body: str) -> dict[str, Any]:
    """The JSON-RPC response carried by an SSE reply (the last `data:` line with an id)."""
    messages = [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:") and line[5:].strip()]
    return next(m for m in reversed(messages) if "id" in m and ("result" in m or "error" in m))


class McpClient:
    """A minimal MCP client over Flask's test client (one session)."""

    def __init__(self, app: Any) -> None:
        self.app, self.http = app, app.test_client()
        self.headers = {"Accept": ACCEPT, "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}
        init = self.rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                       "clientInfo": {"name": "security-tests", "version": "1"}}, raw=True)
        self.headers["Mcp-Session-Id"] = init.headers["Mcp-Session-Id"]
        self.http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self.headers)

    def rpc(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        """One request; the `result` (or the raw response)."""
        r = self.http.post("/mcp", json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
                           headers=self.headers)
        if raw:
            return r
        body = r.get_data(as_text=True)
        reply = sse_result(body) if r.mimetype == "text/event-stream" else json.loads(body)
        assert "result" in reply, reply
        return reply["result"]

    def call(self, name: str, arguments: dict[str, Any], *, progress: bool = False) -> dict[str, Any]:
        """`tools/call`; with `progress` the call runs in its own greenlet (the streaming path)."""
        params: dict[str, Any] = {"name": name, "arguments": arguments}
        if progress:
            params["_meta"] = {"progressToken": "p-1"}
        return self.rpc("tools/call", params)


@pytest.fixture()
def make_app(demo_attio, tmp_path):
    """An in-process connector app on the demo Attio; settings as keyword arguments."""
    from tests.apps import migrated_app as create_app

    def make(**settings: Any) -> Any:
        config = {"ATTIO_API_URL": demo_attio.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'connector.sqlite'}", "DEMO_ATTIO_TOKEN": PLANTED_TOKEN,
                  "LOG_LEVEL": "WARNING", **settings}
        return create_app(config, environ={})
    return make


def audit_rows(app: Any) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(type, subject, detail) of every screening audit event, oldest first."""
    from connector.auth.models import AuditEvent

    with app.app_context():
        rows = app.extensions["db"].session.query(AuditEvent).filter_by(type="screening.flagged") \
            .order_by(AuditEvent.id).all()
        return [(r.type, r.subject, dict(r.detail)) for r in rows]
