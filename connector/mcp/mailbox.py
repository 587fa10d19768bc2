"""The mailbox a long-lived stream reads: a bounded FIFO whose single reader waits on a gevent Waiter.

A worker holds thousands of idle streams, so what each one keeps matters: a gevent Queue costs about 3 KiB
(three deques, an Event's links) and its get() leaves a deeper stack to save while the greenlet waits; this keeps
a list, and a Waiter only while its reader waits. It raises gevent.queue's Empty and Full, so code written
against a Queue keeps working. One greenlet reads; any greenlet may put. Knows no HTTP.
"""
from __future__ import annotations

import time
from typing import Any

import gevent
import gevent.event
from gevent.hub import Waiter
from gevent.queue import Empty, Full

__all__ = ["Empty", "Full", "Mailbox"]


class Mailbox:
    """Items for one reader, at most `maxsize` waiting. `taken_at` is when the reader last took one (or when the
    box was made): how long its stream has been quiet."""

    __slots__ = ("maxsize", "taken_at", "_items", "_waiter", "_room")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.taken_at = time.monotonic()
        self._items: list[Any] = []
        self._waiter: Waiter | None = None  # there while the reader waits
        self._room: gevent.event.Event | None = None  # made only when a writer has to wait for room

    def __len__(self) -> int:
        return len(self._items)

    def qsize(self) -> int:
        """How many items wait."""
        return len(self._items)

    def put_nowait(self, item: Any) -> None:
        """Add `item`, or raise Full."""
        if len(self._items) >= self.maxsize:
            raise Full
        self._items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            # A Waiter is switched from the hub; a late switch (the reader gave up meanwhile) only stores the value.
            gevent.get_hub().loop.run_callback(waiter.switch, None)

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Add `item`, waiting up to `timeout` seconds for room (None: as long as it takes); Full if none came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self._items) >= self.maxsize:
            if self._room is None:
                self._room = gevent.event.Event()
            self._room.clear()
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or not self._room.wait(left):
                raise Full
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        """The oldest item, or raise Empty."""
        if not self._items:
            raise Empty
        item = self._items.pop(0)
        if self._room is not None:
            self._room.set()
        self.taken_at = time.monotonic()
        return item

    def get(self, timeout: float | None = None) -> Any:
        """The oldest item, waiting up to `timeout` seconds (None: as long as it takes); Empty if none came."""
        if not self._items:
            waiter = self._waiter = Waiter()
            timer = gevent.Timeout.start_new(timeout) if timeout is not None else None
            try:
                waiter.get()
            except gevent.Timeout as exc:
                if exc is not timer:
                    raise
            finally:
                if timer is not None:
                    timer.close()
                if self._waiter is waiter:
                    self._waiter = None
        return self.get_nowait()
