"""The official MCP conformance suite against the conformance build, for 2025-06-18 and 2025-11-25.

Needs Node 22 and @modelcontextprotocol/conformance 0.1.16 (installed by `make conformance-tools`).
No expected-failures list: every server scenario must pass.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import ROOT, need, node22

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

SUITE = ROOT / ".tools" / "conformance" / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"


@pytest.fixture(scope="module")
def conformance_server(server_factory):
    return server_factory("tests.conformance.wsgi:app")


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_every_server_scenario_passes(conformance_server, version, tmp_path):
    node = node22()
    need(node is not None, "Node 22 is not installed (run `make conformance-tools`)")
    need(SUITE.exists(), "@modelcontextprotocol/conformance 0.1.16 is not installed (run `make conformance-tools`)")
    # dns-rebinding-protection needs a localhost URL.
    url = f"http://localhost:{conformance_server.port}/mcp"
    env = {**os.environ, "PATH": f"{os.path.dirname(node)}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run([node, str(SUITE), "server", "--url", url, "--suite", "all", "--spec-version", version,
                           "-o", str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    total = re.search(r"Total: (\d+) passed, (\d+) failed", report)
    assert total, report[-6000:]
    assert int(total.group(2)) == 0 and int(total.group(1)) >= 25, total.group(0)
    assert "WARNING" not in report, report[-6000:]
