"""The screener: sanitise a text, score it, and render it as the policy says.

`Screener.analyse(text)` strips hiding characters (`unicode.strip_invisible`), finds off-site images
and links (`links.find_offsite`), runs the weighted rules (`rules.py`, `directives.py`,
`multilingual.py`) on the lowercase text and on its de-obfuscated view, reads what hidden characters,
variation selectors, right-to-left overrides, hidden HTML and base64 tokens hold, and adds up a
score. `render(analysis)` returns the text as the policy returns it:

- not flagged: the text with only hiding characters removed and off-site links defanged
  (byte-identical when there was nothing to remove);
- `annotate`: wrapped as `[UNTRUSTED CRM CONTENT — flagged: …] … [END UNTRUSTED]`;
- `redact`: each offending sentence replaced by `[REDACTED: possible prompt injection (…)]`;
- `block`: the whole value replaced by a `[WITHHELD: …]` note.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Iterable

from . import directives, multilingual
from . import rules as rules_mod
from .links import DEFAULT_ALLOWED, find_offsite
from .unicode import Hidden, canonical, needs_canonical, strip_invisible
from .verdict import ANNOTATE_CLOSE, Analysis, Match, annotate_open, apply_edits, redact_marker, score_of, withheld_note

POLICIES = ("annotate", "redact", "block")
BASE64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}")
# What a human reader of rendered HTML does not see: a comment, or an element hidden by style or attribute.
HIDDEN_BODY = re.compile(r"<!--(.*?)-->|<(\w+)\b[^>]*?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:"
                         r"\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|\shidden[\s>=])[^>]*>(.*?)</\2\s*>",
                         re.I | re.S)
HIDDEN_MARKUP = re.compile(r"<!--(?:(?!-->).){12,}?-->|display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0"
                           r"(?![.\d]*[1-9])|<\w+[^>]*\shidden[\s>=]|opacity\s*:\s*0(?![.\d]*[1-9])", re.I | re.S)
SEGMENT = re.compile(r"\n[ \t]*\n")
LETTERS = re.compile(r"[^a-z]+")
WORD = re.compile(r"[^\W\d_]+")
DIRECTIVE = re.compile(directives.DIRECTIVE, re.M)
SCRIPTS = {multilingual.CJK: re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"),
           multilingual.CYRILLIC: re.compile("[\u0400-\u04ff]")}
ALL_RULES = rules_mod.RULES + directives.RULES + multilingual.RULES


class Screener:
    """Scores text against the rules; `threshold` and `policy` come from the settings."""

    def __init__(self, *, threshold: float = 1.0, policy: str = "annotate", allowed_hosts: Iterable[str] = (),
                 tool_names: Iterable[str] = ()) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
        self.threshold, self.policy = threshold, policy
        self.allowed_hosts = tuple(DEFAULT_ALLOWED) + tuple(h.lower() for h in allowed_hosts)
        self._rules = rules_mod.compiled(ALL_RULES + rules_mod.tool_rules(tuple(tool_names)))
        self._squeezed_rules = rules_mod.compiled(rules_mod.SQUEEZED)
        self._groups: dict[frozenset[str], _Group] = {}
        self._memo: dict[tuple[str | bytes, int], list[Match]] = {}

    def _group(self, scripts: frozenset[str]) -> _Group:
        """The rules that apply to text in `scripts`, and one combined pattern per view that answers
        "could any rule match?" in a single scan: most CRM text is benign, so the per-rule loop runs
        only for the rare text that trips it. Rules for other scripts cost English text nothing."""
        group = self._groups.get(scripts)
        if group is None:
            active = [r for r in self._rules if not r[0].script or scripts.intersection(r[0].script.split("|"))]
            ungated = [r for r in active if not r[0].needs]
            group = self._groups[scripts] = (ungated, [r for r in active if r[0].needs],
                                             _union(p for _, p, _ in ungated),
                                             _union(c for _, _, c in ungated if c is not None))
        return group

    def detect(self, text: str, *, depth: int = 0) -> list[Match]:
        """Rule matches in `text`, memoised: the same CRM strings come back on every read. Long texts
        are remembered by digest, so the memo holds no copy of them."""
        key = (text if len(text) <= MEMO_KEY_TEXT else hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                                                        digest_size=16).digest(), depth)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._detect(text, depth=depth)
            if len(self._memo) > MEMO_ENTRIES:
                self._memo.clear()
            self._memo[key] = hit
        return list(hit)

    # -- detection ---------------------------------------------------------------------------------
    def _detect(self, text: str, *, depth: int = 0) -> list[Match]:
        """Rule matches in `text` (already sanitised), with encoded payloads decoded one level deep.
        Text of fewer than three words (or six CJK characters) cannot hold an instruction the rules know;
        it is only checked for an encoded payload."""
        if len(WORD.findall(text, 0, 400)) < 3 and len(SCRIPTS[multilingual.CJK].findall(text, 0, 400)) < 6:
            return self._encoded(text) if depth == 0 and len(text) >= 24 else []
        low = text.lower()
        plain, plain_map = (low, None) if len(low) == len(text) else canonical(text)
        canon, canon_map = canonical(text) if needs_canonical(text) else (None, None)
        if canon is not None and canon_map is None and canon == plain.replace("l", "i"):
            canon = None  # only the l/i folding differs: nothing the plain view has not seen
        scripts = frozenset() if text.isascii() else frozenset(k for k, p in SCRIPTS.items() if p.search(text))
        ungated, gated, any_plain, any_canon = self._group(scripts)
        found: list[Match] = []
        maybe = (any_plain is not None and any_plain.search(plain) is not None) or (
            canon is not None and any_canon is not None and any_canon.search(canon) is not None)
        # A gated rule needs one of a few words to be present at all: a substring test, not a scan.
        candidates = (ungated if maybe else []) + [r for r in gated if _present(r[0].needs, plain, canon)]
        for rule, pattern, canon_pattern in candidates:
            hits = [(m.start(), m.end()) for m in pattern.finditer(plain) if m.end() > m.start()]
            mapped = [_back(s, e, plain_map) for s, e in hits]
            if not mapped and canon is not None and canon_pattern is not None:
                mapped = [_back(m.start(), m.end(), canon_map) for m in canon_pattern.finditer(canon)
                          if m.end() > m.start()]
                found += [Match(rule.id, rule.category, rule.weight, s, e, True) for s, e in mapped]
            else:
                found += [Match(rule.id, rule.category, rule.weight, s, e) for s, e in mapped]
        found += self._squeezed(canon if canon is not None else plain, canon_map if canon is not None else plain_map,
                                {m.rule for m in found}, canon is not None)
        if any(m.obfuscated for m in found):
            found.append(Match("obfuscation", "hidden", 0.3))
        found += _hidden_markup(text)
        if depth == 0:
            found += self._encoded(text)
        return found

    def _squeezed(self, view: str, origin: list[int] | None, seen: set[str], folded: bool) -> list[Match]:
        """Key phrases matched on the letters alone, for rules that did not match with spacing intact."""
        letters = LETTERS.sub("", view)
        out = []
        for rule, plain, canon in self._squeezed_rules:
            if rule.id in seen:
                continue
            m = (canon if folded else plain).search(letters)
            if m:
                where = [i for i, c in enumerate(view) if "a" <= c <= "z"]
                start, end = _back(where[m.start()], where[m.end() - 1] + 1, origin)
                out.append(Match(rule.id, rule.category, rule.weight, start, end, True))
        return out

    def _encoded(self, text: str) -> list[Match]:
        out = []
        for m in BASE64_TOKEN.finditer(text):
            decoded = _decode(m.group(0))
            if decoded is None:
                continue
            inner = self.detect(decoded, depth=1)
            if score_of(inner) >= self.threshold:
                out.append(Match("encoded_payload", "encoded", 1.0, m.start(), m.end()))
                out += [Match(x.rule, x.category, x.weight) for x in inner]
            elif " " in decoded.strip():
                out.append(Match("encoded_text", "encoded", 0.2, m.start(), m.end()))
        return out

    def _hidden(self, hidden: Hidden | None) -> list[Match]:
        if hidden is None:
            return []
        out = []
        if hidden.tags:
            out.append(Match("hidden_tags", "hidden", 0.8))
        if hidden.selectors >= SMUGGLED_SELECTORS or hidden.selector_text:
            out.append(Match("hidden_selectors", "hidden", 0.8))
        if hidden.zero_width_in_words:
            out.append(Match("zero_width", "hidden", 0.3))
        if hidden.bidi:
            out.append(Match("bidi_override", "hidden", 0.4))
        for spelled in [hidden.text] + hidden.reversed_text + hidden.selector_text:
            if spelled.strip():
                out += [Match(m.rule, m.category, m.weight, obfuscated=True) for m in self.detect(spelled)]
        return out

    # -- analysis ----------------------------------------------------------------------------------
    def analyse(self, text: str, *, hosts: Iterable[str] = (), segmented: bool = False,
                detect: bool = True) -> Analysis:
        """Sanitise and score `text`. `segmented` scores each blank-line-separated part on its own
        (for rendered text blocks that hold many records); a value is scored whole. With `detect` off only
        hiding characters and off-site links are handled (a text block rendered from screened data)."""
        parts = _segments(text) if segmented else [(text, "")]
        clean_parts, matches, segments, top, offset = [], [], [], 0.0, 0
        hidden_all: Hidden | None = None
        for part, separator in parts:
            clean, hidden = strip_invisible(part)
            found = [_shift(m, offset) for m in self.detect(clean)] + self._hidden(hidden) if detect else []
            local = score_of(found)
            segments.append((offset, offset + len(clean), local >= self.threshold))
            if local >= self.threshold or not segmented:
                matches += found
            top = max(top, local)
            hidden_all = _merge_hidden(hidden_all, hidden)
            clean_parts.append(clean + separator)
            offset += len(clean) + len(separator)
        clean_text = "".join(clean_parts)
        defangs = find_offsite(clean_text, self.allowed_hosts + tuple(h.lower() for h in hosts))
        for d in defangs:
            if not detect or d.kind != "image" and not d.has_query:
                continue
            seg_flagged = next((f for s, e, f in segments if s <= d.start < e), False)
            if segmented and not seg_flagged:
                continue
            if d.kind == "image":
                matches.append(Match("offsite_image", "exfiltration", 0.7 if d.has_query else 0.4, d.start, d.end))
            else:  # a link the reader may click, carrying a query string to a host the record does not own
                matches.append(Match("offsite_link", "exfiltration", 0.3, d.start, d.end))
        score = score_of(matches) if not segmented else max(top, score_of(matches) if matches else 0.0)
        return Analysis(text, clean_text, hidden_all, defangs, matches, round(score, 2),
                        score >= self.threshold, self.threshold, segments)

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, a: Analysis, policy: str | None = None) -> str:
        """The value as `policy` (default: the screener's) returns it."""
        policy = policy or self.policy
        defang = [(d.start, d.end, d.replacement) for d in a.defangs]
        if not a.flagged:
            return apply_edits(a.text, defang) if a.sanitised else a.original
        if policy == "block":
            return withheld_note(a.rules)
        if policy == "redact":
            spans = a.spans()
            body = apply_edits(a.text, [(s, e, redact_marker(r)) for s, e, r in spans] + defang)
            if not spans:  # only hidden text fired: it is already gone; say so
                body += " " + redact_marker(a.rules)
            return body
        body = apply_edits(a.text, defang)
        sep = "\n" if "\n" in body else " "
        return f"{annotate_open(a.rules)}{sep}{body}{sep}{ANNOTATE_CLOSE}"


MEMO_ENTRIES = 10000
MEMO_KEY_TEXT = 256  # longer texts are memoised under a 128-bit digest
SMUGGLED_SELECTORS = 4  # removed variation selectors that count as a hidden channel on their own
_Compiled = list[tuple[rules_mod.Rule, re.Pattern[str], re.Pattern[str] | None]]
_Group = tuple[_Compiled, _Compiled, re.Pattern[str] | None, re.Pattern[str] | None]


def _present(needs: tuple[str, ...], plain: str, canon: str | None) -> bool:
    """Whether one of `needs` occurs in the lowercase view or (with "l" read as "i") the canonical one."""
    return any(n in plain for n in needs) or canon is not None and any(rules_mod.fold(n) in canon for n in needs)


def _hidden_markup(text: str) -> list[Match]:
    """Markup that hides text from a human reader (0.4), and an order to the model inside it (0.6)."""
    if "<" not in text and ":" not in text:
        return []
    found = [Match("hidden_markup", "hidden", 0.4, m.start(), m.end()) for m in HIDDEN_MARKUP.finditer(text)]
    if found and "<" in text:
        for m in HIDDEN_BODY.finditer(text):
            body = (m.group(1) if m.group(1) is not None else m.group(3)).lower()
            if DIRECTIVE.search(body):
                found.append(Match("hidden_instruction", "hidden", 0.6, m.start(), m.end()))
    return found


def _union(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """All patterns as one alternation (same flags), or None when there are none."""
    sources = [p.pattern for p in patterns]
    if not sources:
        return None
    return re.compile("|".join(f"(?:{s})" for s in sources), re.M)


def _back(start: int, end: int, origin: list[int] | None) -> tuple[int, int]:
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


def _shift(m: Match, offset: int) -> Match:
    if m.start < 0 or not offset:
        return m
    return Match(m.rule, m.category, m.weight, m.start + offset, m.end + offset, m.obfuscated)


def _segments(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    for m in SEGMENT.finditer(text):
        out.append((text[pos:m.start()], m.group(0)))
        pos = m.end()
    out.append((text[pos:], ""))
    return out


def _merge_hidden(a: Hidden | None, b: Hidden | None) -> Hidden | None:
    if a is None or b is None:
        return a or b
    return Hidden(a.tags + b.tags, a.zero_width + b.zero_width, a.zero_width_in_words + b.zero_width_in_words,
                  a.bidi + b.bidi, a.soft_hyphen + b.soft_hyphen, a.text + b.text, a.reversed_text + b.reversed_text,
                  a.selectors + b.selectors, a.selector_text + b.selector_text)


def _decode(token: str) -> str | None:
    """The text a base64 token spells, if it is mostly printable text."""
    raw = token.rstrip("=")
    padded = raw + "=" * (-len(raw) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            data = decoder(padded.encode())
            text = data.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        printable = sum(c.isprintable() or c in "\n\t" for c in text)
        if text and printable / len(text) >= 0.95 and sum(c.isalpha() for c in text) >= len(text) / 2:
            return text
    return None
