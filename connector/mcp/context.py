"""What a tool, resource or prompt sees of the world while it runs.

No HTTP here: the transport supplies an `emit` function that puts a message on
the right stream, and the caller object says who is calling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import gevent

from ..identity import Caller
from . import confirmation, jsonrpc, mrtr
from .request_meta import RequestMeta
from .sessions import LOG_LEVELS, InFlight, Session


class Services(Protocol):
    """What tools need from the backend behind them, per caller (the app binds connector.attio.AttioServices).
    The protocol layer only passes it along; it never imports the backend."""

    def attio_for(self, caller: Caller) -> Any:
        """The API client acting with the caller's credential."""

    def describe(self) -> dict[str, Any] | None:
        """What the workspace is, for `server/discover` and `initialize` (`_meta`), or None."""

    def cached(self, caller: Caller, key: str, produce: Callable[[], Any], ttl: int | None = None) -> Any:
        """`produce()` at most once per TTL for this caller's tenant."""

    def tenant(self, caller: Caller) -> str:
        """An opaque key for whose data the caller reaches (the same for callers sharing a credential)."""


class Cancelled(Exception):
    """The client cancelled the request; no response is sent."""


class ClientRequestError(Exception):
    """A server→client request failed or the client cannot take it."""


@dataclass
class ToolContext:
    """Per-call context handed to tools, resources and prompts."""

    services: Services
    caller: Caller
    session: Session | None
    emit: Callable[[dict[str, Any]], bool]
    request_id: Any = None
    progress_token: Any = None
    in_flight: InFlight | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    confirmations: confirmation.Confirmations | None = None
    pending: confirmation.Pending | None = None  # set for a destructive tool's call
    # A stateless (2026-07-28) request: its declared metadata, the answers it brought (inputResponses plus those
    # of earlier rounds, from the verified requestState) and the rest of that state. None/empty on a session.
    request_meta: RequestMeta | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    _kept: dict[str, Any] = field(default_factory=dict)
    registry: Any = None  # the server's Registry (what is published: tools, resources, prompts)
    changes: Any = None  # the ChangeFeed: tools announce what they changed, listen streams hear it
    http_status: int = 200  # a stateless reply's status (set from the JsonRpcError that ended the call)
    _attio: Any = None

    @property
    def attio(self) -> Any:
        """The Attio client for this caller (created on first use)."""
        if self._attio is None:
            self._attio = self.services.attio_for(self.caller)
        return self._attio

    @property
    def cancelled(self) -> bool:
        """True once the client has cancelled this request."""
        return bool(self.in_flight and self.in_flight.cancelled.is_set())

    def check_cancelled(self) -> None:
        """Raise Cancelled if the client cancelled this request."""
        if self.cancelled:
            raise Cancelled()

    def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Send `notifications/progress` when the client asked for it."""
        if self.progress_token is None:
            return
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message:
            params["message"] = message
        self.emit(jsonrpc.notification("notifications/progress", params))

    def changed(self, kind: str, uri: str | None = None) -> None:
        """Announce a change to `subscriptions/listen` streams: "toolsListChanged", "promptsListChanged",
        "resourcesListChanged", or "resourceUpdated" with the resource's `uri` (heard only by listeners of the
        caller's own tenant)."""
        if self.changes is None:
            return
        data = {"tenant": self.services.tenant(self.caller)} if kind == "resourceUpdated" else None
        self.changes.publish(kind, uri, data)

    @property
    def stateless(self) -> bool:
        """True for a 2026-07-28 request (no session; input comes back on a retry)."""
        return self.request_meta is not None

    def log(self, level: str, data: Any, logger: str = "attio-connector") -> None:
        """Send `notifications/message` if the level the client asked for lets it through: the session's level
        (legacy), or the request's `io.modelcontextprotocol/logLevel` — none asked, none sent (2026-07-28)."""
        if self.request_meta is not None:
            threshold = self.request_meta.log_level
            if threshold is None:
                return
        else:
            threshold = self.session.log_level if self.session else "info"
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(threshold):
            return
        self.emit(jsonrpc.notification("notifications/message", {"level": level, "logger": logger, "data": data}))

    def client_supports(self, capability: str) -> bool:
        """True if the client declared `capability`: on this request (2026-07-28) or at initialize."""
        if self.request_meta is not None:
            return self.request_meta.supports(capability)
        return bool(self.session and capability in self.session.client_capabilities)

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Put `requests` ({key: {"method": "elicitation/create" | "sampling/createMessage" | "roots/list",
        "params": …}}) to the client and return its answers by key.

        Each needs the matching client capability (else MissingCapability, -32021). On a session the requests go
        out one by one on this call's stream. On a stateless request the answers come from the retry: until all
        are there this raises InputRequired, which ends the call with an `input_required` result; the handler
        runs again from the top on the retry, so everything before `ask` must be free of side effects.
        """
        for request in requests.values():
            capability = mrtr.CAPABILITY.get(request.get("method", ""))
            if capability is not None and not self.client_supports(capability):
                raise mrtr.MissingCapability(capability)
        if self.request_meta is None:
            return {key: self.request(r["method"], r.get("params") or {}) for key, r in requests.items()}
        missing: dict[str, dict[str, Any]] = {}
        for key, request in requests.items():
            if key in self.answers:
                self._kept[key] = mrtr.check_answer(key, request["method"], self.answers[key])
            else:
                missing[key] = request
        if missing:
            raise mrtr.InputRequired(missing, {**self.state, "answers": dict(self._kept)})
        return {key: self._kept[key] for key in requests}

    def start_task(self) -> bool:
        """Continue this call as a task (tasks extension) from here on: the client gets its task handle now and
        polls for the result. True when the call became a task; False when it goes on as an ordinary call (the
        tool does not support tasks, or the client did not declare the extension on this request). A task-
        supporting tool that never calls it becomes a task when it outlasts a short grace period. Before it, an
        `ask` is an ordinary input_required round; after it, `ask` parks the task until `tasks/update`."""
        return False

    def request(self, method: str, params: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
        """Send a server→client request on this call's stream and wait for the answer."""
        if self.session is None:
            raise ClientRequestError("no session to send the request on")
        req_id = self.session.next_server_request_id()
        waiter = gevent.event.AsyncResult()
        self.session.pending[req_id] = waiter
        if not self.emit({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}):
            self.session.pending.pop(req_id, None)
            raise ClientRequestError(
                "this request cannot stream messages to the client (Accept lacks text/event-stream)")
        try:
            answer = waiter.get(timeout=timeout)
        except gevent.Timeout:
            raise ClientRequestError(f"the client did not answer {method} within {timeout:.0f} s") from None
        finally:
            self.session.pending.pop(req_id, None)
        if "error" in answer:
            err = answer["error"] or {}
            raise ClientRequestError(f"the client answered {method} with an error: {err.get('message', err)}")
        return answer.get("result") or {}

    def confirm(self, action: str) -> str:
        """Return only once the user has confirmed `action` (a destructive tool, before it changes anything);
        otherwise end the call with the confirmation-required or declined result. Returns "accepted"
        (elicitation) or "token" (the model sent back the token of a first call)."""
        return confirmation.confirm(self, action, ask=self._ask_user)

    def _ask_user(self, message: str) -> dict[str, Any] | None:
        if not self.client_supports("elicitation"):
            return None
        if self.request_meta is not None:
            return self.ask({"confirm": {"method": "elicitation/create", "params": {
                "mode": "form", "message": message, "requestedSchema": confirmation.ASK_SCHEMA}}})["confirm"]
        try:
            return self.request("elicitation/create", {"message": message,
                                                       "requestedSchema": confirmation.ASK_SCHEMA})
        except ClientRequestError:
            return None  # the client could not ask the user: the model gets a token instead
