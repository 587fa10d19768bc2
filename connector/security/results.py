"""Screen a whole tool result: every string in `structuredContent`, every text content block.

Structured strings are screened one value at a time (a note body, a job title, a description),
with the strings of one object also read together so that an instruction split across fields
("Ignore all previous" / "instructions and …") is caught. Rendered text blocks hold many values,
so they are scored paragraph by paragraph, and every structured value that was flagged is found
again in them and treated the same way. A text block that is the JSON of `structuredContent` is
simply re-rendered from the screened data. Nothing is copied unless something changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .. import jsoncodec
from .blocks import render_block
from .screen import Screener
from .verdict import Analysis, Match, score_of

ACTIONS = {"annotate": "annotated", "redact": "redacted", "block": "withheld"}
RECORD_ID = re.compile(r"^[a-z0-9_]+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SPLIT_WINDOW = 160  # characters read on each side of a boundary between two fields
CLEAN_MEMO_CHARS = 4_000_000  # text held by the memo of clean objects, per screen (cleared when full: ~8 MB at most)
CLEAN_MEMO_TEXT = 4096  # an object with more text than this is screened afresh every time
DOMAIN_KEYS = ("domains", "domain", "website", "email_addresses", "email", "primary_email")


@dataclass
class Finding:
    """One screened value, as listed in `_meta` and audited."""

    path: str
    rules: list[str]
    score: float
    action: str
    record_id: str | None = None
    removed: dict[str, Any] = field(default_factory=dict)

    def to_meta(self) -> dict[str, Any]:
        """The `_meta` entry (no text)."""
        out: dict[str, Any] = {"path": self.path, "rules": self.rules, "score": self.score, "action": self.action}
        if self.record_id:
            out["record_id"] = self.record_id
        if self.removed:
            out["removed"] = self.removed
        return out


@dataclass
class _State:
    findings: list[Finding] = field(default_factory=list)
    flagged: list[tuple[Analysis, str | None]] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)


def removed_summary(a: Analysis) -> dict[str, Any]:
    """What sanitising removed: hidden characters by kind, defanged hosts."""
    out: dict[str, Any] = {}
    if a.hidden:
        out["hidden_characters"] = a.hidden.total
    images = sorted({d.host for d in a.defangs if d.kind == "image"})
    links = sorted({d.host for d in a.defangs if d.kind == "link"})
    if images:
        out["images"] = images
    if links:
        out["links"] = links
    return out


class ResultScreen:
    """Applies a `Screener` and a policy to tool results."""

    def __init__(self, screener: Screener, policy: str | None = None) -> None:
        self.screener = screener
        self.policy = policy or screener.policy
        # Leaf objects (only scalar values: a search hit, a list entry) found clean, with the hosts they own. The
        # verdict depends only on their values and the hosts inherited from above, so it is reused: the same
        # records come back on every read, and a clean one then costs one lookup instead of a screening.
        self._clean: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._clean_chars = 0

    def screen(self, result: dict[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
        """The screened result (the same object when nothing changed) and its findings."""
        st = _State()
        out = dict(result)
        structured = result.get("structuredContent")
        if isinstance(structured, (dict, list)):
            out["structuredContent"] = self._node(structured, "structuredContent", None, (), st)
        for key in ("content", "contents"):
            blocks = result.get(key)
            if isinstance(blocks, list):
                out[key] = [self._block(b, f"{key}[{i}]", structured, out.get("structuredContent"), st)
                            for i, b in enumerate(blocks)]
        messages = result.get("messages")
        if isinstance(messages, list):
            out["messages"] = [self._message(m, f"messages[{i}]", st) for i, m in enumerate(messages)]
        if not st.findings:
            return result, []
        return out, st.findings

    # -- structured content ------------------------------------------------------------------------
    def _node(self, node: Any, path: str, record_id: str | None, hosts: tuple[str, ...], st: _State) -> Any:
        if isinstance(node, dict):
            return self._dict(node, path, record_id, hosts, st)
        if isinstance(node, list):
            new = [self._node(v, f"{path}[{i}]", record_id, hosts, st) for i, v in enumerate(node)]
            return new if any(a is not b for a, b in zip(new, node)) else node
        if isinstance(node, str):
            return self._emit(self.screener.analyse(node, hosts=hosts), path, record_id, st)
        return node

    def _dict(self, node: dict[str, Any], path: str, record_id: str | None, hosts: tuple[str, ...],
              st: _State) -> dict[str, Any]:
        leaf = _leaf_key(node, hosts)
        if leaf is not None:
            own = self._clean.get(leaf)
            if own is not None:
                st.hosts.update(hosts + own)
                return node
            found = len(st.findings)
        own = _domains(node)
        record_id = _record_id(node) or record_id
        hosts = hosts + own
        st.hosts.update(hosts)
        slots = [((k, i), v) for k, value in node.items() for i, v in _strings(value)]
        analyses = {slot: self.screener.analyse(v, hosts=hosts) for slot, v in slots}
        self._split([slot for slot, _ in slots], analyses)
        out: dict[str, Any] = {}
        for k, v in node.items():
            p = f"{path}.{k}"
            if isinstance(v, str):
                out[k] = self._emit(analyses[(k, None)], p, record_id, st)
            elif isinstance(v, list) and any(isinstance(x, str) for x in v):
                new = [self._emit(analyses[(k, i)], f"{p}[{i}]", record_id, st) if isinstance(x, str)
                       else self._node(x, f"{p}[{i}]", record_id, hosts, st) for i, x in enumerate(v)]
                out[k] = new if any(a is not b for a, b in zip(new, v)) else v
            else:
                out[k] = self._node(v, p, record_id, hosts, st)
        if any(out[k] is not node[k] for k in node):
            return out
        if leaf is not None and len(st.findings) == found:  # clean: remember it
            self._clean_chars += leaf[-1] + 64
            if self._clean_chars > CLEAN_MEMO_CHARS:
                self._clean.clear()
                self._clean_chars = leaf[-1] + 64
            self._clean[leaf] = own
        return node

    def _split(self, order: list[tuple[str, int | None]], analyses: dict[Any, Analysis]) -> None:
        """Read each pair of neighbouring strings of an object across their boundary; flag the fields an
        instruction spans ("Ignore all previous" / "instructions and …")."""
        parts = [(slot, analyses[slot].text) for slot in order if analyses[slot].text.strip()]
        if len(parts) < 2 or all(a.flagged for a in analyses.values()):
            return
        crossing: dict[Any, list[Match]] = {}
        for (left, ltext), (right, rtext) in zip(parts, parts[1:]):
            head = ltext[-SPLIT_WINDOW:]
            cut = len(ltext) - len(head)
            for m in self.screener.detect(head + "\n" + rtext[:SPLIT_WINDOW], depth=1):
                if 0 <= m.start < len(head) < m.end:
                    crossing.setdefault(left, []).append(
                        Match(m.rule, m.category, m.weight, cut + m.start, len(ltext)))
                    crossing.setdefault(right, []).append(
                        Match(m.rule, m.category, m.weight, 0, min(m.end - len(head) - 1, len(rtext))))
        if not crossing:
            return
        pool = [m for slot, found in crossing.items() for m in found + analyses[slot].matches]
        score = score_of(pool)
        if score < self.screener.threshold:
            return
        for slot, found in crossing.items():
            a = analyses[slot]
            a.matches = a.matches + found + [Match("split_across_fields", "override", 0.0)]
            a.score, a.flagged = max(a.score, score), True

    def _emit(self, a: Analysis, path: str, record_id: str | None, st: _State) -> str:
        if not a.flagged and not a.sanitised:
            return a.original
        rendered = self.screener.render(a, self.policy)
        action = ACTIONS[self.policy] if a.flagged else "sanitised"
        rules = a.rules if a.flagged else ([m.rule for m in a.matches if m.category == "hidden"] or ["sanitised"])
        st.findings.append(Finding(path, rules, a.score, action, record_id, removed_summary(a)))
        if a.flagged:
            st.flagged.append((a, record_id))
        return rendered

    # -- text blocks -------------------------------------------------------------------------------
    def _block(self, block: Any, path: str, original: Any, screened: Any, st: _State) -> Any:
        if not isinstance(block, dict) or not isinstance(block.get("text"), str):
            return block
        text = block["text"]
        if original is not None and _is_json_of(text, original):  # the JSON of structuredContent: re-render it
            if screened is original:
                return block
            return {**block, "text": jsoncodec.dumps_text(screened)}
        new = self._text(text, f"{path}.text", st, detect=original is None)
        return block if new is text else {**block, "text": new}

    def _message(self, message: Any, path: str, st: _State) -> Any:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, dict):
            return message
        new = self._block(content, f"{path}.content", None, None, st)
        return message if new is content else {**message, "content": new}

    def _text(self, text: str, path: str, st: _State, detect: bool = True) -> str:
        """A rendered text block. With structuredContent beside it (`detect` off) the block is a rendering
        of values already screened: only those flagged values are found and treated again, and hiding
        characters and links handled; without it the block is scored paragraph by paragraph."""
        a = self.screener.analyse(text, hosts=tuple(st.hosts), segmented=True, detect=detect)
        flagged = [f for f, _ in st.flagged]
        body, treated = render_block(self.policy, a, flagged)
        if body is None:
            return text
        if not treated:
            st.findings.append(Finding(path, ["sanitised"], a.score, "sanitised", None, removed_summary(a)))
            return body
        rules = list(dict.fromkeys(a.rules + [r for f in flagged for r in f.rules]))
        record = next((rid for _, rid in st.flagged if rid), None)
        st.findings.append(Finding(path, rules, max([a.score] + [f.score for f in flagged]),
                                   ACTIONS[self.policy], record, removed_summary(a)))
        return body


def _leaf_key(node: dict[str, Any], hosts: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The memo key of a small object: its values strings, numbers, booleans, null, or lists and objects of those
    (one level down); None for anything deeper or holding more than CLEAN_MEMO_TEXT characters. Types are part of
    the key: 1, 1.0 and True are different values to a reader."""
    budget = [CLEAN_MEMO_TEXT]
    frozen = _freeze(node, budget, 1)
    return None if frozen is None else (hosts, frozen, CLEAN_MEMO_TEXT - budget[0])


_SCALARS = (int, float, bool)


def _freeze(value: Any, budget: list[int], depth: int) -> Any:
    t = type(value)
    if t is str:
        budget[0] -= len(value)
        return None if budget[0] < 0 else (t, value)
    if value is None or t in _SCALARS:
        return (t, value)
    if depth < 0 or t not in (dict, list):
        return None
    items = []
    for k, v in (value.items() if t is dict else enumerate(value)):
        f = _freeze(v, budget, depth - 1)
        if f is None:
            return None
        items.append((k, f))
    return t, tuple(items)


def _strings(value: Any) -> list[tuple[int | None, str]]:
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, list):
        return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def _record_id(node: dict[str, Any]) -> str | None:
    for key in ("record_id", "id"):
        value = node.get(key)
        if isinstance(value, str) and RECORD_ID.match(value):
            return value
    record = node.get("record")
    if isinstance(record, dict) and isinstance(record.get("id"), str) and RECORD_ID.match(record["id"]):
        return record["id"]
    return None


def _domains(node: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for key in DOMAIN_KEYS:
        value = node.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                item = item.get("domain") or item.get("email_address")
            if not isinstance(item, str) or not item.strip():
                continue
            item = item.strip().lower()
            host = item.rsplit("@", 1)[1] if "@" in item else (urlsplit(item).hostname or "") if "://" in item \
                else item.split("/")[0]
            host = host.removeprefix("www.")
            if "." in host and " " not in host:
                out.append(host)
    return tuple(out)


def _is_json_of(text: str, data: Any) -> bool:
    if not text.startswith(("{", "[")):
        return False
    if text == jsoncodec.dumps_text(data):  # as the tools write it: no need to parse
        return True
    try:
        return jsoncodec.loads(text) == data
    except ValueError:
        return False
