"""One fuzzed server for this folder, on its own demo Attio so random tool calls cannot touch the shared one."""
from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session")
def fuzz_attio() -> Iterator[object]:
    """A private demo Attio: whatever the fuzzers manage to create or delete stays here."""
    from attio_demo import start_demo_attio

    demo = start_demo_attio(testing=True)
    yield demo
    demo.stop()


@pytest.fixture(scope="session")
def fuzz_server(server_factory, fuzz_attio):
    """The connector under gunicorn with auth off (requests reach the JSON-RPC layer) and no rate limits."""
    # A short keep-alive lets the server notice a closed stream quickly, so it stops without waiting.
    return server_factory(ATTIO_API_URL=fuzz_attio.url, RATE_LIMITS_ENABLED="false", SSE_KEEPALIVE_SECONDS="1")


@pytest.fixture()
def make_oauth_app(tmp_path):
    """Build an app on its own SQLite file (auth on, rate limits off, environment not read); kwargs are settings."""
    from tests.oauth import flow

    built = 0

    def build(**overrides):
        nonlocal built
        built += 1
        overrides.setdefault("DATABASE_URL", flow.sqlite_url(tmp_path / f"app-{built}.sqlite"))
        return flow.make_app(**overrides)

    return build
