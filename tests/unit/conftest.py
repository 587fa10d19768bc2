"""Fixtures the Attio client's unit tests share (files may define their own `client` on top)."""
from __future__ import annotations

from typing import Iterator

import pytest
import responses

from connector.attio.client import AttioClient
from tests.unit.test_attio_client import BASE, TOKEN, FakeTime


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every HTTP request of the test must be one it registered (responses)."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def attio_client() -> AttioClient:
    """A client on the fake clock: retries and budget waits take no real time."""
    fake = FakeTime()
    return AttioClient(BASE, TOKEN, sleep=fake.sleep, clock=fake)
