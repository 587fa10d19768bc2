"""gunicorn.conf.py reads its settings from the environment: the access-log switch."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), ("-", "-"), ("/var/log/access.log", "/var/log/access.log"),
    ("off", None), ("OFF", None), ("/dev/null", None), ("none", None)])
def test_access_log_target_or_off(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("ACCESS_LOG", value)
    assert runpy.run_path(str(CONF))["accesslog"] == expected
