"""What a record write touched: the record and every record on the other side of its references.

A write drops their cached reads (so the next read sees it) and tells the clients listening for updates of
those records' resources (subscriptions/listen).
"""
from __future__ import annotations

from typing import Any

from ...mcp.context import ToolContext
from ..common import forget_record
from .view import RECORD_URI


def references(record: dict[str, Any] | None) -> set[tuple[str, str]]:
    """Every (object, record id) a record points to through record-reference values."""
    out: set[tuple[str, str]] = set()
    for items in ((record or {}).get("values") or {}).values():
        for v in items or ():
            if isinstance(v, dict) and v.get("attribute_type") == "record-reference" and v.get("target_record_id"):
                out.add((v.get("target_object") or "", v["target_record_id"]))
    return out


def written_references(values: dict[str, Any]) -> set[tuple[str, str]]:
    """The (object, record id) pairs named by converted write values (their reverse sides change too)."""
    out: set[tuple[str, str]] = set()
    for raw in values.values():
        for v in raw if isinstance(raw, list) else [raw]:
            if isinstance(v, dict) and v.get("target_object") and v.get("target_record_id"):
                out.add((v["target_object"], v["target_record_id"]))
    return out


def forget_touched(ctx: ToolContext, obj: str, rid: str, *records: dict[str, Any] | None,
                   extra: set[tuple[str, str]] = frozenset()) -> None:
    """Drop cached reads of a written record and of every record on the other side of its references, and
    announce each one's resource as updated."""
    touched = {(obj, rid)} | set(extra)
    for record in records:
        touched |= references(record)
    for o, r in sorted(touched):
        if o and r:
            forget_record(ctx, o, r)
            ctx.changed("resourceUpdated", RECORD_URI.format(object=o, record_id=r))
