"""Attio's published rate limits and the grammar of ATTIO_RATE_LIMITS (2026 reference §0, §11).

Kept apart from budget.py and free of imports: the settings are parsed in gunicorn's master before gevent patches
the standard library, and nothing there may import `ssl` (requests, redis) yet.
"""
from __future__ import annotations

# Calls a second per credential; None: not limited.
ATTIO_LIMITS: dict[str, int | None] = {"read": 100, "write": 25, "recording_create": 1, "file_upload": 1,
                                       "sql": 2, "merge": 5, "note_listing": 10}
LABELS = {"read": "reads (100 a second)", "write": "writes (25 a second)",
          "recording_create": "creating call recordings (1 a second)", "file_upload": "file uploads (1 a second)",
          "sql": "SQL queries (2 a second)", "merge": "record merges (5 a second)",
          "note_listing": "listing notes (10 a second)"}


def parse_limits(raw: str) -> dict[str, int | None]:
    """ATTIO_RATE_LIMITS: "attio" (Attio's published limits), "off", or changes to them such as
    "read=50,sql=1,note_listing=off"."""
    text = raw.strip().lower()
    if text in ("", "attio"):
        return dict(ATTIO_LIMITS)
    if text == "off":
        return dict.fromkeys(ATTIO_LIMITS)
    out = dict(ATTIO_LIMITS)
    for part in text.split(","):
        name, sep, value = (p.strip() for p in part.partition("="))
        if not sep or name not in ATTIO_LIMITS:
            raise ValueError(f'must be "attio", "off" or name=calls-per-second pairs separated by commas; the names '
                             f"are {', '.join(ATTIO_LIMITS)}")
        if value == "off":
            out[name] = None
        elif value.isdigit() and 1 <= int(value) <= 10_000:
            out[name] = int(value)
        else:
            raise ValueError(f"{name} must be a whole number of calls a second from 1 to 10000, or off")
    return out
