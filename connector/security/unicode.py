"""Invisible characters out, and a de-obfuscated view of text for the detector.

`strip_invisible` removes the characters used to hide instructions from a human reader while a
model still reads them: Unicode tag characters (U+E0000–E007F, "ASCII smuggling"), variation
selectors that carry bytes instead of choosing a glyph (`variation.py`), zero-width characters,
bidirectional overrides and isolates, and the soft hyphen. What they hid is kept aside (`Hidden`)
so the detector can read it too: what tags and selectors spell, and the text as a reader sees it
once right-to-left overrides have reversed their spans. Legitimate uses survive: the tag sequence
of a subdivision flag (🏴 + tags + cancel tag), emoji and ideographic variation sequences (❤️, 1️⃣,
葛󠄀), and a zero-width joiner/non-joiner between two non-ASCII characters (emoji sequences, Indic
and Persian scripts).

`canonical` folds look-alikes (UTS #39 confusables, full-width forms, accents: `homoglyphs.py`),
leetspeak, s p a c e d and hy-phen-ated letters into plain lowercase, with a map back to the
original offsets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import variation
from .homoglyphs import fold_char

INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                       "\U000e0000-\U000e007f\ufe00-\ufe0f\U000e0100-\U000e01ef]")
FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f")
JOINERS = "\u200c\u200d"
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A right-to-left override reverses what follows it up to the next bidi control or paragraph end.
RTL_OVERRIDE = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)")
# Leetspeak, applied only next to a letter. "l" is folded to "i" as well (see rules.fold).
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"}
NON_ASCII = re.compile(r"[^\x00-\x7f]")
LEET_NEXT_TO_LETTER = re.compile(r"(?<=[a-z])[013457@$!|]|[013457@$!|](?=[a-z])")
SPACED = re.compile(r"(?<![a-z0-9])[a-z]([ .\-_*·'’])(?:[a-z]\1)+[a-z](?![a-z0-9])")
INNER_SEPARATOR = re.compile(r"(?<=[a-z])[\-_.*·](?=[a-z])")
# Cheap test: is there anything a canonical view could reveal that the lowercase view hides?
OBFUSCATION_HINT = re.compile(r"[^\x00-\x7f]|[a-z][0-9@$!|]|[0-9@$!|][a-z]|(?:\b[a-z][ .\-_*]){3}|[a-z][\-_*][a-z]",
                              re.I)


@dataclass
class Hidden:
    """What `strip_invisible` removed: counts per kind, and what the removed characters hid."""

    tags: int = 0
    zero_width: int = 0
    zero_width_in_words: int = 0
    bidi: int = 0
    soft_hyphen: int = 0
    text: str = ""
    reversed_text: list[str] = field(default_factory=list)
    selectors: int = 0
    selector_text: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many characters were removed."""
        return self.tags + self.zero_width + self.bidi + self.soft_hyphen + self.selectors


def _keep_joiner(text: str, i: int) -> bool:
    before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else ""
    return bool(before and after) and not before.isascii() and not after.isascii() \
        and not before.isspace() and not after.isspace() and not INVISIBLE.match(after)


def _visual(text: str) -> str:
    """`text` as a reader sees it: each right-to-left override's span reversed, controls removed."""
    return INVISIBLE.sub("", RTL_OVERRIDE.sub(lambda m: m.group(1)[::-1], text))


def strip_invisible(text: str) -> tuple[str, Hidden | None]:
    """`text` without hiding characters, and what was removed (None when nothing was)."""
    if not INVISIBLE.search(text):
        return text, None
    flags = [m.span() for m in FLAG.finditer(text)]
    hidden, out, spelled, selector_values, pos = Hidden(), [], [], [], 0
    for m in INVISIBLE.finditer(text):
        i, ch = m.start(), m.group(0)
        code = ord(ch)
        if any(a <= i < b for a, b in flags):
            continue
        if variation.SELECTOR.match(ch):
            if variation.is_kept(text, i):
                if i + 1 < len(text) and variation.SELECTOR.match(text[i + 1]):
                    selector_values.append(variation.value(ch))  # the first byte of a smuggled run
                continue
            hidden.selectors += 1
            selector_values.append(variation.value(ch))
        elif ch in JOINERS and _keep_joiner(text, i):
            continue
        elif code >= 0xE0000:
            hidden.tags += 1
            if 0x20 <= code - 0xE0000 <= 0x7E:
                spelled.append(chr(code - 0xE0000))
        elif ch in BIDI:
            hidden.bidi += 1
        elif ch == "\u00ad":
            hidden.soft_hyphen += 1
        else:
            hidden.zero_width += 1
            if i and i + 1 < len(text) and text[i - 1].isalnum() and text[i + 1].isalnum():
                hidden.zero_width_in_words += 1
        out.append(text[pos:i])
        pos = i + 1
    if not hidden.total:
        return text, None
    out.append(text[pos:])
    hidden.text = "".join(spelled)
    if "\u202e" in text:
        hidden.reversed_text = [_visual(text)]
    if selector_values:
        hidden.selector_text = variation.decode(selector_values)
    return "".join(out), hidden


def needs_canonical(text: str) -> bool:
    """True when the canonical view could differ from the lowercase one in a way that matters."""
    return bool(OBFUSCATION_HINT.search(text))


def canonical(text: str) -> tuple[str, list[int] | None]:
    """The de-obfuscated view of `text` and, for each of its characters, the offset it came from
    (None when the view has exactly the length and offsets of `text`)."""
    origin: list[int] | None = None
    if text.isascii():
        view = text.lower()
    else:
        chars: list[str] = []
        origin, pos, aligned = [], 0, True
        for m in NON_ASCII.finditer(text):
            chars.append(text[pos:m.start()].lower())
            origin.extend(range(pos, m.start()))
            out = fold_char(m.group(0))
            aligned = aligned and len(out) == 1
            chars.append(out)
            origin.extend([m.start()] * len(out))
            pos = m.end()
        chars.append(text[pos:].lower())
        origin.extend(range(pos, len(text)))
        view = "".join(chars)
        if aligned:
            origin = None
    view = LEET_NEXT_TO_LETTER.sub(lambda m: LEET[m.group(0)], view).replace("l", "i")
    drop: set[int] = set()
    for m in SPACED.finditer(view):
        drop.update(range(m.start() + 1, m.end(), 2))
    drop.update(m.start() for m in INNER_SEPARATOR.finditer(view))
    if not drop:
        return view, origin
    keep = [k for k in range(len(view)) if k not in drop]
    return "".join(view[k] for k in keep), [origin[k] if origin is not None else k for k in keep]
