"""Rendered text blocks: apply the policy to the parts of a block that hold flagged content.

A tool's text block renders many values at once (a record's attributes, a page of notes), often
re-indented. Each structured value that was flagged is found again in the block, line by line
(`_extents`), and so are its offending sentences; the block's own findings (when it was scored
itself) fill in the rest. `annotate` wraps those parts, `redact` replaces the sentences, `block`
replaces the parts with the withheld note. Flagged content that cannot be found at all makes the
policy apply to the whole block.
"""
from __future__ import annotations

from .verdict import ANNOTATE_CLOSE, Analysis, annotate_open, apply_edits, redact_marker, withheld_note

Span = tuple[int, int, list[str]]


def render_block(policy: str, a: Analysis, flagged: list[Analysis]) -> tuple[str | None, bool]:
    """(the block's new text, whether flagged content was treated); (None, False) when nothing changes."""
    regions, sentences, missing = locate(flagged, a.text)
    # The block's own findings only where no flagged structured value already accounts for the text.
    own = [o for o in a.spans() if not _covers(regions + sentences, o[0], o[1])]
    orphans = [x for x in sentences if not _covers(regions, x[0], x[1])]
    defang = [(d.start, d.end, d.replacement) for d in a.defangs]
    if not (own or regions or sentences or missing):
        return (apply_edits(a.text, defang), False) if a.sanitised else (None, False)
    rules = list(dict.fromkeys(a.rules + [r for f in flagged for r in f.rules]))
    if missing and not own:
        return whole(policy, apply_edits(a.text, defang), rules), True
    if policy == "redact":
        edits = [(s, e, redact_marker(r)) for s, e, r in own + sentences]
        edits += [(e, e, " " + redact_marker(r)) for s, e, r in regions if not _covers(sentences, s, e)]
        return apply_edits(a.text, edits + defang), True
    edits = [edit for s, e, r in regions for edit in _around(policy, a.text, s, e, r)]
    for s, e, r in _merge([_lines(a.text, s, e, r) for s, e, r in own + orphans]):
        edits += _around(policy, a.text, s, e, r)
    return apply_edits(a.text, edits + defang), True


def locate(flagged: list[Analysis], text: str) -> tuple[list[Span], list[Span], bool]:
    """Where the flagged values appear in `text`: whole-value regions, offending sentences, and whether
    some flagged value could not be found at all."""
    regions: list[Span] = []
    sentences: list[Span] = []
    missing = False
    for value in flagged:
        found = _extents(value.text, text)
        regions += [(s, e, value.rules) for s, e in found]
        hits = []
        for s, e, r in value.spans():
            piece = value.text[s:e].strip()
            start = text.find(piece) if len(piece) >= 4 else -1
            while start >= 0:
                hits.append((start, start + len(piece), r))
                start = text.find(piece, start + len(piece))
        sentences += hits
        missing = missing or not (found or hits)
    return regions, sentences, missing


def whole(policy: str, body: str, rules: list[str]) -> str:
    """A block whose flagged content could not be located: the policy applies to all of it."""
    if policy == "annotate":
        return f"{annotate_open(rules)}\n{body}\n{ANNOTATE_CLOSE}"
    if policy == "block":
        return withheld_note(rules) + " The screened values are in structuredContent."
    return body + "\n" + redact_marker(rules)


def _around(policy: str, text: str, start: int, end: int, rules: list[str]) -> list[tuple[int, int, str]]:
    """Edits that withhold or wrap text[start:end]: inline within one line, on lines of their own across lines."""
    if policy == "block":
        return [(start, end, withheld_note(rules))]
    if "\n" not in text[start:end]:
        return [(start, start, annotate_open(rules) + " "), (end, end, " " + ANNOTATE_CLOSE)]
    indent = _indent(text, text.rfind("\n", 0, start) + 1)
    return [(start, start, f"{annotate_open(rules)}\n{indent}"), (end, end, f"\n{indent}{ANNOTATE_CLOSE}")]


def _extents(value: str, text: str) -> list[tuple[int, int]]:
    """Where all of `value`'s lines appear in `text` one after another (whitespace and indentation between)."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    out: list[tuple[int, int]] = []
    pos = 0
    while lines and len(out) < 5:
        first = text.find(lines[0], pos)
        if first < 0:
            break
        cur, ok = first + len(lines[0]), True
        for line in lines[1:]:
            j = text.find(line, cur)
            if j < 0 or text[cur:j].strip():
                ok = False
                break
            cur = j + len(line)
        if ok:
            out.append((first, cur))
        pos = cur if ok else first + len(lines[0])
    return out


def _indent(text: str, start: int) -> str:
    line = text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _lines(text: str, start: int, end: int, rules: list[str]) -> tuple[int, int, list[str]]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return left, len(text) if right < 0 else right, rules


def _merge(spans: list[tuple[int, int, list[str]]]) -> list[tuple[int, int, list[str]]]:
    out: list[tuple[int, int, list[str]]] = []
    for s, e, r in sorted(spans):
        if out and s <= out[-1][1] + 1:
            ps, pe, pr = out[-1]
            out[-1] = (ps, max(pe, e), list(dict.fromkeys(pr + r)))
        else:
            out.append((s, e, list(r)))
    return out


def _covers(spans: list[tuple[int, int, list[str]]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e, _ in spans)
