"""The labelled corpus: precision and recall of the screener at the default threshold.

    .venv/bin/python -m pytest tests/security/test_corpus.py -q -s

prints the figures recorded in docs/security.md. Texts are screened as single values; records
(`"fields"`) go through the result screen, so an instruction split across fields counts too.

`attacks.jsonl`/`benign.jsonl` are the tuning corpus: the rules were written against them. The
`heldout_*.jsonl` files were written after tuning stopped for issue 8 and measured once; they are
not tuned on, so their figures are the honest estimate. Their recall floor sits just under what
was measured, so that a regression fails.
"""
from __future__ import annotations

from collections import Counter

import pytest

from connector.security.results import ResultScreen
from connector.security.screen import Screener
from connector.tools.docs import published_registry
from tests.security.conftest import corpus

BENIGN = corpus("benign.jsonl")
ATTACKS = corpus("attacks.jsonl")
HELDOUT_BENIGN = corpus("heldout_benign.jsonl")
HELDOUT_ATTACKS = corpus("heldout_attacks.jsonl")
HELDOUT_MEASURED = {"precision": 35 / 36, "recall": 35 / 48}  # issue 8, measured once (docs/security.md)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(tool_names=tuple(published_registry().tools))


def flagged(screener: Screener, item: dict) -> bool:
    """Does the screener flag this corpus item?"""
    if "text" in item:
        return screener.analyse(item["text"]).flagged
    _, findings = ResultScreen(screener).screen({"content": [], "structuredContent": item["fields"]})
    return any(f.action != "sanitised" for f in findings)


def test_the_corpus_is_big_and_labelled():
    assert len(BENIGN) >= 80 and len(ATTACKS) >= 60
    assert len(HELDOUT_BENIGN) >= 40 and len(HELDOUT_ATTACKS) >= 40
    everything = BENIGN + ATTACKS + HELDOUT_BENIGN + HELDOUT_ATTACKS
    assert len({i["id"] for i in everything}) == len(everything)
    kinds = Counter(i["kind"] for i in ATTACKS)
    for kind in ("direct", "obfuscated", "unicode", "multilingual", "markdown", "split", "roleplay", "base64",
                 "variation", "confusable", "html", "bidi", "addressed", "ignore_above"):
        assert kinds[kind] >= 3, kind
    assert {"names", "note", "code", "multilingual", "company", "emoji", "html", "addressed"} <= {
        i["kind"] for i in BENIGN}


def measure(screener: Screener, benign: list[dict], attacks: list[dict], label: str) -> tuple[float, float]:
    """Precision and recall on one labelled set, printed with what was missed and what was flagged wrongly."""
    false_pos = [i["id"] for i in benign if flagged(screener, i)]
    missed = [i["id"] for i in attacks if not flagged(screener, i)]
    tp = len(attacks) - len(missed)
    precision = tp / (tp + len(false_pos)) if tp + len(false_pos) else 0.0
    recall = tp / len(attacks)
    by_kind = Counter(i["kind"] for i in attacks if i["id"] not in missed)
    totals = Counter(i["kind"] for i in attacks)
    print(f"\n{label}: {len(benign)} benign, {len(attacks)} attacks, threshold {screener.threshold}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  false positives {false_pos}  missed {missed}")
    print("recall by kind: " + ", ".join(f"{k} {by_kind[k]}/{n}" for k, n in sorted(totals.items())))
    return precision, recall


def test_precision_and_recall_hold(screener):
    precision, recall = measure(screener, BENIGN, ATTACKS, "tuning corpus")
    assert precision >= 0.95 and recall >= 0.95


def test_held_out_precision_and_recall_do_not_regress(screener):
    precision, recall = measure(screener, HELDOUT_BENIGN, HELDOUT_ATTACKS, "held-out set (not tuned on)")
    assert precision >= 0.95
    assert recall >= round(HELDOUT_MEASURED["recall"] - 0.03, 2)  # 0.70: just under the 0.729 measured


def test_a_higher_threshold_trades_recall_for_fewer_flags(screener):
    strict = Screener(threshold=2.0, tool_names=tuple(published_registry().tools))
    loose_hits = sum(flagged(screener, i) for i in ATTACKS)
    strict_hits = sum(flagged(strict, i) for i in ATTACKS)
    assert strict_hits < loose_hits
    assert not any(flagged(strict, i) for i in BENIGN)


def test_the_score_is_the_sum_of_the_distinct_rules_weights(screener):
    for item in BENIGN + ATTACKS:
        if "text" not in item:
            continue
        a = screener.analyse(item["text"])
        best: dict[str, float] = {}
        for m in a.matches:
            best[m.rule] = max(best.get(m.rule, 0.0), m.weight)
        assert a.score == round(sum(best.values()), 2), item["id"]
        assert a.flagged == (a.score >= screener.threshold), item["id"]
