"""Attio's read-only SQL API (2026 reference §8), mixed into `AttioClient`.

Enterprise plan only (elsewhere `AttioFeatureUnavailable`), 2 calls a second, a 30-second execution limit on
Attio's side, so the call waits that long (plus a margin) even when the client's usual timeout is shorter.
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import AttioError

SQL_TIMEOUT = 35.0  # Attio stops a query after 30 s; its answer needs a moment to arrive


class SqlEndpoints:
    """`run_sql`: one HTTP call."""

    request: Callable[..., Any]

    def run_sql(self, sql: str) -> list[dict[str, Any]]:
        """Run one read-only SELECT; the rows as objects keyed by column name (Attio sends no column list)."""
        data = self.request("POST", "/v2/sql", json={"sql": sql}, timeout=SQL_TIMEOUT)
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise AttioError("Attio's SQL answer has no rows.", status=200, code="invalid_response")
        return rows
