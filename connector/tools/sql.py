"""`run_sql`: one read-only SELECT through Attio's SQL API (Enterprise plan; reference §8).

The statement is parsed (sqlglot, PostgreSQL dialect), not pattern-matched: exactly one statement, a SELECT
(or a UNION / INTERSECT / EXCEPT of SELECTs) with nothing inside that writes, locks or creates — a data-changing
CTE, SELECT … INTO, FOR UPDATE. Attio runs the text as sent; its rows are objects keyed by column name.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import sqlglot
from marshmallow import Schema, fields, validate
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..attio.errors import AttioBadRequest
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from .common import READ, READ_SCOPE, object_schema, result

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back to a Command" notes are ours to report

TEXT_BUDGET = 60_000  # characters of rows shown as text; structuredContent carries the same rows
QUERIES = (exp.Select, exp.SetOperation)
# Nodes that make a statement more than a read, wherever they sit (a CTE, a subquery).
WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable,
          exp.Command, exp.Into, exp.Lock, exp.Copy, exp.Grant, exp.Set, exp.Transaction, exp.Commit, exp.Rollback)
STATEMENTS = (exp.Describe, exp.Use, exp.Pragma, exp.Analyze, exp.Kill)
ONLY = ("run_sql runs one read-only SELECT (a UNION, INTERSECT or EXCEPT of SELECTs is fine): tables are objects "
        "by api_slug (FROM companies), lists in the lists schema (FROM lists.sales_pipeline).")
TIMED_OUT = ("The query ran past Attio's SQL time limit (30 seconds) and was stopped (Attio: {message}) Narrow it "
             "with WHERE and LIMIT, or select fewer columns.")

ROWS_OUTPUT = object_schema({
    "rows": {"type": "array", "items": {"type": "object"}, "description": "Rows as Attio returns them: objects "
                                                                           "keyed by column name."},
    "columns": {"type": "array", "items": {"type": "string"}},
    "row_count": {"type": "integer", "description": "Rows Attio returned."},
    "truncated": {"type": "boolean", "description": "True when max_rows cut the rows shown."},
}, ["rows", "columns", "row_count", "truncated"])


class RunSqlArgs(Schema):
    """Arguments of `run_sql`."""

    sql = fields.String(required=True, validate=validate.Length(min=1, max=20_000), metadata={
        "description": "One read-only SELECT in PostgreSQL syntax, e.g. \"SELECT name, domains FROM companies "
                       "WHERE name ILIKE '%energy%' LIMIT 20\"."})
    max_rows = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000), metadata={
        "description": "How many rows to return (1-1000, default 100); add LIMIT to the query to have Attio "
                       "stop early."})


def _kind(node: exp.Expression) -> str:
    """What a statement or clause is, in SQL words ("INSERT", "SELECT … INTO", "FOR UPDATE", "VACUUM")."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return {"into": "SELECT … INTO", "lock": "FOR UPDATE/SHARE", "truncatetable": "TRUNCATE"}.get(
        node.key, node.key.upper())


def check_select(sql: str) -> None:
    """A ToolError unless `sql` is exactly one read-only SELECT."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "not SQL"
        raise ToolError(f"The SQL could not be parsed ({first[:300]}). {ONLY}") from None
    if len(statements) != 1:
        raise ToolError(f"run_sql runs exactly one statement; this has {len(statements)}. {ONLY}")
    statement = statements[0]
    if not isinstance(statement, QUERIES):
        what = f"this is {_kind(statement)}, not a SELECT" if isinstance(statement, WRITES + STATEMENTS) else (
            "this is not a SELECT statement")
        raise ToolError(f"Refused: {what}. {ONLY}")
    for node in statement.walk():
        if isinstance(node, WRITES):
            raise ToolError(f"Refused: the query contains {_kind(node)}, which is not read-only. {ONLY}")


def _text(rows: list[dict[str, Any]], columns: list[str], count: int) -> str:
    head = f"{count} row(s)" + (f"; showing {len(rows)}" if len(rows) < count else "") + (
        f". Columns: {', '.join(columns)}" if columns else "")
    lines, used = [head], len(head)
    for row in rows:
        line = json.dumps(row, ensure_ascii=False, default=str)
        if used + len(line) > TEXT_BUDGET:
            lines.append("(more rows in the structured result)")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def run_sql(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """Check the statement here, then let Attio run it."""
    check_select(args["sql"])
    try:  # outside the Enterprise plan the client's error says so
        rows = ctx.attio.run_sql(args["sql"])
    except AttioBadRequest as exc:
        if "timeout" in (exc.code or "") or "timeout" in exc.message.lower():
            raise ToolError(TIMED_OUT.format(message=exc.message)) from None
        raise
    rows = [r for r in rows or [] if isinstance(r, dict)]
    shown = rows[:args["max_rows"]]
    columns = list(dict.fromkeys(k for r in shown for k in r))
    out = {"rows": shown, "columns": columns, "row_count": len(rows), "truncated": len(rows) > len(shown)}
    return result(ctx, out, _text(shown, columns, len(rows)))


def register(registry: Registry) -> None:
    """Add `run_sql`."""
    registry.add_tool(Tool(
        name="run_sql", title="Run a read-only SQL query", handler=run_sql, args=RunSqlArgs,
        output_schema=ROWS_OUTPUT, annotations=READ, scope=READ_SCOPE, task_support="optional",
        description=("Run one read-only SELECT over the workspace with Attio's SQL API (Enterprise plan only; "
                     "other plans get an error saying so). Objects are tables by api_slug (FROM companies), "
                     "lists are in the lists schema (FROM lists.sales_pipeline, a row per entry); "
                     "information_schema describes them. Anything but one SELECT is refused before it is sent. "
                     "Attio stops a query after 30 seconds. Returns {\"rows\":[{column: value}],\"columns\","
                     "\"row_count\",\"truncated\"}. Example: {\"sql\": \"SELECT name, domains FROM companies "
                     "WHERE name ILIKE '%energy%' LIMIT 20\"}.")))
