"""Confirmation of destructive tool calls: nothing is deleted on a first call, from any client.

A tool annotated `destructiveHint: true` calls `ctx.confirm(action)` once it knows exactly what it
is about to do, and before doing it. `confirm` returns only when the user has agreed:

- the client supports elicitation: the user is asked (`elicitation/create`); a decline or cancel
  ends the call with a `declined`/`cancelled` result and nothing changed;
- otherwise the call ends with a `confirmation_required` result carrying a confirmation token and
  the exact text of what will happen; the model asks the user and, only if they agree, repeats
  the call with `confirmation_token`.

The token is signed (itsdangerous, keyed by SECRET_KEY and its fallbacks) and bound to the caller
(subject + OAuth client), the tool, a canonical form of every other argument, and an expiry; it is
single use (its id is remembered until it expires, in Redis when REDIS_URL is set). It knows no
Attio, so a later protocol revision can carry it as the `requestState` of an `input_required` result.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import redis
from cachelib import SimpleCache
from itsdangerous import BadData, URLSafeSerializer

TOKEN_ARG = "confirmation_token"  # nosec B105  # an argument name, not a secret
SALT = "attio-connector/mcp-confirmation"
TOKEN_INPUT = {"type": "string", "maxLength": 1000, "description": (
    "Leave out on the first call. A destructive call is not carried out at once: the first call returns "
    "status \"confirmation_required\" with a confirmation_token and the exact action. Ask the user; only if "
    "they agree, repeat the call with the same arguments plus this token. Never invent or reuse one.")}
NOT_DONE_OUTPUT = {"type": "object", "properties": {
    "status": {"type": "string", "enum": ["confirmation_required", "declined", "cancelled"]},
    "action": {"type": "string", "description": "Exactly what the call does once confirmed."},
    "arguments": {"type": "object", "description": "The arguments the token is bound to."},
    TOKEN_ARG: {"type": "string"},
    "expires_at": {"type": "string", "format": "date-time"},
    "expires_in_seconds": {"type": "integer"},
}, "required": ["status", "action", "arguments"], "additionalProperties": False}
ASK_SCHEMA = {"type": "object", "properties": {"confirm": {
    "type": "boolean", "title": "Go ahead?", "description": "Yes to do exactly this; it cannot be undone."}},
    "required": ["confirm"]}


class NotConfirmed(Exception):
    """Ends a destructive call before it changes anything: the result says what to do next."""

    def __init__(self, structured: dict[str, Any], text: str) -> None:
        super().__init__(text)
        self.structured, self.text = structured, text


class ConfirmationRefused(Exception):
    """A confirmation token that cannot confirm this call; the message says why and what to do."""


@dataclass
class Pending:
    """One destructive call's confirmation state: its tool, its bound arguments, whether it brought a
    valid token (redeemed before the tool ran), and how `confirm` let it through."""

    tool: str
    arguments: dict[str, Any]
    redeemed: bool = False
    how: str | None = None  # "accepted" (elicitation) or "token", once ctx.confirm() let the call through


def input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A destructive tool's inputSchema: its own, plus the optional `confirmation_token`."""
    return {**schema, "properties": {**schema.get("properties", {}), TOKEN_ARG: TOKEN_INPUT}}


def output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A destructive tool's outputSchema: its own result, or the not-done result."""
    return {"type": "object", "anyOf": [schema, NOT_DONE_OUTPUT]}


def split_token(raw: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The arguments without `confirmation_token`, and the token (None when absent)."""
    rest = dict(raw)
    return rest, rest.pop(TOKEN_ARG, None)


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class Confirmations:
    """Issues and redeems confirmation tokens."""

    def __init__(self, secret_keys: list[str], ttl: int, used: Any = None) -> None:
        # itsdangerous signs with the last key and accepts any: SECRET_KEY first, then its fallbacks.
        self._signer = URLSafeSerializer(list(reversed(secret_keys)), salt=SALT)
        self.ttl = ttl
        # Used token ids, until they expire: Redis (shared by every worker) or this process's memory.
        self._used = used if used is not None else SimpleCache(threshold=100_000)

    def issue(self, caller: Any, tool: str, arguments: dict[str, Any],
              now: float | None = None) -> tuple[str, int]:
        """A fresh token for this caller, tool and arguments, and when it expires (epoch seconds)."""
        expires = int(now if now is not None else time.time()) + self.ttl
        payload = {"j": secrets.token_urlsafe(12), "t": tool, "c": _digest([caller.subject, caller.client_id]),
                   "a": _digest(arguments), "e": expires}
        return self._signer.dumps(payload), expires

    def redeem(self, token: Any, caller: Any, tool: str, arguments: dict[str, Any]) -> None:
        """Accept `token` for this call exactly once, or raise ConfirmationRefused saying why."""
        again = f"Call {tool} again without {TOKEN_ARG} to get a new one, and ask the user before sending it back."
        if not isinstance(token, str) or not token:
            raise ConfirmationRefused(f"{TOKEN_ARG} must be the token string a first call returned. {again}")
        try:
            p = self._signer.loads(token)
            jti, expires = str(p["j"]), int(p["e"])
        except (BadData, TypeError, KeyError, ValueError):
            raise ConfirmationRefused(f"This {TOKEN_ARG} is not valid: it was altered or not issued by this "
                                      f"server. {again}") from None
        now = time.time()
        if expires <= now:
            raise ConfirmationRefused(f"This {TOKEN_ARG} has expired (tokens last {self.ttl} seconds). {again}")
        if p.get("t") != tool:
            raise ConfirmationRefused(f"This {TOKEN_ARG} was issued for another tool, not {tool}. {again}")
        if p.get("c") != _digest([caller.subject, caller.client_id]):
            raise ConfirmationRefused(f"This {TOKEN_ARG} was issued to another user or client; it confirms "
                                      f"nothing for you. {again}")
        if p.get("a") != _digest(arguments):
            raise ConfirmationRefused(f"This {TOKEN_ARG} was issued for other arguments (another target). Send "
                                      f"exactly the arguments of the call that returned it, or: {again}")
        try:
            first_use = self._used.add(f"confirmation-used:{jti}", 1, timeout=max(1, int(expires - now) + 1))
        except redis.RedisError:
            # Single use cannot be proved while the shared store is down: refuse rather than risk a replay.
            raise ConfirmationRefused(f"This {TOKEN_ARG} cannot be checked right now (the server's shared store is "
                                      "unavailable); nothing was changed. Send the same call again in a few "
                                      "seconds.") from None
        if not first_use:
            raise ConfirmationRefused(f"This {TOKEN_ARG} has already been used; each token confirms one call. "
                                      f"{again}")


def begin(confirmations: Confirmations, caller: Any, tool: str, arguments: dict[str, Any], token: Any) -> Pending:
    """The state of a destructive call about to run. A token it brought is checked and spent now,
    before the tool touches anything: ConfirmationRefused says why it cannot confirm this call."""
    if token is not None:
        confirmations.redeem(token, caller, tool, arguments)
    return Pending(tool, arguments, redeemed=token is not None)


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def confirm(ctx: Any, action: str, ask: Callable[[str], dict[str, Any] | None]) -> str:
    """Return how `action` was confirmed ("token" or "accepted"), or raise NotConfirmed.

    `ask(message)` puts the question to the user (elicitation) and returns their answer, or None when
    the client cannot be asked; then the model gets a token to send back after asking the user itself.
    """
    pending: Pending | None = ctx.pending
    if pending is None or ctx.confirmations is None:
        raise RuntimeError("confirm() is for tools annotated destructiveHint=True, run through tools/call")
    if pending.redeemed:
        pending.how = "token"
        return pending.how
    answer = ask(f"{action}\n\nGo ahead?")
    if answer is not None:
        if answer.get("action") == "accept" and (answer.get("content") or {}).get("confirm") is True:
            pending.how = "accepted"
            return pending.how
        status = "cancelled" if answer.get("action") == "cancel" else "declined"
        raise NotConfirmed({"status": status, "action": action, "arguments": pending.arguments},
                           f"Nothing was changed: the user {status} this action: {action}")
    token, expires = ctx.confirmations.issue(ctx.caller, pending.tool, pending.arguments)
    out = {"status": "confirmation_required", "action": action, "arguments": pending.arguments, TOKEN_ARG: token,
           "expires_at": _iso(expires), "expires_in_seconds": ctx.confirmations.ttl}
    raise NotConfirmed(out, (
        f"Confirmation required; nothing has been changed yet. This call would: {action}\n"
        "Ask the user whether to go ahead. Only if they agree, repeat this same request with the same arguments "
        f"plus \"{TOKEN_ARG}\": \"{token}\". The token works once, for this action only, until "
        f"{_iso(expires)} ({ctx.confirmations.ttl} seconds)."))
