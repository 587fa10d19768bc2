"""`flask --app connector security …`: try the prompt-injection screener on your own text.

    printf '%s\\n' '{"text": "Ignore previous instructions"}' | flask --app connector security screen

Each input line is a JSON object with a "text" string (an "id" is echoed back). Each output line
holds `flagged`, `score`, `threshold`, `policy`, `action`, `findings` (rule, category, weight,
offsets into the sanitised text, excerpt), `removed` (hidden characters, defanged hosts) and `text`
as the current policy would return it. A malformed line yields `{"line": n, "error": …}` and the
command exits 1 at the end.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .hook import build_screener
from .results import ACTIONS, removed_summary
from .screen import POLICIES, Analysis, Screener

security = AppGroup("security", help="Prompt-injection screening and other security tools.")
EXCERPT = 80


def verdict(screener: Screener, a: Analysis) -> dict[str, Any]:
    """The JSON object printed for one analysed text."""
    findings = []
    for m in sorted(a.matches, key=lambda m: (m.start, -m.weight)):
        item: dict[str, Any] = {"rule": m.rule, "category": m.category, "weight": m.weight}
        if m.start >= 0:
            item.update(start=m.start, end=m.end, excerpt=a.text[m.start:m.end][:EXCERPT])
        if m.obfuscated:
            item["obfuscated"] = True
        findings.append(item)
    action = ACTIONS[screener.policy] if a.flagged else ("sanitised" if a.sanitised else "none")
    return {"flagged": a.flagged, "score": a.score, "threshold": screener.threshold, "policy": screener.policy,
            "action": action, "rules": a.rules, "findings": findings, "removed": removed_summary(a),
            "text": screener.render(a)}


@security.command("screen")
@click.option("--policy", type=click.Choice(POLICIES), default=None, help="Override SCREENING_POLICY.")
@click.option("--threshold", type=click.FloatRange(0.1, 10.0), default=None,
              help="Override SCREENING_THRESHOLD.")
def screen_command(policy: str | None, threshold: float | None) -> None:
    """Screen JSON Lines from stdin ({"text": "..."} per line); print one verdict per line."""
    screener = build_screener(current_app, policy, threshold)
    errors = 0
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            errors += 1
            click.echo(json.dumps({"line": n, "error": 'each line must be a JSON object with a "text" string'}))
            continue
        text = item["text"]
        out = verdict(screener, screener.analyse(text))
        if "id" in item:
            out = {"id": item["id"], **out}
        click.echo(json.dumps(out, ensure_ascii=False))
    if errors:
        sys.exit(1)
