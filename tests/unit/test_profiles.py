"""Environment profiles: development, staging, production — and what each refuses."""
from __future__ import annotations

import pytest

from connector.config import ConfigError, load_settings

REAL = {"ATTIO_API_KEY": "attio-key-for-tests", "SECRET_KEY": "s" * 40, "PUBLIC_URL": "https://connector.example"}


def settings(**env: str) -> dict:
    return load_settings(environ=env)


def test_development_is_the_default_and_allows_the_demo():
    cfg = settings()
    assert cfg["APP_ENV"] == "development" and cfg["PRODUCTION"] is False and cfg["MODE"] == "demo"
    assert settings(AUTH_DISABLED="true", RATE_LIMITS_ENABLED="false", LOG_LEVEL="DEBUG")["APP_ENV"] == "development"


@pytest.mark.parametrize("profile", ["staging", "production"])
@pytest.mark.parametrize("env, message", [
    ({}, "needs real Attio settings"),
    ({"SECRET_KEY": ""}, "SECRET_KEY is required when APP_ENV is production or staging"),
    ({"AUTH_DISABLED": "true"}, "AUTH_DISABLED=true is refused when APP_ENV is production or staging"),
    ({"PUBLIC_URL": ""}, "PUBLIC_URL is required when APP_ENV is production or staging"),
    ({"PUBLIC_URL": "http://connector.example"}, "PUBLIC_URL must be https:// in production and staging"),
    ({"CIMD_ALLOW_LOOPBACK": "true"}, "CIMD_ALLOW_LOOPBACK is for tests only"),
])
def test_staging_and_production_share_the_strict_refusals(profile, env, message):
    base = {**REAL, **env} if env else {"SECRET_KEY": "s" * 40, "PUBLIC_URL": "https://connector.example"}
    base = {k: v for k, v in base.items() if v != ""}
    with pytest.raises(ConfigError, match=message):
        settings(APP_ENV=profile, **base)


def test_production_alone_refuses_switching_off_rate_limits_and_debug_logs():
    with pytest.raises(ConfigError, match="RATE_LIMITS_ENABLED=false is refused when APP_ENV=production"):
        settings(APP_ENV="production", RATE_LIMITS_ENABLED="false", **REAL)
    with pytest.raises(ConfigError, match="LOG_LEVEL=DEBUG is refused when APP_ENV=production"):
        settings(APP_ENV="production", LOG_LEVEL="DEBUG", **REAL)
    cfg = settings(APP_ENV="staging", RATE_LIMITS_ENABLED="false", LOG_LEVEL="DEBUG", **REAL)
    assert cfg["PRODUCTION"] is True and cfg["RATE_LIMITS_ENABLED"] is False


def test_production_true_is_an_alias_and_a_contradiction_is_refused():
    assert settings(PRODUCTION="true", **REAL)["APP_ENV"] == "production"
    with pytest.raises(ConfigError, match="APP_ENV=development contradicts PRODUCTION=true"):
        settings(APP_ENV="development", PRODUCTION="true", **REAL)
    with pytest.raises(ConfigError, match="APP_ENV='qa' is invalid"):
        settings(APP_ENV="qa")
