"""Attio records and values as readable text, for people and language models alike.

Pure functions over the shapes of the Attio REST API (reference §3–§5): values are
read by `attribute_type`, never by guessing a `value` key (a person's name has none),
and nothing is ever shown as raw JSON. Record references and workspace members can
be named through optional resolver callbacks.
"""
from __future__ import annotations

from functools import lru_cache

from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import quote

Resolver = Callable[[str, str], "str | None"]
ActorResolver = Callable[[str], "str | None"]

APP_URL = "https://app.attio.com"
_SINGULAR = {"people": "person", "companies": "company", "deals": "deal", "users": "user",
             "workspaces": "workspace"}
_INTERNAL = frozenset({"record_id"})
_LOCATION_LINES = ("line_1", "line_2", "line_3", "line_4")
_COMMON_FIELDS = frozenset({"active_from", "active_until", "created_by_actor", "attribute_type"})


@lru_cache(maxsize=256)
def singular_path(object_slug: str, singular_noun: str | None = None) -> str:
    """The singular used in Attio web URLs: "person", "company", "deal", or the object's own noun."""
    if object_slug in _SINGULAR:
        return _SINGULAR[object_slug]
    if singular_noun and singular_noun != object_slug:
        return "-".join(singular_noun.lower().split())
    if object_slug.endswith("ies"):
        return object_slug[:-3] + "y"
    return object_slug[:-1] if object_slug.endswith("s") and not object_slug.endswith("ss") else object_slug


def _singular_title(object_slug: str, singular: str | None) -> str:
    """'Person', 'Company', or the object's singular noun for the first line of a record."""
    if singular and singular != object_slug:
        return singular
    return singular_path(object_slug).replace("-", " ").replace("_", " ").capitalize()


@lru_cache(maxsize=1024)
def _quote(segment: str) -> str:
    return quote(segment, safe="")


def record_url(workspace_slug: str, object_slug: str, record_id: str,
               singular_noun: str | None = None) -> str:
    """The record's page in the Attio web app: https://app.attio.com/<slug>/<singular>/<record_id>."""
    parts = (_quote(workspace_slug), singular_path(object_slug, singular_noun), _quote(record_id))
    return APP_URL + "/" + "/".join(p for p in parts if p)


def record_id(record: Mapping[str, Any]) -> str:
    """The record's id, from `id.record_id` or the `record_id` attribute."""
    rid = (record.get("id") or {}).get("record_id")
    if not rid:
        first = _first(record.get("values") or {}, "record_id")
        rid = first.get("value") if first else None
    return str(rid or "")


def _first(values: Mapping[str, Any], slug: str) -> dict[str, Any] | None:
    """The first current value of an attribute, if any."""
    items = values.get(slug) or []
    return items[0] if items and isinstance(items[0], dict) else None


def _text(value: Any) -> str:
    """A value as stripped text ('' for None)."""
    return "" if value is None else str(value).strip()


def _name(item: Mapping[str, Any] | None) -> str:
    """A personal name, or the text of a name value."""
    if not item:
        return ""
    full = _text(item.get("full_name"))
    if full:
        return full
    joined = " ".join(p for p in (_text(item.get("first_name")), _text(item.get("last_name"))) if p)
    return joined or _text(item.get("value"))


def record_title(record: Mapping[str, Any], object_slug: str, *, singular: str | None = None) -> str:
    """A human title: person full name (or email), company name (or domain), else a name or first text."""
    values = record.get("values") or {}
    title = _name(_first(values, "name"))
    if not title and object_slug == "people":
        email = _first(values, "email_addresses") or {}
        title = _text(email.get("email_address") or email.get("original_email_address"))
    elif not title and object_slug == "companies":
        title = _text((_first(values, "domains") or {}).get("domain"))
    if not title:
        title = _text(record.get("record_text"))  # records-search hits carry their own title
    if not title:
        for slug, items in values.items():
            item = items[0] if items and isinstance(items[0], dict) else {}
            if slug not in _INTERNAL and item.get("attribute_type") == "text" and _text(item.get("value")):
                title = _text(item.get("value"))
                break
    return title or f"{_singular_title(object_slug, singular)} {record_id(record)}".strip()


def _number(value: Any) -> str:
    """12 → '12', 12.5 → '12.5', 3.0 → '3'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _timestamp(value: Any) -> str:
    """An Attio timestamp (9 fractional digits, Z) as '2025-07-22 15:07 UTC'."""
    text = _text(value)
    try:
        parsed = datetime.fromisoformat(text[:19])
    except ValueError:
        return text
    return parsed.strftime("%Y-%m-%d %H:%M UTC")


def _currency(item: Mapping[str, Any]) -> str:
    """'USD 12,500.00', or '12,500.00' without a currency code."""
    amount = item.get("currency_value")
    try:
        shown = f"{float(amount):,.2f}"
    except (TypeError, ValueError):
        shown = _text(amount)
    code = _text(item.get("currency_code"))
    return f"{code} {shown}" if code and shown else shown


def _location(item: Mapping[str, Any]) -> str:
    """Address lines, locality, 'region postcode', country, joined by commas."""
    parts = [_text(item.get(k)) for k in _LOCATION_LINES]
    parts.append(_text(item.get("locality")))
    parts.append(" ".join(p for p in (_text(item.get("region")), _text(item.get("postcode"))) if p))
    parts.append(_text(item.get("country_code")))
    return ", ".join(p for p in parts if p)


def _actor(actor_type: Any, actor_id: Any, resolve_actor: ActorResolver | None) -> str:
    """A workspace member's name if known, else a description of the actor."""
    kind, ident = _text(actor_type), _text(actor_id)
    if kind == "workspace-member" and ident and resolve_actor:
        name = resolve_actor(ident)
        if name:
            return name
    if kind == "system":
        return "Attio (system)"
    label = kind.replace("-", " ") or "unknown actor"
    return f"{label} {ident}".strip()


def _unknown(item: Mapping[str, Any]) -> str:
    """Best effort for a type this module does not know: its value, else its scalar fields."""
    if item.get("value") is not None:
        return _text(item["value"])
    return ", ".join(_text(v) for k, v in item.items()
                     if k not in _COMMON_FIELDS and isinstance(v, (str, int, float)) and _text(v))


def _members_via(resolve: Resolver) -> ActorResolver:
    """Name workspace members through a record resolver, as `resolve("workspace-member", id)`."""
    def by_member(member_id: str) -> str | None:
        return resolve("workspace-member", member_id)
    return by_member


def render_value(value: Mapping[str, Any], *, resolve: Resolver | None = None,
                 resolve_actor: ActorResolver | None = None) -> str:
    """One Attio value as short text, by its `attribute_type` ('' when there is nothing to show)."""
    kind = value.get("attribute_type")
    if resolve_actor is None and resolve is not None:
        resolve_actor = _members_via(resolve)
    if kind in ("text", "date"):
        return _text(value.get("value"))
    if kind == "number":
        return _number(value.get("value"))
    if kind == "checkbox":
        return "" if value.get("value") is None else ("Yes" if value.get("value") else "No")
    if kind == "rating":
        return "" if value.get("value") is None else f"{_number(value.get('value'))}/5"
    if kind == "currency":
        return _currency(value)
    if kind == "timestamp":
        return _timestamp(value.get("value"))
    if kind == "personal-name":
        return _name(value)
    if kind == "email-address":
        return _text(value.get("email_address") or value.get("original_email_address"))
    if kind == "phone-number":
        return _text(value.get("original_phone_number") or value.get("phone_number"))
    if kind == "domain":
        return _text(value.get("domain") or value.get("root_domain"))
    if kind == "location":
        return _location(value)
    if kind == "record-reference":
        target, rid = _text(value.get("target_object")), _text(value.get("target_record_id"))
        name = resolve(target, rid) if resolve and target and rid else None
        # "<object>:<record id>" is the id `fetch` takes, so a model can follow the reference.
        return f"{name} ({target}:{rid})" if name else f"{target}:{rid}".strip(":")
    if kind == "actor-reference":
        if value.get("referenced_actor_type") is None:
            return ""
        return _actor(value.get("referenced_actor_type"), value.get("referenced_actor_id"), resolve_actor)
    if kind in ("select", "status"):
        return _text((value.get("option" if kind == "select" else "status") or {}).get("title"))
    if kind == "interaction":
        owner = value.get("owner_actor") or {}
        text = f"{_text(value.get('interaction_type')).replace('-', ' ') or 'interaction'} on " \
               f"{_timestamp(value.get('interacted_at'))}"
        who = _actor(owner.get("type"), owner.get("id"), resolve_actor) if owner.get("type") else ""
        return f"{text} (by {who})" if who else text
    return _unknown(value)


def _title_from_slug(slug: str) -> str:
    """'email_addresses' → 'Email addresses'."""
    return slug.replace("_", " ").replace("-", " ").strip().capitalize() or slug


def render_record(record: Mapping[str, Any], object_slug: str, *, singular: str | None = None,
                  attribute_titles: Mapping[str, str] | None = None, resolve: Resolver | None = None,
                  resolve_actor: ActorResolver | None = None) -> str:
    """The record as text: '<Singular>: <title>', then '<Attribute>: <values>' per non-empty attribute."""
    title = record_title(record, object_slug, singular=singular)
    lines = [f"{_singular_title(object_slug, singular)}: {title}"]
    titles = attribute_titles or {}
    for slug, items in (record.get("values") or {}).items():
        if slug in _INTERNAL or not items:
            continue
        shown = [render_value(item, resolve=resolve, resolve_actor=resolve_actor)
                 for item in items if isinstance(item, dict)]
        text = ", ".join(s for s in shown if s)
        if text:
            # Indent continuation lines so multi-line text cannot pose as another attribute.
            lines.append(f"{titles.get(slug) or _title_from_slug(slug)}: {text}".replace("\n", "\n  "))
    return "\n".join(lines)
