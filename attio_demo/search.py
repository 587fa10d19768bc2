"""Fuzzy records search (attio-api.md §7.4) over per-record entries precomputed at write time.

Each record keeps a `SearchEntry`: its lower-cased searchable fields (names, emails,
domains, social handles), its phone digits, one joined haystack for a fast C-level
"can this match at all?" test, and the ready-made result item. A query is a linear scan
that rejects almost every record with a single substring test.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

_SPLIT = re.compile(r"[\s\-_.@&/,()+]+")
_DIGITS = re.compile(r"\D")
_PHONE_QUERY = re.compile(r"^[\d\s+().-]+$")
_QUOTES = re.compile(r"['’.]")


class SearchEntry(NamedTuple):
    """One record's precomputed search data."""

    fields: tuple[tuple[str, tuple[str, ...], float], ...]
    phones: tuple[str, ...]
    haystack: str
    result: dict[str, Any]


def _first(vals: list, key: str) -> Any:
    return vals[0].get(key) if vals else None


def search_entry(obj: Any, rec: dict[str, Any]) -> SearchEntry:
    """Precompute one record's searchable fields and its search result item."""
    v = rec["values"]
    fields: list[tuple[str, tuple[str, ...], float]] = []

    def add(text: Any, weight: float) -> None:
        if isinstance(text, str) and text:
            low = text.casefold()
            for t in dict.fromkeys((low, _QUOTES.sub("", low))):  # "o'neil" also as "oneil"
                fields.append((t, tuple(w for w in _SPLIT.split(t) if w), weight))
    for n in v.get("name", []):
        for k in ("full_name", "first_name", "last_name", "value"):
            add(n.get(k), 1.0)
    for e in v.get("email_addresses", []) + v.get("primary_email_address", []):
        add(e["email_address"], 0.9)
    for d in v.get("domains", []):
        add(d["domain"], 0.9)
    for s in ("linkedin", "twitter"):
        add(_first(v.get(s, []), "value"), 0.5)
    phones: list[str] = []
    for p in v.get("phone_numbers", []):
        phones += [p["phone_number"].lstrip("+"), _DIGITS.sub("", p["original_phone_number"])]
    name = v.get("name", [])
    text = (_first(name, "full_name") or _first(name, "value")
            or _first(v.get("email_addresses", []), "email_address") or _first(v.get("domains", []), "domain")
            or _first(v.get("primary_email_address", []), "email_address")
            or "")
    image = _first(v.get("avatar_url", []) or v.get("logo_url", []), "value")
    result: dict[str, Any] = {"id": rec["id"], "record_text": text, "record_image": image,
                              "object_slug": obj.api_slug}
    if obj.api_slug == "people":
        result["email_addresses"] = [e["email_address"] for e in v["email_addresses"]]
        result["phone_numbers"] = [p["phone_number"] for p in v["phone_numbers"]]
    elif obj.api_slug == "companies":
        result["domains"] = [d["domain"] for d in v["domains"]]
    return SearchEntry(tuple(fields), tuple(phones), "\n".join(f[0] for f in fields), result)


def _field_score(q: str, text: str, words: tuple[str, ...]) -> int:
    if q not in text:
        return 0
    if text == q:
        return 100
    if text.startswith(q):
        return 80
    for w in words:
        if w.startswith(q):
            return 60
    return 40


def score(q: str, tokens: list[str], digits: str, entry: SearchEntry) -> float:
    """How well a query matches one record (0 = not at all): exact > prefix > word prefix > substring."""
    best: float = 0
    hay = entry.haystack
    if q in hay:
        best = max(_field_score(q, t, w) * wt for t, w, wt in entry.fields)
    if len(tokens) > 1 and best < 60 and all(tok in hay for tok in tokens):
        per = [max(_field_score(tok, t, w) * wt for t, w, wt in entry.fields) for tok in tokens]
        best = max(best, 0.7 * sum(per) / len(per))
    if digits:
        for p in entry.phones:
            if digits in p:
                best = max(best, 95 if p == digits else 75 if p.startswith(digits) else 45)
    return best


def run_search(objs: list[Any], query: str, limit: int) -> list[dict[str, Any]]:
    """Rank the records of the given objects for a fuzzy query, best first (`""` → a default set)."""
    q = " ".join(query.casefold().split())
    if not q:
        return [e.result for o in objs for e in list(o.search.values())][:limit]
    tokens = q.split(" ")
    digits = _DIGITS.sub("", q) if _PHONE_QUERY.match(q) else ""
    digits = digits if len(digits) >= 3 else ""
    hits = []
    for n, o in enumerate(objs):
        for e in list(o.search.values()):
            s = score(q, tokens, digits, e)
            if s > 0:
                hits.append((-s, n, e.result["record_text"].casefold(), e.result))
    hits.sort(key=lambda h: h[:3])
    return [h[3] for h in hits[:limit]]
