"""What one demo app holds: the workspaces each token opens, each token's scopes and level, the OAuth
store, the rate limiter and the timing switches (`DemoSettings`)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from .oauth import OAuthStore, introspection
from .ratelimit import ATTIO_LIMITS, RateLimiter
from .store import Workspace
from .tokens import ALL_SCOPES, WORKSPACE_LEVEL


@dataclass(frozen=True)
class DemoSettings:
    """Switches Attio has no API for: its rate limits and how long its asynchronous work takes."""

    rate_limits: Mapping[str, int | None] = field(default_factory=lambda: dict(ATTIO_LIMITS))
    merge_delay_seconds: float = 0.0  # > 0: a merge answers 202 and the new record 404s meanwhile
    recording_processing_seconds: float = 1.0  # a created call recording stays "processing" this long
    auto_link_delay_seconds: float = 1.0  # participants' companies are linked to a new meeting after this
    sql_timeout_seconds: float = 30.0  # Attio's SQL execution timeout
    file_url_seconds: float = 300.0  # how long a signed download URL works

    def updated(self, **changes: Any) -> "DemoSettings":
        """A copy with some switches changed."""
        return replace(self, **changes)


class DemoState:
    """Workspaces by token (rebuilt from their seeds on `reset`), scopes and levels by token, OAuth, limits."""

    def __init__(self, factories: Mapping[str, Callable[[], Workspace]], scopes: Mapping[str, str],
                 levels: Mapping[str, tuple[str, str]] | None = None, settings: DemoSettings | None = None) -> None:
        self.factories, self.scopes = dict(factories), dict(scopes)
        self.levels = dict(levels or {})  # token → (level, member email) for member-level tokens
        self.initial_settings = settings or DemoSettings()
        self.oauth = OAuthStore()
        self.reset()

    def reset(self) -> None:
        """Rebuild every workspace from its seed; forget OAuth state; restore the starting settings."""
        built: dict[int, Workspace] = {}
        for f in self.factories.values():
            built.setdefault(id(f), f())
        self.tokens = {t: built[id(f)] for t, f in self.factories.items()}
        self.oauth.clear()
        self.configure(self.initial_settings)

    def configure(self, settings: DemoSettings) -> None:
        """Apply new settings (a fresh rate limiter with them)."""
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limits)

    def scope_of(self, token: str) -> str:
        """The space-separated scopes a known token carries."""
        return self.scopes.get(token, ALL_SCOPES)

    def level_of(self, token: str) -> str:
        """ "workspace" or "user" (a member-level token)."""
        return self.levels[token][0] if token in self.levels else WORKSPACE_LEVEL

    def workspaces(self) -> dict[str, Workspace]:
        """The workspaces by slug, in token order ("Demo Sales Co", then "Northwind Traders")."""
        out: dict[str, Workspace] = {}
        for ws in list(self.tokens.values()):
            out.setdefault(ws.slug, ws)
        return out

    def describe_token(self, token: str | None) -> dict[str, Any]:
        """The introspection object of any token the demo knows (API key or OAuth), else inactive."""
        ws = self.tokens.get(token) if token else None
        if ws is None or token is None:
            return {"active": False}
        member = ws.member(self.levels[token][1]) if token in self.levels else None
        return introspection(ws, token, self.scope_of(token), self.oauth.active_grant(token), self.level_of(token),
                             member["id"]["workspace_member_id"] if member else None)
