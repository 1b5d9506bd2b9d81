"""Counting the SQL statements a piece of work runs, on SQLite and PostgreSQL alike (tests and bench/).

`counting()` wraps the engine's `run_querystring` and `run_ddl` (every ORM query and every raw statement goes
through one of them, inside a transaction or not), the transactions' BEGIN, and the plain statements of
community.bulk_sql (which report themselves through `note`); the counter it yields holds
the statements run while the block was open, in order. It counts what the whole process runs meanwhile, so
use it around one request at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from community.db import engine


@dataclass
class QueryCount:
    queries: list[Any] = field(default_factory=list)  # Piccolo QueryStrings or DDL text, turned into text on demand
    transactions: int = 0

    @property
    def count(self) -> int:
        return len(self.queries)

    @property
    def statements(self) -> list[str]:
        return [str(q) for q in self.queries]

    def __str__(self) -> str:
        lines = "\n".join(f"  {i + 1:2}. {s[:160]}" for i, s in enumerate(self.statements))
        return f"{self.count} statements in {self.transactions} transactions:\n{lines}"


_open: list[QueryCount] = []  # the counters of the counting() blocks open now


def note(statement: str) -> None:
    """A statement run on a driver's connection directly (community.bulk_sql), not through Piccolo's engine."""
    for found in _open:
        found.queries.append(statement)


@contextmanager
def counting() -> Iterator[QueryCount]:
    # On the engine's class: PostgresEngine has __slots__, so its instances take no attributes of their own.
    kind: Any = type(engine())
    found = QueryCount()
    run_querystring, run_ddl, transaction = kind.run_querystring, kind.run_ddl, kind.transaction

    async def counted_querystring(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        found.queries.append(querystring)
        return await run_querystring(self, querystring, *args, **kwargs)

    async def counted_ddl(self: Any, ddl: str, *args: Any, **kwargs: Any) -> Any:
        found.queries.append(ddl)
        return await run_ddl(self, ddl, *args, **kwargs)

    def counted_transaction(self: Any, *args: Any, **kwargs: Any) -> Any:
        found.transactions += 1
        return transaction(self, *args, **kwargs)

    kind.run_querystring, kind.run_ddl, kind.transaction = counted_querystring, counted_ddl, counted_transaction
    _open.append(found)
    try:
        yield found
    finally:
        _open.remove(found)
        kind.run_querystring, kind.run_ddl, kind.transaction = run_querystring, run_ddl, transaction
