"""docs/troubleshooting.md names every error an operator, a client or a person on the consent page can meet.

The messages are collected from the code (an AST walk over connector/**/*.py and gunicorn.conf.py), so a new
start-up refusal, CLI error, HTTP error body or consent-page message without an entry fails
`test_every_message_in_the_code_is_documented`, which lists every missing one with its file and line.

What counts as a message (extend the tables when you add a new kind of operator-facing site):
- the first argument of every `ConfigError`, `click.ClickException` / `BadParameter` / `UsageError`, `SystemExit`
  and the other exceptions in RAISED (backup/restore, CIMD, Attio sign-in, OAuth request errors);
- the message of every reply built by `rpc_error` / `oauth_error` / `challenge` / `json_response(
  {"error_description": …})` whose status is one of STATUSES (or not a literal), and the title and message of every
  `error_page` (the sign-in / consent page);
- the first argument of `sys.stderr.write` (gunicorn's start-up), `problems.append` (`flask check`) and
  `warnings.append` (the consent page's client warnings);
- every string inside the variables and functions in NAMED (the 503 outage texts, /readyz details, …).

Of each message the stable leading part is checked: the literal text up to the first placeholder of an f-string (or
`%s`), whitespace and backticks normalised, cut at a word boundary within FRAGMENT_CHARS. When that leading part is
shorter than MIN_CHARS (`f"{name}={value} is invalid: …"`), the longest literal run is checked instead.
"""
from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

DOC = ROOT / "docs" / "troubleshooting.md"
SKIP = ("attio_demo/",)  # the demo Attio's own messages are for tests, not operators

RAISED = {"ConfigError", "ClickException", "BadParameter", "UsageError", "SystemExit",
          # flask db backup / restore
          "BackupError",
          # the sign-in page: client metadata documents, the Attio sign-in, redirect URI rules, OAuth request errors
          "CimdError", "FetchError", "UpstreamError", "RedirectError",
          "InvalidRequestError", "InvalidGrantError", "InvalidTargetError"}
# Files whose plain ValueErrors are operator-facing too: config.py's parsers end up in "NAME=… is invalid: <this>".
RAISED_IN = {"connector/config.py": {"ValueError"}}
# reply builder -> (index of its HTTP status argument or None, indexes of its message arguments)
REPLIES = {"rpc_error": (0, (2,)), "oauth_error": (0, (2,)), "challenge": (1, (3,)), "error_page": (None, (1, 2))}
# HTTP statuses whose bodies an operator reads in logs or a client shows (400/406/415 protocol errors are the client
# developer's business and stay out).
STATUSES = {401, 403, 404, 409, 413, 421, 429, 500, 502, 503}
# dotted call name -> the first argument is a message
WRITTEN = {"sys.stderr.write", "sys.exit", "problems.append", "warnings.append"}
# (file, variable or function): every string literal inside it is a message.
NAMED = [
    ("connector/outages.py", "MESSAGES"),                # the 503 bodies for Redis / the database down
    ("connector/security/hosts.py", "misdirected"),      # the 421 body
    ("connector/errors.py", "handle_http_error"),        # 413 and the other HTTP errors
    ("connector/errors.py", "handle_unexpected"),        # the 500 and its log line
    ("connector/ops/health.py", "check_database"),       # /readyz details
    ("connector/ops/health.py", "check_redis"),
    ("connector/ops/health.py", "check_attio"),
    ("connector/auth/signin.py", "REFUSED"),             # the consent page's wrong-password notice
    ("connector/security/cli.py", "screen_command"),     # flask security screen's per-line error
]
FRAGMENT_CHARS = 60  # 40 would make the two outage bodies ("Service temporarily unavailable: the …") one fragment
MIN_CHARS = 6
PRINTF = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifr]")


@dataclass(frozen=True)
class Message:
    """One operator- or person-facing message: the fragment the doc must contain, and where the code has it."""

    fragment: str
    where: str


def _dotted(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_dotted(func.value)}.{func.attr}"
    return ""


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level NAME = "text" assignments, to resolve `raise FetchError(FETCH_FAILED)`."""
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
    return out


def parts(node: ast.expr, constants: dict[str, ast.expr] | None = None) -> list[str | None] | None:
    """The text of a string expression as literal pieces, None for each placeholder; None when it is not text
    written in the code (`str(exc)`, a parameter)."""
    constants = constants or {}
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return None
        pieces: list[str | None] = []
        for i, literal in enumerate(PRINTF.split(node.value)):
            if i:
                pieces.append(None)
            pieces.append(literal)
        return pieces
    if isinstance(node, ast.JoinedStr):
        return [p.value if isinstance(p, ast.Constant) else None for p in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = parts(node.left, constants), parts(node.right, constants)
        if left is None and right is None:
            return None
        return (left or [None]) + (right or [None])
    if isinstance(node, ast.Name) and node.id in constants:
        return parts(constants[node.id])
    return None


def _normalised(text: str) -> str:
    return " ".join(text.replace("`", "").replace("\\", "").split())


def fragment(pieces: list[str | None]) -> str | None:
    """The part of a message the doc must contain (see the module docstring), or None if nothing is stable."""
    runs, current = [], ""
    for piece in pieces + [None]:
        if piece is None:
            runs.append(_normalised(current))
            current = ""
        else:
            current += piece
    text = runs[0]
    if len(text) < MIN_CHARS:
        text = max((run.strip(" ():;,.") for run in runs), key=len)
        if len(text) < MIN_CHARS:
            return None
    if len(text) > FRAGMENT_CHARS:
        text = text[:FRAGMENT_CHARS].rsplit(" ", 1)[0]
    return text


def _status_ok(call: ast.Call, index: int | None) -> bool:
    if index is None or len(call.args) <= index:
        return True
    status = call.args[index]
    if isinstance(status, ast.Constant) and isinstance(status.value, int):
        return status.value in STATUSES
    return True  # a computed status: keep the message


def _messages_of_call(call: ast.Call, rel: str, constants: dict[str, ast.expr]) -> list[tuple[ast.expr, str]]:
    """(message expression, kind) for each message argument of `call`."""
    dotted = _dotted(call.func)
    name = dotted.rsplit(".", 1)[-1]
    if name in RAISED or name in RAISED_IN.get(rel, ()):
        return [(call.args[0], name)] if call.args else []
    if dotted in WRITTEN:
        return [(call.args[0], dotted)] if call.args else []
    if name in REPLIES:
        status_at, message_at = REPLIES[name]
        if not _status_ok(call, status_at):
            return []
        return [(call.args[i], name) for i in message_at if i < len(call.args)]
    if name == "json_response" and call.args and isinstance(call.args[0], ast.Dict) and _status_ok(call, 1):
        body = call.args[0]
        return [(value, name) for key, value in zip(body.keys, body.values)
                if isinstance(key, ast.Constant) and key.value == "error_description"]
    return []


def collect(source: str, rel: str) -> list[Message]:
    """The messages of the operator-facing calls in one file's source."""
    tree = ast.parse(source)
    constants = _constants(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for expr, kind in _messages_of_call(node, rel, constants):
                pieces = parts(expr, constants)
                frag = fragment(pieces) if pieces is not None else None
                if frag is not None:
                    out.append(Message(frag, f"{rel}:{node.lineno} ({kind})"))
    return out


def named(source: str, rel: str, name: str) -> list[Message]:
    """Every message-like string (starts with a letter or digit, has a space) inside the module-level variable or
    the function called `name`; docstrings and SQL given to `text()` are left out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            target = node.name
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        else:
            continue
        if target != name:
            continue
        skipped = {id(sub.value) for sub in ast.walk(node) if isinstance(sub, ast.Expr)}  # docstrings
        for decorator in getattr(node, "decorator_list", []):  # option help texts
            skipped.update(id(sub) for sub in ast.walk(decorator))
        for sub in ast.walk(node):
            if isinstance(sub, ast.JoinedStr):
                skipped.update(id(p) for p in sub.values)
            if isinstance(sub, ast.Call) and _dotted(sub.func) == "text":
                skipped.update(id(a) for a in sub.args)
        out = []
        for sub in ast.walk(node):
            if id(sub) in skipped or not isinstance(sub, ast.Constant | ast.JoinedStr):
                continue
            pieces = parts(sub)
            frag = fragment(pieces) if pieces is not None else None
            if frag and " " in frag and frag[0].isalnum():
                out.append(Message(frag, f"{rel}:{sub.lineno} ({name})"))
        return out
    raise AssertionError(f"{rel} has no {name}: update NAMED in {Path(__file__).name}")


def code_messages(root: Path = ROOT, named_sites: list[tuple[str, str]] = NAMED) -> list[Message]:
    """Every operator- or person-facing message in the code under `root`."""
    sources = [*sorted((root / "connector").rglob("*.py")), root / "gunicorn.conf.py"]
    out = []
    for path in sources:
        rel = path.relative_to(root).as_posix()
        if path.exists() and not rel.startswith(SKIP):
            out += collect(path.read_text(), rel)
    for rel, name in named_sites:
        out += named((root / rel).read_text(), rel, name)
    return out


def undocumented(messages: list[Message], doc: str) -> list[Message]:
    """The messages whose fragment the doc does not contain (backticks, backslashes and whitespace normalised)."""
    text = _normalised(doc)
    return [m for m in messages if m.fragment not in text]


def test_every_message_in_the_code_is_documented():
    found = code_messages()
    kinds = {m.where.rsplit("(", 1)[1].rstrip(")") for m in found}
    # Each kind of site is seen (a collector that silently stopped matching would pass everything).
    assert {"ConfigError", "ClickException", "BackupError", "CimdError", "FetchError", "UpstreamError",
            "ValueError", "rpc_error", "challenge", "error_page", "json_response", "sys.stderr.write",
            "problems.append", "warnings.append", "MESSAGES", "REFUSED", "check_database"} <= kinds, kinds
    assert len(found) > 100, len(found)
    missing = undocumented(found, DOC.read_text())
    assert not missing, ("add these to docs/troubleshooting.md as '- **message** — cause. Fix: …' under the right "
                         "### heading:\n" + "\n".join(f"  {m.where}: {m.fragment}" for m in missing))


def test_a_new_undocumented_config_error_fails(tmp_path):
    """A scratch copy of config.py with one more refusal: the check names it; documenting it clears it."""
    (tmp_path / "connector").mkdir()
    source = (ROOT / "connector" / "config.py").read_text()
    source += ('\n\ndef _frobnicate(cfg):\n'
               '    if cfg.get("FROBNICATE"):\n'
               '        raise ConfigError(f"FROBNICATE={cfg[\'FROBNICATE\']} cannot be combined with the demo mode")\n')
    (tmp_path / "connector" / "config.py").write_text(source)
    shutil.copy(ROOT / "gunicorn.conf.py", tmp_path / "gunicorn.conf.py")
    doc = DOC.read_text()

    new = "FROBNICATE="  # the leading literal, up to the first placeholder
    missing = {m.fragment: m.where for m in undocumented(code_messages(tmp_path, named_sites=[]), doc)}
    assert missing.get(new, "").startswith("connector/config.py:"), missing

    documented = doc + "\n- **FROBNICATE=… cannot be combined with the demo mode** — why. Fix: how.\n"
    assert new not in {m.fragment for m in undocumented(code_messages(tmp_path, named_sites=[]), documented)}


def test_the_collector_reads_each_kind_of_site():
    source = '''
"""Module docstring with enough words in it."""
import click, sys
GONE = "The frobnicator document could not be fetched."

def f(x, name, status):
    """A docstring is not a message."""
    raise ConfigError(f"FROB_LIMIT is too high for {x}: lower it below the worker count")
    raise click.UsageError("pass --frob or --no-frob, not both of them at once")
    raise click.BadParameter(f"{name} is not a frobnicator name")
    raise SystemExit("frobnication stopped: the queue is full")
    raise FetchError(GONE)
    raise ClickException(str(x))
    raise ValueError("a plain ValueError outside config.py is not a message")
    sys.stderr.write(f"\\nfrobnication failed:\\n{x}\\n")
    problems.append("FROB is not set: the default frobnicator is used")
    rpc_error(400, -32600, "Bad Request: a client developer's error stays out")
    rpc_error(503, -32600, f"Frobnicator capacity reached ({x} open); retry shortly")
    rpc_error(status, -32600, "Computed status: kept to be safe")
    json_response({"error": "frob", "error_description": "The frob store cannot be reached"}, 503)
    json_response({"error": "frob", "error_description": "Created, not an error"}, 201)
    error_page(403, "This frob form is no longer valid", "It expired. Start again from your app.", str(x))
    log.info("%s frobnicated", x)
'''
    got = {m.fragment: m.where.rsplit("(", 1)[1].rstrip(")") for m in collect(source, "connector/frob.py")}
    assert got == {
        "FROB_LIMIT is too high for": "ConfigError",
        "pass --frob or --no-frob, not both of them at once": "UsageError",
        "is not a frobnicator name": "BadParameter",  # starts with a placeholder: the longest literal run
        "frobnication stopped: the queue is full": "SystemExit",
        "The frobnicator document could not be fetched.": "FetchError",  # a module constant, resolved
        "frobnication failed:": "sys.stderr.write",
        "FROB is not set: the default frobnicator is used": "problems.append",
        "Frobnicator capacity reached (": "rpc_error",
        "Computed status: kept to be safe": "rpc_error",
        "The frob store cannot be reached": "json_response",
        "This frob form is no longer valid": "error_page",
        "It expired. Start again from your app.": "error_page",
    }
    # config.py's parser errors are messages there ("NAME=… is invalid: must be …").
    assert [m.fragment for m in collect('raise ValueError(f"must be between {lo} and {hi}")', "connector/config.py")] \
        == ["must be between"]
    # Long messages are cut at a word boundary; %-placeholders end the leading part; docstrings are skipped.
    long = "word " * 30
    assert fragment([long]) == ("word " * 12).strip()
    assert {m.fragment for m in named('def g():\n    """Doc string here."""\n    log.error("%s unavailable '
                                      '(%s); answering 503", a, b)\n    return "Frob store unreachable (%s)"\n',
                                      "x.py", "g")} == {"answering 503", "Frob store unreachable ("}


def test_each_entry_is_a_message_with_cause_and_fix():
    """'- **message** — cause. Fix: …', each under a ### heading of its area."""
    heading = None
    entries: list[tuple[str | None, str]] = []
    for line in DOC.read_text().splitlines():
        if line.startswith("#"):
            heading = line if line.startswith("### ") else None
            continue
        if line.startswith("- **"):
            entries.append((heading, line))
        elif entries and line.startswith("  ") and line.strip():
            entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
        elif line.startswith("- "):
            entries.append((heading, line))
    assert len(entries) > 80, len(entries)
    bad = [e[:90] for h, e in entries if h is None or not e.startswith("- **") or " — " not in e or "Fix" not in e]
    assert not bad, "entries outside a ### heading, or without '**message** — cause. Fix: …':\n" + "\n".join(bad)
