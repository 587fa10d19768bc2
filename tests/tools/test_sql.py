"""`run_sql` through the official MCP SDK client against the demo Attio: one read-only SELECT runs; anything else
is refused before it is sent (parsed, not pattern-matched); Attio's plan, timeout and syntax errors are explained."""
from __future__ import annotations

import pytest

from connector.mcp.registry import ToolError
from connector.tools.sql import check_select
from tests.conftest import _admin
from tests.tools.test_meetings import error
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration

ONLY = ("run_sql runs one read-only SELECT (a UNION, INTERSECT or EXCEPT of SELECTs is fine): tables are objects by "
        "api_slug (FROM companies), lists in the lists schema (FROM lists.sales_pipeline).")


@pytest.mark.parametrize("sql", [
    "SELECT name FROM companies", "select a from b union select c from d", "-- a comment\nSELECT 1;",
    "SELECT 'x; DROP TABLE companies' AS s", "WITH e AS (SELECT * FROM companies) SELECT count(*) FROM e",
    "SELECT (SELECT 1) AS one"])
def test_one_select_passes(sql):
    check_select(sql)


@pytest.mark.parametrize("sql, why", [
    ("DELETE FROM companies", "Refused: this is DELETE, not a SELECT."),
    ("SELECT 1; SELECT 2", "run_sql runs exactly one statement; this has 2."),
    ("", "run_sql runs exactly one statement; this has 0."),
    ("WITH gone AS (DELETE FROM companies RETURNING *) SELECT * FROM gone",
     "Refused: the query contains DELETE, which is not read-only."),
    ("SELECT * INTO copy FROM companies", "Refused: the query contains SELECT … INTO, which is not read-only."),
    ("SELECT * FROM companies FOR UPDATE", "Refused: the query contains FOR UPDATE/SHARE, which is not read-only."),
    ("EXPLAIN SELECT 1", "Refused: this is EXPLAIN, not a SELECT."),
    ("selec x", "Refused: this is not a SELECT statement."),
    ("SELECT * FROM (UPDATE companies SET name = 'x' RETURNING *) s", "The SQL could not be parsed ("),
])
def test_anything_else_is_refused_before_it_is_sent(sql, why):
    with pytest.raises(ToolError) as caught:
        check_select(sql)
    assert str(caught.value).startswith(why) and str(caught.value).endswith(ONLY)


def test_run_sql_returns_rows(server):
    out = ok(server, "run_sql", {"sql": "SELECT name, domains FROM companies WHERE name ILIKE '%energy%' "
                                        "ORDER BY name"})
    assert out["columns"] == ["name", "domains"] and out["truncated"] is False
    assert [r["name"] for r in out["rows"]] == ["Brightwave Energy", "Greenfield Renewable Energy"]
    assert out["row_count"] == 2
    capped = ok(server, "run_sql", {"sql": "SELECT name FROM companies", "max_rows": 3})
    assert len(capped["rows"]) == 3 and capped["truncated"] is True and capped["row_count"] > 3
    res = call(server, "run_sql", {"sql": "SELECT count(*) AS n FROM lists.sales_pipeline"})
    assert res.structured_content["rows"] == [{"n": 7}]
    assert res.content[0].text == '1 row(s). Columns: n\n{"n": 7}'


def test_run_sql_errors(server, pro_server, demo_attio, reset_demo):
    _admin(demo_attio, "/_admin/settings", {"sql_timeout_seconds": 0.5})
    refused = error(server, "run_sql", {"sql": "DROP TABLE companies"})
    assert refused == f"Refused: this is DROP, not a SELECT. {ONLY}"
    plan = error(pro_server, "run_sql", {"sql": "SELECT name FROM companies"})
    assert plan.startswith("Attio's SQL API is available on the Enterprise plan only, and this workspace's plan "
                           "does not include it"), plan
    slow = error(server, "run_sql", {"sql": "SELECT pg_sleep(5) FROM companies"})
    assert slow.startswith("The query ran past Attio's SQL time limit (30 seconds) and was stopped (Attio: The query "
                           "exceeded the SQL execution timeout of 0.5 seconds.) "), slow
    bad = error(server, "run_sql", {"sql": "SELECT nope FROM companies"})
    assert bad.startswith("Attio rejected the request (HTTP 400, code filter_error): "), bad
