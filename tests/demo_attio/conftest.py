"""Fixtures for the demo Attio tests: a fresh app per test and a small API helper."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from attio_demo import DEMO_TOKEN, create_demo_app
from attio_demo.schema import uid

WS1 = uid("workspace", "demo-sales")
WS2 = uid("workspace", "northwind")


def rid(obj: str, key: str, ws: str = WS1) -> str:
    """The fixed record id of a seeded record (e.g. `rid("people", "siobhan")`)."""
    return uid(ws, obj, key)


class Api:
    """Calls the demo app through Flask's test client with a token."""

    def __init__(self, client: FlaskClient, token: str | None = DEMO_TOKEN) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body: Any = None, token: str | None = "default", **kw: Any) -> Any:
        """Send a request; returns the test response."""
        token = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.open(path, method=method, json=body, headers=headers, **kw)

    def data(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Send a request that must succeed; returns the `data` member."""
        r = self.call(method, path, body, **kw)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    def query(self, obj: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """POST records/query and return the records."""
        return self.data("POST", f"/v2/objects/{obj}/records/query", body or {})

    def error(self, method: str, path: str, body: Any = None, status_key: str = "status_code",
              **kw: Any) -> tuple[int, dict[str, Any]]:
        """Send a request that must fail; returns (status, Attio error body). `status_key`: "statusCode" for
        the 400s of the endpoints whose spec says so."""
        r = self.call(method, path, body, **kw)
        assert r.status_code >= 400, r.get_data(as_text=True)
        err = r.get_json()
        assert set(err) == {status_key, "type", "code", "message"}
        assert err[status_key] == r.status_code
        return r.status_code, err

    def page(self, path: str, **params: Any) -> dict[str, Any]:
        """GET one cursor page that must succeed: `{"data", "pagination"}`."""
        r = self.call("GET", path, query_string={k: v for k, v in params.items() if v is not None})
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        assert set(body) == {"data", "pagination"} and set(body["pagination"]) == {"next_cursor"}
        return body

    def all_pages(self, path: str, **params: Any) -> list[list[Any]]:
        """Every cursor page of a list endpoint, following `next_cursor` until it is null."""
        pages, cursor = [], None
        while True:
            body = self.page(path, **params, cursor=cursor)
            pages.append(body["data"])
            cursor = body["pagination"]["next_cursor"]
            if cursor is None:
                return pages
            assert len(pages) < 100

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change the demo's settings (rate limits, timings) until the next reset."""
        r = self.call("POST", "/_admin/settings", changes, token=None)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()


@pytest.fixture
def app() -> Flask:
    """A freshly seeded demo app."""
    return create_demo_app(testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for the demo app."""
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """An API helper authenticated as workspace 1 ("Demo Sales Co")."""
    return Api(client)


def full_name(rec: dict[str, Any]) -> str:
    """A person record's full name."""
    return rec["values"]["name"][0]["full_name"]


def text(rec: dict[str, Any], slug: str = "name") -> Any:
    """The first `value` of a text-like attribute."""
    vals = rec["values"][slug]
    return vals[0]["value"] if vals else None
