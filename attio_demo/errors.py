"""Attio-shaped errors for the demo server.

Every non-2xx answer has exactly the four keys Attio sends:
`{"status_code", "type", "code", "message"}`, except the 400s of the few endpoints whose spec says
`statusCode` (`camel_400`, reference §0.3).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping, TypeVar

_TYPES = {400: "invalid_request_error", 401: "auth_error", 403: "auth_error", 404: "invalid_request_error",
          405: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error",
          429: "rate_limit_error"}


class AttioError(Exception):
    """An error answered with Attio's error body."""

    def __init__(self, status: int, code: str, message: str, type_: str | None = None, *,
                 headers: Mapping[str, str] | None = None, status_key: str = "status_code") -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.type = type_ or _TYPES.get(status, "api_error")
        self.headers, self.status_key = dict(headers or {}), status_key

    def body(self) -> dict[str, Any]:
        """The JSON body Attio sends for this error."""
        return {self.status_key: self.status, "type": self.type, "code": self.code, "message": self.message}


F = TypeVar("F", bound=Callable[..., Any])


def camel_400(view: F) -> F:
    """Answer this route's 400s with `statusCode` instead of `status_code`, as Attio's spec declares for it."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except AttioError as e:
            if e.status == 400:
                e.status_key = "statusCode"
            raise
    return wrapper  # type: ignore[return-value]


def not_found(message: str) -> AttioError:
    """A 404 `not_found` error."""
    return AttioError(404, "not_found", message)


def invalid(message: str, code: str = "validation_type", status: int = 400) -> AttioError:
    """A 400 error (default code `validation_type`)."""
    return AttioError(status, code, message)


def body_error(message: str) -> AttioError:
    """A 400 `validation_type` error about the request body."""
    return AttioError(400, "validation_type", f"Body payload validation error: {message}")


def filter_error(message: str) -> AttioError:
    """A 400 `filter_error`."""
    return AttioError(400, "filter_error", message)
