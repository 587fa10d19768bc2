"""Lists and list entries."""
from __future__ import annotations

from .conftest import Api, rid

PIPELINE = "/v2/lists/sales_pipeline/entries"


def entry_body(parent: str, values: dict, obj: str = "deals") -> dict:
    """An entry write body."""
    return {"data": {"parent_record_id": parent, "parent_object": obj, "entry_values": values}}


def test_lists_and_lookup(api: Api) -> None:
    lists = api.data("GET", "/v2/lists")
    assert [(x["api_slug"], x["name"], x["parent_object"]) for x in lists] == [
        ("sales_pipeline", "Sales pipeline", ["deals"]), ("key_accounts", "Key accounts", ["companies"])]
    one = api.data("GET", f"/v2/lists/{lists[0]['id']['list_id']}")
    assert one == lists[0] and one["workspace_access"] == "full-access"
    status, err = api.error("GET", "/v2/lists/enterprise_sales")
    assert status == 404 and err["message"] == 'List with slug/ID "enterprise_sales" not found.'


def test_entries_query_and_filter(api: Api) -> None:
    def query(lst: str, body: dict) -> list:
        return api.data("POST", f"/v2/lists/{lst}/entries/query", body)

    entries = query("sales_pipeline", {})
    assert len(entries) == 7
    e = entries[0]
    assert set(e) == {"id", "parent_record_id", "parent_object", "created_at", "entry_values"}
    assert e["parent_object"] == "deals" and e["entry_values"]["stage"][0]["attribute_type"] == "status"
    assert set(e["entry_values"]) == {"stage", "priority", "next_step", "created_at", "created_by"}
    hot = query("sales_pipeline", {"filter": {"stage": "Negotiation"}})
    assert {x["parent_record_id"] for x in hot} == {rid("deals", "atlas"), rid("deals", "kestrel")}
    high = {"filter": {"priority": {"option": {"$eq": "High"}}}, "limit": 2}
    assert len(query("sales_pipeline", high)) == 2
    path = [["key_accounts", "parent_record"], ["companies", "name"]]
    by_parent = query("key_accounts", {"filter": {"path": path, "constraints": {"value": "Atlas Fintech"}}})
    assert [x["parent_record_id"] for x in by_parent] == [rid("companies", "atlas")]
    healthy = query("key_accounts", {"filter": {"health": {"$gte": 4}},
                                     "sorts": [{"direction": "asc", "attribute": "renewal_date"}]})
    expected = [rid("companies", c) for c in ("atlas", "northpeak", "copperline")]
    assert [x["parent_record_id"] for x in healthy] == expected
    status, err = api.error("POST", f"{PIPELINE}/query", {"filter": {"bogus": 1}})
    assert status == 400 and err["code"] == "filter_error"


def test_record_entries(api: Api) -> None:
    got = api.data("GET", f"/v2/objects/companies/records/{rid('companies', 'atlas')}/entries")
    assert [(x["list_api_slug"]) for x in got] == ["key_accounts"]
    assert set(got[0]) == {"list_id", "list_api_slug", "entry_id", "created_at"}
    assert api.data("GET", f"/v2/objects/companies/records/{rid('companies', 'lumen')}/entries") == []


def test_entry_create_update_assert_delete(api: Api) -> None:
    lumen = rid("deals", "lumen")
    e = api.data("POST", PIPELINE, entry_body(lumen, {"stage": "Closed lost", "priority": "Low"}))
    eid = e["id"]["entry_id"]
    assert e["entry_values"]["stage"][0]["status"]["title"] == "Closed lost"
    assert api.data("GET", f"{PIPELINE}/{eid}") == e
    patched = api.data("PATCH", f"{PIPELINE}/{eid}", {"data": {"entry_values": {"next_step": "Revisit"}}})
    assert patched["entry_values"]["next_step"][0]["value"] == "Revisit"
    assert patched["entry_values"]["priority"][0]["option"]["title"] == "Low"
    put = api.data("PUT", f"{PIPELINE}/{eid}", {"data": {"entry_values": {"priority": "High"}}})
    assert put["entry_values"]["priority"][0]["option"]["title"] == "High"
    move = {"data": {"parent_record_id": rid("deals", "atlas"), "entry_values": {"priority": "Low"}}}
    status, err = api.error("PATCH", f"{PIPELINE}/{eid}", move)
    assert status == 400 and err["code"] == "immutable_value"
    asserted = api.data("PUT", PIPELINE, entry_body(lumen, {"stage": "Qualified"}))
    assert asserted["id"]["entry_id"] == eid
    assert asserted["entry_values"]["stage"][0]["status"]["title"] == "Qualified"
    api.data("POST", PIPELINE, entry_body(lumen, {}))  # the same parent may appear twice
    status, err = api.error("PUT", PIPELINE, entry_body(lumen, {}))
    assert status == 400 and err["code"] == "multiple_match_results"
    assert api.call("DELETE", f"{PIPELINE}/{eid}").get_json() == {}
    assert api.error("GET", f"{PIPELINE}/{eid}")[0] == 404


def test_entry_errors(api: Api) -> None:
    status, err = api.error("POST", "/v2/lists/nope/entries", {"data": {}})
    assert status == 404 and err["message"] == 'Could not find list with slug/ID "nope".'
    status, err = api.error("POST", PIPELINE, entry_body(rid("deals", "missing"), {}))
    assert status == 400 and err["code"] == "value_not_found" and err["message"].startswith("Parent record")
    status, err = api.error("POST", PIPELINE, entry_body(rid("people", "sam"), {}, obj="people"))
    assert status == 400
    status, err = api.error("POST", PIPELINE, entry_body(rid("deals", "atlas"), {"stage": "Nope"}))
    assert status == 400 and err["code"] == "value_not_found"
