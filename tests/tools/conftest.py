"""Servers the tool tests share beyond the default one: a member-level Attio token, and a workspace on a plan
without SQL or the emails alpha."""
from __future__ import annotations

from typing import Any

import pytest

from attio_demo.tokens import DEMO_TOKEN_2, DEMO_TOKEN_MEMBER


@pytest.fixture(scope="session")
def member_server(server_factory: Any) -> Any:
    """The connector on Demo Sales Co with a member-level token (it acts for Tomás Alvarez)."""
    return server_factory(DEMO_ATTIO_TOKEN=DEMO_TOKEN_MEMBER, RATE_LIMIT_INITIALIZE="100000/minute")


@pytest.fixture(scope="session")
def pro_server(server_factory: Any) -> Any:
    """The connector on the second demo workspace: Pro plan (no SQL), emails not enabled."""
    return server_factory(DEMO_ATTIO_TOKEN=DEMO_TOKEN_2, RATE_LIMIT_INITIALIZE="100000/minute")
