"""Who may call what: token levels and the refusals that need more than an HTTP status to explain.

Attio issues workspace-level tokens (acting for the whole workspace) and member-level ones (acting for one
workspace member); `/v2/self` says which (`token_level`: "workspace" | "user", 2026 reference §0.1, §12). A few
list endpoints accept workspace tokens only. Attio's wording for that refusal, and for a workspace without the
emails alpha, is not published (§15), so a 403 on those endpoints is read together with the token's level.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .errors import (
    AttioError,
    AttioFeatureUnavailable,
    AttioMemberTokenRefused,
    AttioMergeNotFound,
    AttioNotFound,
    AttioNotPermitted,
)

WORKSPACE = "workspace"
MEMBER = "user"  # Attio's word for a member-level token
LEVELS = (WORKSPACE, MEMBER)

# (method, path, what a member token cannot list) — reference §0.1.
WORKSPACE_ONLY = [
    ("GET", re.compile(r"/v2/meetings"), "meetings across the workspace"),
    ("GET", re.compile(r"/v2/emails"), "emails"),
    ("GET", re.compile(r"/v2/meetings/[^/]+/call_recordings/[^/]+/transcript"), "transcripts page by page"),
    ("GET", re.compile(r"/v2/webhooks"), "webhooks"),
    ("DELETE", re.compile(r"/v2/webhooks/[^/]+"), "webhooks"),
]
_MERGE = re.compile(r"/v2/objects/[^/]+/records/merge")
_COMMENT = re.compile(r"/v2/comments/[^/]+")
OWN_COMMENTS = ("A member-level token may delete only the comments its own member wrote (2026 reference §14); "
                "a workspace-level token may delete any.")


def level_of(info: Any) -> str | None:
    """The token level in a `/v2/self` body: "workspace" or "user"; None for an inactive token.

    An active token without `token_level` comes from an Attio that predates member tokens: every token was
    workspace-level then.
    """
    if not isinstance(info, dict) or info.get("active") is not True:
        return None
    level = info.get("token_level")
    return level if level in LEVELS else WORKSPACE


def workspace_only(method: str, path: str) -> str | None:
    """What the endpoint lists if only workspace-level tokens may call it, else None."""
    for m, pattern, what in WORKSPACE_ONLY:
        if m == method and pattern.fullmatch(path):
            return what
    return None


def _about_scopes(failure: AttioError) -> bool:
    """Whether a 403 is Attio's missing-scope refusal (which keeps its own explanation)."""
    return "scope" in failure.message.lower()


def _same(cls: type[AttioError], failure: AttioError, **extra: Any) -> AttioError:
    """`failure` as a more precise class, keeping status, code, type, attempts and the 401 reconnect flag."""
    refined = cls(failure.message, status=failure.status, code=failure.code, type=failure.type,
                  attempts=failure.attempts, **extra)
    refined.reconnect = failure.reconnect
    return refined


def refine(failure: AttioError, method: str, path: str, token_level: Callable[[], str | None]) -> AttioError:
    """A more precise error where the endpoint tells what a generic 403/404 means; else `failure` itself.

    `token_level()` is asked only for a 403 on a workspace-only endpoint (it may call `/v2/self`, once per
    credential); if that fails, the original error stands.
    """
    if failure.status == 404 and method == "POST" and _MERGE.fullmatch(path) and type(failure) is AttioNotFound:
        return _same(AttioMergeNotFound, failure)
    if failure.status != 403:
        return failure
    if method == "POST" and path == "/v2/sql" and failure.code == "billing_error":
        return _same(AttioFeatureUnavailable, failure, feature="sql")
    if _about_scopes(failure):
        return failure
    if method == "DELETE" and _COMMENT.fullmatch(path):
        return _same(AttioNotPermitted, failure, why=OWN_COMMENTS)
    what = workspace_only(method, path)
    if what is None:
        return failure
    try:
        level = token_level()
    except AttioError:
        return failure
    if level == MEMBER:
        return _same(AttioMemberTokenRefused, failure, what=what)
    if path == "/v2/emails" and level == WORKSPACE:
        return _same(AttioFeatureUnavailable, failure, feature="emails")
    return failure
