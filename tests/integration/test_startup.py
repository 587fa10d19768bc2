"""Start-up refuses bad configuration with a clear message and a non-zero exit."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("env,message", [
    ({"MAX_STREAMS": "abc"}, "configuration error: MAX_STREAMS='abc' is invalid: must be a whole number"),
    ({"CONNECTOR_WORKERS": "2"}, "configuration error: CONNECTOR_WORKERS=2"),
    ({"PRODUCTION": "true"}, "APP_ENV=production needs real Attio settings"),
])
def test_gunicorn_refuses_bad_settings(env, message):
    full = {**os.environ, **env, "BIND": f"127.0.0.1:{free_port()}"}
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                          env=full, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert message in proc.stderr
