"""What the activity families (notes, tasks, comments, meetings) share: timestamps, who did something, member
look-up by email or name, and CRM text indented so that it cannot pose as part of the rendering."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone
from typing import Any

from ..mcp.context import ToolContext
from ..mcp.registry import ToolError
from . import workspace

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEADLINE_HOUR = 17  # a bare date means 17:00 UTC that day


def when(ts: Any) -> str:
    """An Attio timestamp as '2026-12-01 17:00 UTC' ('' for none)."""
    text = str(ts or "").strip()
    try:
        return datetime.fromisoformat(text[:19]).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def attio_timestamp(at: datetime) -> str:
    """A date-time in Attio's format: UTC, nine fractional digits, Z."""
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{at.microsecond:06d}000Z"


def parse_instant(text: str, hour: int = 0) -> datetime:
    """A date ('2026-12-01': `hour` o'clock UTC that day) or an ISO 8601 date-time (no offset means UTC) as an
    aware datetime; ValueError otherwise."""
    text = text.strip()
    if DATE_ONLY.match(text):
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc)
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def time_arg(raw: str | None, name: str) -> str | None:
    """A time argument (a date means midnight UTC) in Attio's form, or a ToolError showing the accepted forms."""
    if raw is None:
        return None
    try:
        return attio_timestamp(parse_instant(raw))
    except ValueError:
        raise ToolError(f"Invalid {name} {raw!r}: use a date such as \"2026-12-01\" or an ISO 8601 date-time such "
                        "as \"2026-12-01T09:30:00Z\".") from None


def parse_deadline(raw: str | None) -> str | None:
    """'2026-12-01' → 17:00 UTC that day; an ISO date-time → UTC (no offset means UTC); None stays None."""
    if raw is None:
        return None
    try:
        return attio_timestamp(parse_instant(raw, DEADLINE_HOUR))
    except ValueError:
        raise ToolError(f"Invalid deadline {raw!r}: use a date such as \"2026-12-01\" (meaning 17:00 UTC that "
                        "day) or an ISO 8601 date-time such as \"2026-12-01T09:30:00Z\" or "
                        "\"2026-12-01T09:30:00+02:00\".") from None


def actor_name(ctx: ToolContext, actor: dict[str, Any] | None) -> str:
    """Who did something: a member's name, else what kind of actor it was."""
    kind, ident = (actor or {}).get("type"), (actor or {}).get("id")
    if kind == "workspace-member":
        return workspace.member_names(ctx).get(ident or "") or f"workspace member {ident}"
    return {"api-token": "an API token", "system": "Attio (system)", "app": "an app"}.get(kind or "", "unknown")


def indent(text: str, prefix: str = "    ") -> str:
    """CRM text indented so that its lines cannot pose as fields of the rendering."""
    return prefix + (text or "").strip().replace("\n", "\n" + prefix)


def one_line(text: str) -> str:
    """CRM text on one line (a title), so that it cannot pose as more of the rendering."""
    return " ".join((text or "").split())


def _fold(text: str) -> str:
    """Case- and accent-insensitive form ("Tomás" == "tomas")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def member_label(m: dict[str, Any]) -> str:
    """'Maya Chen <maya.chen@example.com>'."""
    return f"{m['name']} <{m['email']}>" if m["name"] else m["email"] or m["id"]


def resolve_member(ctx: ToolContext, who: str, what: str = "member") -> dict[str, Any]:
    """The one member an email, full name, first or last name, or member id names; else a ToolError."""
    everyone, key = workspace.members(ctx), _fold(who.strip())
    if not key:
        raise ToolError(f"The {what} is empty: pass a workspace member's email address or name.")
    exact = [m for m in everyone if key in (m["id"].lower(), _fold(m["email"]), _fold(m["name"]))]
    found = exact or [m for m in everyone if key in (_fold(p) for p in m["name"].split())]
    if len(found) == 1:
        return found[0]
    known = "; ".join(member_label(m) for m in (found or everyone)) or "none"
    if found:
        raise ToolError(f"The {what} {who!r} matches several workspace members: {known}. Pass an email address.")
    raise ToolError(f"No workspace member matches {what} {who!r}. The workspace members are: {known}. "
                    "Pass one of these email addresses or names.")
