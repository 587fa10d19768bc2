"""A new meeting's start and end: dates (all day, end exclusive) or date-times in a time zone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...mcp.registry import ToolError
from ..activity import DATE_ONLY

DEFAULT_MINUTES = 30  # a timed meeting given without an end


def moment(raw: str, tz: str | None, name: str) -> tuple[dict[str, Any], datetime, bool]:
    """(Attio's start/end object, the instant, all-day?) for a date or date-time argument."""
    text = raw.strip()
    try:
        if DATE_ONLY.match(text):
            d = date.fromisoformat(text)
            return {"date": d.isoformat()}, datetime(d.year, d.month, d.day, tzinfo=timezone.utc), True
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ToolError(f"Invalid {name} {raw!r}: use a date such as \"2026-12-01\" (all day) or an ISO 8601 "
                        "date-time such as \"2026-12-01T09:30:00+01:00\".") from None
    zone = ZoneInfo(tz) if tz else timezone.utc
    local = at if at.tzinfo else at.replace(tzinfo=zone)
    value = {"datetime": local.isoformat()}
    if tz:
        value["timezone"] = tz
    return value, local.astimezone(timezone.utc), False


def start_and_end(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], datetime, bool]:
    """Attio's start and end, the start instant, and whether the meeting is all-day."""
    tz = args["timezone"]
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(f"Unknown timezone {tz!r}: use an IANA name such as \"Europe/Berlin\" or "
                            "\"America/New_York\".") from None
    start, at, all_day = moment(args["start"], tz, "start")
    if args["end"] is None:
        step = timedelta(days=1) if all_day else timedelta(minutes=DEFAULT_MINUTES)
        end_raw = ((at + step).date().isoformat() if all_day else (datetime.fromisoformat(start["datetime"])
                                                                   + step).isoformat())
    else:
        end_raw = args["end"]
    end, until, end_all_day = moment(end_raw, tz, "end")
    if all_day != end_all_day:
        raise ToolError("start and end must both be dates (an all-day meeting) or both date-times.")
    if until <= at:
        raise ToolError(f"end ({end_raw}) must come after start ({args['start']}); an all-day meeting's end is the "
                        "day after its last day.")
    return start, end, at, all_day
