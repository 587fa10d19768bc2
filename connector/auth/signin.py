"""Password sign-in (api_key mode) with the defences against guessing.

- Per pending request: at most SIGNIN_ATTEMPTS_PER_REQUEST password checks; an attempt is reserved
  atomically before the check, and the request is used up with the last failure (start again from the app).
- Per account: after SIGNIN_LOCKOUT_THRESHOLD consecutive failures the n-th failure locks the account for
  2^n seconds, at most SIGNIN_LOCKOUT_MAX_SECONDS. While locked even the right password is refused.
- No enumeration: a wrong password, an unknown or disabled username and a locked account get the same
  answer after the same work (one scrypt check each).
- Every failure and every lock-out is audited, with the reason; never the password.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update

from . import store
from .audit import audit
from .crypto import check_password
from .models import PendingAuthorization, User, aware

# One answer for every refused sign-in, so it says nothing about whether the account exists or is locked.
REFUSED = ("Wrong username or password, or too many failed attempts for this account: "
           "check them and try again later.")


@dataclass
class SignIn:
    """The outcome of one attempt: the user, or why not."""

    user: User | None = None
    exhausted: bool = False  # the pending request has no attempts left and was used up


def attempt(pending: PendingAuthorization, username: str, password: str) -> SignIn:
    """Check one username + password against the guessing limits; commits what it records."""
    cfg = current_app.config
    session = store.db().session
    if not _reserve(pending, cfg["SIGNIN_ATTEMPTS_PER_REQUEST"]):
        _use_up(pending)
        audit("signin.failed", client_id=pending.client_id, username=username[:40], reason="request_exhausted")
        return SignIn(exhausted=True)
    user = session.query(User).filter_by(username=username).one_or_none() if username else None
    now = datetime.now(timezone.utc)
    locked = user is not None and (aware(user.locked_until) or now) > now
    usable = user is not None and user.disabled_at is None and not locked
    # A locked, disabled or unknown account still costs one scrypt check (against a dummy hash).
    if check_password(user.password_hash if usable else None, password) and user is not None:
        session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
        session.commit()
        audit("signin.succeeded", subject=f"user:{user.id}", client_id=pending.client_id)
        return SignIn(user=user)
    reason = "unknown_user" if user is None else "locked" if locked else \
        "disabled" if user.disabled_at is not None else "wrong_password"
    failures = _count_failure(user, now, pending.client_id) if reason == "wrong_password" else None
    audit("signin.failed", subject=f"user:{user.id}" if user else None, client_id=pending.client_id,
          username=username[:40], reason=reason, failures=failures)
    exhausted = _attempts_made(pending) >= cfg["SIGNIN_ATTEMPTS_PER_REQUEST"]
    if exhausted:
        _use_up(pending)
    return SignIn(exhausted=exhausted)


def _reserve(pending: PendingAuthorization, cap: int) -> bool:
    """Take one of the request's attempts; False when none are left (atomic: concurrent posts cannot overrun)."""
    session = store.db().session
    taken = session.execute(update(PendingAuthorization).where(
        PendingAuthorization.id == pending.id, PendingAuthorization.consumed_at.is_(None),
        PendingAuthorization.failed_signins < cap).values(
        failed_signins=PendingAuthorization.failed_signins + 1)).rowcount
    session.commit()
    return taken == 1


def _attempts_made(pending: PendingAuthorization) -> int:
    return store.db().session.execute(select(PendingAuthorization.failed_signins).where(
        PendingAuthorization.id == pending.id)).scalar_one()


def _use_up(pending: PendingAuthorization) -> None:
    session = store.db().session
    session.execute(update(PendingAuthorization).where(PendingAuthorization.id == pending.id,
                                                      PendingAuthorization.consumed_at.is_(None))
                    .values(consumed_at=datetime.now(timezone.utc)))
    session.commit()


def _count_failure(user: User, now: datetime, client_id: str) -> int:
    """One more consecutive failure for `user`; locks the account once past the threshold."""
    cfg = current_app.config
    session = store.db().session
    session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    failures = session.execute(select(User.failed_logins).where(User.id == user.id)).scalar_one()
    if failures >= cfg["SIGNIN_LOCKOUT_THRESHOLD"]:
        seconds = min(2 ** min(failures, 30), cfg["SIGNIN_LOCKOUT_MAX_SECONDS"])
        session.execute(update(User).where(User.id == user.id).values(locked_until=now + timedelta(seconds=seconds)))
        audit("signin.locked", subject=f"user:{user.id}", client_id=client_id, failures=failures, seconds=seconds,
              commit=False)
    session.commit()
    return failures
