"""Attribute values: timestamps, write-format normalisation (attio-api.md §4.2), identities.

`normalize(ws, attr, raw)` turns whatever a client may send for one attribute into the
type-specific read fields of §4.1; `stamp` adds the common value fields.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from typing import Any

from .errors import AttioError, invalid

_FRACTION = re.compile(r"(\.\d{6})\d+")
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_TWO_LEVEL = {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "co.in",
              "com.br", "com.mx", "co.za", "com.sg"}
CALLING = {"1": "US", "44": "GB", "353": "IE", "49": "DE", "33": "FR", "31": "NL", "34": "ES", "39": "IT",
           "61": "AU", "91": "IN", "81": "JP", "65": "SG", "46": "SE", "47": "NO", "45": "DK", "41": "CH",
           "48": "PL", "55": "BR", "52": "MX", "27": "ZA", "971": "AE", "64": "NZ"}
_CC_TO_CALLING = {cc: code for code, cc in CALLING.items()} | {"CA": "1"}
_NAME_KEYS = ("first_name", "last_name", "full_name")
LOCATION_KEYS = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code",
                 "latitude", "longitude")


def fmt_ts(dt: datetime) -> str:
    """Attio's timestamp format: UTC, 9 fractional digits, `Z`."""
    dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}000Z"


def now_ts() -> str:
    """The current time in Attio's format."""
    return fmt_ts(datetime.now(timezone.utc))


def coerce_timestamp(x: Any, what: str = "timestamp") -> str:
    """Coerce ISO-ish input ("2023", "2023-05-01", offsets, 9 digits) to Attio's format."""
    if not isinstance(x, str) or not x.strip():
        raise invalid(f'Invalid {what} "{x}". Expected an ISO 8601 string.')
    s = x.strip()
    m = _PARTIAL.match(s)
    try:
        if m:
            dt = datetime(int(m[1]), int(m[2] or 1), int(m[3] or 1), tzinfo=timezone.utc)
        else:
            dt = datetime.fromisoformat(_FRACTION.sub(r"\1", s.replace("Z", "+00:00").replace("z", "+00:00")))
            dt = dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    except ValueError:
        raise invalid(f'Invalid {what} "{x}". Expected an ISO 8601 string.') from None
    return fmt_ts(dt)


def coerce_date(x: Any) -> str:
    """Coerce input to `YYYY-MM-DD`."""
    if isinstance(x, str) and len(x.strip()) == 10:
        try:
            return date.fromisoformat(x.strip()).isoformat()
        except ValueError:
            pass
    return coerce_timestamp(x, "date")[:10]


def root_domain(domain: str) -> str:
    """The registrable part of a domain (`eu.acme.co.uk` → `acme.co.uk`)."""
    labels = domain.split(".")
    n = 3 if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LEVEL else 2
    return ".".join(labels[-n:])


def clean_domain(raw: str) -> str:
    """Strip scheme, path, port and `www.` from a domain or URL, lower-cased."""
    d = raw.strip().lower()
    d = re.sub(r"^[a-z][a-z0-9+.-]*://", "", d).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return d[4:] if d.startswith("www.") and d.count(".") > 1 else d


def stamp(fields: dict[str, Any], attr_type: str, actor: dict[str, Any], at: str) -> dict[str, Any]:
    """A stored value: the common fields wrapped around the type-specific ones."""
    return {"active_from": at, "active_until": None, "created_by_actor": actor, **fields,
            "attribute_type": attr_type}


def identity(v: dict[str, Any]) -> Any:
    """What makes two values of one attribute "the same" (dedupe, uniqueness)."""
    t = v["attribute_type"]
    if t == "email-address":
        return v["email_address"]
    if t == "domain":
        return v["domain"]
    if t == "phone-number":
        return v["phone_number"]
    if t == "record-reference":
        return v["target_record_id"]
    if t == "actor-reference":
        return v["referenced_actor_id"]
    if t in ("select", "status"):
        return v["option" if t == "select" else "status"]["title"]
    if t == "personal-name":
        return v["full_name"]
    if t == "currency":
        return (v["currency_value"], v["currency_code"])
    return v.get("value")


def conflict_text(v: dict[str, Any]) -> str:
    """The `{"email_address":"x@y.com"}` part of Attio's uniqueness-conflict message."""
    key = {"email-address": "email_address", "domain": "domain", "phone-number": "phone_number"}.get(
        v["attribute_type"], "value")
    return json.dumps({key: identity(v)}, separators=(",", ":"), ensure_ascii=False)


def _bad(attr: Any, item: Any) -> AttioError:
    shown = json.dumps(item, ensure_ascii=False)[:200]
    return invalid(f'An invalid value was passed to attribute with slug "{attr.slug}": {shown}.')


def _unwrap(item: Any, *keys: str) -> Any:
    if isinstance(item, dict):
        for k in keys:
            if k in item:
                return item[k]
    return item


def _text(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "value")
    if not isinstance(x, str):
        raise _bad(attr, item)
    return {"value": x}


def _number(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "value")
    if isinstance(x, str):
        try:
            x = float(x) if any(c in x for c in ".eE") else int(x)
        except ValueError:
            raise _bad(attr, item) from None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise _bad(attr, item)
    if attr.type == "rating" and not (isinstance(x, int) and 0 <= x <= 5):
        raise invalid(f'Rating for attribute with slug "{attr.slug}" must be a whole number from 0 to 5.')
    return {"value": x}


def _checkbox(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "value")
    if isinstance(x, str) and x.lower() in ("true", "false"):
        x = x.lower() == "true"
    if not isinstance(x, bool):
        raise _bad(attr, item)
    return {"value": x}


def _currency(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    code = item.get("currency_code") if isinstance(item, dict) else None
    amount = _number(ws, attr, _unwrap(item, "currency_value", "value"))["value"]
    code = code or attr.currency
    if code is not None and not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        raise invalid(f'Invalid currency code "{code}" for attribute with slug "{attr.slug}".')
    return {"currency_value": amount, "currency_code": code}


def _name(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        last, sep, first = item.partition(",")
        first, last = (first.strip(), last.strip()) if sep else (item.strip(), "")
        full = None
    elif isinstance(item, dict) and all(isinstance(item.get(k, ""), str) for k in _NAME_KEYS):
        first, last, full = item.get("first_name", ""), item.get("last_name", ""), item.get("full_name")
    else:
        raise _bad(attr, item)
    return {"first_name": first, "last_name": last, "full_name": full or f"{first} {last}".strip()}


def _email(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "email_address", "original_email_address")
    if not isinstance(x, str) or not _EMAIL.match(x.strip()):
        raise invalid(f'Invalid email address "{x}" for attribute with slug "{attr.slug}".')
    original = x.strip()
    local, _, dom = original.lower().rpartition("@")
    return {"original_email_address": original, "email_address": original.lower(), "email_domain": dom,
            "email_root_domain": root_domain(dom), "email_local_specifier": local}


def _domain(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "domain")
    d = clean_domain(x) if isinstance(x, str) else ""
    if not _DOMAIN.match(d):
        raise invalid(f'Invalid domain "{x}" for attribute with slug "{attr.slug}".')
    return {"domain": d, "root_domain": root_domain(d)}


def _phone(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    x = _unwrap(item, "original_phone_number", "phone_number")
    cc = item.get("country_code") if isinstance(item, dict) else None
    if not isinstance(x, str) or (cc is not None and not isinstance(cc, str)):
        raise _bad(attr, item)
    s, digits = x.strip(), re.sub(r"\D", "", x)
    if s.startswith("+") or s.startswith("00"):
        digits = digits[2:] if s.startswith("00") else digits
    else:  # Attio needs the country: a "+" prefix or a country_code
        calling = _CC_TO_CALLING.get(cc.upper()) if cc else None
        if calling is None:
            raise invalid(f'Phone number "{x}" for attribute with slug "{attr.slug}" needs a "+" country '
                          'prefix or a supported "country_code".')
        digits = calling + digits.lstrip("0")
    if not 8 <= len(digits) <= 15:
        raise invalid(f'Invalid phone number "{x}" for attribute with slug "{attr.slug}".')
    if not cc:
        cc = next((CALLING[digits[:n]] for n in (3, 2, 1) if digits[:n] in CALLING), None)
    return {"phone_number": "+" + digits, "original_phone_number": s,
            "country_code": cc.upper() if cc else None}


def _location(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        parts = [p.strip() for p in item.split(",") if p.strip()]
        out: dict[str, Any] = dict.fromkeys(LOCATION_KEYS)
        if parts and re.fullmatch(r"[A-Za-z]{2}", parts[-1]) and len(parts) > 1:
            out["country_code"] = parts.pop().upper()
        keys = {1: ["locality"], 2: ["locality", "region"]}.get(
            len(parts), ["line_1", "locality", "region", "postcode"])
        for k, p in zip(keys, parts):
            out[k] = p
        return out
    if not isinstance(item, dict) or set(item) - set(LOCATION_KEYS):
        raise _bad(attr, item)
    out = {}
    for k in LOCATION_KEYS:
        v = item.get(k)
        if v is not None and not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise _bad(attr, item)
        out[k] = None if v is None else str(v)
    if out["country_code"]:
        out["country_code"] = out["country_code"].upper()
    return out


def _record_ref(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"target_object": attr.target, "target_record_id": item}
    if not isinstance(item, dict) or not isinstance(item.get("target_object"), str):
        raise _bad(attr, item)
    obj = ws.objects_by_key.get(item["target_object"])
    if obj is None:
        raise invalid(f'Object with slug/ID "{item["target_object"]}" not found.', "value_not_found")
    if attr.target and obj.api_slug != attr.target:
        raise invalid(f'Attribute with slug "{attr.slug}" only accepts records of object "{attr.target}".')
    rid = ws.match_reference(obj, item)
    return {"target_object": obj.api_slug, "target_record_id": rid}


def _actor(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"workspace_member_email_address": item} if "@" in item else {"referenced_actor_id": item}
    if not isinstance(item, dict):
        raise _bad(attr, item)
    member = ws.member_for(item)
    return {"referenced_actor_type": "workspace-member",
            "referenced_actor_id": member["id"]["workspace_member_id"]}


def _option(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    key = "option" if attr.type == "select" else "status"
    x = _unwrap(item, key, "title", "option_id", "status_id")
    opt = attr.option_by_key.get(x) if isinstance(x, str) else None
    if opt is None:
        if attr.type == "select":
            msg = f'Cannot find select attribute with select option title "{x}".'
        else:
            msg = f'Cannot find status attribute with status option title "{x}".'
        raise invalid(msg, "value_not_found")
    return {key: opt}


def _read_only(ws: Any, attr: Any, item: Any) -> dict[str, Any]:
    raise invalid(f'Cannot write to the read-only attribute with slug "{attr.slug}".', "immutable_value")


_HANDLERS = {"text": _text, "number": _number, "rating": _number, "checkbox": _checkbox,
             "currency": _currency,
             "date": lambda ws, a, i: {"value": coerce_date(_unwrap(i, "value"))},
             "timestamp": lambda ws, a, i: {"value": coerce_timestamp(_unwrap(i, "value"))},
             "personal-name": _name, "email-address": _email, "domain": _domain, "phone-number": _phone,
             "location": _location, "record-reference": _record_ref, "actor-reference": _actor,
             "select": _option, "status": _option, "interaction": _read_only}


def normalize(ws: Any, attr: Any, raw: Any, actor: dict[str, Any], at: str, *,
              system: bool = False) -> list[dict[str, Any]]:
    """Normalise one attribute's input into stored values (deduplicated, in order).

    `system=True` (seeding) may also fill read-only, enriched attributes.
    """
    if not attr.is_writable and not system:
        _read_only(ws, attr, raw)
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if len(items) > 1 and not attr.is_multiselect:
        raise invalid(f'Attribute with slug "{attr.slug}" is not multiselect and accepts a single '
                      "value only.")
    out: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for item in items:
        if attr.type == "text" and _unwrap(item, "value") == "":
            continue
        v = stamp(_HANDLERS[attr.type](ws, attr, item), attr.type, actor, at)
        key = json.dumps(identity(v), sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out
