"""docs/troubleshooting.md names every error an operator can meet: each start-up refusal, CLI error, backup error
and outage message in the code appears there (its stable leading text). Collected from the code, so a new message
without an entry fails this test."""
from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

DOC = ROOT / "docs" / "troubleshooting.md"
# Exceptions whose first argument an operator reads (start-up, the CLI, backup/restore).
RAISED = {"ConfigError", "ClickException", "BadParameter", "UsageError", "BackupError", "CimdError"}
# Pages a person meets on the sign-in / consent page: error_page(status, title, message, …).
PAGES = {"error_page"}
SOURCES = [*sorted((ROOT / "connector").rglob("*.py")), ROOT / "gunicorn.conf.py"]
SKIP = {"connector/attio/demo"}  # the demo Attio's own messages are for tests, not operators
# Other operator-facing texts, named by (file, variable or function) and read from the code as well.
NAMED = [("connector/outages.py", "MESSAGES"), ("connector/ops/health.py", "check_database"),
         ("connector/ops/health.py", "check_redis"),
         ("connector/mcp/http_common.py", "refuse"), ("connector/security/hosts.py", "misdirected")]
MIN_FRAGMENT = 12


def leading_text(node: ast.AST) -> str | None:
    """The literal text of a string argument up to its first placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text += part.value
            else:
                break
        return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return leading_text(node.left)
    return None


def fragment(text: str) -> str | None:
    """The part of a message that must appear in the doc: up to the first placeholder, at most 60 characters,
    cut at a word boundary."""
    text = " ".join(text.replace("`", "").split())
    if len(text) < MIN_FRAGMENT or '="' in text:  # too short to be a message, or a header value
        return None
    if len(text) > 60:
        text = text[:60].rsplit(" ", 1)[0]
    return text


def raised_messages(source: str) -> list[str]:
    """First arguments of every raise of an operator-facing exception in `source`."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in RAISED and node.args:
                text = leading_text(node.args[0])
                if text is not None:
                    out.append(text)
            if name in PAGES and len(node.args) >= 2:
                text = leading_text(node.args[1])
                if text is not None:
                    out.append(text)
    return out


def named_messages(source: str, name: str) -> list[str]:
    """Every string literal inside the assignment or function called `name`."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        target = node.name if isinstance(node, ast.FunctionDef) else (
            node.targets[0].id if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) else None)
        if target == name:
            docstrings = {id(sub.value) for sub in ast.walk(node) if isinstance(sub, ast.Expr)}
            inside_fstrings = {id(part) for sub in ast.walk(node) if isinstance(sub, ast.JoinedStr)
                               for part in sub.values}
            texts = []
            for sub in ast.walk(node):
                if id(sub) in docstrings or id(sub) in inside_fstrings:
                    continue
                if isinstance(sub, ast.JoinedStr) or (isinstance(sub, ast.Constant) and isinstance(sub.value, str)):
                    text = leading_text(sub)
                    if text and " " in text.strip() and text.strip()[0].isalnum():
                        texts.append(text)
            return texts
    raise AssertionError(f"{name} not found")


def messages() -> dict[str, str]:
    """fragment → where it comes from."""
    found: dict[str, str] = {}
    for path in SOURCES:
        rel = str(path.relative_to(ROOT))
        if any(rel.startswith(s) for s in SKIP):
            continue
        for text in raised_messages(path.read_text()):
            if (frag := fragment(text)) is not None:
                found.setdefault(frag, rel)
    for rel, name in NAMED:
        for text in named_messages((ROOT / rel).read_text(), name):
            if (frag := fragment(text)) is not None:
                found.setdefault(frag, f"{rel}:{name}")
    return found


def normalised(text: str) -> str:
    return " ".join(text.replace("`", "").replace("\\", "").split())


def test_every_operator_facing_message_is_in_troubleshooting():
    doc = normalised(DOC.read_text())
    found = messages()
    assert len(found) > 35, found  # the collector sees the code's messages
    missing = {frag: where for frag, where in found.items() if frag not in doc}
    assert not missing, "add these to docs/troubleshooting.md (cause and fix):\n" + "\n".join(
        f"  {where}: {frag}" for frag, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_the_collector_catches_an_undocumented_refusal():
    source = 'def f(x):\n    raise ConfigError(f"FROBNICATE={x} is not a thing you can set here, ever")\n'
    frags = [fragment(t) for t in raised_messages(source)]
    assert frags == ["FROBNICATE="] or frags == [None]
    source = 'raise click.ClickException("the frobnicator is jammed: unjam it and try again")\n'
    assert [fragment(t) for t in raised_messages(source)] == ["the frobnicator is jammed: unjam it and try again"]
    assert "the frobnicator is jammed" not in normalised(DOC.read_text())


def test_each_entry_says_cause_and_fix():
    chunks = re.split(r"\n(?=\s*- \*\*|\n)", DOC.read_text())
    entries = [c.strip() for c in chunks if c.strip().startswith("- **")]
    assert len(entries) > 40
    # A nested list of causes under one entry carries its fixes itself.
    missing = [e[:80] for e in entries if "fix" not in e.lower() and "Fix" not in e]
    assert not missing, missing
