"""Sentry error reports (being built: issue 9)."""
from __future__ import annotations

from flask import Flask


def init_error_tracking(app: Flask) -> None:
    """Bind to `app` (nothing yet)."""
