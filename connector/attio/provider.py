"""Hands each caller the Attio client and cache namespace that belong to their credential.

demo and api_key modes share one deployment credential; attio_oauth gives each
grant its own token. Cache keys carry a fingerprint of the credential so two
tenants never share an entry.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import redis
from flask import Flask

from .. import metrics
from .budget import AttioBudget
from .client import AttioClient, fingerprint

log = logging.getLogger(__name__)

CLIENT_CACHE_SIZE = 256
LOCAL_TTL = 5.0
LOCAL_ENTRIES = 4096


# The counter's children resolved once: lookups are on the hot path of every tool call.
_CACHE_COUNTERS = {"hits": metrics.CACHE.labels("hit"), "misses": metrics.CACHE.labels("miss")}

class AttioServices:
    """Per-app access to Attio: clients per credential, tenant-scoped caching."""

    def __init__(self) -> None:
        self.mode = "demo"
        self.base_url = ""
        self.cache: Any = None
        self._default_token: str | None = None
        self._client_kwargs: dict[str, Any] = {}
        self.budget: AttioBudget | None = None
        self._clients: OrderedDict[str, AttioClient] = OrderedDict()
        self._lock = threading.Lock()
        self._ttl = 60
        self._local: dict[str, tuple[float, Any]] = {}
        # Per tenant, the stamp of the last write this worker saw (forget() draws it from one counter, so a
        # stamp never repeats), and the values derived from cached reads.
        self._writes: dict[str, int] = {}
        self._write_seq = 0
        self._derived: dict[str, tuple[int, tuple[Any, ...], Any]] = {}
        self.cache_stats = {"hits": 0, "misses": 0}
        self._bypass_logged = float("-inf")

    def init_app(self, app: Flask, *, cache: Any) -> None:
        """Read the Attio settings; no network call happens here."""
        cfg = app.config
        self.mode = cfg["MODE"]
        self.base_url = cfg["ATTIO_API_URL"]
        # The cache backend itself (cachelib), so tool greenlets need no Flask app context to use it.
        self.cache = app.extensions["cache"][cache] if cache is not None else None
        self._ttl = cfg["CACHE_TTL_SECONDS"]
        self._default_token = cfg["ATTIO_API_KEY"] if self.mode == "api_key" else (
            cfg["DEMO_ATTIO_TOKEN"] if self.mode == "demo" else None)
        self.budget = make_budget(cfg)
        self._client_kwargs = {"timeout": cfg["ATTIO_TIMEOUT"], "max_attempts": cfg["ATTIO_MAX_ATTEMPTS"],
                               "retry_budget": cfg["ATTIO_RETRY_BUDGET"], "budget": self.budget}
        app.extensions["attio"] = self

    def token_for(self, caller: Any) -> str | None:
        """The Attio token a caller's tool calls use."""
        credential = getattr(caller, "credential", None)
        return credential or self._default_token

    def attio_for(self, caller: Any) -> AttioClient:
        """The (reused) client for the caller's credential, bound to the caller's 401 callback if it has one."""
        token = self.token_for(caller)
        if not token:
            raise LookupError("no Attio credential is linked to this grant")
        key = fingerprint(token)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = AttioClient(self.base_url, token, **self._client_kwargs)
                self._clients[key] = client
                while len(self._clients) > CLIENT_CACHE_SIZE:
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(key)
        on_unauthorized = getattr(caller, "on_upstream_unauthorized", None)
        return client.bound(on_unauthorized) if on_unauthorized is not None else client

    def cached(self, caller: Any, key: str, produce: Callable[[], Any], ttl: int | None = None) -> Any:
        """`produce()` once per TTL per tenant; the key carries the credential's fingerprint."""
        lifetime = ttl if ttl is not None else self._ttl
        if self.cache is None or lifetime == 0:
            return produce()
        tenant = fingerprint(self.token_for(caller) or "-")
        full = f"attio:{tenant}:{key}"
        # A few seconds in worker memory in front of the shared cache: the hot path reads the same
        # workspace facts on every call, and a Redis round trip (or SimpleCache's pickling) each time adds up.
        now = time.monotonic()
        hit = self._local.get(full)
        if hit is not None and hit[0] > now:
            self._count("hits")
            return hit[1]
        value = self._shared(self.cache.get, full)
        if value is None:
            self._count("misses")
            log.debug("cache miss %s", key)
            written = self._writes.get(tenant, 0)
            value = produce()
            if self._writes.get(tenant, 0) != written:
                # A write of this tenant finished while Attio was read: what came back may predate it, so it
                # is not kept (the next read asks Attio again).
                return value
            self._shared(self.cache.set, full, value, timeout=lifetime)
        else:
            self._count("hits")
            log.debug("cache hit %s", key)
        if len(self._local) > LOCAL_ENTRIES:
            self._local.clear()
        self._local[full] = (now + min(LOCAL_TTL, lifetime), value)
        return value

    def derived(self, caller: Any, key: str, inputs: tuple[Any, ...], produce: Callable[[], Any]) -> Any:
        """A value computed from cached reads (a record's rendering), kept in this worker while it is still what
        `produce()` would make: while each of `inputs` is the very object `cached` handed out for it and no
        write of this tenant went through this worker since. `cached` hands out a fresh object when its entry
        expires in worker memory (after LOCAL_TTL at most) or a write drops it, so a derived value never
        outlives its inputs by more than that. Nothing is kept when caching is off."""
        if self.cache is None or self._ttl == 0:
            return produce()
        tenant = fingerprint(self.token_for(caller) or "-")
        full = f"{tenant}:{key}"
        written = self._writes.get(tenant, 0)
        hit = self._derived.get(full)
        if (hit is not None and hit[0] == written and len(hit[1]) == len(inputs)
                and all(kept is given for kept, given in zip(hit[1], inputs))):
            return hit[2]
        value = produce()
        if self._writes.get(tenant, 0) == written:  # else it may already be out of date
            if len(self._derived) > LOCAL_ENTRIES:
                self._derived.clear()
            self._derived[full] = (written, inputs, value)
        return value

    def _count(self, outcome: str) -> None:
        """One lookup's outcome ('hits' or 'misses'): this worker's /status counts and the Prometheus counter."""
        self.cache_stats[outcome] += 1
        _CACHE_COUNTERS[outcome].inc()

    def tenant(self, caller: Any) -> str:
        """Whose data the caller reaches: a fingerprint of the Attio credential its calls use."""
        return fingerprint(self.token_for(caller) or "-")

    def forget(self, caller: Any, key: str) -> None:
        """Drop one cached entry for the caller's tenant (after a write); what this worker derived from the
        tenant's reads goes with it, and a read of the tenant under way is not kept."""
        tenant = fingerprint(self.token_for(caller) or "-")
        full = f"attio:{tenant}:{key}"
        if len(self._writes) > LOCAL_ENTRIES:
            self._writes.clear()  # a stamp read before this no longer matches: nothing read meanwhile is kept
            self._derived.clear()
        self._write_seq += 1
        self._writes[tenant] = self._write_seq
        self._local.pop(full, None)
        if self.cache is not None:
            self._shared(self.cache.delete, full)

    def _shared(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One call on the shared cache, failing open: with Redis down the cache is bypassed (reads go to
        Attio, writes are dropped) and a warning is logged at most every 30 s, not per call."""
        try:
            return operation(*args, **kwargs)
        except redis.RedisError as exc:
            metrics.CACHE.labels("bypass").inc()
            now = time.monotonic()
            if now - self._bypass_logged >= 30:
                self._bypass_logged = now
                log.warning("Attio read cache bypassed: Redis unavailable (%s)", exc.__class__.__name__)
            return None

    def describe(self) -> dict[str, Any]:
        """What the tool layer may say about where data comes from."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.mode == "demo":
            out["label"] = "DEMO workspace: built-in sample data, not a real Attio account"
        return out


def make_budget(cfg: Any) -> AttioBudget | None:
    """The rate budget the settings ask for: in Redis when REDIS_URL is set, else in this worker's memory; None
    when ATTIO_RATE_LIMITS=off."""
    limits = cfg["ATTIO_RATE_LIMITS"]
    if not any(limits.values()):
        return None
    url = cfg["REDIS_URL"]
    # Short timeouts, as for every Redis client here: a dead Redis costs a call this long, then the budget is skipped.
    timeout = cfg["REDIS_SOCKET_TIMEOUT"]
    return AttioBudget(limits, url or "memory://", max_wait=cfg["ATTIO_RATE_WAIT_SECONDS"],
                       storage_options={"socket_timeout": timeout, "socket_connect_timeout": timeout} if url else None)


__all__ = ["AttioServices", "fingerprint", "make_budget"]
