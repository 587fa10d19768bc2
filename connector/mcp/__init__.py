"""The MCP protocol and its two HTTP transports, bound to a Flask app by `McpExtension.init_app`."""
from __future__ import annotations

import itertools
import logging
from typing import Any, Callable

from flask import Flask, Request, Response

from .admission import SessionRate
from .confirmation import Confirmations
from .context import Caller
from .stream_gate import StreamGate
from .mrtr import RequestStates
from .subscriptions import ChangeFeed
from .tasks import EXTENSION as TASKS_EXTENSION, MemoryTaskStore, RedisTaskStore, TaskManager
from .registry import Registry
from .server import McpServer
from .sessions import SessionStore

log = logging.getLogger("connector.mcp")


class McpExtension:
    """Holds the protocol server, the session store and the stream gate for one app."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.server: McpServer | None = None
        self.sessions: Any = None
        self.new_sessions = SessionRate(None, "memory://")
        self.gate: StreamGate | None = None
        self._keepalive_interval = 15.0
        self.first_event_wait = 10.0
        self.shutting_down = False
        self.auth_enabled = False
        self._authenticator: Callable[[Request], Caller | Response] = lambda request: Caller()
        self._scope_check: Callable[[Caller, str], Response | None] | None = None
        self._stream_ids = itertools.count(1)

    def init_app(self, app: Flask, services: Any, cache: Any = None) -> None:
        """Create the server, the session store and the stream gate (the factory registers `blueprints()`).
        `cache` is the app's Flask-Caching instance: with REDIS_URL its backend remembers used confirmation
        tokens for every worker."""
        cfg = app.config
        self.server = McpServer(self.registry, services, name="attio-connector", title="Attio Connector",
                                version=app.config["VERSION"], instructions=cfg["MCP_INSTRUCTIONS"])
        # The backend itself (cachelib), so tool greenlets need no app context; without Redis the
        # confirmations keep their own memory, which no cache pruning can empty early.
        used = app.extensions["cache"][cache] if cache is not None and cfg["REDIS_URL"] else None
        keys = [cfg["SECRET_KEY"], *cfg["SECRET_KEY_FALLBACKS"]]
        self.server.confirmations = Confirmations(keys, ttl=cfg["CONFIRMATION_TTL_SECONDS"], used=used)
        self.server.request_states = RequestStates(keys, ttl=cfg["CONFIRMATION_TTL_SECONDS"])
        self.server.changes = ChangeFeed(cfg["REDIS_URL"] or None,
                                         socket_timeout=cfg["REDIS_SOCKET_TIMEOUT"] if cfg["REDIS_URL"] else None)
        # The tasks extension (2026-07-28): task state in Redis when set, so any worker or instance answers for it.
        store = RedisTaskStore(cfg["REDIS_URL"], socket_timeout=cfg["REDIS_SOCKET_TIMEOUT"]) if cfg["REDIS_URL"] \
            else MemoryTaskStore()
        self.server.tasks = TaskManager(store, self.server.changes)
        self.server.add_extension(TASKS_EXTENSION, self.server.tasks.methods())
        caps = {"idle_timeout": cfg["SESSION_IDLE_TIMEOUT"], "max_sessions": cfg["MAX_SESSIONS"],
                "max_per_caller": cfg["MAX_SESSIONS_PER_SUBJECT"]}
        if cfg["REDIS_URL"]:
            from .redis_sessions import RedisSessionStore

            # Shared sessions: any worker (or instance) can serve any request of a session.
            self.sessions = RedisSessionStore(cfg["REDIS_URL"], socket_timeout=cfg["REDIS_SOCKET_TIMEOUT"], **caps)
        else:
            self.sessions = SessionStore(**caps)
        self.new_sessions = SessionRate(cfg["RATE_LIMIT_INITIALIZE"] if cfg["RATE_LIMITS_ENABLED"] else None,
                                        cfg["REDIS_URL"] or "memory://",
                                        socket_timeout=cfg["REDIS_SOCKET_TIMEOUT"] if cfg["REDIS_URL"] else None)
        self.gate = StreamGate(total=cfg["MAX_STREAMS"], per_client=cfg["MAX_STREAMS_PER_CLIENT"])
        self.keepalive_interval = cfg["SSE_KEEPALIVE_SECONDS"]
        self.first_event_wait = cfg["FIRST_EVENT_WAIT_SECONDS"]
        app.extensions["mcp"] = self

    @property
    def keepalive_interval(self) -> float:
        """Seconds of quiet after which a stream sends a keep-alive comment (the gate's sweep keeps to it)."""
        return self._keepalive_interval

    @keepalive_interval.setter
    def keepalive_interval(self, seconds: float) -> None:
        self._keepalive_interval = seconds
        if self.gate is not None:
            self.gate.keepalive_interval = seconds

    @staticmethod
    def blueprints() -> tuple[Any, ...]:
        """The two transports: Streamable HTTP (`/mcp`) and legacy HTTP+SSE (`/sse`, `/messages`)."""
        from . import sse, streamable_http

        return streamable_http.bp, sse.bp

    @staticmethod
    def openapi_wire() -> dict[str, Any]:
        """What an HTTP API document says of the MCP wire: the message schema, the id field, the versions."""
        from .jsonrpc import MessageSchema, _Id
        from .versions import SUPPORTED_VERSIONS

        return {"message_schema": MessageSchema, "id_field": _Id, "versions": tuple(SUPPORTED_VERSIONS)}

    def set_authenticator(self, func: Callable[[Request], Caller | Response], *,
                          scope_check: Callable[[Caller, str], Response | None] | None = None) -> None:
        """Put authentication in front of the transports: `func(request)` → Caller or an error Response;
        `scope_check(caller, scope)` → the step-up refusal when a tool needs a scope the token lacks."""
        self._authenticator = func
        self._scope_check = scope_check
        self.auth_enabled = True

    def refuse_scope(self, caller: Caller, msg: Any) -> Response | None:
        """The HTTP-level 403 for a `tools/call` whose tool needs a scope the caller lacks."""
        if self._scope_check is None or not isinstance(msg, dict) or msg.get("method") != "tools/call":
            return None
        name = (msg.get("params") or {}).get("name") if isinstance(msg.get("params"), dict) else None
        tool = self.registry.tools.get(name) if isinstance(name, str) else None
        return self._scope_check(caller, tool.scope) if tool is not None else None

    def authenticate(self, request: Request) -> Caller | Response:
        """Who is calling, or the reply that refuses them."""
        return self._authenticator(request)

    def next_stream_id(self) -> int:
        """A number unique within this worker, used in SSE event ids."""
        return next(self._stream_ids)

    def log_first_contact(self, session: Any, request: Request) -> None:
        """Record what a client negotiated (ChatGPT publishes none of it)."""
        log.info("mcp session opened transport=%s version=%s client=%s user_agent=%s accept=%s",
                 session.transport, session.protocol_version,
                 (session.client_info or {}).get("name"), request.headers.get("User-Agent", "-"),
                 request.headers.get("Accept", "-"))

    def shutdown(self, wait: float = 5.0) -> int:
        """Drain: every open stream sends what is queued, then its last event (reconnect in a second) and ends;
        requests whose replies travel on a stream get `wait` seconds to finish, then a "server restarting" error;
        new streams get 503. So the worker exits well inside gunicorn's graceful_timeout. Sessions in Redis stay
        for the client's next request to any worker; sessions in this worker's memory end with it (their next use
        gets 404, and the client re-initializes). Tasks running here are marked failed (their greenlets end with the
        worker; the client calls the tool again). Returns how many streams were open."""
        self.shutting_down = True
        if self.server is not None and self.server.tasks is not None:
            failed = self.server.tasks.shutdown()  # a task dies with its worker: say so rather than stay "working"
            if failed:
                log.info("draining: %d running tasks marked failed (the client calls the tool again)", failed)
        if self.gate is None:
            return 0
        streams = self.gate.open_streams
        woken = self.gate.drain(wait)
        if self.sessions is not None and hasattr(self.sessions, "draining"):
            self.sessions.draining = True
        log.info("draining: %d open streams told to reconnect, %d streamed replies given %.1fs to finish",
                 streams, max(0, woken - streams), wait)
        return streams
