"""The SQL the demo's `POST /v2/sql` understands: one read-only SELECT over one table.

`SELECT [DISTINCT] * | expr [AS name], … FROM [objects.|lists.|information_schema.]table [[AS] alias]
[WHERE cond] [ORDER BY col [ASC|DESC], …] [LIMIT n] [OFFSET n]`, where an expr is a column, `count(*)`,
`count(col)` or `pg_sleep(seconds)`, and a cond combines `col <op> literal`, `col [NOT] IN (…)`,
`col [NOT] [I]LIKE 'pattern'` and `col IS [NOT] NULL` with AND, OR, NOT and parentheses. Anything else is
Attio's 400 `filter_error`; a statement that is not a SELECT says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import AttioError

_TOKEN = re.compile(r"""\s+|--[^\n]*|/\*.*?\*/|(?P<str>'(?:[^']|'')*')|(?P<qid>"(?:[^"]|"")+")|(?P<num>\d+(?:\.\d+)?)
                        |(?P<op><=|>=|<>|!=|=|<|>|\(|\)|,|\.|\*|;)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)""",
                    re.X | re.S)
KEYWORDS = {"select", "distinct", "from", "as", "where", "and", "or", "not", "is", "null", "in", "like", "ilike",
            "order", "by", "asc", "desc", "limit", "offset", "true", "false"}
ONLY_SELECT = "Only read-only SELECT statements can be run through the SQL API."


def sql_error(message: str) -> AttioError:
    """Attio's 400 for SQL it will not run."""
    return AttioError(400, "filter_error", message)


@dataclass(frozen=True)
class Tok:
    """A token: kind (str, id, num, op, kw) and value."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Col:
    """A column reference, optionally qualified by the table or its alias."""

    name: str
    qualifier: str | None = None


@dataclass(frozen=True)
class Func:
    """count(*), count(col) or pg_sleep(n)."""

    name: str
    arg: Any


@dataclass
class Select:
    """A parsed SELECT."""

    columns: list[tuple[Any, str]] | None  # None: *
    schema: str | None
    table: str
    alias: str | None
    where: Any = None
    order: list[tuple[Col, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    distinct: bool = False


def tokenize(text: str) -> list[Tok]:
    """The statement's tokens; a character that starts none is a syntax error."""
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise sql_error(f'SQL syntax error at or near "{text[pos:pos + 10]}".')
        pos = m.end()
        if m.group("str") is not None:
            out.append(Tok("str", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("qid") is not None:
            out.append(Tok("id", m.group("qid")[1:-1].replace('""', '"')))
        elif m.group("num") is not None:
            num = m.group("num")
            out.append(Tok("num", float(num) if "." in num else int(num)))
        elif m.group("op") is not None:
            out.append(Tok("op", m.group("op")))
        elif m.group("word") is not None:
            word = m.group("word")
            out.append(Tok("kw", word.lower()) if word.lower() in KEYWORDS else Tok("id", word.lower()))
    return out


class _Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks, self.i = toks, 0

    def peek(self, kind: str | None = None, value: Any = None) -> bool:
        t = self.toks[self.i] if self.i < len(self.toks) else None
        return t is not None and (kind is None or t.kind == kind) and (value is None or t.value == value)

    def take(self, kind: str | None = None, value: Any = None) -> Tok:
        if not self.peek(kind, value):
            near = self.toks[self.i].value if self.i < len(self.toks) else "end of input"
            raise sql_error(f'SQL syntax error at or near "{near}".')
        self.i += 1
        return self.toks[self.i - 1]

    def accept(self, kind: str, value: Any = None) -> bool:
        if self.peek(kind, value):
            self.i += 1
            return True
        return False

    def col(self) -> Col:
        name = self.take("id").value
        if self.accept("op", "."):
            return Col(self.take("id").value, name)
        return Col(name)

    def expr(self) -> tuple[Any, str]:
        if self.peek("id") and self.i + 1 < len(self.toks) and self.toks[self.i + 1] == Tok("op", "("):
            name = self.take("id").value
            self.take("op", "(")
            if name == "count" and self.accept("op", "*"):
                arg: Any = "*"
            elif name == "count":
                arg = self.col()
            elif name == "pg_sleep":
                arg = self.take("num").value
            else:
                raise sql_error(f'Function "{name}" is not supported.')
            self.take("op", ")")
            item: Any = Func(name, arg)
            label = name
        else:
            item = self.col()
            label = item.name
        if self.accept("kw", "as"):
            label = self.take("id").value
        return item, label

    def literal(self) -> Any:
        if self.accept("kw", "null"):
            return None
        if self.peek("kw", "true") or self.peek("kw", "false"):
            return self.take().value == "true"
        if self.accept("op", "("):
            raise sql_error("Sub-queries are not supported.")
        t = self.take()
        if t.kind not in ("str", "num"):
            raise sql_error(f'SQL syntax error at or near "{t.value}".')
        return t.value

    def cond(self) -> Any:
        left = self.conj()
        while self.accept("kw", "or"):
            left = ("or", left, self.conj())
        return left

    def conj(self) -> Any:
        left = self.neg()
        while self.accept("kw", "and"):
            left = ("and", left, self.neg())
        return left

    def neg(self) -> Any:
        if self.accept("kw", "not"):
            return ("not", self.neg())
        if self.accept("op", "("):
            inner = self.cond()
            self.take("op", ")")
            return inner
        return self.test()

    def test(self) -> Any:
        column = self.col()
        if self.accept("kw", "is"):
            negate = self.accept("kw", "not")
            self.take("kw", "null")
            return ("isnull", column, negate)
        negate = self.accept("kw", "not")
        if self.accept("kw", "in"):
            self.take("op", "(")
            items = [self.literal()]
            while self.accept("op", ","):
                items.append(self.literal())
            self.take("op", ")")
            return ("in", column, items, negate)
        if self.peek("kw", "like") or self.peek("kw", "ilike"):
            ci = self.take().value == "ilike"
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise sql_error("LIKE needs a string pattern.")
            return ("like", column, pattern, ci, negate)
        if negate:
            raise sql_error('SQL syntax error at or near "not".')
        op = self.take("op").value
        if op not in ("=", "<>", "!=", "<", "<=", ">", ">="):
            raise sql_error(f'SQL syntax error at or near "{op}".')
        return ("cmp", column, "<>" if op == "!=" else op, self.literal())

    def number(self) -> int:
        value = self.take("num").value
        if not isinstance(value, int):
            raise sql_error("LIMIT and OFFSET take whole numbers.")
        return value

    def select(self) -> Select:
        self.take("kw", "select")
        distinct = self.accept("kw", "distinct")
        columns: list[tuple[Any, str]] | None = None
        if not self.accept("op", "*"):
            columns = [self.expr()]
            while self.accept("op", ","):
                columns.append(self.expr())
        self.take("kw", "from")
        first = self.take("id").value
        schema, table = (first, self.take("id").value) if self.accept("op", ".") else (None, first)
        alias = None
        if self.accept("kw", "as") or self.peek("id"):
            alias = self.take("id").value
        q = Select(columns, schema, table, alias, distinct=distinct)
        if self.accept("kw", "where"):
            q.where = self.cond()
        if self.accept("kw", "order"):
            self.take("kw", "by")
            while True:
                column = self.col()
                desc = self.accept("kw", "desc")
                if not desc:
                    self.accept("kw", "asc")
                q.order.append((column, desc))
                if not self.accept("op", ","):
                    break
        if self.accept("kw", "limit"):
            q.limit = self.number()
        if self.accept("kw", "offset"):
            q.offset = self.number()
        self.accept("op", ";")
        if self.i != len(self.toks):
            if self.peek("op", ";") or self.peek("kw", "select") or self.peek("id"):
                raise sql_error("Only one statement can be run at a time.")
            raise sql_error(f'SQL syntax error at or near "{self.toks[self.i].value}".')
        return q


def parse(text: str) -> Select:
    """Parse one SELECT; 400 `filter_error` for anything else."""
    toks = tokenize(text)
    if not toks:
        raise sql_error("SQL syntax error: the query is empty.")
    if toks[0] != Tok("kw", "select"):
        raise sql_error(ONLY_SELECT)
    return _Parser(toks).select()
