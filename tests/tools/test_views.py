"""Saved views through the official MCP SDK client against the demo Attio: an object's and a list's views, and
records or entries read through one (its filter and sort are Attio's)."""
from __future__ import annotations

import pytest

from tests.tools.test_meetings import MISSING, error
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration


def test_list_views_of_an_object_and_a_list(server):
    companies = ok(server, "list_views", {"target": "companies"})
    assert companies["kind"] == "objects" and companies["target"] == "companies"
    assert [v["title"] for v in companies["views"]] == sorted(
        ["All companies", "Energy companies"], key=lambda t: next(
            v["id"] for v in companies["views"] if v["title"] == t))
    pipeline = ok(server, "list_views", {"target": "Sales pipeline"})
    assert pipeline["kind"] == "lists" and pipeline["target"] == "sales_pipeline"
    assert {v["title"] for v in pipeline["views"]} == {"High priority", "All entries"}
    page = ok(server, "list_views", {"target": "companies", "limit": 1})
    assert len(page["views"]) == 1 and page["next_cursor"]
    assert error(server, "list_views", {"target": "planets"}).startswith("Unknown object or list 'planets'. ")


def test_query_records_through_a_view(server, reset_demo):
    out = ok(server, "query_view", {"target": "companies", "view": "energy companies"})
    assert out["view"]["title"] == "Energy companies" and out["entries"] == []
    names = [r["title"] for r in out["records"]]
    assert names == sorted(names) and "Brightwave Energy" in names
    assert all("Energy" in r["values"]["categories"] for r in out["records"])
    by_id = ok(server, "query_view", {"target": "companies", "view": out["view"]["id"]})
    assert by_id["records"] == out["records"]
    first = ok(server, "query_view", {"target": "companies", "view": "Energy companies", "limit": 1})
    assert len(first["records"]) == 1 and first["next_cursor"]
    res = call(server, "query_view", {"target": "companies", "view": "Energy companies", "limit": 1})
    assert res.content[0].text.startswith(f"1 record(s) of companies in the view Energy companies (more: pass "
                                          f"next_cursor).\n- {names[0]} (companies:")


def test_query_entries_through_a_view(server, reset_demo):
    out = ok(server, "query_view", {"target": "sales_pipeline", "view": "High priority", "limit": 50})
    assert out["kind"] == "lists" and out["records"] == []
    assert out["entries"] and all(e["values"]["priority"] == "High" for e in out["entries"])


def test_query_view_errors(server):
    missing = error(server, "query_view", {"target": "companies", "view": "Nope"})
    assert missing.startswith("The object companies has no view 'Nope'. Its views: Energy companies (")
    assert "; All companies (" in missing and "Old import" not in missing  # archived views are not offered
    assert error(server, "query_view", {"target": "companies", "view": MISSING}) == (
        f"Attio knows no view {MISSING} of the object companies; list_views shows its views.")
