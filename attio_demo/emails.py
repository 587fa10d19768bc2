"""Email metadata (attio-api-2026.md §5): `GET /v2/emails`, an alpha Attio enables per workspace.

Only metadata: no content, no single-email endpoint. At least one of linked records, participants or a domain
is required, and they are OR-combined; filters that name the workspace itself (its members' addresses and
domains) are ignored. Newest first. Paging runs over the time window before the other filters, so a page can
be short, or empty, while `next_cursor` is not null — as Attio warns. `linked_records` (people and companies
matching the participants) are derived at request time.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import AttioError, invalid
from .pagination import page_body, page_window
from .store import Workspace
from .values import coerce_timestamp

MAX_FILTER_ITEMS = 10
# Not published by Attio (reference §15): a 403 that says what to ask for.
NOT_ENABLED = ("Email access is not enabled for this workspace. The emails API is in alpha: a workspace admin "
               "can request access from support@attio.com.")
NEED_A_FILTER = "At least one of linked_object with linked_record_ids, participants or domain is required."
_AUTOMATED = re.compile(r"^(?:no-?reply|do-?not-?reply|notifications?|notify|alerts?|mailer-daemon|bounces?|"
                        r"calendar|notetaker|[a-z0-9.+-]*(?:-bot|bot))$")


def not_enabled() -> AttioError:
    """Attio's answer in a workspace without the emails alpha."""
    return AttioError(403, "unauthorized", NOT_ENABLED)


def _list(raw: str | None, name: str) -> list[str]:
    items = [x.strip() for x in (raw or "").split(",") if x.strip()]
    if len(items) > MAX_FILTER_ITEMS:
        raise invalid(f'Query parameter "{name}" takes at most {MAX_FILTER_ITEMS} comma-separated values.')
    return items


def _targets(ws: Workspace, args: Any, own: set[str]) -> tuple[set[str], set[str], bool]:
    """(addresses, domains) an email must touch, and whether any filter was given at all."""
    obj_key, ids = args.get("linked_object"), _list(args.get("linked_record_ids"), "linked_record_ids")
    if bool(obj_key) != bool(ids):
        raise invalid('"linked_object" and "linked_record_ids" must be given together.')
    addresses = {a.lower() for a in _list(args.get("participants"), "participants")}
    domain = (args.get("domain") or "").strip().lower()
    domains = {domain} if domain else set()
    given = bool(ids or addresses or domains)
    if obj_key:
        obj = ws.object_def(obj_key)
        if obj.api_slug not in ("people", "companies"):
            raise invalid('"linked_object" must be people or companies.')
        for rid in ids:
            rec = obj.records.get(rid)
            if rec is None:
                continue
            if obj.api_slug == "people":
                addresses |= {e["email_address"] for e in rec["values"]["email_addresses"]}
            else:
                domains |= {d["domain"] for d in rec["values"]["domains"]}
    addresses = {a for a in addresses if a.rsplit("@", 1)[-1] not in own}
    return addresses, domains - own, given


def _automated(address: str) -> bool:
    return bool(_AUTOMATED.match(address.split("@", 1)[0]))


def linked_records(ws: Workspace, email: dict[str, Any], own: set[str]) -> list[dict[str, str]]:
    """People and companies matching the participants' addresses and domains (the workspace's own left out)."""
    people, companies = ws.objects["people"], ws.objects["companies"]
    out = []
    outside = [p for p in email["participants"] if p["email_domain"] not in own]
    for rec in list(people.records.values()):
        mine = {e["email_address"] for e in rec["values"]["email_addresses"]}
        if any(p["email_address"] in mine for p in outside):
            out.append({"object_slug": "people", "object_id": people.id, "record_id": rec["id"]["record_id"]})
    for rec in list(companies.records.values()):
        mine = {d["domain"] for d in rec["values"]["domains"]}
        if any(p["email_domain"] in mine for p in outside):
            out.append({"object_slug": "companies", "object_id": companies.id,
                        "record_id": rec["id"]["record_id"]})
    return out


def list_emails(ws: Workspace, args: Any) -> dict[str, Any]:
    """GET /v2/emails: one cursor page (limit 1–50, default 25)."""
    if not ws.emails_enabled:
        raise not_enabled()
    offset, limit = page_window(25, 50)
    own = ws.own_domains()  # filters naming the workspace itself are ignored
    addresses, domains, given = _targets(ws, args, own)
    if not given:
        raise invalid(NEED_A_FILTER)
    if not addresses and not domains:  # every filter named the workspace itself: ignored
        return page_body([], None)
    after, before = (coerce_timestamp(args[k], k) if args.get(k) else None for k in ("sent_after", "sent_before"))
    automated = (args.get("exclude_automated_participants") or "false").lower()
    if automated not in ("true", "false"):
        raise invalid('Query parameter "exclude_automated_participants" must be true or false.')
    window = [e for e in ws.emails if (not after or e["sent_at"] > after) and (not before or e["sent_at"] < before)]
    window.sort(key=lambda e: (e["sent_at"], e["id"]["email_id"]), reverse=True)
    end = offset + limit
    page = []
    for e in window[offset:end]:
        touched = any(p["email_address"] in addresses or p["email_domain"] in domains for p in e["participants"])
        if not touched:
            continue
        if automated == "true" and not any(p["email_domain"] not in own and not _automated(p["email_address"])
                                           for p in e["participants"]):
            continue
        page.append({**e, "linked_records": linked_records(ws, e, own)})
    return page_body(page, end if end < len(window) else None)
