"""A demo Attio: Attio's REST API v2 served over real HTTP from seeded, in-memory workspaces.

A sibling of the connector, not part of it: it imports nothing from `connector`. The connector's demo mode
(`make run`) talks to it as if it were api.attio.com, and the tests do, over a loopback socket.
`start_demo_attio()` runs it as a subprocess (`python -m attio_demo`). It also plays Attio's OAuth server
(`/authorize`, `/oauth/token`, `/oauth/introspect`, `/oauth/revoke`; see `routes_oauth.py`).
`create_demo_app(testing=True)` (`--testing` on the command line) adds the test-only parts of
`attio_demo.testing`.

Imports are lazy so that `python -m attio_demo` can let gevent patch the standard library before Flask
loads, and `gunicorn.conf.py` can import the runner without pulling in Flask.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .tokens import (DEMO_OAUTH_APP_NAME, DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET, DEMO_TOKEN, DEMO_TOKEN_2,
                     DEMO_TOKEN_READONLY)

_LAZY = {"create_demo_app": ".app", "start_demo_attio": ".runner", "DemoAttio": ".runner",
         "SupervisedDemo": ".runner"}
__all__ = ["DEMO_OAUTH_APP_NAME", "DEMO_OAUTH_CLIENT_ID", "DEMO_OAUTH_CLIENT_SECRET", "DEMO_TOKEN",
           "DEMO_TOKEN_2", "DEMO_TOKEN_READONLY", "DemoAttio", "SupervisedDemo", "create_demo_app",
           "start_demo_attio"]

if TYPE_CHECKING:
    from .app import create_demo_app
    from .runner import DemoAttio, SupervisedDemo, start_demo_attio


def __getattr__(name: str) -> Any:
    """Load `create_demo_app`, `start_demo_attio`, `DemoAttio` and `SupervisedDemo` on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
