"""Fold look-alike letters to the plain Latin letter a reader takes them for.

The table is Unicode's own: UTS #39 `confusables.txt`, as shipped by `confusable-homoglyphs`,
reduced to the characters that look like one ASCII letter or digit (Armenian "օ", Cherokee "Ꭵ",
Lisu "ꓲ", Cyrillic "а", mathematical bold "𝐚" …). Two derivations from the Unicode Character
Database fill what confusables.txt leaves out on purpose: compatibility decompositions (NFKD:
full-width forms, accents) and Latin letters named after a base letter ("LATIN LETTER SMALL
CAPITAL I", "LATIN SMALL LETTER O WITH STROKE"). `fold_char` returns lowercase.
"""
from __future__ import annotations

import re
import string
import unicodedata

from confusable_homoglyphs import confusables

NAMED_LATIN = re.compile(r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: |$)")
SPECIAL = {"ß": "ss", "ẞ": "ss"}  # sharp s reads as two letters, not as the "s" its name gives
CACHE_LIMIT = 50_000  # distinct characters remembered; a text cannot grow the cache without bound


def _table() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with, from UTS #39."""
    data = confusables.confusables_data
    out: dict[str, str] = {}
    for ascii_char in string.ascii_letters + string.digits:
        for glyph in data.get(ascii_char, ()):
            if len(glyph["c"]) == 1 and not glyph["c"].isascii():
                out.setdefault(glyph["c"], ascii_char.lower())
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii() or char in out:
            continue
        target = next((g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()), None)
        if target:
            out[char] = target.lower()
    return out


TABLE = _table()
_cache: dict[str, str] = {}


def _fold(char: str) -> str:
    if char in SPECIAL:
        return SPECIAL[char]
    for candidate in (char, char.upper()):
        if candidate in TABLE:
            return TABLE[candidate]
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed != char:
        return "".join(c if c.isascii() else _fold(c) for c in decomposed if not unicodedata.combining(c)).lower()
    named = NAMED_LATIN.match(unicodedata.name(char, ""))
    if named:
        return named.group(1).lower()
    return char.lower()


def fold_char(char: str) -> str:
    """What a reader takes a non-ASCII character for, lowercase (possibly several letters, or none)."""
    hit = _cache.get(char)
    if hit is None:
        hit = _fold(char)
        if len(_cache) < CACHE_LIMIT:
            _cache[char] = hit
    return hit
