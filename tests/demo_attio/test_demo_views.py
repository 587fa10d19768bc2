"""Saved views (attio-api-2026.md §7) and querying records or entries through one (`filter_view_id`)."""
from __future__ import annotations

from attio_demo.schema import uid

from .conftest import WS1, Api, full_name, text


def view(key: str) -> str:
    """A seeded view's id."""
    return uid(WS1, "view", key)


def test_an_objects_views_ordered_by_id(api: Api) -> None:
    body = api.page("/v2/objects/companies/views")
    views = body["data"]
    assert {v["title"] for v in views} == {"All companies", "Energy companies"}  # archived ones hidden
    assert [v["id"]["view_id"] for v in views] == sorted(v["id"]["view_id"] for v in views)
    assert set(views[0]) == {"id", "title", "created_at"} and set(views[0]["id"]) == {"workspace_id", "object_id",
                                                                                       "view_id"}
    archived = api.page("/v2/objects/companies/views", show_archived="true")["data"]
    assert "Old import (archived)" in [v["title"] for v in archived]
    assert [len(p) for p in api.all_pages("/v2/objects/companies/views", limit=1, show_archived="true")] == [1, 1, 1]
    status, err = api.error("GET", "/v2/objects/people/views?limit=1001")
    assert status == 400
    status, err = api.error("GET", "/v2/objects/widgets/views")
    assert status == 404 and err["message"] == 'Object with slug/ID "widgets" not found.'


def test_a_lists_views(api: Api) -> None:
    views = api.page("/v2/lists/sales_pipeline/views")["data"]
    assert {v["title"] for v in views} == {"High priority", "All entries"}
    assert set(views[0]["id"]) == {"workspace_id", "list_id", "view_id"}
    assert api.page("/v2/lists/key_accounts/views")["data"] == []
    assert api.error("GET", "/v2/lists/nope/views")[0] == 404


def test_query_records_through_a_view(api: Api) -> None:
    energy = api.query("companies", {"filter_view_id": view("energy")})
    assert [text(r) for r in energy] == ["Brightwave Energy", "Greenfield Renewable Energy"]  # view's sort
    mine = api.query("companies", {"filter_view_id": view("energy"), "filter": {"name": {"$contains": "green"}}})
    assert [text(r) for r in mine] == ["Greenfield Renewable Energy"]  # the view's filter AND the body's
    uk = api.query("people", {"filter_view_id": view("uk-contacts")})
    assert [full_name(r) for r in uk] == ["Oliver Grant", "Tom Hargreaves", "Isla MacLeod", "Hannah Osei"]
    reverse = api.query("people", {"filter_view_id": view("uk-contacts"),
                                   "sorts": [{"attribute": "name", "field": "last_name", "direction": "desc"}]})
    assert [full_name(r) for r in reverse] == ["Hannah Osei", "Isla MacLeod", "Tom Hargreaves", "Oliver Grant"]
    assert len(api.query("companies", {"filter_view_id": view("all-companies")})) == 12


def test_query_entries_through_a_view(api: Api) -> None:
    high = api.data("POST", "/v2/lists/sales_pipeline/entries/query", {"filter_view_id": view("high-priority")})
    assert len(high) == 3 and all(e["entry_values"]["priority"][0]["option"]["title"] == "High" for e in high)


def test_a_view_of_something_else_or_nothing(api: Api) -> None:
    for obj, vid in (("people", view("energy")), ("companies", "cf7aaeb5-7507-4a84-9c26-9d36e34d7b70")):
        status, err = api.error("POST", f"/v2/objects/{obj}/records/query", {"filter_view_id": vid})
        assert status == 400 and err["code"] == "value_not_found"
    status, _ = api.error("POST", "/v2/lists/sales_pipeline/entries/query", {"filter_view_id": view("energy")})
    assert status == 400
