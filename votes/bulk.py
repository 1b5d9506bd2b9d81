"""Many rows at once (an electorate snapshot of 100,000 flats) through the current write transaction's connection.

Building Piccolo objects and query strings costs ~60 µs per row; a prepared statement executed many times
costs a few. Only for plain values (JSON already serialised): nothing here is converted or validated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from community.db import engine


def _connection() -> tuple[Any, bool]:
    db = engine()
    transaction: Any = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("insert_many runs inside community.db.write_transaction()")
    while getattr(transaction, "_parent", None) is not None:
        transaction = transaction._parent
    return transaction.connection, isinstance(db, PostgresEngine)


async def insert_many(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """INSERT every row of `rows` (values in the order of `columns`) in the current write transaction."""
    if not rows:
        return
    connection, postgres = _connection()
    names = ", ".join(columns)
    if postgres:
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        placeholders = ", ".join("?" for _ in columns)
    # Table and column names come from the code, never from input.
    sql = f"INSERT INTO {table._meta.tablename} ({names}) VALUES ({placeholders})"  # noqa: S608
    await connection.executemany(sql, [tuple(row) for row in rows])


def _placeholders(sql: str, postgres: bool) -> str:
    """`{}` placeholders as the engine wants them: $1, $2, … or ?."""
    parts = sql.split("{}")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        out.append(f"${index}" if postgres else "?")
        out.append(part)
    return "".join(out)


async def fetch_tuples(sql: str, *params: object, hash_joins: bool = False) -> list[tuple[Any, ...]]:
    """Rows as plain tuples (no per-row dicts): for reading a whole electorate. `{}` marks each parameter.

    Runs in the current transaction when there is one, so a close reads exactly what it locked. `hash_joins`: a
    statement that joins a whole vote's flats to its ballots, read outside a transaction; on PostgreSQL it is
    planned without nested loops. With statistics that predate the ballots (autovacuum off, or not yet come by),
    the planner took the ballots for one row and re-read them for each of 100,000 flats (over 30 s; 0.25 s hashed).
    """
    db = engine()
    postgres = isinstance(db, PostgresEngine)
    query = _placeholders(sql, postgres)
    transaction: Any = db.current_transaction.get()
    while transaction is not None and getattr(transaction, "_parent", None) is not None:
        transaction = transaction._parent
    if postgres:
        if transaction is not None:
            records = await transaction.connection.fetch(query, *params)
        else:
            assert isinstance(db, PostgresEngine)

            async def fetch(connection: Any) -> list[Any]:
                if not hash_joins:
                    return list(await connection.fetch(query, *params))
                async with connection.transaction():
                    await connection.execute("SET LOCAL enable_nestloop = off")
                    return list(await connection.fetch(query, *params))

            if db.pool is not None:
                async with db.pool.acquire() as connection:
                    records = await fetch(connection)
            else:
                connection = await db.get_new_connection()
                try:
                    records = await fetch(connection)
                finally:
                    await connection.close()
        return [tuple(record) for record in records]
    if transaction is not None:
        connection = transaction.connection
        factory = connection.row_factory
        connection.row_factory = None
        try:
            return list(await connection.execute_fetchall(query, params))
        finally:
            connection.row_factory = factory
    connection = await cast(Any, db).get_connection()
    try:
        connection.row_factory = None
        return list(await connection.execute_fetchall(query, params))
    finally:
        await connection.close()
