"""The protocol revisions this server speaks, and how a request says which era it belongs to.

Legacy revisions (2025-11-25 and earlier) open a session with `initialize`; the modern revision
(2026-07-28) is stateless: every request names its version in `_meta` and in the
`MCP-Protocol-Version` header (spec: basic/versioning.mdx, "Backward Compatibility").
"""
from __future__ import annotations

from typing import Any

MODERN_VERSIONS = ("2026-07-28",)
STREAMABLE_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26")
LEGACY_VERSIONS = ("2024-11-05",)
HANDSHAKE_VERSIONS = STREAMABLE_VERSIONS + LEGACY_VERSIONS
SUPPORTED_VERSIONS = MODERN_VERSIONS + HANDSHAKE_VERSIONS
LATEST = MODERN_VERSIONS[0]
LATEST_HANDSHAKE = STREAMABLE_VERSIONS[0]

VERSION_KEY = "io.modelcontextprotocol/protocolVersion"


def is_modern(header_version: str | None, body: Any) -> bool:
    """True when a POST to /mcp is a stateless (2026-07-28 era) request.

    A body whose params carry `_meta["io.modelcontextprotocol/protocolVersion"]` is modern (whatever the header
    says: a disagreement is then a HeaderMismatch, not a silent fall back to a session). Otherwise the header
    decides: a handshake-era version, or none (2025-03-26 clients may omit it), means legacy; any other value
    (a modern version, or one we do not know, which then gets UnsupportedProtocolVersion) means modern.
    """
    if isinstance(body, dict) and body.get("method") != "initialize":
        params = body.get("params")
        meta = params.get("_meta") if isinstance(params, dict) else None
        if isinstance(meta, dict) and VERSION_KEY in meta:
            return True
    return bool(header_version) and header_version.strip() not in HANDSHAKE_VERSIONS
