"""Invisible characters out, and a de-obfuscated view of text for the detector.

`strip_invisible` removes the characters used to hide instructions from a human reader while a
model still reads them: Unicode tag characters (U+E0000–E007F, "ASCII smuggling"), zero-width
characters, bidirectional overrides and isolates, and the soft hyphen. What they hid is kept
aside (`Hidden.text`) so the detector can read it too. Two legitimate uses survive: the tag
sequence of a subdivision flag (🏴 + tags + cancel tag) and a zero-width joiner/non-joiner between
two non-ASCII characters (emoji sequences, Indic and Persian scripts).

`canonical` folds look-alikes (full-width forms, accents, Cyrillic/Greek homoglyphs), leetspeak,
s p a c e d and hy-phen-ated letters into plain lowercase, with a map back to the original offsets.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                       "\U000e0000-\U000e007f]")
FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f")
JOINERS = "\u200c\u200d"
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
RTL_OVERRIDE = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069]*)")

# Latin look-alikes from Cyrillic and Greek (lowercase; the text is lowercased first).
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h",
    "ո": "n", "ս": "u", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss"})
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
    """What `strip_invisible` removed: counts per kind, and the text the tag characters spelled."""

    tags: int = 0
    zero_width: int = 0
    zero_width_in_words: int = 0
    bidi: int = 0
    soft_hyphen: int = 0
    text: str = ""
    reversed_text: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many characters were removed."""
        return self.tags + self.zero_width + self.bidi + self.soft_hyphen


def _keep_joiner(text: str, i: int) -> bool:
    before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else ""
    return bool(before and after) and not before.isascii() and not after.isascii() \
        and not before.isspace() and not after.isspace() and not INVISIBLE.match(after)


def strip_invisible(text: str) -> tuple[str, Hidden | None]:
    """`text` without hiding characters, and what was removed (None when nothing was)."""
    if not INVISIBLE.search(text):
        return text, None
    flags = [m.span() for m in FLAG.finditer(text)]
    hidden, out, spelled = Hidden(), [], []
    hidden.reversed_text = [m.group(1)[::-1] for m in RTL_OVERRIDE.finditer(text) if m.group(1).strip()]
    for i, ch in enumerate(text):
        if not INVISIBLE.match(ch) or any(a <= i < b for a, b in flags):
            out.append(ch)
            continue
        code = ord(ch)
        if ch in JOINERS and _keep_joiner(text, i):
            out.append(ch)
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
    hidden.text = "".join(spelled)
    if not hidden.total:
        return text, None
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
        origin, pos = [], 0
        for m in NON_ASCII.finditer(text):
            chars.append(text[pos:m.start()].lower())
            origin.extend(range(pos, m.start()))
            decomposed = unicodedata.normalize("NFKD", m.group(0))
            out = "".join(c for c in decomposed if not unicodedata.combining(c)).lower().translate(CONFUSABLES)
            chars.append(out)
            origin.extend([m.start()] * len(out))
            pos = m.end()
        chars.append(text[pos:].lower())
        origin.extend(range(pos, len(text)))
        view = "".join(chars)
        if len(view) == len(text):
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
