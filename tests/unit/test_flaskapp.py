"""connector.flaskapp.ConnectorFlask: ensure_sync remembered per function, async functions still wrapped."""
from __future__ import annotations

import pytest

from connector.flaskapp import ConnectorFlask


def test_sync_functions_come_back_as_they_are_and_async_ones_get_flasks_answer():
    app = ConnectorFlask(__name__)

    def plain() -> str:
        return "plain"

    async def coro() -> str:
        return "awaited"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    # Flask refuses async views without its 'async' extra (the connector has none): the memo changes nothing there.
    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(coro)
    assert coro not in app._synced


def test_routes_and_hooks_run_through_the_memo():
    app = ConnectorFlask(__name__)
    seen = []
    app.before_request(lambda: seen.append("before"))

    @app.get("/x")
    def x() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/x").data == b"ok" and client.get("/x").data == b"ok"
    assert seen == ["before", "before"]
    assert x in app._synced
