"""Meetings: list (by linked record, participant, time window), get, create (not twice), link and unlink records.

`view` owns a meeting's shape and text, `times` a new meeting's start and end; `read` and `write` hold the
tools. Call recordings of a meeting are in
`tools/recordings.py`.
"""
from __future__ import annotations

from ...mcp.registry import Registry


def register(registry: Registry) -> None:
    """Add the meeting tools: reads, then writes."""
    from . import read, write

    read.register(registry)
    write.register(registry)
