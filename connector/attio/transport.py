"""The HTTP plumbing under the Attio client: the pooled session, the base URL, proxies, retry timing."""
from __future__ import annotations

import os
import random
import time
from datetime import timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from requests.models import PreparedRequest
from requests.utils import get_environ_proxies

from .adapter import LeanAdapter


def make_session(pool_maxsize: int = 50) -> requests.Session:
    """A session with a pooled adapter and no urllib3-level retries (the client retries itself)."""
    session = requests.Session()
    adapter = LeanAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@lru_cache(maxsize=32)
def normalize_base_url(base_url: str) -> str:
    """Validate and normalise the base URL once (IDNA host, quoting), without trailing slash."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an absolute http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base_url must not contain credentials, a query or a fragment")
    prepared = PreparedRequest()
    prepared.prepare_url(base_url, None)
    return str(prepared.url).rstrip("/")


def settle_environment(session: requests.Session, url: str) -> dict[str, str]:
    """Resolve proxies and CA bundle from the environment once, then turn per-call lookups off."""
    if session.trust_env:
        env = get_environ_proxies(url, no_proxy=session.proxies.get("no_proxy"))
        session.proxies = {**env, **session.proxies}  # explicit session settings win
        if session.verify is True:
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False  # also stops ~/.netrc from replacing our Authorization header
    return dict(session.proxies)


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter for 5xx and connection failures."""
    base = min(4.0, 0.25 * 2 ** (attempt - 1))
    return base + random.uniform(0, base / 2)  # nosec B311  # retry jitter, not a secret


def jitter(limit: float = 0.1) -> float:
    """A small random delay, so that callers told to wait the same time do not come back at once."""
    return random.uniform(0, limit)  # nosec B311  # retry jitter, not a secret


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: integer seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC in HTTP dates
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() - (time.time() if now is None else now)
