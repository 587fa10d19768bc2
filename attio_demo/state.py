"""What one demo app holds: the workspaces each token opens, the scopes each token carries, OAuth state."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from .oauth import OAuthStore, introspection
from .store import Workspace
from .tokens import ALL_SCOPES


class DemoState:
    """Workspaces by token (rebuilt from their seeds on `reset`), scopes by token and the OAuth store."""

    def __init__(self, factories: Mapping[str, Callable[[], Workspace]], scopes: Mapping[str, str]) -> None:
        self.factories, self.scopes = dict(factories), dict(scopes)
        self.oauth = OAuthStore()
        self.reset()

    def reset(self) -> None:
        """Rebuild every workspace from its seed; forget OAuth codes, tokens and runtime redirect URIs."""
        built: dict[int, Workspace] = {}
        for f in self.factories.values():
            built.setdefault(id(f), f())
        self.tokens = {t: built[id(f)] for t, f in self.factories.items()}
        self.oauth.clear()

    def scope_of(self, token: str) -> str:
        """The space-separated scopes a known token carries."""
        return self.scopes.get(token, ALL_SCOPES)

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
        return introspection(ws, token, self.scope_of(token), self.oauth.active_grant(token))
