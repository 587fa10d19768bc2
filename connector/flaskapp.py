"""The Flask application class: Flask as it is, with `ensure_sync` answered from memory. Flask asks it for every
before/after-request hook and view on every request, and each answer is an `inspect` walk; the functions are the
same ones each time (bound methods compare equal), so the answer is kept per function."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask


class ConnectorFlask(Flask):
    """Flask with a memo in front of `ensure_sync` (async views and hooks still work: they are wrapped once)."""

    _MEMO_MAX = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer for `func`, computed once."""
        try:
            return self._synced[func]
        except (KeyError, TypeError):  # TypeError: an unhashable callable, asked every time as Flask does
            synced = super().ensure_sync(func)
        try:
            if len(self._synced) < self._MEMO_MAX:
                self._synced[func] = synced
        except TypeError:
            pass
        return synced
