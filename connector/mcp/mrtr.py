"""Multi round-trip requests (2026-07-28, SEP-2322): asking the client for input without holding a session.

A tool, prompt or resource that needs the user (elicitation), the client's model (sampling) or its roots calls
`ctx.ask({key: {"method": …, "params": …}})`. On a modern request the answers come from the retry's
`inputResponses`; until all are there the call ends with an `input_required` result carrying the open
requests and a `requestState`. That state is signed (itsdangerous, keyed by SECRET_KEY and its fallbacks) and
bound to the caller, the method, the tool/prompt/URI, a digest of the arguments, and an expiry; it carries the
answers of earlier rounds, so any worker can finish the call. Tampered, expired or foreign state is refused
with -32602. Knows no Attio and no HTTP.
"""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from marshmallow import Schema, ValidationError, fields, validate

from . import jsonrpc
from .jsonrpc import INVALID_PARAMS, MISSING_CLIENT_CAPABILITY, JsonRpcError

SALT = "attio-connector/mcp-request-state"
# The client capability each kind of input request needs.
CAPABILITY = {"elicitation/create": "elicitation", "sampling/createMessage": "sampling", "roots/list": "roots"}
SUPPORTED_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
MAX_KEYS = 16


class Interrupt(Exception):
    """Ends a handler early with something other than its result; tools must let it pass."""


class InputRequired(Interrupt):
    """The call needs input from the client: answered with an `input_required` result."""

    def __init__(self, requests: dict[str, dict[str, Any]], state: dict[str, Any]) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests, self.state = requests, state


class MissingCapability(Interrupt):
    """The call needs a client capability the request did not declare (-32021, HTTP 400)."""

    def __init__(self, capability: str) -> None:
        super().__init__(capability)
        self.capability = capability

    def error(self) -> JsonRpcError:
        """The MissingRequiredClientCapabilityError."""
        return JsonRpcError(MISSING_CLIENT_CAPABILITY,
                            f"Missing required client capability: this request needs {self.capability!r}, "
                            "which the request's io.modelcontextprotocol/clientCapabilities does not declare",
                            data={"requiredCapabilities": {self.capability: {}}}, http_status=400)


class _ElicitResult(Schema):
    class Meta:
        unknown = "include"

    action = fields.String(required=True, validate=validate.OneOf(["accept", "decline", "cancel"]))
    content = fields.Dict(allow_none=True)


class _SamplingResult(Schema):
    class Meta:
        unknown = "include"

    role = fields.String(required=True, validate=validate.OneOf(["user", "assistant"]))
    content = fields.Raw(required=True)
    model = fields.String()


class _RootsResult(Schema):
    class Meta:
        unknown = "include"

    roots = fields.List(fields.Dict(), required=True)


RESULT_SCHEMAS: dict[str, Schema] = {"elicitation/create": _ElicitResult(), "sampling/createMessage": _SamplingResult(),
                                     "roots/list": _RootsResult()}


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def binding(method: str, params: dict[str, Any], caller: Any) -> dict[str, str]:
    """What a requestState is bound to: who, which method on what, with which arguments."""
    target = params.get("uri") if method == "resources/read" else params.get("name")
    return {"m": method, "n": str(target), "a": _digest(params.get("arguments") or {}),
            "c": _digest([getattr(caller, "subject", None), getattr(caller, "client_id", None)])}


class RequestStates:
    """Signs and verifies requestState."""

    def __init__(self, secret_keys: list[str], ttl: int = 600) -> None:
        self._signer = URLSafeSerializer(list(reversed(secret_keys)), salt=SALT)
        self.ttl = ttl

    def seal(self, bound: dict[str, str], state: dict[str, Any], now: float | None = None) -> str:
        """The opaque requestState for `state`, bound to `bound`, valid for `ttl` seconds."""
        return self._signer.dumps({**bound, "e": int(now if now is not None else time.time()) + self.ttl, "s": state})

    def open(self, token: Any, bound: dict[str, str], now: float | None = None) -> dict[str, Any]:
        """The state inside `token`, or JsonRpcError -32602 saying why it is refused."""
        if not isinstance(token, str) or not token or len(token) > 65536:
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: requestState must be the string this server returned")
        try:
            payload = self._signer.loads(token)
            expires = int(payload["e"])
        except (BadData, TypeError, KeyError, ValueError):
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: requestState failed its integrity check (altered, "
                               "or not issued by this server); send the request again without it") from None
        if expires <= (now if now is not None else time.time()):
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: requestState has expired; send the request again "
                               "without it")
        if any(payload.get(k) != v for k, v in bound.items()):
            raise JsonRpcError(INVALID_PARAMS, "Invalid params: requestState belongs to another request (other "
                               "caller, method, target or arguments); send this request again without it")
        state = payload.get("s")
        return state if isinstance(state, dict) else {}


def load_responses(raw: Any) -> dict[str, Any]:
    """`inputResponses` as sent: a map of key → result object, or -32602."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise JsonRpcError(INVALID_PARAMS, "Invalid params: inputResponses must be an object mapping each input "
                           "request key to the client's result object")
    return raw


def check_answer(key: str, method: str, answer: dict[str, Any]) -> dict[str, Any]:
    """One input response, validated for the kind of request it answers; -32602 naming the problem."""
    schema = RESULT_SCHEMAS.get(method)
    if schema is None:
        return answer
    try:
        return schema.load(answer)
    except ValidationError as exc:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: inputResponses.{key}: "
                           f"{jsonrpc.describe_validation(exc)}") from None


def input_required_result(requests: dict[str, dict[str, Any]], state: str | None) -> dict[str, Any]:
    """The InputRequiredResult."""
    out: dict[str, Any] = {"resultType": "input_required"}
    if requests:
        out["inputRequests"] = requests
    if state is not None:
        out["requestState"] = state
    return out
