"""Where tasks of the tasks extension (connector.mcp.tasks) live: `MemoryTaskStore` (one process) or
`RedisTaskStore` (REDIS_URL: every worker and instance). A task's state is one JSON object whose expiry is the
task's TTL; `update` applies a change atomically. Knows no Flask and no Attio.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import redis

PREFIX = "attio-connector:mcp"


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds (task times and expiries)."""
    return int(time.time() * 1000)


class MemoryTaskStore:
    """Tasks in this process's memory (no REDIS_URL): one worker sees only its own tasks."""

    def __init__(self, max_tasks: int = 10_000) -> None:
        self.max_tasks = max_tasks
        self._tasks: dict[str, tuple[int, str]] = {}  # id → (expiry in epoch ms, state as JSON)
        self._swept = 0.0

    def create(self, state: dict[str, Any]) -> None:
        """Record a new task (visible to `get` as soon as this returns)."""
        self._sweep()
        self._tasks[state["taskId"]] = (state["_expires"], json.dumps(state))

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The task's state, or None when unknown or expired."""
        entry = self._tasks.get(task_id)
        if entry is None:
            return None
        if entry[0] <= now_ms():
            self._tasks.pop(task_id, None)
            return None
        return json.loads(entry[1])

    def update(self, task_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any] | None:
        """Apply `change` (state → new state, or None for no change) atomically; the state after it, or None
        when the task is unknown or expired. Nothing yields between the read and the write."""
        state = self.get(task_id)
        if state is None:
            return None
        new = change(state)
        if new is None:
            return self.get(task_id)
        self._tasks[task_id] = (new["_expires"], json.dumps(new))
        return new

    def delete(self, task_id: str) -> None:
        """Forget a task."""
        self._tasks.pop(task_id, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        if len(self._tasks) < self.max_tasks and now - self._swept < 60:
            return
        self._swept, cutoff = now, now_ms()
        for task_id in [k for k, (expires, _) in self._tasks.items() if expires <= cutoff]:
            self._tasks.pop(task_id, None)
        while len(self._tasks) >= self.max_tasks:  # still full: the oldest go first
            self._tasks.pop(next(iter(self._tasks)))


class RedisTaskStore:
    """Tasks in Redis, shared by every worker and instance: one key per task, expiring with the task's TTL."""

    def __init__(self, url: str, prefix: str = PREFIX, socket_timeout: float | None = None) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)
        self.prefix = prefix

    def _key(self, task_id: str) -> str:
        return f"{self.prefix}:task:{task_id}"

    def create(self, state: dict[str, Any]) -> None:
        """Record a new task; when this returns, every worker's `get` finds it."""
        self.redis.set(self._key(state["taskId"]), json.dumps(state), px=max(1, state["_expires"] - now_ms()))

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The task's state, or None when unknown or expired."""
        raw = self.redis.get(self._key(task_id))
        return json.loads(raw) if raw else None

    def update(self, task_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any] | None:
        """Apply `change` atomically (WATCH/MULTI, retried when another worker wrote in between); the key keeps
        the task's expiry. The state after it, or None when the task is unknown or expired."""
        key = self._key(task_id)
        with self.redis.pipeline() as pipe:
            for _ in range(100):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        return None
                    state = json.loads(raw)
                    new = change(json.loads(raw))
                    if new is None:
                        return state
                    ttl = new["_expires"] - now_ms()
                    if ttl <= 0:
                        return None
                    pipe.multi()
                    pipe.set(key, json.dumps(new), px=ttl)
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        raise RuntimeError(f"task {task_id}: too many concurrent updates")

    def delete(self, task_id: str) -> None:
        """Forget a task."""
        self.redis.delete(self._key(task_id))
