"""Flask's cookie session is unused here (the consent flow keeps its own cookie); skip its per-request cost."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SessionInterface


class NoSessions(SessionInterface):
    """Every request gets the null session; nothing is ever signed or set."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None
