"""The demo Attio's test-only parts, installed by `create_demo_app(testing=True)` and never by `make run`.

- the "Inbound Leads" workspace with planted prompt injections (`seed_planted.py`, token `PLANTED_TOKEN`);
- fault injection and the request log in front of `/v2` and the OAuth endpoints (`recorder.py`);
- the `/_admin` switches: faults, the request log, reset, rate limits, OAuth state (`admin.py`).

The shipped image leaves this package out (`.dockerignore`).
"""
from __future__ import annotations

from typing import Callable

from flask import Flask

from ..store import Workspace
from .admin import bp as admin_bp
from .recorder import Recorder, after_request, before_request
from .seed_planted import PLANTED_TOKEN, seed_planted

__all__ = ["PLANTED_TOKEN", "extra_workspaces", "install"]


def extra_workspaces() -> dict[str, Callable[[], Workspace]]:
    """The test-only workspaces by token: `PLANTED_TOKEN` → "Inbound Leads"."""
    return {PLANTED_TOKEN: seed_planted}


def install(app: Flask) -> None:
    """Put fault injection and the request log in front of every route, and add the `/_admin` switches."""
    app.extensions["demo_attio_testing"] = Recorder()
    app.before_request(before_request)
    app.after_request(after_request)
    app.register_blueprint(admin_bp)
