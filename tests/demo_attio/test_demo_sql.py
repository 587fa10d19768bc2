"""`POST /v2/sql` (attio-api-2026.md §8): read-only SELECT, Enterprise plan only, Attio's row shape and limits."""
from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attio_demo.tokens import DEMO_TOKEN_2

from .conftest import Api, rid

NOT_ON_PLAN = ("SQL queries are not supported on your plan. Please upgrade to the Enterprise plan or contact sales to "
               "gain access.")


def rows(api: Api, sql: str) -> list[dict[str, Any]]:
    r = api.call("POST", "/v2/sql", {"sql": sql})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert set(r.get_json()) == {"data"} and set(r.get_json()["data"]) == {"rows"}
    return r.get_json()["data"]["rows"]


def test_the_documented_example(api: Api) -> None:
    got = rows(api, "SELECT * FROM companies WHERE companies.name = 'Brightwave Energy'")
    assert len(got) == 1
    row = got[0]
    assert row["name"] == "Brightwave Energy" and row["record_id"] == rid("companies", "brightwave")
    assert row["domains"] == ["brightwave-energy.com"]  # multiselect: an array
    assert set(row["created_by"]) == {"type", "id"} and row["created_by"]["type"] == "workspace-member"
    assert row["created_at"].endswith("Z") and row["categories"] == ["Energy", "B2B"]
    assert row["team"] == [rid("people", "siobhan"), rid("people", "marcus")]


def test_columns_where_order_limit(api: Api) -> None:
    got = rows(api, "select p.name, p.job_title AS title from objects.people p where p.job_title ilike '%ceo%' "
                    "order by name desc limit 5")
    assert got == [{"name": "Lena Park", "title": "Founder & CEO"}, {"name": "Daniel Kim", "title": "Co-founder & CEO"}]
    assert rows(api, "SELECT name FROM companies WHERE categories = 'Energy' AND NOT name LIKE 'Green%'") == [
        {"name": "Brightwave Energy"}]
    assert len(rows(api, "SELECT record_id FROM people WHERE company IS NULL")) == 1  # Sam
    assert [r["name"] for r in rows(api, "SELECT name FROM companies WHERE name IN ('Atlas Fintech', 'Nope') "
                                         "OR (employee_range = '1K-5K')")] == ["Copperline Manufacturing",
                                                                              "Atlas Fintech"]
    assert rows(api, "SELECT name FROM companies ORDER BY name LIMIT 2 OFFSET 1") == [
        {"name": "Brightwave Energy"}, {"name": "Copperline Manufacturing"}]
    assert rows(api, "SELECT count(*) AS n FROM deals WHERE stage <> 'Lost';") == [{"n": 7}]


def test_lists_and_introspection(api: Api) -> None:
    entries = rows(api, "SELECT parent_record_id, priority FROM lists.sales_pipeline WHERE stage = 'Negotiation'")
    assert {e["parent_record_id"] for e in entries} == {rid("deals", "atlas"), rid("deals", "kestrel")}
    tables = rows(api, "SELECT table_schema, table_name FROM information_schema.tables")
    assert {"table_schema": "lists", "table_name": "key_accounts"} in tables
    assert {"table_schema": "objects", "table_name": "companies"} in tables
    cols = rows(api, "SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'")
    assert {"column_name": "stage"} in cols


@pytest.mark.parametrize("sql, message", [
    ("DELETE FROM companies", "Only read-only SELECT statements"),
    ("update companies set name = 'x'", "Only read-only SELECT statements"),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "Only read-only SELECT statements"),
    ("SELECT * FROM companies; DROP TABLE companies", "Only one statement"),
    ("SELECT name FROM", "SQL syntax error"),
    ("SELECT name FRM companies", "SQL syntax error"),
    ("SELECT * FROM widgets", 'Table "widgets" does not exist.'),
    ("SELECT colour FROM companies", 'Column "colour" does not exist.'),
    ("SELECT name, count(*) FROM companies", "GROUP BY"),
    ("SELECT * FROM companies WHERE name = (SELECT 1)", "Sub-queries"),
    ("", "SQL syntax error"),
])
def test_what_it_will_not_run_is_a_filter_error(api: Api, sql: str, message: str) -> None:
    status, err = api.error("POST", "/v2/sql", {"sql": sql})
    assert (status, err["type"], err["code"]) == (400, "invalid_request_error", "filter_error")
    assert message in err["message"]


def test_body_is_not_wrapped(api: Api) -> None:
    status, err = api.error("POST", "/v2/sql", {"data": {"sql": "SELECT * FROM companies"}})
    assert (status, err["code"]) == (400, "validation_type")


def test_other_plans_are_refused(api: Api) -> None:
    status, err = Api(api.client, DEMO_TOKEN_2).error("POST", "/v2/sql", {"sql": "SELECT * FROM companies"})
    assert (status, err["type"], err["code"], err["message"]) == (403, "auth_error", "billing_error", NOT_ON_PLAN)
    assert api.call("POST", "/_admin/workspaces/demo-sales", {"plan": "pro"}, token=None).status_code == 200
    assert api.error("POST", "/v2/sql", {"sql": "SELECT * FROM companies"})[0] == 403


def test_the_execution_timeout(api: Api) -> None:
    api.settings(sql_timeout_seconds=0.2)
    started = time.monotonic()
    status, err = api.error("POST", "/v2/sql", {"sql": "SELECT pg_sleep(5), name FROM companies"})
    assert (status, err["code"]) == (400, "query_timeout") and "0.2 seconds" in err["message"]
    assert time.monotonic() - started < 1
    assert rows(api, "SELECT pg_sleep(0.01) FROM deals LIMIT 1") == [{"pg_sleep": None}]


def test_two_a_second(api: Api) -> None:
    api.settings(rate_limits="attio")
    while time.time() % 1 > 0.7:
        time.sleep(0.05)
    statuses = [api.call("POST", "/v2/sql", {"sql": "SELECT name FROM deals"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_member_token_may_run_sql(api: Api) -> None:
    assert rows(Api(api.client, "demo-attio-key-member"), "SELECT count(*) FROM people") == [{"count": 20}]


ODD = ["SELECT", "SELECT * FROM", "SELECT 'x' FROM companies", "SELECT * FROM companies WHERE name > 3",
       "SELECT * FROM companies ORDER BY", "SELECT * FROM companies LIMIT 1.5", "SELECT count(name) FROM companies",
       "SELECT pg_sleep('x') FROM deals", "SELECT * FROM companies WHERE primary_location = 'x'",
       "SELECT * FROM companies WHERE (name = 'a'", "select * from companies where name like 3", "SELECT 'abc",
       "SELECT ~ FROM x", "SELECT * FROM information_schema.nothing", "SELECT * FROM lists.nope",
       "SELECT c.name FROM companies", "SELECT * FROM deals WHERE value > 5 AND value < 'x'",
       "SELECT * FROM companies WHERE name IS NOT", "SELECT DISTINCT categories FROM companies ORDER BY categories",
       "SELECT * FROM companies WHERE NOT NOT name = 'x' OR", "SELECT lower(name) FROM companies"]


@pytest.mark.parametrize("sql", ODD)
def test_never_500(api: Api, sql: str) -> None:
    r = api.call("POST", "/v2/sql", {"sql": sql})
    assert r.status_code in (200, 400), r.get_data(as_text=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(list("abc*,.()'\"=<>!% ;-_0123456789") + [
    " FROM ", " companies ", " WHERE ", " name ", " AND ", " OR ", " NOT ", " IN ", " LIKE ", " IS ", " NULL ",
    " ORDER BY ", " LIMIT ", " count(*) ", " DESC ", " lists.sales_pipeline ", " stage "]), max_size=25))
def test_fuzzed_selects_never_500(api: Api, parts: list[str]) -> None:
    sql = "SELECT " + "".join(parts)
    assert api.call("POST", "/v2/sql", {"sql": sql}).status_code in (200, 400), sql
