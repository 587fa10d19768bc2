"""MCP sessions: negotiated state, in-flight requests and the per-session message bus.

A session lives in one worker's memory. Running several workers needs a shared
store; `connector.config` refuses that combination until one is configured,
rather than letting sessions vanish between workers.
"""
from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import gevent.event
import gevent.queue
import gevent.lock

from .. import metrics
from .mailbox import Mailbox

SWEEP_SECONDS = 1.0
LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


@dataclass
class InFlight:
    """A request being handled: cancelling it sets the event."""

    request_id: Any
    cancelled: gevent.event.Event = field(default_factory=gevent.event.Event)


OUTBOX_SIZE = 1000


@dataclass(slots=True)
class Session:
    """One client's MCP session."""

    id: str
    transport: str  # "streamable" or "sse"
    protocol_version: str | None = None
    client_info: dict[str, Any] = field(default_factory=dict)
    client_capabilities: dict[str, Any] = field(default_factory=dict)
    initialized: bool = False
    log_level: str = "info"
    subject: str | None = None
    client_key: str = ""
    created: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    in_flight: dict[Any, InFlight] = field(default_factory=dict)
    pending: dict[str, gevent.event.AsyncResult] = field(default_factory=dict)
    subscriptions: set[str] = field(default_factory=set)
    outbox: Mailbox = field(default_factory=lambda: Mailbox(maxsize=OUTBOX_SIZE))
    stream_open: bool = False
    closed: bool = False
    bus: Any = None  # the RedisSessionStore when sessions are shared between workers
    _ids: Any = field(default_factory=itertools.count)

    PERSISTED = ("transport", "protocol_version", "client_info", "client_capabilities", "initialized", "log_level",
                 "subject", "client_key")

    def save(self) -> None:
        """Persist the negotiated state where other workers can see it (no-op in memory)."""
        if self.bus is not None:
            self.bus.save(self)

    def post(self, message: dict[str, Any]) -> bool:
        """Queue a message for this session's long-lived stream, wherever that stream is held."""
        if self.bus is not None:
            self.bus.publish(self.id, "outbox", message)
            return True
        try:
            self.outbox.put(message, timeout=5)
        except gevent.queue.Full:
            return False
        return True

    def touch(self) -> None:
        """Mark the session as used now."""
        self.last_seen = time.monotonic()

    def next_server_request_id(self) -> str:
        """A fresh id for a server→client request."""
        return f"srv-{next(self._ids)}"

    def begin(self, request_id: Any) -> InFlight | None:
        """Register an in-flight request; None if that id is already in flight (in any worker)."""
        key = _id_key(request_id)
        if key in self.in_flight:
            return None
        if self.bus is not None and not self.bus.claim(self.id, key):
            return None
        entry = self.in_flight[key] = InFlight(request_id)
        return entry

    def end(self, request_id: Any) -> None:
        """Forget an in-flight request."""
        key = _id_key(request_id)
        if self.in_flight.pop(key, None) is not None and self.bus is not None:
            self.bus.release(self.id, key)

    def cancel(self, request_id: Any) -> bool:
        """Cancel an in-flight request, here or in the worker running it."""
        if self.cancel_local(request_id):
            return True
        if self.bus is not None:
            self.bus.publish(self.id, "cancel", {"requestId": request_id})
        return False

    def cancel_local(self, request_id: Any) -> bool:
        """Cancel a request running in this worker; False if it is not here."""
        entry = self.in_flight.get(_id_key(request_id))
        if entry is None:
            return False
        entry.cancelled.set()
        return True

    def deliver(self, message: dict[str, Any]) -> bool:
        """Hand a client's response to the server request waiting for it, here or in another worker."""
        if self.deliver_local(message):
            return True
        if self.bus is not None:
            self.bus.publish(self.id, "response", message)
        return False

    def deliver_local(self, message: dict[str, Any]) -> bool:
        """Resolve a waiting server→client request of this worker."""
        waiter = self.pending.pop(str(message.get("id")), None)
        if waiter is None:
            return False
        waiter.set(message)
        return True

    def close(self) -> None:
        """End the session: cancel what runs, wake what waits."""
        self.closed = True
        for entry in list(self.in_flight.values()):
            entry.cancelled.set()
        for waiter in list(self.pending.values()):
            waiter.set({"error": {"code": -32000, "message": "session closed"}})
        self.pending.clear()
        try:
            self.outbox.put_nowait(None)  # wakes a stream so it can end
        except gevent.queue.Full:
            pass


def _id_key(request_id: Any) -> str:
    # 1 and "1" are different JSON-RPC ids.
    return f"{type(request_id).__name__}:{request_id}"


class SessionStore:
    """In-memory sessions with an idle timeout, a cap per caller and a total cap.

    The caller is `Session.client_key`: the token subject, or the client address without auth. A caller
    past `max_per_caller` loses its own least recently used session; at `max_sessions` the caller holding
    the most sessions loses one. Nobody can push out another caller's sessions by opening many.
    """

    def __init__(self, idle_timeout: float = 3600.0, max_sessions: int = 10000, max_per_caller: int = 50) -> None:
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        self.max_per_caller = max_per_caller
        self._sessions: dict[str, Session] = {}
        self._by_caller: dict[str, dict[str, Session]] = {}
        self._lock = gevent.lock.RLock()
        self._swept = 0.0  # when idle sessions were last looked for
        # Set when the worker stops: its sessions end with it, so their next use gets 404 (re-initialize) now,
        # while requests already running finish.
        self.draining = False

    def create(self, transport: str, **attrs: Any) -> Session:
        """A new session with a cryptographically random id, within the caps."""
        with self._lock:
            self._sweep()
            session = Session(id=secrets.token_urlsafe(32), transport=transport, **attrs)
            self._sessions[session.id] = session
            metrics.SESSIONS.inc()
            metrics.SESSIONS_CREATED.labels(transport).inc()
            own = self._by_caller.setdefault(session.client_key, {})
            own[session.id] = session
            while len(own) > self.max_per_caller:
                self._evict_one(own, keep=session)
            while len(self._sessions) > self.max_sessions:
                heaviest = max(self._by_caller.values(), key=lambda group: len(group) - (session.id in group))
                self._evict_one(heaviest, keep=session)
            return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with that id, or None."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None or session.closed or self.draining:
            return None
        if time.monotonic() - session.last_seen > self.idle_timeout and not session.stream_open:
            self.delete(session_id)
            return None
        session.touch()
        return session

    def delete(self, session_id: str) -> bool:
        """End and forget a session; False if unknown."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
            if session is not None:
                group = self._by_caller.get(session.client_key, {})
                group.pop(session_id, None)
                if not group:
                    self._by_caller.pop(session.client_key, None)
        if session is None:
            return False
        metrics.SESSIONS.dec()
        session.close()
        return True

    def __len__(self) -> int:
        return len(self._sessions)

    def _evict_one(self, group: dict[str, Session], keep: Session) -> None:
        """End the least recently used session of `group` (one without an open stream if any), never `keep`."""
        victim = min((s for s in group.values() if s is not keep), key=lambda s: (s.stream_open, s.last_seen))
        self.delete(victim.id)

    def _sweep(self) -> None:
        """End the sessions idle past the timeout (without an open stream); at most once every SWEEP_SECONDS, so
        that opening a session does not walk every other one (ten thousand legacy SSE sessions in one worker)."""
        now = time.monotonic()
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        for sid, s in list(self._sessions.items()):
            if now - s.last_seen > self.idle_timeout and not s.stream_open:
                self.delete(sid)
