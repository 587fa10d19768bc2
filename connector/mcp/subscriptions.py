"""Change notifications for `subscriptions/listen` (2026-07-28): what changed, fanned out to open streams.

Anything that changes a list (a tool added) or a resource (a record written) calls `ChangeFeed.publish`. With
REDIS_URL the change goes through one Redis channel, so a listen stream held by any worker of any instance
hears it; without, it reaches this process's streams. A stream only ever gets the kinds it asked for. A task's
status changes (tasks extension, `connector.mcp.tasks`) travel the same way: streams that listed the task in
`taskIds` get `notifications/tasks` (only for their own caller's tasks), and `watch` callbacks — the task
manager's — hear every change, so the worker running a task learns of a cancel or an answer sent to another.
Knows no HTTP and no Attio.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import gevent
import gevent.queue
import redis
from marshmallow import Schema, ValidationError, fields, validate

from . import jsonrpc
from .jsonrpc import INVALID_PARAMS, JsonRpcError
from .mailbox import Mailbox
from .request_meta import SUBSCRIPTION_ID

log = logging.getLogger(__name__)

CHANNEL = "attio-connector:mcp:changes"
LIST_KINDS = {"toolsListChanged": "notifications/tools/list_changed",
              "promptsListChanged": "notifications/prompts/list_changed",
              "resourcesListChanged": "notifications/resources/list_changed"}
RESOURCE_UPDATED = "notifications/resources/updated"
TASK_STATUS = "notifications/tasks"
MAX_URIS = 100


class _Filter(Schema):
    class Meta:
        unknown = "exclude"

    toolsListChanged = fields.Boolean()
    promptsListChanged = fields.Boolean()
    resourcesListChanged = fields.Boolean()
    resourceSubscriptions = fields.List(fields.String(validate=validate.Length(min=1, max=4096)),
                                        validate=validate.Length(max=MAX_URIS))
    taskIds = fields.List(fields.String(validate=validate.Length(min=1, max=256)),
                          validate=validate.Length(max=MAX_URIS))


class _ListenParams(Schema):
    class Meta:
        unknown = "include"

    notifications = fields.Nested(_Filter, required=True)


_PARAMS = _ListenParams()


NOTHING: frozenset[str] = frozenset()  # one empty set for every listener that asked for none


@dataclass(eq=False, slots=True)
class Listener:
    """One open `subscriptions/listen` stream: what it asked for and its queue."""

    subscription_id: Any
    kinds: frozenset[str]
    uris: frozenset[str]
    queue: Mailbox = field(default_factory=lambda: Mailbox(maxsize=256))
    task_ids: frozenset[str] = NOTHING
    owner: str | None = None  # who is listening (tasks.owner_of): only their own tasks are delivered
    tenant: str | None = None  # whose data (Services.tenant): only updates of their own workspace's records

    def wants(self, change: dict[str, Any]) -> bool:
        """True if this stream asked for `change`."""
        if change["kind"] == "resourceUpdated":  # knowing that another tenant's record changed is a leak too
            return change.get("uri") in self.uris and self.tenant is not None and change.get("tenant") == self.tenant
        if change["kind"] == "task":
            return change.get("taskId") in self.task_ids and self.owner is not None \
                and change.get("owner") == self.owner and isinstance(change.get("task"), dict)
        return change["kind"] in self.kinds

    def notification(self, change: dict[str, Any]) -> dict[str, Any]:
        """The notification for `change`, tagged with this subscription's id."""
        params: dict[str, Any] = {"_meta": {SUBSCRIPTION_ID: self.subscription_id}}
        if change["kind"] == "task":  # the whole DetailedTask, as tasks/get would answer at that moment
            return jsonrpc.notification(TASK_STATUS, {**change["task"], **params})
        if change["kind"] == "resourceUpdated":
            params["uri"] = change["uri"]
            return jsonrpc.notification(RESOURCE_UPDATED, params)
        return jsonrpc.notification(LIST_KINDS[change["kind"]], params)


def accept(params: Any, subscription_id: Any, offered: dict[str, bool], owner: str | None = None,
           tenant: str | None = None) -> tuple[Listener, dict[str, Any]]:
    """The listener for a `subscriptions/listen` request and the acknowledged filter (the subset we honour:
    `offered` says which list kinds, whether resource updates and task status notifications are supported).
    `owner` names the listening caller for task notifications, `tenant` the data resource updates must belong
    to. -32602 for a bad filter."""
    try:
        wanted = _PARAMS.load(params or {})["notifications"]
    except ValidationError as exc:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: {jsonrpc.describe_validation(exc)}") from None
    kinds = frozenset(k for k in LIST_KINDS if wanted.get(k) and offered.get(k)) or NOTHING
    uris = frozenset(wanted.get("resourceSubscriptions") or ()) or NOTHING if offered.get("resourceSubscriptions") \
        else NOTHING
    honoured: dict[str, Any] = {k: True for k in sorted(kinds)}
    if "resourceSubscriptions" in wanted and offered.get("resourceSubscriptions"):
        honoured["resourceSubscriptions"] = sorted(uris)
    task_ids = frozenset(wanted.get("taskIds") or ()) or NOTHING if offered.get("taskIds") else NOTHING
    if "taskIds" in wanted and offered.get("taskIds"):
        honoured["taskIds"] = sorted(task_ids)
    return Listener(subscription_id, kinds, uris, task_ids=task_ids, owner=owner, tenant=tenant), honoured


class ChangeFeed:
    """Publishes changes and hands them to this process's listeners (through Redis when configured)."""

    def __init__(self, redis_url: str | None = None, socket_timeout: float | None = None) -> None:
        self.listeners: set[Listener] = set()
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=socket_timeout) if redis_url else None
        self._bus = redis.Redis.from_url(redis_url) if redis_url else None  # blocking reads: no timeout
        self._reader: gevent.Greenlet | None = None
        self.watchers: list[Callable[[dict[str, Any]], None]] = []

    def publish(self, kind: str, uri: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Announce a change: a `LIST_KINDS` key, "resourceUpdated" with the resource's `uri` and `data`
        {"tenant"}, or "task" with `data` {"taskId", "owner", "task": the DetailedTask}."""
        change = {"kind": kind, **({"uri": uri} if uri is not None else {}), **(data or {})}
        if self._redis is None:
            self._fan_out(change)
            return
        try:
            self._redis.publish(CHANNEL, json.dumps(change))
        except redis.RedisError:
            log.warning("change feed: Redis unavailable; %s reaches this worker's streams only", kind)
            self._fan_out(change)

    def join(self, listener: Listener) -> None:
        """Start delivering changes to `listener`."""
        self._ensure_reader()
        self.listeners.add(listener)

    def watch(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback(change)` for every change this process hears, whatever its kind (once per callback)."""
        self._ensure_reader()
        if callback not in self.watchers:
            self.watchers.append(callback)

    def _ensure_reader(self) -> None:
        if self._bus is not None and (self._reader is None or self._reader.dead):
            self._reader = gevent.spawn(self._read)
            gevent.sleep(0)

    def leave(self, listener: Listener) -> None:
        """Stop delivering to `listener` (its stream ended)."""
        self.listeners.discard(listener)

    def _fan_out(self, change: dict[str, Any]) -> None:
        for callback in list(self.watchers):
            try:
                callback(change)
            except Exception:  # a watcher's bug must not stop the feed
                log.exception("change feed: a watcher failed on %s", change.get("kind"))
        for listener in list(self.listeners):
            if listener.wants(change):
                try:
                    listener.queue.put_nowait(change)
                except gevent.queue.Full:
                    pass  # a stream that reads nothing loses changes, never the worker's memory

    def _read(self) -> None:
        lost = False
        while True:
            try:
                pubsub = self._bus.pubsub(ignore_subscribe_messages=True)  # type: ignore[union-attr]
                pubsub.subscribe(CHANNEL)
                if lost:
                    log.warning("change feed: Redis is back; listening again")
                    lost = False
                for item in pubsub.listen():
                    try:
                        change = json.loads(item["data"])
                    except (TypeError, ValueError):
                        continue
                    if isinstance(change, dict) and isinstance(change.get("kind"), str):
                        self._fan_out(change)
            except redis.RedisError:
                if not lost:
                    log.warning("change feed: Redis connection lost; reconnecting every second")
                lost = True
                gevent.sleep(1)
