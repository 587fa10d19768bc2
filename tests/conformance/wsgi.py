"""The conformance build: the real app plus the suite's fixtures, registered through the public registry.

`make conformance-server` serves it with gunicorn on $PORT.
"""
from connector import create_app

from .fixtures import register_all

# The conformance suite has no OAuth client: this build serves the MCP endpoints without auth.
app = create_app({"AUTH_DISABLED": True, "RATE_LIMIT_INITIALIZE": "100000/minute"})
register_all(app.extensions["mcp"].registry)
