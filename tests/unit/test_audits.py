"""The audit tooling: lock files that match pyproject.toml, and a `make audit` that is never falsely clean."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME, TEST = ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "test.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*\\)?$")


def pins(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for every pinned requirement in a pip-compile output file."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, count = found[current]
            found[current] = (version, count + 1)
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("lock, groups", [(RUNTIME, ["main"]), (TEST, ["main", "test"])], ids=["runtime", "test"])
def test_lock_pins_every_direct_dependency_within_its_range(lock, groups):
    locked = pins(lock)
    declared = {"main": project()["dependencies"], "test": project()["optional-dependencies"]["test"]}
    stale = []
    for group in groups:
        for spec in declared[group]:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate():
                continue
            name = canonicalize_name(req.name)
            if name not in locked or not req.specifier.contains(locked[name][0], prereleases=True):
                stale.append(f"{spec} (locked: {locked.get(name, ('missing',))[0]})")
    assert stale == [], f"{lock.name} is stale, run `make lock`: {stale}"


@pytest.mark.parametrize("lock", [RUNTIME, TEST], ids=["runtime", "test"])
def test_every_pin_has_hashes_and_the_lock_names_pypi_files_only(lock):
    locked = pins(lock)
    text = lock.read_text()
    assert len(locked) > 20
    assert [name for name, (_, hashes) in locked.items() if hashes == 0] == []
    assert "pip-compile with Python 3.11" in text
    for marker in ("--index-url", "--extra-index-url", "--find-links", "file://", "-e "):
        assert marker not in text


def test_the_test_lock_agrees_with_the_runtime_lock():
    runtime, test = pins(RUNTIME), pins(TEST)
    assert {name: test.get(name, ("missing",))[0] for name in runtime} == {n: v for n, (v, _) in runtime.items()}
    assert {"bandit", "pip-audit", "pip-tools", "pytest"} <= set(test)


def test_top_level_requirements_is_the_runtime_lock():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["-r requirements/runtime.txt"]


# --- .ci/audit.py ------------------------------------------------------------------------------------------

def load_audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SKIPPED = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be "
                                                            "audited: flask (3.1.2)"},
                            {"name": "gevent", "skip_reason": "Dependency not found on PyPI and could not be "
                                                             "audited: gevent (25.9.1)"}], "fixes": []}


def test_all_skipped_is_a_failure_not_a_clean_audit():
    code, lines = load_audit().verdict("requirements/runtime.txt", "pypi", SKIPPED, "No known vulnerabilities found")
    assert code == 2
    text = "\n".join(lines)
    assert "AUDIT DID NOT RUN" in text and "NOT a clean result" in text and "none of its 2 packages" in text
    assert "no known vulnerabilities" not in text.lower()


def test_no_report_means_the_database_was_unreachable():
    code, lines = load_audit().verdict("x.txt", "osv", None, "Traceback\nrequests.exceptions.ConnectionError: "
                                                               "Failed to resolve 'api.osv.dev'")
    assert code == 2
    assert lines[0].startswith("AUDIT DID NOT RUN for x.txt") and "osv" in lines[0]
    assert "api.osv.dev" in lines[-1]


def test_partial_skip_is_incomplete_and_vulnerabilities_are_listed_with_fixes():
    report = {"dependencies": [
        {"name": "flask", "version": "3.1.2", "vulns": []},
        {"name": "requests", "version": "2.32.0", "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["2.32.4"]}]},
        {"name": "gevent", "skip_reason": "Dependency not found on PyPI"}]}
    code, lines = load_audit().verdict("r.txt", "pypi", report, "")
    assert code == 2
    assert "VULNERABLE requests==2.32.0: GHSA-xxxx (fixed in: 2.32.4)" in lines
    assert any(line.startswith("AUDIT INCOMPLETE for r.txt: 1 of 3") for line in lines)


def test_vulnerable_without_skips_exits_1_and_clean_exits_0():
    audit = load_audit()
    vulnerable = {"dependencies": [{"name": "jinja2", "version": "3.1.0", "vulns": [{"id": "PYSEC-1"}]}]}
    assert audit.verdict("r.txt", "pypi", vulnerable, "")[0] == 1
    clean = {"dependencies": [{"name": "flask", "version": "3.1.2", "vulns": []},
                              {"name": "jinja2", "version": "3.1.6", "vulns": []}]}
    code, lines = audit.verdict("r.txt", "pypi", clean, "")
    assert (code, lines) == (0, ["r.txt: all 2 pinned packages audited against pypi: no known vulnerabilities"])


def test_main_never_echoes_pip_audits_false_all_clear(monkeypatch, capsys):
    """pip-audit here exits 0 with 'No known vulnerabilities found' after skipping everything."""
    audit = load_audit()
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        Path(cmd[cmd.index("--output") + 1]).write_text(json.dumps(SKIPPED))
        return subprocess.CompletedProcess(cmd, 0, "", "No known vulnerabilities found\n")

    monkeypatch.setattr(audit.subprocess, "run", fake_run)
    assert audit.main(["requirements/runtime.txt", "requirements/test.txt"]) == 2
    out, err = capsys.readouterr()
    assert "No known vulnerabilities found" not in out + err
    assert "make audit FAILED" in err and out == ""
    assert [c[c.index("-r") + 1] for c in calls] == ["requirements/runtime.txt", "requirements/test.txt"]
    assert all("--require-hashes" in c and "--disable-pip" in c for c in calls)
