"""OpenTelemetry traces (being built: issue 9)."""
from __future__ import annotations

from flask import Flask


def init_tracing(app: Flask) -> None:
    """Bind to `app` (nothing yet)."""
