"""Wiring: the screening step the protocol layer calls on every result, and its audit trail.

`init_screening(app, registry)` builds the screener from the settings and sets two hooks on the
MCP registry (the protocol layer knows nothing of this package):

- `registry.result_filter(ctx, source, result)` — every `tools/call`, `resources/read` and
  `prompts/get` result passes through it before it is sent. Findings are listed under
  `_meta["attio-connector/screening"]` and each is written to the audit log as
  `screening.flagged` (tool, record id, rule, action; never the text).
- `registry.argument_check(tool, arguments)` — the structural input check (`inputs.py`).

Tool calls may run in a greenlet without an application context, so the audit write pushes one
for the app captured here. If screening itself fails the result is withheld, not sent unscreened.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

from .. import metrics
from .inputs import check_arguments
from .results import Finding, ResultScreen
from .screen import Screener

log = logging.getLogger("connector.security")

META_KEY = "attio-connector/screening"
MAX_AUDIT_EVENTS = 20
RESOURCE_RECORD = re.compile(r"^attio://records/([a-z0-9_]+)/([0-9a-f-]{36})$")
FAILED = ("This result could not be screened for prompt injection, so it was withheld. "
          "The error was logged on the server; try again or open the record in Attio.")


def build_screener(app: Flask, policy: str | None = None, threshold: float | None = None) -> Screener:
    """A screener from the app's settings (optionally overridden)."""
    cfg = app.config
    mcp = app.extensions.get("mcp")
    names = tuple(mcp.registry.tools) if mcp is not None else ()
    return Screener(threshold=cfg["SCREENING_THRESHOLD"] if threshold is None else threshold,
                    policy=policy or cfg["SCREENING_POLICY"], allowed_hosts=cfg["SCREENING_ALLOWED_HOSTS"],
                    tool_names=names)


def init_screening(app: Flask, registry: Any) -> None:
    """Set the registry's result filter and argument check for this app."""
    screen = ResultScreen(build_screener(app))
    app.extensions["screening"] = screen

    def result_filter(ctx: Any, source: str, result: dict[str, Any]) -> dict[str, Any]:
        if result.get("isError"):
            return result  # this server's own message (with the caller's own input), not CRM content
        try:
            screened, findings = screen.screen(result)
        except Exception:
            log.exception("screening failed for %s; the result is withheld", source)
            metrics.SCREENING.labels("failed").inc()
            if source in ("resources/read", "prompts/get"):
                raise
            return {"content": [{"type": "text", "text": FAILED}], "isError": True}
        if not findings:
            metrics.SCREENING.labels("clean").inc()
            return result
        metrics.SCREENING.labels(screen.policy).inc()
        meta = dict(screened.get("_meta") or {})
        meta[META_KEY] = {"policy": screen.policy, "threshold": screen.screener.threshold,
                          "findings": [f.to_meta() for f in findings]}
        screened["_meta"] = meta
        record_audit(app, ctx, source, result, findings)
        return screened

    registry.result_filter = result_filter
    registry.argument_check = check_arguments


HIDDEN_RULES = frozenset({"hidden_tags", "hidden_selectors", "zero_width", "bidi_override"})


def audited(findings: list[Finding]) -> list[Finding]:
    """The findings worth an audit event: flagged values, hidden characters and off-site images.
    A text block that repeats a flagged structured value is the same finding and is not counted twice."""
    structured = [f for f in findings if f.path.startswith("structuredContent")]
    chosen = []
    for f in findings:
        if f.action == "sanitised" and not (HIDDEN_RULES & set(f.rules)
                                           or f.removed.get("images")):
            continue
        if structured and not f.path.startswith("structuredContent"):
            continue
        chosen.append(f)
    return chosen


def record_audit(app: Flask, ctx: Any, source: str, result: dict[str, Any], findings: list[Finding]) -> None:
    """One `screening.flagged` event per finding (at most MAX_AUDIT_EVENTS per result)."""
    from ..auth.audit import audit

    events = audited(findings)
    if not events:
        return
    caller = getattr(ctx, "caller", None)
    fallback = _resource_record(result) if source == "resources/read" else None
    try:
        with app.app_context():
            for f in events[:MAX_AUDIT_EVENTS]:
                audit("screening.flagged", subject=getattr(caller, "subject", None),
                      client_id=getattr(caller, "client_id", None), commit=False, tool=source,
                      record_id=f.record_id or fallback, rule=f.rules[0] if f.rules else None, rules=f.rules,
                      action=f.action, path=f.path, score=f.score)
            app.extensions["db"].session.commit()
    except Exception:  # the audit log must never cost the caller their answer
        log.exception("could not write %d screening audit event(s) for %s", len(events), source)
    if len(events) > MAX_AUDIT_EVENTS:
        log.warning("screening: %d findings in one %s result; audited the first %d", len(events), source,
                    MAX_AUDIT_EVENTS)


def _resource_record(result: dict[str, Any]) -> str | None:
    for item in result.get("contents") or []:
        m = RESOURCE_RECORD.match(str(item.get("uri", ""))) if isinstance(item, dict) else None
        if m:
            return f"{m.group(1)}:{m.group(2)}"
    return None
