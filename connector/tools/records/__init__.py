"""The records family: search, query, get, create, upsert, update, delete, merge and related records.

`view` owns how a record is read and shown (shared with search, resources, notes, tasks, comments, lists and
meetings); `read`, `write` and `merge` hold the tools; `filters` checks Attio's filter grammar; `touched` keeps
the cache and the listeners in step with writes.
"""
from __future__ import annotations

from ...mcp.registry import Registry


def register(registry: Registry) -> None:
    """Add the record tools: reads first, then writes."""
    from . import merge, read, write

    read.register(registry)
    write.register(registry)
    merge.register(registry)
    registry.announces.add("resourceUpdated")  # touched.forget_touched announces every record a write changed
