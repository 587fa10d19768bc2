"""`fetch` from the tenant cache, in process against the demo Attio: a warm fetch makes no Attio call, every write
through the connector shows on the very next fetch, and CACHE_TTL_SECONDS=0 still reads Attio every time.

The demo's request log counts the Attio calls. Writes go to records these tests create, so the seed stays as the
other tests expect it."""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from connector.config import SETTINGS
from connector.mcp.server import READ_TTL_MS
from tests.apps import migrated_app
from tests.conftest import _admin

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
BRIGHTWAVE_PATH = "/v2/objects/companies/records/549937a9-9b09-5351-a4ff-1972c1d8a132"


class Connector:
    """The connector in process with one 2025-11-25 session (initialize done), as ChatGPT speaks it today."""

    HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

    def __init__(self, demo: Any, tmp_path_factory: Any, **config: Any) -> None:
        self.app = migrated_app({"ATTIO_API_URL": demo.url, "AUTH_DISABLED": True, "SECRET_KEY": "s" * 40,
                                 "ATTIO_RATE_LIMITS": "off", "LOG_LEVEL": "WARNING",
                                 "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.sqlite'}",
                                 **config}, environ={})
        init = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "tests", "version": "1"}}})
        self.headers = {**self.HEADERS, "Mcp-Session-Id": init.headers["Mcp-Session-Id"],
                        "MCP-Protocol-Version": "2025-11-25"}
        assert self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202

    def post(self, message: dict[str, Any]) -> Any:
        return self.app.test_client().post("/mcp", data=json.dumps(message),
                                           headers=getattr(self, "headers", self.HEADERS))

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.post({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["result"]


@pytest.fixture(scope="module")
def app(demo_attio, tmp_path_factory):
    """The connector with the cache at its defaults."""
    return Connector(demo_attio, tmp_path_factory)


@pytest.fixture(scope="module")
def uncached_app(demo_attio, tmp_path_factory):
    return Connector(demo_attio, tmp_path_factory, CACHE_TTL_SECONDS=0)


def call(app: Connector, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """One tools/call; the result (an error result fails the test)."""
    result = app.request("tools/call", {"name": name, "arguments": args})
    assert result.get("isError") is False, result
    return result


def structured(app: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return call(app, name, args)["structuredContent"]


def confirmed(app: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A destructive call carried through with its confirmation token."""
    first = structured(app, name, args)
    assert first["status"] == "confirmation_required", first
    return structured(app, name, {**args, "confirmation_token": first["confirmation_token"]})


def attio_calls(demo: Any) -> list[tuple[str, str]]:
    """(method, path) of every Attio call since the last `clear_log`."""
    log = requests.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]
    return [(e["method"], e["path"]) for e in log if e["path"].startswith("/v2/")]


def clear_log(demo: Any) -> None:
    _admin(demo, "/_admin/requests/reset")


def new_company(app: Any) -> str:
    return structured(app, "create_record", {"object": "companies", "values": {
        "name": "Cache Test Co", "domains": f"cache-{uuid.uuid4().hex[:8]}.example"}})["id"]


def test_the_default_lifetime_is_what_a_result_tells_clients_private_reads_stay_good_for():
    assert SETTINGS["CACHE_TTL_SECONDS"][1] * 1000 == READ_TTL_MS


def test_a_warm_fetch_makes_no_attio_call(app, demo_attio):
    first = call(app, "fetch", {"id": BRIGHTWAVE})
    assert "Notes:\n- Discovery call: Brightwave Energy" in first["structuredContent"]["text"]
    clear_log(demo_attio)
    again = [call(app, "fetch", {"id": BRIGHTWAVE}) for _ in range(3)]
    assert attio_calls(demo_attio) == []
    for result in again:
        assert result["structuredContent"] == first["structuredContent"]
        assert result["content"] == first["content"]
    # the record resource shares the rendering, and is served from the cache too
    read = app.request("resources/read", {"uri": "attio://records/companies/549937a9-9b09-5351-a4ff-1972c1d8a132"})
    assert first["structuredContent"]["text"].split("\n\nNotes:")[0] in read["contents"][0]["text"]
    assert attio_calls(demo_attio) == []


def test_with_the_cache_off_every_fetch_reads_the_record_and_its_notes(uncached_app, demo_attio):
    call(uncached_app, "fetch", {"id": BRIGHTWAVE})
    clear_log(demo_attio)
    for _ in range(2):
        call(uncached_app, "fetch", {"id": BRIGHTWAVE})
    made = attio_calls(demo_attio)
    assert made.count(("GET", BRIGHTWAVE_PATH)) == 2
    assert made.count(("GET", "/v2/notes")) == 2


def test_note_writes_show_on_the_very_next_fetch(app, demo_attio):
    company = new_company(app)
    assert "Notes:" not in structured(app, "fetch", {"id": company})["text"]
    structured(app, "fetch", {"id": company})  # warm: the record, its (no) notes and the rendering are cached

    note = structured(app, "create_note", {"record_id": company, "title": "Kick-off", "content": "Budget agreed",
                                           "format": "plaintext"})["note"]
    text = structured(app, "fetch", {"id": company})["text"]
    assert "Notes:\n- Kick-off (" in text and "Budget agreed" in text

    structured(app, "update_note", {"note_id": note["id"], "content": "Budget halved", "format": "plaintext"})
    text = structured(app, "fetch", {"id": company})["text"]
    assert "Budget halved" in text and "Budget agreed" not in text

    confirmed(app, "delete_note", {"note_id": note["id"]})
    assert "Notes:" not in structured(app, "fetch", {"id": company})["text"]
    confirmed(app, "delete_record", {"id": company})


def test_record_writes_show_on_the_very_next_fetch(app, demo_attio):
    company = new_company(app)
    person = structured(app, "create_record", {"object": "people", "values": {
        "name": "Grace Hopper", "email_addresses": f"grace-{uuid.uuid4().hex[:8]}@example.org",
        "company": company}})["id"]
    fetched = structured(app, "fetch", {"id": company})
    assert fetched["title"] == "Cache Test Co" and f"Grace Hopper ({person})" in fetched["text"]
    structured(app, "fetch", {"id": company})  # warm

    structured(app, "update_record", {"id": company, "values": {"name": "Cache Test Renamed"}})
    fetched = structured(app, "fetch", {"id": company})
    assert fetched["title"] == "Cache Test Renamed" and "Name: Cache Test Renamed" in fetched["text"]

    # a referenced record's new name shows in the company's rendering too
    structured(app, "update_record", {"id": person, "values": {"name": "Grace B. Hopper"}})
    assert f"Grace B. Hopper ({person})" in structured(app, "fetch", {"id": company})["text"]

    confirmed(app, "delete_record", {"id": person})
    assert "Grace" not in structured(app, "fetch", {"id": company})["text"]
    confirmed(app, "delete_record", {"id": company})
    gone = app.request("tools/call", {"name": "fetch", "arguments": {"id": company}})
    assert gone["isError"] is True and "No companies record with id" in gone["content"][0]["text"]
