"""Sessions shared by every worker and instance through Redis, with a pub/sub message bus.

The negotiated state lives in a Redis key per session (idle TTL); a sorted set per caller (scored by
last use) holds that caller's sessions, so one caller past MAX_SESSIONS_PER_SUBJECT loses only its own
least recently used session. Messages that must reach
the worker holding a stream or a waiting request — stream output, a client's answer to a
server→client request, a cancellation, a close — go out on `mcp:bus:<session id>`; each
worker listens on `mcp:bus:*` and acts on the sessions it holds.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

import gevent
import gevent.queue
import redis

from .. import metrics
from .sessions import Session

log = logging.getLogger(__name__)
PREFIX = "attio-connector:mcp"


class RedisSessionStore:
    """Same interface as SessionStore, backed by Redis."""

    def __init__(self, url: str, idle_timeout: float = 3600.0, max_sessions: int = 10000,
                 max_per_caller: int = 50, socket_timeout: float = 2.0) -> None:
        # Commands time out quickly (an outage becomes a 503, connector.outages); the bus listener blocks on
        # its subscription, so it has its own client without a read timeout (a dead server still ends it).
        self.redis = redis.Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout,
                                          health_check_interval=30)
        self._bus_redis = redis.Redis.from_url(url, socket_connect_timeout=socket_timeout, socket_keepalive=True)
        self.idle_timeout = int(idle_timeout)
        self.max_local = max_sessions  # this worker's copies; the sessions themselves expire in Redis
        self.max_per_caller = max_per_caller
        self.local: dict[str, Session] = {}
        self._listener: gevent.Greenlet | None = None

    def _key(self, sid: str) -> str:
        return f"{PREFIX}:session:{sid}"

    def _caller_key(self, caller: str) -> str:
        return f"{PREFIX}:caller:{caller}"

    def _touch_caller(self, pipe: Any, session: Session) -> None:
        """Queue "used now" for the session in its caller's set (only if it is still there)."""
        owned = self._caller_key(session.client_key)
        pipe.zadd(owned, {session.id: time.time()}, xx=True)
        pipe.expire(owned, self.idle_timeout)

    def _keep_local(self, session: Session) -> None:
        """Hold this worker's copy, dropping idle copies (no stream, nothing in flight) past max_local."""
        if len(self.local) >= self.max_local:
            idle = [k for k, s in self.local.items() if not (s.stream_open or s.in_flight or s.pending)]
            for old in idle[: self.max_local // 10 or 1]:
                self.local.pop(old, None)
        self.local[session.id] = session

    def _listen(self) -> None:
        """One pub/sub connection per worker; delivers bus messages to local sessions."""
        lost = False
        while True:
            try:
                pubsub = self._bus_redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{PREFIX}:bus:*")
                if lost:
                    log.warning("session bus: Redis is back; listening again")
                    lost = False
                for item in pubsub.listen():
                    self._dispatch(item)
            except redis.RedisError:
                if not lost:  # once per outage, not once a second
                    log.warning("session bus: Redis connection lost; reconnecting every second")
                lost = True
                gevent.sleep(1)

    def _dispatch(self, item: dict[str, Any]) -> None:
        sid = item["channel"].decode().rsplit(":", 1)[-1]
        session = self.local.get(sid)
        if session is None:
            return
        envelope = json.loads(item["data"])
        kind, payload = envelope["kind"], envelope["payload"]
        if kind == "outbox" and session.stream_open:
            try:
                session.outbox.put_nowait(payload)
            except gevent.queue.Full:
                pass
        elif kind == "response":
            session.deliver_local(payload)
        elif kind == "cancel":
            session.cancel_local(payload.get("requestId"))
        elif kind == "close":
            self.local.pop(sid, None)
            session.close()

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.dead:
            self._listener = gevent.spawn(self._listen)
            gevent.sleep(0)  # let it subscribe before the first publish

    def _load(self, sid: str, raw: bytes) -> Session:
        state = json.loads(raw)
        session = self.local.get(sid)
        if session is None or session.closed:
            session = Session(id=sid, transport=state["transport"], bus=self)
            self._keep_local(session)
        for name in Session.PERSISTED:
            if name in state:
                setattr(session, name, state[name])
        session.subscriptions = set(state.get("subscriptions", []))
        return session

    def create(self, transport: str, **attrs: Any) -> Session:
        """A new session, visible to every worker; the caller's least recently used ones past the cap end."""
        self._ensure_listener()
        session = Session(id=secrets.token_urlsafe(32), transport=transport, bus=self, **attrs)
        metrics.SESSIONS_CREATED.labels(transport).inc()
        self._keep_local(session)
        now, owned, cut = time.time(), self._caller_key(session.client_key), -(self.max_per_caller + 1)
        pipe = self.redis.pipeline()  # MULTI/EXEC: concurrent creates of one caller each see a consistent set
        pipe.set(self._key(session.id), json.dumps(self._state(session)), ex=self.idle_timeout)
        pipe.zremrangebyscore(owned, "-inf", now - self.idle_timeout)  # idled out: their keys have expired
        pipe.zadd(owned, {session.id: now})
        pipe.zrange(owned, 0, cut)
        pipe.zremrangebyrank(owned, 0, cut)
        pipe.expire(owned, self.idle_timeout)
        for evicted in pipe.execute()[3]:
            self.delete(evicted.decode())
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with that id (from any worker), or None."""
        if not session_id or len(session_id) > 128:
            return None
        self._ensure_listener()
        key = self._key(session_id)
        known = self.local.get(session_id)
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.expire(key, self.idle_timeout)
        if known is not None:
            self._touch_caller(pipe, known)
        raw = pipe.execute()[0]
        if raw is None:
            gone = self.local.pop(session_id, None)
            if gone is not None:
                gone.close()
            return None
        session = self._load(session_id, raw)
        if known is None:  # first use in this worker: its caller was not known before loading
            pipe = self.redis.pipeline()
            self._touch_caller(pipe, session)
            pipe.execute()
        session.touch()
        return session

    @staticmethod
    def _state(session: Session) -> dict[str, Any]:
        state = {name: getattr(session, name) for name in Session.PERSISTED}
        state["subscriptions"] = sorted(session.subscriptions)
        return state

    def save(self, session: Session) -> None:
        """Write the negotiated state (idle TTL restarts)."""
        self.redis.set(self._key(session.id), json.dumps(self._state(session)), ex=self.idle_timeout)

    def delete(self, session_id: str) -> bool:
        """End a session everywhere."""
        pipe = self.redis.pipeline()
        pipe.get(self._key(session_id))
        pipe.delete(self._key(session_id))
        raw, existed = pipe.execute()
        local = self.local.pop(session_id, None)
        caller = local.client_key if local is not None else json.loads(raw).get("client_key") if raw else None
        if caller is not None:
            self.redis.zrem(self._caller_key(caller), session_id)
        self.publish(session_id, "close", {})
        if local is not None:
            local.close()
        return bool(existed) or local is not None

    def publish(self, session_id: str, kind: str, payload: Any) -> None:
        """Send a bus message to whichever worker holds the session's stream or waiting request."""
        self.redis.publish(f"{PREFIX}:bus:{session_id}", json.dumps({"kind": kind, "payload": payload}))

    def claim(self, session_id: str, request_key: str) -> bool:
        """Mark a request id in flight across workers; False when it already is."""
        return bool(self.redis.set(f"{PREFIX}:inflight:{session_id}:{request_key}", 1, nx=True, ex=3600))

    def release(self, session_id: str, request_key: str) -> None:
        """The request finished."""
        self.redis.delete(f"{PREFIX}:inflight:{session_id}:{request_key}")

    def __len__(self) -> int:
        return len(self.local)

    @property
    def _sessions(self) -> dict[str, Session]:
        return self.local
