"""A verdict on one text (`Analysis`, `Match`) and the markers the policies write.

Offsets index the sanitised text (hiding characters removed). `Analysis.spans()` widens each match
to its sentence, which is what `redact` replaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from .links import Defang
from .unicode import Hidden

SENTENCE_END = re.compile(r"[.!?;|•](?=\s)|\n")
MARK_RULES = 5


@dataclass(frozen=True)
class Match:
    """One rule or feature that fired; `start`/`end` index the sanitised text (-1 when it has no span)."""

    rule: str
    category: str
    weight: float
    start: int = -1
    end: int = -1
    obfuscated: bool = False


@dataclass
class Analysis:
    """The screener's verdict on one text."""

    original: str
    text: str
    hidden: Hidden | None
    defangs: list[Defang]
    matches: list[Match]
    score: float
    flagged: bool
    threshold: float = 1.0
    segments: list[tuple[int, int, bool]] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        """Distinct rule ids, strongest first."""
        best: dict[str, float] = {}
        for m in self.matches:
            best[m.rule] = max(best.get(m.rule, 0.0), m.weight)
        return sorted(best, key=lambda r: (-best[r], r))

    @property
    def sanitised(self) -> bool:
        """True when hiding characters were removed or links defanged."""
        return bool(self.hidden or self.defangs)

    def spans(self) -> list[tuple[int, int, list[str]]]:
        """The offending sentences (merged), each with the rules inside it; only for flagged text."""
        if not self.flagged:
            return []
        raw = sorted((m.start, m.end, m.rule) for m in self.matches if m.start >= 0)
        out: list[tuple[int, int, list[str]]] = []
        for start, end, rule in raw:
            start, end = sentence(self.text, start, end)
            if out and (start <= out[-1][1] or not self.text[out[-1][1]:start].strip()):
                s, e, names = out[-1]
                out[-1] = (s, max(e, end), names + [rule] * (rule not in names))
            else:
                out.append((start, end, [rule]))
        return out


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened to the sentence(s) around it, without the surrounding whitespace."""
    left = 0
    for m in SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    right = len(text)
    m = SENTENCE_END.search(text, max(end - 1, start))
    if m:
        right = m.end() if text[m.start()] != "\n" else m.start()
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, max(right, left)


def apply_edits(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Replace spans (insertions when start == end); an edit overlapping an earlier, wider one is dropped."""
    out, pos = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[0] != e[1], -e[1])):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def marker_rules(names: Iterable[str]) -> str:
    """The rule list shown inside a marker."""
    names = list(dict.fromkeys(names))
    shown = ", ".join(names[:MARK_RULES])
    return shown + (f" +{len(names) - MARK_RULES}" if len(names) > MARK_RULES else "")


def annotate_open(rules: Iterable[str]) -> str:
    """The opening marker of an annotated value."""
    return f"[UNTRUSTED CRM CONTENT — flagged: {marker_rules(rules)}]"


ANNOTATE_CLOSE = "[END UNTRUSTED]"


def redact_marker(rules: Iterable[str]) -> str:
    """What replaces a redacted sentence."""
    return f"[REDACTED: possible prompt injection ({marker_rules(rules)})]"


def withheld_note(rules: Iterable[str]) -> str:
    """What replaces a blocked value."""
    return (f"[WITHHELD: this CRM text looked like instructions aimed at the assistant ({marker_rules(rules)}); "
            "it is not shown. Open the record in Attio to read it.]")


def score_of(matches: Iterable[Match]) -> float:
    """Sum of the strongest weight of each distinct rule."""
    best: dict[str, float] = {}
    for m in matches:
        best[m.rule] = max(best.get(m.rule, 0.0), m.weight)
    return round(sum(best.values()), 2)
