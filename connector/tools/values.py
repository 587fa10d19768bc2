"""Friendly values → Attio's write shapes, driven by the object's (or list's) attribute schema.

A model writes `{"email_addresses": "ana@acme.com", "company": "Acme", "stage": "in progress",
"foundation_date": "2026-12-01"}`; `to_attio_values` checks every slug against the schema and turns
each value into what Attio accepts (attio-api.md §4.2), or raises a ToolError that lists the valid
slugs or options. Schemas, options and members are cached per tenant like the other workspace facts.
"""
from __future__ import annotations

import hashlib
import math
import re
from datetime import date, datetime, timezone
from typing import Any

from ..mcp.context import ToolContext
from ..mcp.registry import ToolError
from . import workspace
from .attributes import attribute_map, option_id, option_items, reference_targets, writable_slugs
from .common import RECORD_ID, UUID

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_LOCATION_KEYS = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code",
                  "latitude", "longitude")
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}
_REF_CANDIDATES = 10


# -- conversion -----------------------------------------------------------------------------------

class _Conv:
    """The conversion of one attribute's values; `bad(reason)` builds its ToolError."""

    def __init__(self, ctx: ToolContext, target: str, kind: str, attr: dict[str, Any]) -> None:
        self.ctx, self.target, self.kind, self.attr = ctx, target, kind, attr
        self.slug, self.type = attr["api_slug"], attr.get("type", "")

    def bad(self, reason: str) -> ToolError:
        return ToolError(f'Invalid value for "{self.slug}" ({self.type}): {reason}')

    def item(self, x: Any) -> Any:
        handler = getattr(self, "_" + self.type.replace("-", "_"), None)
        return handler(x) if handler else x

    def _text(self, x: Any) -> Any:
        if isinstance(x, dict) and "value" in x:
            return x
        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            raise self.bad(f"expected text, got {_show(x)}.")
        return str(x)

    def _num(self, x: Any) -> float | int:
        x = x.get("value") if isinstance(x, dict) and "value" in x else x
        if isinstance(x, str):
            try:
                x = float(x.replace(",", "")) if any(c in x for c in ".eE") else int(x.replace(",", ""))
            except ValueError:
                raise self.bad(f"expected a number, got {_show(x)}.") from None
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise self.bad(f"expected a number, got {_show(x)}.")
        return x

    def _number(self, x: Any) -> Any:
        return self._num(x)

    def _rating(self, x: Any) -> Any:
        n = self._num(x)
        if n != int(n) or not 0 <= n <= 5:
            raise self.bad(f"a rating is a whole number from 0 to 5, got {_show(x)}.")
        return int(n)

    def _checkbox(self, x: Any) -> Any:
        x = x.get("value") if isinstance(x, dict) and "value" in x else x
        if isinstance(x, str) and x.strip().lower() in _TRUE | _FALSE:
            return x.strip().lower() in _TRUE
        if not isinstance(x, bool):
            raise self.bad(f"expected true or false, got {_show(x)}.")
        return x

    def _currency(self, x: Any) -> Any:
        if not isinstance(x, dict):
            return self._num(x)
        amount = x.get("amount", x.get("currency_value", x.get("value")))
        code = x.get("currency", x.get("currency_code"))
        out: dict[str, Any] = {"currency_value": self._num(amount)}
        if code is not None:
            if not isinstance(code, str) or not _CURRENCY.match(code):
                raise self.bad(f'the currency must be an ISO 4217 code such as "USD", got {_show(code)}.')
            out["currency_code"] = code.upper()
        return out

    def _date(self, x: Any) -> Any:
        x = x.get("value") if isinstance(x, dict) and "value" in x else x
        text = x.strip() if isinstance(x, str) else ""
        try:
            if _DATE.match(text):
                return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
        raise self.bad(f'{_show(x)} is not a date; use YYYY-MM-DD, e.g. "2026-12-01".')

    def _timestamp(self, x: Any) -> Any:
        x = x.get("value") if isinstance(x, dict) and "value" in x else x
        try:
            dt = datetime.fromisoformat(x.strip()) if isinstance(x, str) else None
        except ValueError:
            dt = None
        if dt is None:
            raise self.bad(f'{_show(x)} is not an ISO 8601 timestamp; use e.g. "2026-12-01T15:00:00Z".')
        dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"

    def _personal_name(self, x: Any) -> Any:
        if isinstance(x, dict):
            first, last = str(x.get("first_name") or "").strip(), str(x.get("last_name") or "").strip()
            full = str(x.get("full_name") or "").strip() or f"{first} {last}".strip()
        elif isinstance(x, str) and x.strip():
            text = " ".join(x.split())
            if "," in text:
                last, _, first = (p.strip() for p in text.partition(","))
            else:
                first, _, last = text.partition(" ")
            full = f"{first} {last}".strip()
        else:
            raise self.bad(f'expected a name such as "Ada Lovelace", got {_show(x)}.')
        if not full:
            raise self.bad("the name is empty.")
        return {"first_name": first, "last_name": last, "full_name": full}

    def _email_address(self, x: Any) -> Any:
        x = x.get("email_address", x.get("original_email_address")) if isinstance(x, dict) else x
        if not isinstance(x, str) or not _EMAIL.match(x.strip()):
            raise self.bad(f'{_show(x)} is not an email address; use e.g. "ana@acme.com".')
        return {"email_address": x.strip()}

    def _domain(self, x: Any) -> Any:
        x = x.get("domain") if isinstance(x, dict) else x
        d = x.strip().lower() if isinstance(x, str) else ""
        d = re.sub(r"^[a-z][a-z0-9+.-]*://", "", d).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
        d = d[4:] if d.startswith("www.") and d.count(".") > 1 else d
        if not _DOMAIN.match(d):
            raise self.bad(f'{_show(x)} is not a domain; use e.g. "acme.com".')
        return {"domain": d}

    def _phone_number(self, x: Any) -> Any:
        if isinstance(x, dict) and isinstance(x.get("original_phone_number"), str):
            return x
        if not isinstance(x, str) or len(re.sub(r"\D", "", x)) < 5:
            raise self.bad(f'expected a phone number with its country prefix, e.g. "+1 512 555 0134", got {_show(x)}.')
        return {"original_phone_number": x.strip()}

    def _location(self, x: Any) -> Any:
        if isinstance(x, str) and x.strip():
            return x.strip()
        if not isinstance(x, dict) or set(x) - set(_LOCATION_KEYS):
            raise self.bad(f'expected an address string or an object with {", ".join(_LOCATION_KEYS)}.')
        return {k: x.get(k) for k in _LOCATION_KEYS}

    def _option(self, x: Any) -> Any:
        x = x.get("title", x.get("option", x.get("status"))) if isinstance(x, dict) else x
        items = option_items(self.ctx, self.target, self.attr, self.kind)
        titles = [o["title"] for o in items]
        if isinstance(x, str):
            wanted = x.strip().casefold()
            for o in items:  # a title (any case), or an option or status id as Attio also accepts
                if wanted in (o["title"].casefold(), option_id(o)):
                    return o["title"]
        # Never let Attio (or a default) decide what an unmatched value becomes: name the valid ones.
        word, words = ("status", "statuses") if self.type == "status" else ("option", "options")
        raise self.bad(f'{_show(x)} is not a valid {word}. Valid {words}: {", ".join(titles) or "none"}.')

    _select = _status = _option

    def _actor_reference(self, x: Any) -> Any:
        if isinstance(x, dict) and ("referenced_actor_id" in x or "workspace_member_email_address" in x):
            return x
        members = workspace.members(self.ctx)
        text = x.strip().casefold() if isinstance(x, str) else None
        found = [m for m in members if text and text in (m["email"].casefold(), m["name"].casefold(), m["id"])]
        if not found and text:
            found = [m for m in members if m["name"].casefold().split(" ")[:1] == [text]]
        if len(found) != 1:
            shown = ", ".join(f'{m["name"]} <{m["email"]}>' for m in members)
            raise self.bad(f"{_show(x)} is not a workspace member (give an email or full name). Members: {shown}.")
        return {"referenced_actor_type": "workspace-member", "referenced_actor_id": found[0]["id"]}

    def _record_reference(self, x: Any) -> Any:
        targets = reference_targets(self.ctx, self.attr)
        if isinstance(x, dict) and isinstance(x.get("target_object"), str):
            return x
        if not isinstance(x, str) or not x.strip():
            raise self.bad(f'expected a record id "<object>:<record id>" or a name, got {_show(x)}.')
        text = x.strip()
        m = RECORD_ID.match(text)
        if m:
            if m.group("object") not in targets:
                raise self.bad(f'{text} is a {m.group("object")} record, but this attribute takes records of '
                               f'{", ".join(targets)}.')
            return {"target_object": m.group("object"), "target_record_id": m.group("record").lower()}
        if UUID.match(text) and len(targets) == 1:
            return {"target_object": targets[0], "target_record_id": text.lower()}
        return self._find_record(text, targets)

    def _find_record(self, text: str, targets: list[str]) -> dict[str, Any]:
        """One records search over the allowed objects; an exact name/domain/email match wins."""
        hits = [h for h in self.ctx.attio.search_records(text, targets, limit=_REF_CANDIDATES)
                if h.get("object_slug") and (h.get("id") or {}).get("record_id")]
        wanted = text.casefold()
        exact = [h for h in hits if wanted == (h.get("record_text") or "").strip().casefold()
                 or wanted in [str(v).casefold() for k in ("domains", "email_addresses") for v in h.get(k) or []]]
        chosen = exact if exact else hits
        if len(chosen) == 1:
            return {"target_object": chosen[0]["object_slug"], "target_record_id": chosen[0]["id"]["record_id"]}
        where = ", ".join(targets)
        if not chosen:
            raise self.bad(f'no {where} record matches "{text}". Find it with search_records and pass its id '
                           'as "<object>:<record id>".')
        shown = "; ".join(f'{(h.get("record_text") or "").strip() or "untitled"} '
                          f'({h["object_slug"]}:{h["id"]["record_id"]})' for h in chosen[:_REF_CANDIDATES])
        picked = self._ask_which(text, chosen[:_REF_CANDIDATES])
        if picked is not None:
            return picked
        raise self.bad(f'"{text}" is ambiguous: it matches {len(chosen)} {where} records: {shown}. '
                       'Pass the one you mean as "<object>:<record id>".')

    def _ask_which(self, text: str, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The record the user picks among `candidates` (a 2026-07-28 input_required round trip), or None when the
        client cannot be asked; a decline ends the call with nothing changed."""
        ctx = self.ctx
        if not (ctx.stateless and ctx.client_supports("elicitation")):
            return None
        ids = [f'{h["object_slug"]}:{h["id"]["record_id"]}' for h in candidates]
        titles = [f'{(h.get("record_text") or "").strip() or "untitled"} ({h["object_slug"]})' for h in candidates]
        key = "choose_" + hashlib.sha256(f"{self.slug}\0{text}".encode()).hexdigest()[:12]
        answer = ctx.ask({key: {"method": "elicitation/create", "params": {
            "mode": "form", "message": f'"{text}" matches {len(ids)} records for {self.slug}. Which one do you mean?',
            "requestedSchema": {"type": "object", "properties": {"record": {
                "type": "string", "title": "Record", "oneOf": [{"const": i, "title": t} for i, t in zip(ids, titles)]}},
                "required": ["record"]}}}})[key]
        chosen = (answer.get("content") or {}).get("record") if answer.get("action") == "accept" else None
        if chosen not in ids:
            raise ToolError(f'Nothing was changed: no record was chosen for "{text}" ({self.slug}).')
        obj, rid = chosen.split(":", 1)
        return {"target_object": obj, "target_record_id": rid}

    def _interaction(self, x: Any) -> Any:
        raise self.bad("interaction attributes are set by Attio and cannot be written.")


def _show(x: Any) -> str:
    text = f'"{x}"' if isinstance(x, str) else repr(x)
    return text if len(text) <= 80 else text[:79] + "…"


def to_attio_values(ctx: ToolContext, target: str, values: dict[str, Any], *, kind: str = "objects") -> dict[str, Any]:
    """Convert friendly values for an object's records (or a list's entries) into Attio's write shapes.

    Raises ToolError for an unknown or read-only slug (listing the writable ones) and for a bad value
    (listing the valid options, members or candidate records where that helps).
    """
    attrs = attribute_map(ctx, target, kind)
    writable = writable_slugs(attrs)
    where = f'{"list" if kind == "lists" else "object"} "{target}"'
    out: dict[str, Any] = {}
    for slug, raw in values.items():
        attr = attrs.get(slug)
        if attr is None:
            raise ToolError(f'Unknown attribute "{slug}" for {where}. Valid writable attribute slugs: '
                            f'{", ".join(writable)}.')
        if slug not in writable:
            raise ToolError(f'Attribute "{slug}" of {where} is read-only (Attio sets it); leave it out. '
                            f'Valid writable attribute slugs: {", ".join(writable)}.')
        conv = _Conv(ctx, target, kind, attr)
        if raw is None or raw == []:
            out[slug] = []  # clears the attribute
            continue
        items = raw if isinstance(raw, list) else [raw]
        if len(items) > 1 and not attr.get("is_multiselect"):
            raise conv.bad("this attribute holds a single value; pass one value, not a list.")
        converted = [conv.item(x) for x in items]
        out[slug] = converted if attr.get("is_multiselect") else converted[0]
    return out
