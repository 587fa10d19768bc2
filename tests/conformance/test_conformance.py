"""The official MCP conformance suite against the conformance build: both eras.

Needs Node 22 and @modelcontextprotocol/conformance 0.2.0-alpha.12 (installed by `make conformance-tools`).
Runs the frozen requirement sets of 2026-07-28 (stateless) and 2025-11-25 (sessions), whose unscored scenarios
(tasks-*, json-schema-2020-12, http-header-validation, http-custom-header-server-validation) run too and must pass
as well, plus the whole 2025-06-18 and 2025-11-25 suites. No expected-failures list: every scenario must pass.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import ROOT, need, node22

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

VERSION = "0.2.0-alpha.12"
PACKAGE = ROOT / ".tools" / "conformance" / "node_modules" / "@modelcontextprotocol" / "conformance"
SUITE = PACKAGE / "dist" / "index.js"
RUNS = {
    "requirements-2026-07-28": ["--requirements", "2026-07-28"],
    "requirements-2025-11-25": ["--requirements", "2025-11-25"],
    "all-2025-11-25": ["--suite", "all", "--spec-version", "2025-11-25"],
    "all-2025-06-18": ["--suite", "all", "--spec-version", "2025-06-18"],
}


@pytest.fixture(scope="module")
def conformance_server(server_factory):
    return server_factory("tests.conformance.wsgi:app")


def _installed_version() -> str | None:
    try:
        import json

        return json.loads((PACKAGE / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.mark.parametrize("run", list(RUNS))
def test_every_server_scenario_passes(conformance_server, run, tmp_path):
    node = node22()
    need(node is not None, "Node 22 is not installed (run `make conformance-tools`)")
    need(_installed_version() == VERSION,
         f"@modelcontextprotocol/conformance {VERSION} is not installed (run `make conformance-tools`)")
    # dns-rebinding-protection needs a localhost URL.
    url = f"http://localhost:{conformance_server.port}/mcp"
    env = {**os.environ, "PATH": f"{os.path.dirname(node)}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run([node, str(SUITE), "server", "--url", url, *RUNS[run], "-o", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=900)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    total = re.search(r"Total: (\d+) passed, (\d+) failed", report)
    assert total, report[-6000:]
    failing = [line for line in report.splitlines() if line.startswith("✗")]
    assert int(total.group(2)) == 0 and int(total.group(1)) >= 25, (total.group(0), failing)
    unscored = re.search(r"Not scored for \S+: (\d+) scenario\(s\) run, (\d+) failing", report)
    if run.startswith("requirements"):
        assert unscored and unscored.group(2) == "0", unscored.group(0) if unscored else report[-3000:]
    assert "WARNING" not in report, report[-6000:]
