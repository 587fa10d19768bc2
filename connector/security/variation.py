"""Variation selectors: keep the ones that choose a glyph, read and drop the ones that carry data.

There are 256 variation selectors (VS1–VS16 at U+FE00–FE0F, VS17–VS256 at U+E0100–E01EF). They
render as nothing, and a run of them after any character can spell arbitrary bytes, one byte per
selector (the "emoji smuggling" trick), which a model may decode while a human sees only "😀".
A selector is kept only where it does its job, once, straight after a character that takes it
(and not at the head of a run of selectors, unless it sets emoji or text presentation):

- VS15/VS16 (text or emoji presentation) after a symbol or a keycap base: ❤️, ✔️, 1️⃣, ☎︎;
- VS1–VS14 after a non-ASCII character (standardized variation sequences: maths, CJK, Mongolian);
- VS17–VS256 after a CJK ideograph (ideographic variation sequences, e.g. 葛󠄀 in a Japanese name).

Every other selector is removed, and what the removed ones spell — as bytes (VS1 = 0x00 …
VS256 = 0xFF) and, when they are all VS1–VS16, as hex nibbles — is returned for the detector.
"""
from __future__ import annotations

import re

SELECTOR = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
PRESENTATION = "\ufe0e\ufe0f"
KEYCAP_BASES = frozenset("0123456789#*")
CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


def value(selector: str) -> int:
    """The byte a selector stands for in the smuggling encoding (VS1 = 0 … VS256 = 255)."""
    code = ord(selector)
    return code - 0xFE00 if code <= 0xFE0F else code - 0xE0100 + 16


def _cjk(char: str) -> bool:
    code = ord(char)
    return any(a <= code <= b for a, b in CJK)


def takes(base: str, selector: str) -> bool:
    """Whether `selector` straight after `base` is an ordinary variation sequence."""
    if not base or base.isspace() or SELECTOR.match(base):
        return False
    if selector in PRESENTATION:
        return base in KEYCAP_BASES or not base.isascii() and not base.isalpha()
    if selector < "\ufe0e":
        return not base.isascii()
    return _cjk(base)


def is_kept(text: str, i: int) -> bool:
    """Whether the selector at `text[i]` stays: the first after its base, and one that base takes. No
    variation sequence has two selectors, so the head of a run stays only if it sets presentation
    (a doubled "❤️️" still renders as it did)."""
    if i == 0 or not takes(text[i - 1], text[i]):
        return False
    return text[i] in PRESENTATION or not (i + 1 < len(text) and SELECTOR.match(text[i + 1]))


def decode(values: list[int]) -> list[str]:
    """What a sequence of removed selectors spells: as bytes, and as hex nibbles when it can be."""
    out = []
    readings = [bytes(values)]
    if len(values) >= 4 and max(values) < 16:
        readings.append(bytes((values[k] << 4) | values[k + 1] for k in range(0, len(values) - 1, 2)))
    for raw in readings:
        text = raw.decode("utf-8", errors="ignore")
        text = "".join(c for c in text if c.isprintable() or c in "\n\t")
        if sum(c.isalpha() for c in text) >= 3:
            out.append(text)
    return out
