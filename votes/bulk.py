"""Many rows at once for votes (an electorate of 100,000 flats): community.bulk_sql's tuples and bulk writes, with
plain tuples on both engines and inserts named by table and columns.

Building Piccolo objects and query strings costs ~60 µs per row; a prepared statement executed many times
costs a few. Only for plain values (JSON already serialised): nothing here is converted or validated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

from community import bulk_sql


async def insert_many(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """INSERT every row of `rows` (values in the order of `columns`) in the current write transaction."""
    slots = ", ".join("{}" for _ in columns)
    sql = f"INSERT INTO {table._meta.tablename} ({', '.join(columns)}) VALUES ({slots})"  # noqa: S608 - names from code
    await bulk_sql.write_many(sql, rows)


async def fetch_tuples(sql: str, *params: object, hash_joins: bool = False) -> list[tuple[Any, ...]]:
    """Rows as plain tuples (no per-row dicts): for reading a whole electorate. `{}` marks each parameter.

    Runs in the current transaction when there is one, so a close reads exactly what it locked; outside one, on a
    pooled connection. `hash_joins`: see community.bulk_sql.fetch_tuples."""
    rows = await bulk_sql.fetch_tuples(sql, *params, hash_joins=hash_joins)
    return [row if type(row) is tuple else tuple(row) for row in rows]
