"""Who is calling: the small object auth hands to the protocol and tool layers (design.md: auth sits in front
of the transports). Neutral: it imports no layer, so auth, ops and the MCP layer can all name it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Caller:
    """Who is calling: subject, scopes and the credential their tool calls use.

    `on_upstream_unauthorized` is set by the auth layer when the credential is the caller's own
    (attio_oauth): the Attio client calls it when Attio answers 401, so the grant is revoked and the
    client's next request gets our 401 challenge. The Attio layer never imports auth (dependency inversion).
    """

    subject: str = "anonymous"
    scopes: frozenset[str] = frozenset({"attio:read", "attio:write"})
    credential: Any = None
    client_id: str | None = None
    on_upstream_unauthorized: Callable[[], None] | None = None

    def has_scope(self, scope: str) -> bool:
        """True when the caller's token carries `scope`."""
        return scope in self.scopes
