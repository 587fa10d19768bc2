"""gunicorn.conf.py reads its settings from the environment: the access-log switch. The file is loaded in a child
process: loading it sets process-wide state (PROMETHEUS_MULTIPROC_DIR, file limits) later tests must not inherit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOAD = "import json, runpy; print(json.dumps(runpy.run_path('gunicorn.conf.py')['accesslog']))"


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), ("-", "-"), ("/var/log/access.log", "/var/log/access.log"),
    ("off", None), ("OFF", None), ("/dev/null", None), ("none", None)])
def test_access_log_target_or_off(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "ACCESS_LOG"}
    if value is not None:
        env["ACCESS_LOG"] = value
    out = subprocess.run([sys.executable, "-c", LOAD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected
