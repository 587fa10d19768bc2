"""The long-lived streams of one worker (legacy SSE, the 2025 GET stream, 2026-07-28 `subscriptions/listen`): how
many may be open, their keep-alives, and ending them when the worker stops.

Each open stream waits on its own Mailbox with no timer of its own: one sweep per worker puts KEEPALIVE_DUE into
the mailbox of every stream that has been quiet for the keep-alive interval, so an idle stream costs a mailbox
and its greenlet, not a timer per wait. Knows Flask's responses (the refusals), not Attio.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from contextlib import suppress
from typing import Any

import gevent
import gevent.queue
from flask import Response

from .. import metrics
from ..web import rpc_error
from . import jsonrpc
from .mailbox import Mailbox

# What the sweep puts into a quiet stream's mailbox: the stream writes a keep-alive comment.
KEEPALIVE_DUE = object()


class StreamGate:
    """Caps open streams per client and in total, so plain POSTs always find a connection slot; keeps the open
    ones alive; when the worker stops, refuses new streams and wakes the open ones so they end."""

    def __init__(self, total: int, per_client: int, keepalive_interval: float = 15.0) -> None:
        self.total, self.per_client = total, per_client
        self.keepalive_interval = keepalive_interval
        self.draining = False
        self.drain_wait = 0.0
        # The mailbox of every open long-lived stream, and the item that ends it when the drain starts.
        self._boxes: dict[Mailbox, Any] = {}
        # Request-scoped streams (a call's progress): their queues, woken by the drain (weak: they end on their own).
        self._wake: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._sweeper: gevent.Greenlet | None = None
        metrics.STREAM_CAP.set(total)
        self._open: Counter[str] = Counter()
        self._total = 0  # the sum of _open, kept as it changes: a cap check must not walk every client
        self._lock = threading.Lock()

    @property
    def open_streams(self) -> int:
        """How many streams are open in this worker."""
        return self._total

    def on_drain(self, queue: Any, item: Any) -> None:
        """Put `item` into `queue` when the drain starts (at once if it has): for request-scoped streams."""
        if self.draining:
            queue.put_nowait(item)
        else:
            self._wake[queue] = item

    def drain(self, wait: float) -> int:
        """Refuse new streams from now on; wake every open stream, giving the requests they carry `wait` seconds
        to finish. Returns how many were woken."""
        self.drain_wait, self.draining = wait, True
        woken = list(self._wake.items()) + list(self._boxes.items())
        self._wake.clear()
        for queue, item in woken:
            # A full queue: its stream is busy and sees the drain at its next message.
            with suppress(gevent.queue.Full):
                queue.put_nowait(item)
        return len(woken)

    def refuse(self, client: str, msg_id: Any = None) -> Response | None:
        """An error reply if one more stream for `client` would exceed a cap, or the worker is stopping."""
        if self.draining:
            return rpc_error(503, jsonrpc.INVALID_REQUEST, "Server restarting; open the stream again in a second",
                             headers={"Retry-After": "1"}, msg_id=msg_id)
        if self._open[client] >= self.per_client:
            metrics.STREAMS_REFUSED.labels("client").inc()
            return rpc_error(429, jsonrpc.INVALID_REQUEST,
                             f"Too many open streams for this client (limit {self.per_client}); close one and retry",
                             headers={"Retry-After": "5"}, msg_id=msg_id)
        if self.open_streams >= self.total:
            metrics.STREAMS_REFUSED.labels("total").inc()
            return rpc_error(503, jsonrpc.INVALID_REQUEST,
                             f"Server stream capacity reached ({self.total} open streams); retry shortly",
                             headers={"Retry-After": "5"}, msg_id=msg_id)
        return None

    def hold(self, client: str, transport: str, box: Mailbox, wake: Any) -> _Held:
        """`with gate.hold(...)`: counts a stream as open for the duration of the block; `box` gets its
        keep-alives, and `wake` when the drain starts. (A small object, not a generator-based context manager:
        an open stream keeps it for as long as it is open.)"""
        return _Held(self, client, transport, box, wake)

    def _enter(self, client: str, transport: str, box: Mailbox, wake: Any) -> None:
        with self._lock:
            self._open[client] += 1
            self._total += 1
        metrics.OPEN_STREAMS.labels(transport).inc()
        if self.draining:
            with suppress(gevent.queue.Full):
                box.put_nowait(wake)
            return
        self._boxes[box] = wake
        if self._sweeper is None or self._sweeper.dead:
            self._sweeper = gevent.spawn(self._sweep)

    def _exit(self, client: str, transport: str, box: Mailbox) -> None:
        self._boxes.pop(box, None)
        metrics.OPEN_STREAMS.labels(transport).dec()
        with self._lock:
            self._open[client] -= 1
            self._total -= 1
            if self._open[client] <= 0:
                del self._open[client]

    def _sweep(self) -> None:
        """While streams are open: a keep-alive for each one quiet for the interval (checked a few times in it)."""
        while self._boxes:
            interval = self.keepalive_interval
            gevent.sleep(min(1.0, interval / 4))
            now = time.monotonic()
            for box in list(self._boxes):
                if not len(box) and now - box.taken_at >= interval:
                    with suppress(gevent.queue.Full):
                        box.put_nowait(KEEPALIVE_DUE)


class _Held:
    """One open stream's place in the gate, for a `with` block."""

    __slots__ = ("gate", "client", "transport", "box", "wake")

    def __init__(self, gate: StreamGate, client: str, transport: str, box: Mailbox, wake: Any) -> None:
        self.gate, self.client, self.transport, self.box, self.wake = gate, client, transport, box, wake

    def __enter__(self) -> None:
        self.gate._enter(self.client, self.transport, self.box, self.wake)

    def __exit__(self, *exc: Any) -> None:
        self.gate._exit(self.client, self.transport, self.box)
