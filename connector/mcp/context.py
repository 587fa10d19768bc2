"""What a tool, resource or prompt sees of the world while it runs.

No HTTP here: the transport supplies an `emit` function that puts a message on
the right stream, and the caller object says who is calling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import gevent

from ..identity import Caller
from . import confirmation, jsonrpc
from .sessions import LOG_LEVELS, InFlight, Session


class Cancelled(Exception):
    """The client cancelled the request; no response is sent."""


class ClientRequestError(Exception):
    """A server→client request failed or the client cannot take it."""


@dataclass
class ToolContext:
    """Per-call context handed to tools, resources and prompts."""

    services: Any
    caller: Caller
    session: Session | None
    emit: Callable[[dict[str, Any]], bool]
    request_id: Any = None
    progress_token: Any = None
    in_flight: InFlight | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    confirmations: confirmation.Confirmations | None = None
    pending: confirmation.Pending | None = None  # set for a destructive tool's call
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

    def log(self, level: str, data: Any, logger: str = "attio-connector") -> None:
        """Send `notifications/message` if the session's level lets it through."""
        threshold = self.session.log_level if self.session else "info"
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(threshold):
            return
        self.emit(jsonrpc.notification("notifications/message", {"level": level, "logger": logger, "data": data}))

    def client_supports(self, capability: str) -> bool:
        """True if the client declared `capability` at initialize."""
        return bool(self.session and capability in self.session.client_capabilities)

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
        try:
            return self.request("elicitation/create", {"message": message,
                                                       "requestedSchema": confirmation.ASK_SCHEMA})
        except ClientRequestError:
            return None  # the client could not ask the user: the model gets a token instead
