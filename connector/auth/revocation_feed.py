"""Revocations told to every worker at once through Redis (REDIS_URL).

`announce` runs after a revocation is committed (store.revoke_grant): it evicts the grant's verified tokens in
this worker (connector.auth.verified) and publishes the grant ids; every worker's listener evicts them on receipt.
Only grant ids travel, never a token or a hash of one. The channel is named after the pepper, so deployments
sharing a Redis but not an OAuth store do not hear each other.

Without REDIS_URL there is nothing to publish: other workers' entries run out within TOKEN_CACHE_SECONDS. With it,
a worker whose listener is not subscribed (starting, Redis down) caches nothing, and everything it held is dropped
when the subscription is lost, since a revocation may have gone by unheard.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from typing import Any, Iterable

import redis
from flask import Flask

from .verified import VerifiedTokens

log = logging.getLogger("connector.auth")
RETRY_SECONDS = 1.0


def channel_name(pepper: bytes) -> str:
    """The deployment's revocation channel (a keyed hash of a constant: reveals nothing of the pepper)."""
    tag = hmac.new(pepper, b"revocation-channel", hashlib.sha256).hexdigest()[:16]
    return f"attio-connector:auth:revoked:{tag}"


class RevocationFeed:
    """Publishes revoked grant ids and, in each worker, listens for them (a daemon thread: a greenlet under gevent)."""

    def __init__(self, cache: VerifiedTokens, url: str | None, channel: str, options: dict[str, Any]) -> None:
        self.cache = cache
        self.url, self.channel = url, channel
        self.subscribed = False
        self._publisher = redis.Redis.from_url(url, **options) if url else None
        self._bus_options = {"socket_connect_timeout": options.get("socket_connect_timeout"), "socket_keepalive": True}
        self._pid: int | None = None
        self._pubsub: Any = None
        self._stopped = False
        if url:
            cache.accepting = lambda: self.subscribed

    def announce(self, grant_ids: Iterable[str]) -> None:
        """A revocation was committed: evict here at once, and tell the other workers."""
        ids = sorted({g for g in grant_ids if g})
        if not ids:
            return
        self.cache.evict(ids)
        if self._publisher is None:
            return
        try:
            self._publisher.publish(self.channel, json.dumps(ids))
        except redis.RedisError as exc:
            # Committed all the same; the other workers stopped caching when they lost Redis, or their entries run
            # out within TOKEN_CACHE_SECONDS.
            log.warning("could not publish the revocation of %d grant(s) to the other workers (%s)", len(ids),
                        exc.__class__.__name__)

    def start(self) -> None:
        """Listen in this process (once; again after a fork). Nothing to do without REDIS_URL."""
        if self.url is None or self._pid == os.getpid() or self._stopped:
            return
        self._pid = os.getpid()
        self.subscribed = False
        threading.Thread(target=self._listen, name="revocation-feed", daemon=True).start()

    def stop(self) -> None:
        """End the listener (tests; a worker simply exits)."""
        self._stopped = True
        pubsub = self._pubsub
        if pubsub is not None:
            try:
                pubsub.close()
            except redis.RedisError:
                pass

    def _listen(self) -> None:
        bus = redis.Redis.from_url(self.url, **self._bus_options)
        lost = False
        while not self._stopped:
            try:
                self._pubsub = bus.pubsub()
                self._pubsub.subscribe(self.channel)
                for item in self._pubsub.listen():
                    if item["type"] == "subscribe":
                        self.subscribed = True  # from here on every revocation published reaches us
                        if lost:
                            log.warning("revocation feed: Redis is back; caching verified tokens again")
                            lost = False
                    elif item["type"] == "message":
                        self._apply(item["data"])
            except Exception:  # noqa: BLE001  (Redis errors, or the connection closed by stop(): never end the loop)
                if not lost and not self._stopped:
                    log.warning("revocation feed: Redis connection lost; verified tokens are not cached until it "
                                "is back")
                lost = True
            finally:
                self.subscribed = False
                self.cache.clear()
            if not self._stopped:
                time.sleep(RETRY_SECONDS)

    def _apply(self, data: Any) -> None:
        try:
            ids = json.loads(data)
        except (TypeError, ValueError):
            return
        if isinstance(ids, list):
            self.cache.evict(str(g) for g in ids)


def init_feed(app: Flask, cache: VerifiedTokens, pepper: bytes) -> RevocationFeed:
    """The app's feed (`app.extensions["revocation_feed"]`); its listener starts with the first verified token."""
    from ..extensions import redis_options

    url = app.config["REDIS_URL"]
    feed = RevocationFeed(cache, url, channel_name(pepper), redis_options(app.config) if url else {})
    app.extensions["revocation_feed"] = feed
    return feed
