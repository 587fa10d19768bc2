"""The Flask extensions, created unbound here and bound to each app in the factory (`register_extensions`).

Each keeps its per-app state in `app.extensions[...]`, so one process can hold several apps (the tests do):
`cache` (Flask-Caching: Attio reads), `limiter` (Flask-Limiter: the auth routes), `db` (the OAuth store's engine
and session) and `oauth` (the Authlib authorization server). The MCP protocol and the Attio services bind
themselves the same way (`app.extensions["mcp"]`, `app.extensions["attio"]`).
"""
from typing import Any, Mapping

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

def redis_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Connection options for every Redis client (cache, limits, sessions): short timeouts, so an outage turns
    into a quick 503 (connector.outages) rather than a hung worker, and a health check on idle connections."""
    timeout = config["REDIS_SOCKET_TIMEOUT"]
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "health_check_interval": 30,
            "retry_on_timeout": False}


cache = Cache()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")

from .auth.db import Database  # noqa: E402  (after `limiter`: the auth package's rate limits import it)
from .auth.server import AuthorizationServerExtension  # noqa: E402

db = Database()
oauth = AuthorizationServerExtension()
