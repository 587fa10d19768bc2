"""Flask extension instances, created unbound and bound to the app in the factory.

The MCP protocol state and the Attio services are per app: they hang off
`app.extensions["mcp"]` and `app.extensions["attio"]` through their own init_app.
"""
from flask_caching import Cache

cache = Cache()
