"""`PATCH /v2/notes/{note_id}` (attio-api-2026.md §10) and the note-listing rate limit."""
from __future__ import annotations

import time

import pytest

from .conftest import Api


@pytest.fixture
def note(api: Api) -> dict:
    """The seeded "Procurement notes" on the Atlas deal."""
    return next(n for n in api.data("GET", "/v2/notes?limit=50") if n["title"] == "Procurement notes")


def test_title_only_leaves_the_content(api: Api, note: dict) -> None:
    path = f"/v2/notes/{note['id']['note_id']}"
    new = api.data("PATCH", path, {"data": {"title": "Procurement notes (updated)"}})
    assert new["title"] == "Procurement notes (updated)"
    assert new["content_markdown"] == note["content_markdown"] and new["parent_record_id"] == note["parent_record_id"]
    assert api.data("GET", path) == new


def test_content_replaces_the_whole_content(api: Api, note: dict) -> None:
    path = f"/v2/notes/{note['id']['note_id']}"
    new = api.data("PATCH", path, {"data": {"format": "markdown", "content": "# Recap\n- **signed** ==today=="}})
    assert new["content_markdown"] == "# Recap\n- **signed** ==today=="
    assert new["content_plaintext"] == "Recap\nsigned today"
    assert new["title"] == note["title"]
    plain = api.data("PATCH", path, {"data": {"format": "plaintext", "content": "# not a heading"}})
    assert plain["content_plaintext"] == "# not a heading"


@pytest.mark.parametrize("data, status, code", [
    ({}, 400, "validation_type"),
    ({"content": "no format"}, 400, "validation_type"),
    ({"format": "html", "content": "<b>x</b>"}, 400, "validation_type"),
    ({"title": 3}, 400, "validation_type"),
    ({"parent_record_id": "cb59ab17-ad15-460c-a126-0715617c0853"}, 400, "immutable_value"),
    ({"colour": "red"}, 400, "validation_type"),
    ({"format": "plaintext", "content": "x" * 100_001}, 413, "validation_type"),
])
def test_validation(api: Api, note: dict, data: dict, status: int, code: str) -> None:
    got, err = api.error("PATCH", f"/v2/notes/{note['id']['note_id']}", {"data": data})
    assert (got, err["code"]) == (status, code)
    assert api.data("GET", f"/v2/notes/{note['id']['note_id']}") == note  # nothing changed


def test_unknown_note_and_scope(api: Api, note: dict) -> None:
    missing = "ff3f3bd4-40f4-4f80-8187-cd02385af424"
    status, err = api.error("PATCH", f"/v2/notes/{missing}", {"data": {"title": "x"}})
    assert status == 404 and err["message"] == f'Note with ID "{missing}" was not found.'
    status, err = api.error("PATCH", f"/v2/notes/{note['id']['note_id']}", {"data": {"title": "x"}},
                            token="demo-attio-key-readonly")
    assert status == 403 and "note:read-write" in err["message"]


def test_note_listing_is_limited_to_ten_a_second(api: Api, note: dict) -> None:
    api.settings(rate_limits="attio")
    while time.time() % 1 > 0.6:
        time.sleep(0.05)
    statuses = [api.call("GET", "/v2/notes").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert api.call("GET", f"/v2/notes/{note['id']['note_id']}").status_code == 200  # one note: not limited
