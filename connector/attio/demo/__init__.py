"""A built-in demo Attio: Attio's REST API v2 served over real HTTP from a seeded workspace.

Used by demo mode (the connector talks to it as if it were api.attio.com) and by the
tests, over a loopback socket. `start_demo_attio()` runs it as a subprocess. It also
plays Attio's OAuth server (`/authorize`, `/oauth/token`, `/oauth/introspect`,
`/oauth/revoke`; see `routes_oauth.py`).

Imports are lazy so that `python -m connector.attio.demo` can let gevent patch the
standard library before Flask loads, and `gunicorn.conf.py` can import the runner
without pulling in Flask.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

DEMO_TOKEN = "demo-attio-key"  # nosec B105  # the demo's public fixture key
DEMO_TOKEN_2 = "demo-attio-key-2"  # nosec B105  # the demo's public fixture key
DEMO_TOKEN_READONLY = "demo-attio-key-readonly"  # nosec B105  # the demo's public fixture key
# The demo's one registered OAuth app (see `oauth.py`): loopback /oauth/attio/callback redirects.
DEMO_OAUTH_CLIENT_ID = "demo-oauth-client"
DEMO_OAUTH_CLIENT_SECRET = "demo-oauth-secret"  # nosec B105  # the demo's public fixture secret
DEMO_OAUTH_APP_NAME = "Attio Connector (demo)"

_LAZY = {"create_demo_app": ".app", "start_demo_attio": ".runner", "DemoAttio": ".runner"}
__all__ = ["DEMO_OAUTH_APP_NAME", "DEMO_OAUTH_CLIENT_ID", "DEMO_OAUTH_CLIENT_SECRET", "DEMO_TOKEN",
           "DEMO_TOKEN_2", "DEMO_TOKEN_READONLY", "DemoAttio", "create_demo_app", "start_demo_attio"]

if TYPE_CHECKING:
    from .app import create_demo_app
    from .runner import DemoAttio, start_demo_attio


def __getattr__(name: str) -> Any:
    """Load `create_demo_app`, `start_demo_attio` and `DemoAttio` on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
