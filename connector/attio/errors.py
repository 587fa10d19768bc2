"""Typed errors for Attio REST calls, each with a sentence a language model can act on.

Attio's error body is `{"status_code", "type", "code", "message"}` (the comment
endpoints say `statusCode`); proxies in front of Attio may answer with HTML instead.
`error_from_response` copes with both. No error ever holds the credential: callers
pass the secrets to scrub, and no request or response object is kept on the error.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

_MAX_MESSAGE = 500
_PLAN_LIMIT_CODES = frozenset({"billing_error", "quota_exceeded"})


def _clip(text: str) -> str:
    """Shorten a message to a readable length, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _sentence(text: str) -> str:
    """The text ending in punctuation, so that a following sentence reads well."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _plural(n: int) -> str:
    """'1 attempt' / '3 attempts'."""
    return f"{n} attempt" if n == 1 else f"{n} attempts"


class AttioError(Exception):
    """Any failed Attio call: HTTP status, Attio's `code`/`type`, its message, attempts made."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,  # noqa: A002 - Attio's field name
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.type = type
        self.attempts = attempts
        self.reconnect = False  # set when our grant was revoked because of this error: the person must reconnect

    def _label(self) -> str:
        """'HTTP 400, code filter_error' — whichever parts are known."""
        parts = [f"HTTP {self.status}"] if self.status else []
        if self.code:
            parts.append(f"code {self.code}")
        return ", ".join(parts)

    def tool_message(self) -> str:
        """A clear sentence for a language model, quoting Attio's message."""
        label = self._label()
        return f"Attio returned an error ({label}): {self.message}" if label else f"Attio: {self.message}"

    def __str__(self) -> str:
        return self.tool_message()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, attempts={self.attempts!r})"
        )


class AttioNotFound(AttioError):
    """404: the object, record, list, note, task or member does not exist (or is not visible)."""

    def tool_message(self) -> str:
        """Quote Attio's not-found message."""
        return f"Not found in Attio (HTTP 404): {self.message}"


class AttioAuthError(AttioError):
    """401 (bad or revoked credential) or 403 (missing scope, or a plan limit)."""

    def tool_message(self) -> str:
        """Say whether to re-link, grant a scope, or that a plan limit applies."""
        said = _sentence(self.message)
        if self.status == 401 and self.reconnect:
            return (f"Attio no longer accepts this connection's credential (HTTP 401, {self.code or 'unauthorized'}): "
                    f"{said} The connection has been closed on this server: reconnect the Attio app (sign in to "
                    "Attio again) to continue.")
        if self.status == 401:
            return (f"Attio rejected the credential (HTTP 401, {self.code or 'unauthorized'}): {said} "
                    "Re-link the Attio account, or check the API key this server is configured with.")
        if self.code in _PLAN_LIMIT_CODES:
            return (f"Attio refused the request because of a plan limit (HTTP 403, {self.code}): {said} "
                    "This is not a rate limit; retrying will not help.")
        return (f"Attio refused the request: the credential is missing a scope (permission) this action "
                f"needs (HTTP 403, {self.code or 'forbidden'}): {said} "
                "An Attio admin must grant the missing scope to the API key or app, then re-link.")


class AttioBadRequest(AttioError):
    """400/409/413/422: Attio refused the input (bad filter, unknown option, conflict, too large)."""

    def tool_message(self) -> str:
        """Quote Attio's message with status and code, so the caller can fix the input."""
        if self.status is None:  # refused locally, before any call
            return f"The request was not sent to Attio ({self._label()}): {self.message}"
        return f"Attio rejected the request ({self._label()}): {self.message}"


class AttioRateLimited(AttioError):
    """429 that persisted through every retry."""

    def tool_message(self) -> str:
        """Explain the rate limit and when to try again."""
        return (
            f"Attio is rate limiting requests ({self.message}); gave up after {_plural(self.attempts)}. "
            "Try again in a few seconds."
        )


class AttioBudgetExhausted(AttioRateLimited):
    """This server's own share of Attio's rate limit stayed used up for as long as a call may wait (no call sent)."""

    def __init__(self, message: str, *, limit: str, waited: float) -> None:
        super().__init__(message, status=None, code="rate_budget_exhausted", attempts=0)
        self.limit, self.waited = limit, waited

    def tool_message(self) -> str:
        """Say which limit held the call back and that nothing reached Attio."""
        return (f"Too many calls to Attio at once: this server keeps this workspace within Attio's rate limit for "
                f"{self.limit}, and after waiting {self.waited:.1f} s there was still no room ({self.message}). "
                "Nothing was sent to Attio; try again in a few seconds.")


class AttioMemberTokenRefused(AttioAuthError):
    """403 from an endpoint Attio serves to workspace-level tokens only, called with a member-level token."""

    def __init__(self, message: str, *, what: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.what = what

    def tool_message(self) -> str:
        """Explain the token level and what would work."""
        return (f"Attio lists {self.what} only for workspace-level access tokens, and this connection's token acts "
                f"for a single workspace member (HTTP 403, {self.code or 'unauthorized'}): {_sentence(self.message)} "
                "Connect with a workspace-level token (an Attio API key, or the app installed for the whole "
                "workspace) to list them; reading one item by its id still works.")


class AttioNotPermitted(AttioAuthError):
    """403 that is neither a missing scope nor a plan limit: what this token's member may not do (e.g. a member-level
    token deleting someone else's comment)."""

    def __init__(self, message: str, *, why: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.why = why

    def tool_message(self) -> str:
        """Quote Attio and say why."""
        return (f"Attio does not allow this (HTTP 403, {self.code or 'unauthorized'}): {_sentence(self.message)} "
                f"{self.why}")


class AttioFeatureUnavailable(AttioAuthError):
    """403 because Attio has not enabled a feature for this workspace: `feature` is "emails" or "sql"."""

    ASK = {
        "emails": ("Attio's email API is in alpha and has not been enabled for this workspace or app",
                   "A workspace admin can request access from Attio (support@attio.com)."),
        "sql": ("Attio's SQL API is available on the Enterprise plan only, and this workspace's plan does not "
                "include it", "Ask the workspace admin about the Enterprise plan."),
    }

    def __init__(self, message: str, *, feature: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.feature = feature

    def tool_message(self) -> str:
        """Say what is not enabled and whom to ask."""
        why, ask = self.ASK.get(self.feature, (f"Attio has not enabled {self.feature} for this workspace",
                                               "Ask the workspace admin."))
        return (f"{why} (HTTP {self.status or 403}, {self.code or 'forbidden'}): {_sentence(self.message)} {ask} "
                "Retrying will not help.")


class AttioMergeInProgress(AttioNotFound):
    """404 `merge_in_progress`: the record a merge produces is not readable until Attio has applied the merge."""

    def tool_message(self) -> str:
        """Say the merge is still being applied."""
        return (f"Attio is still applying the merge that produces this record (HTTP 404, merge_in_progress): "
                f"{_sentence(self.message)} Read it again in a few seconds.")


class AttioMergeNotFound(AttioNotFound):
    """404 from the merge endpoint: a record to merge does not exist, which is also how a repeated merge ends."""

    def tool_message(self) -> str:
        """Explain that merged records are gone for good, so a repeat answers 404."""
        return (f"Attio found nothing to merge (HTTP 404): {_sentence(self.message)} Both records must exist; "
                "after a merge the two originals are gone for good (their values live on in the new record), so "
                "repeating a merge that already happened answers exactly this.")


class AttioUnavailable(AttioError):
    """5xx, timeout or connection failure that persisted through every retry."""

    def tool_message(self) -> str:
        """Say Attio is unavailable, why, and after how many attempts."""
        reason = f"HTTP {self.status}: {self.message}" if self.status else self.message
        return f"Attio is unavailable ({reason}) after {_plural(self.attempts)}. Try again shortly."


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in `text` by a marker."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def error_class(status: int, code: str | None = None) -> type[AttioError]:
    """The AttioError subclass for an HTTP status (and Attio's code, where it says more)."""
    if status == 404 and code == "merge_in_progress":
        return AttioMergeInProgress
    if status == 404:
        return AttioNotFound
    if status in (401, 403):
        return AttioAuthError
    if status == 429:
        return AttioRateLimited
    if status >= 500:
        return AttioUnavailable
    if status in (400, 409, 413, 422):
        return AttioBadRequest
    return AttioError


def error_from_response(
    status: int,
    body: bytes,
    *,
    reason: str = "",
    attempts: int = 1,
    secrets: Iterable[str] = (),
) -> AttioError:
    """Build the typed error for a non-2xx response, from Attio's JSON body or any other body."""
    parsed: Any = None
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    code = kind = None
    message = ""
    if isinstance(parsed, dict):
        code = parsed.get("code") if isinstance(parsed.get("code"), str) else None
        kind = parsed.get("type") if isinstance(parsed.get("type"), str) else None
        raw = parsed.get("message")
        message = raw if isinstance(raw, str) else ""
    if not message:
        # Not Attio's shape (e.g. an HTML 502 page from a proxy): never echo the body.
        message = reason or "no details given"
        if parsed is None and body:
            message += " (non-JSON response body)"
    message = _clip(_scrub(message, secrets))
    cls = error_class(status, code)
    return cls(message, status=status, code=code, type=kind, attempts=attempts)
