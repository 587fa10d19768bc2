"""`python -m connector.apidoc > docs/api.md`: the HTTP API document rendered as markdown.

Assembles what ops (the document) and the MCP layer (its wire description) each own, as the app
factory does at run time, so neither has to import the other.
"""
from __future__ import annotations

from typing import Any

from .mcp import McpExtension
from .ops.api_docs import render
from .ops.openapi import ProtocolWire, build_spec


def spec(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document, as `GET /openapi.json` serves it (without a server unless given)."""
    return build_spec(ProtocolWire(**McpExtension.openapi_wire()), server_url)


if __name__ == "__main__":
    print(render(spec()), end="")
