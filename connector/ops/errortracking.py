"""Error reports to Sentry (sentry-sdk with its Flask integration) when SENTRY_DSN is set.

Nothing secret leaves: no default PII, Sentry's own scrubber with our extra field names, then a pass over every
string of the event (messages, frames' local variables, request data, breadcrumbs) that blanks bearer tokens, our
token formats, authorization codes in URLs, and the exact values of this deployment's secrets.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask

FILTERED = "[Filtered]"
EXTRA_DENYLIST = [
    "code", "code_verifier", "refresh_token", "access_token", "id_token", "client_secret", "client_assertion",
    "assertion", "confirmation_token", "csrf_token", "pending_id", "attio_api_key", "api_key", "secret_key",
    "encryption_keys", "metrics_token", "status_token", "password", "cookie", "set-cookie", "authorization",
    "x-api-key", "ciphertext", "_token", "token",
]
# Bearer/Basic credentials, our own token formats (atk_/rtk_/…), and secrets carried in URLs' query strings.
VALUE_PATTERNS = [
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"\b(atk|rtk|ac|cs|uc|pend)_[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)([?&](code|refresh_token|access_token|client_secret|code_verifier|token|state)=)[^&#\s\"']+"),
]
SECRET_SETTINGS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "ENCRYPTION_KEYS", "ATTIO_API_KEY", "ATTIO_CLIENT_SECRET",
                   "METRICS_TOKEN", "STATUS_TOKEN", "DEMO_ATTIO_TOKEN", "SENTRY_DSN")


def secret_values(config: Any) -> list[str]:
    """The deployment's own secret values (long enough to be worth matching)."""
    out: list[str] = []
    for name in SECRET_SETTINGS:
        value = config.get(name)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and len(item) >= 8:
                out.append(item)
    return out


class Scrubber:
    """Blanks secrets in any JSON-like value."""

    def __init__(self, known: list[str]) -> None:
        self.known = sorted(set(known), key=len, reverse=True)

    def text(self, value: str) -> str:
        """`value` with every secret replaced."""
        for secret in self.known:
            if secret in value:
                value = value.replace(secret, FILTERED)
        for pattern in VALUE_PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.re is VALUE_PATTERNS[2] else "") + FILTERED, value)
        return value

    def walk(self, value: Any, depth: int = 0) -> Any:
        """A copy of `value` with every string scrubbed and every denylisted key blanked."""
        if depth > 40:
            return FILTERED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: FILTERED if isinstance(k, str) and self.denied(k) and v not in (None, "", FILTERED)
                    else self.walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.walk(v, depth + 1) for v in value]
        return value

    @staticmethod
    def denied(key: str) -> bool:
        """True for a field name that holds a secret."""
        low = key.lower()
        return low in EXTRA_DENYLIST or low.endswith(("_token", "_secret", "password", "_key"))

    def event(self, event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
        """before_send / before_send_transaction."""
        return self.walk(event)

    def breadcrumb(self, crumb: dict[str, Any], hint: Any = None) -> dict[str, Any]:
        """before_breadcrumb."""
        return self.walk(crumb)


def init_error_tracking(app: Flask) -> None:
    """Start Sentry once per process when SENTRY_DSN is set; the app's 500 handler reports through it."""
    cfg = app.config
    if not cfg.get("SENTRY_DSN"):
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    scrubber = Scrubber(secret_values(cfg))
    if sentry_sdk.get_client().is_active():  # one client per process (tests build several apps)
        app.extensions["error_reporter"] = sentry_sdk.capture_exception
        return
    sentry_sdk.init(
        dsn=cfg["SENTRY_DSN"], environment=cfg.get("SENTRY_ENVIRONMENT") or cfg.get("APP_ENV") or None,
        release=cfg.get("SENTRY_RELEASE") or f"attio-connector@{cfg['VERSION']}",
        traces_sample_rate=cfg.get("SENTRY_TRACES_SAMPLE_RATE", 0.0), send_default_pii=False,
        integrations=[FlaskIntegration()], default_integrations=True, max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *EXTRA_DENYLIST], recursive=True),
        before_send=scrubber.event, before_send_transaction=scrubber.event, before_breadcrumb=scrubber.breadcrumb)
    app.extensions["error_reporter"] = sentry_sdk.capture_exception
