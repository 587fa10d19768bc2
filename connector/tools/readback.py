"""Writes that say what happened: what Attio stored, compared with what the tool sent.

After a create or update the tools read the stored object back and report every sent value that Attio did not
store as sent: changed (another value is there), dropped (nothing is there), kept (a value asked to be cleared is
still there) or added (an overwrite left values that were not sent). A silent default — a stage that matched
nothing replaced by the pipeline's first — thus comes back as a difference instead of a success.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..attio.render import render_value

DIFFERENCE = {"type": "object", "properties": {
    "attribute": {"type": "string"}, "sent": {"type": ["string", "null"]}, "stored": {"type": ["string", "null"]},
    "what": {"type": "string", "enum": ["changed", "dropped", "kept", "added"]}},
    "required": ["attribute", "sent", "stored", "what"]}
DIFFERENCES = {"type": "array", "items": DIFFERENCE, "description": (
    "Values Attio did not store as sent, read back after the write: changed, dropped, kept (not cleared) or "
    "added. Empty when everything was stored as sent.")}
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?")
_WRAP = {"text": "value", "number": "value", "rating": "value", "checkbox": "value", "date": "value",
         "timestamp": "value", "select": "option", "status": "status"}


def difference(attribute: str, sent: str | None, stored: str | None, what: str) -> dict[str, Any]:
    """One reported difference."""
    return {"attribute": attribute, "sent": sent, "stored": stored, "what": what}


def as_value(kind: str, item: Any) -> dict[str, Any]:
    """A converted write item in Attio's read shape, so both sides compare and render alike."""
    if isinstance(item, dict) and kind not in ("select", "status"):
        inner = item if "value" in item or kind not in _WRAP else {"value": item.get("value")}
        return {**inner, "attribute_type": kind}
    if kind in ("select", "status"):
        title = item.get("title") if isinstance(item, dict) else item
        return {"attribute_type": kind, _WRAP[kind]: {"title": title}}
    if kind == "currency":
        return {"attribute_type": kind, "currency_value": item}
    if kind == "location":
        return {"attribute_type": kind, "line_1": item}
    return {"attribute_type": kind, "value": item}


def _digits(text: Any) -> str:
    return re.sub(r"\D", "", str(text or ""))


def _fold(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _instant(text: Any) -> tuple[str, str] | None:
    m = _TIMESTAMP.match(str(text or ""))
    return (m.group(1), (m.group(2) or "").ljust(6, "0")[:6]) if m else None


def _number(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def same(kind: str, sent: dict[str, Any], stored: dict[str, Any]) -> bool:
    """True when the stored value is what was sent, by the attribute type's own notion of equality."""
    if kind in ("number", "rating"):
        return _number(sent.get("value")) == _number(stored.get("value"))
    if kind == "checkbox":
        return bool(sent.get("value")) == bool(stored.get("value"))
    if kind == "currency":
        code = sent.get("currency_code")
        return (_number(sent.get("currency_value")) == _number(stored.get("currency_value"))
                and (code is None or str(code).upper() == str(stored.get("currency_code") or "").upper()))
    if kind == "date":
        return str(sent.get("value") or "")[:10] == str(stored.get("value") or "")[:10]
    if kind == "timestamp":
        return _instant(sent.get("value")) == _instant(stored.get("value"))
    if kind == "email-address":
        return _fold(sent.get("email_address")) in (_fold(stored.get("email_address")),
                                                    _fold(stored.get("original_email_address")))
    if kind == "domain":
        return _fold(sent.get("domain")) == _fold(stored.get("domain"))
    if kind == "phone-number":
        wanted = _digits(sent.get("original_phone_number") or sent.get("phone_number"))
        return bool(wanted) and (wanted == _digits(stored.get("original_phone_number"))
                                 or _digits(stored.get("phone_number")).endswith(wanted.lstrip("0")))
    if kind == "record-reference":
        return str(sent.get("target_record_id") or "").lower() == str(stored.get("target_record_id") or "").lower()
    if kind == "actor-reference":
        return sent.get("referenced_actor_id") == stored.get("referenced_actor_id")
    if kind in ("select", "status", "personal-name", "location", "text"):
        return _fold(render_value(sent)) == _fold(render_value(stored))
    return True  # a type this module does not know: nothing to say about it


def value_differences(attrs: dict[str, dict[str, Any]], sent: dict[str, Any], stored: dict[str, Any], *,
                      overwrite: bool = False,
                      name: Callable[[str], str | None] | None = None) -> list[dict[str, Any]]:
    """Differences between converted write values (by slug) and the stored values of a record or entry.

    Only the attributes written are compared. `overwrite` (a PUT) also reports stored values that were not
    sent; `name` names workspace members in the rendering.
    """
    out = []
    for slug, raw in sent.items():
        kind = (attrs.get(slug) or {}).get("type", "")
        items = raw if isinstance(raw, list) else [raw]
        wanted = [as_value(kind, i) for i in items if i not in (None, "")]
        there = [v for v in stored.get(slug) or [] if isinstance(v, dict)]
        shown = [render_value(v, resolve_actor=name) or None for v in there]
        if not wanted:
            out += [difference(slug, None, s, "kept") for s in shown]
            continue
        multi = bool((attrs.get(slug) or {}).get("is_multiselect"))
        for w in wanted:
            if any(same(kind, w, v) for v in there):
                continue
            said = render_value(w, resolve_actor=name) or None
            if not there:
                out.append(difference(slug, said, None, "dropped"))
            elif multi:
                out.append(difference(slug, said, None, "dropped"))
            else:
                out.append(difference(slug, said, ", ".join(s for s in shown if s) or None, "changed"))
        if overwrite and multi:
            out += [difference(slug, None, s, "added") for v, s in zip(there, shown)
                    if not any(same(kind, w, v) for w in wanted)]
    return out


def differences_text(diffs: list[dict[str, Any]], titles: dict[str, str] | None = None) -> str:
    """'' when all was stored as sent; else a paragraph naming each difference."""
    if not diffs:
        return ""
    lines = [f"Attio did not store {len(diffs)} value(s) as sent (read back after the write):"]
    for d in diffs:
        label = (titles or {}).get(d["attribute"], d["attribute"])
        said = {"changed": f"sent {d['sent']!r}, Attio stored {d['stored']!r}",
                "dropped": f"sent {d['sent']!r}, Attio stored nothing for it",
                "kept": f"asked to clear, Attio still holds {d['stored']!r}",
                "added": f"not sent, Attio still holds {d['stored']!r}"}[d["what"]]
        lines.append(f"- {label}: {said}")
    return "\n".join(lines)


def field_difference(attribute: str, sent: Any, stored: Any, *, key: Callable[[Any], Any] = _fold,
                     show: Callable[[Any], str | None] = lambda x: None if x in (None, "") else str(x)
                     ) -> list[dict[str, Any]]:
    """[] when one field was stored as sent (compared through `key`), else its difference."""
    if key(sent) == key(stored):
        return []
    if stored in (None, "", []):
        return [difference(attribute, show(sent), None, "dropped" if sent not in (None, "", []) else "kept")]
    return [difference(attribute, show(sent), show(stored), "changed" if sent not in (None, "") else "kept")]


def set_differences(attribute: str, sent: dict[str, str], stored: dict[str, str]) -> list[dict[str, Any]]:
    """Differences of a set written whole (assignees, linked records): id → shown name on each side."""
    return ([difference(attribute, name, None, "dropped") for i, name in sent.items() if i not in stored]
            + [difference(attribute, None, name, "added") for i, name in stored.items() if i not in sent])


def instant(text: Any) -> tuple[str, str] | None:
    """A timestamp's second and microsecond, for comparing Attio's nine-digit form with others."""
    return _instant(text)


READBACK = ("The write is read back: differences lists every value Attio did not store as sent (changed, dropped, "
            "kept or added); [] when all was stored as sent.")


def described(description: str) -> str:
    """A write tool's description with the read-back sentence before its example."""
    at = description.rfind(" Example:")
    return f"{description[:at]} {READBACK}{description[at:]}" if at >= 0 else f"{description} {READBACK}"
