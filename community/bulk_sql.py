"""Plain SQL for reads and writes of 100,000 rows (tuples instead of dicts, the drivers' executemany, `{}` slots),
and for a row written once whoever writes it at the same moment (`upsert`: INSERT … ON CONFLICT)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from piccolo.columns import Column
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from community import querycount
from community.db import YishiSQLiteEngine, engine

log = logging.getLogger("yishi.db")


def placeholders(sql: str) -> str:
    """Write "{}" placeholders the way the database driver wants them (? for SQLite, $n for PostgreSQL)."""
    if isinstance(engine(), PostgresEngine):
        counter = iter(range(1, sql.count("{}") + 1))
        return re.sub(r"\{\}", lambda _: f"${next(counter)}", sql)
    return sql.replace("{}", "?")


def id_list(ids: Iterable[int]) -> str:
    """Integers written into an IN (…) list of a statement, in order; NULL when there are none (no row matches).
    Only for ids the code read from the database (a staff member's buildings), never for text from a request."""
    return ", ".join(str(int(i)) for i in sorted(ids)) or "NULL"


async def fetch_tuples(sql: str, *args: Any, hash_joins: bool = False) -> list[Sequence[Any]]:
    """Rows as tuples (asyncpg Records on PostgreSQL), in the current transaction if there is one.

    Piccolo makes a dict per row: for a register of 100,000 flats and as many people, dicts cost several times
    the memory of tuples and the time of a Python call per row (SQLite's row factory).
    `hash_joins`: a statement that joins a whole vote's flats to its ballots, read outside a transaction; on
    PostgreSQL it is planned without nested loops. With statistics that predate the ballots (autovacuum off, or not
    yet come by), the planner took the ballots for one row and re-read them for each of 100,000 flats (over 30 s;
    0.25 s hashed)."""
    db = engine()
    query = placeholders(sql)
    querycount.note(query)
    transaction = db.current_transaction.get()
    if isinstance(db, PostgresEngine):
        if transaction is not None:
            return list(await transaction.connection.fetch(query, *args))

        async def fetch(connection: Any) -> list[Sequence[Any]]:
            if not hash_joins:
                return list(await connection.fetch(query, *args))
            async with connection.transaction():
                await connection.execute("SET LOCAL enable_nestloop = off")
                return list(await connection.fetch(query, *args))

        if db.pool is not None:
            async with db.pool.acquire() as connection:
                return await fetch(connection)
        connection = await db.get_new_connection()
        try:
            return await fetch(connection)
        finally:
            await connection.close()
    assert isinstance(db, YishiSQLiteEngine)
    connection = transaction.connection if transaction is not None else await db._take()
    factory = connection.row_factory
    connection.row_factory = None  # sqlite3's own tuples, made in C
    try:
        async with connection.execute(query, args) as cursor:
            rows: list[Sequence[Any]] = list(await cursor.fetchall())
    except BaseException:
        connection.row_factory = factory
        if transaction is None:
            await connection.close()
        raise
    connection.row_factory = factory
    if transaction is None:
        if connection.in_transaction:  # a read opens none; a stray one must not hold the file
            await connection.commit()
        await db._give_back(connection)
    return rows


async def write_many(sql: str, rows: Sequence[Sequence[object]]) -> None:
    """One statement for many rows on the write transaction's own connection (the drivers' executemany; a plain
    INSERT … VALUES ({}, …) is a COPY on PostgreSQL).

    Piccolo builds a Table object and a query string per inserted row, which made a 10,000-flat import
    several times slower."""
    if not rows:
        return
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk writes must run inside write_transaction()")
    querycount.note(sql)
    insert = _PLAIN_INSERT.fullmatch(sql)
    if insert is not None and isinstance(db, PostgresEngine):
        # COPY: one stream for all the rows; executemany still costs PostgreSQL a statement per row.
        columns = [column.strip() for column in insert.group(2).split(",")]
        await transaction.connection.copy_records_to_table(insert.group(1), records=rows, columns=columns)
        return
    await transaction.connection.executemany(placeholders(sql), rows)


async def write_statement(sql: str, *args: Any) -> None:
    """One set-based statement (an INSERT … SELECT over tens of thousands of rows) in the current write transaction."""
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk writes must run inside write_transaction()")
    query = placeholders(sql)
    querycount.note(query)
    if isinstance(db, PostgresEngine):
        await transaction.connection.execute(query, *args)
    else:
        await transaction.connection.execute(query, args)


async def upsert(table: type[Table], key: Sequence[Column], values: Mapping[Column, Any], keep: bool = False) -> None:
    """One row of `table` says `values`, whoever writes the same `key` at the same moment: INSERT … ON CONFLICT
    DO UPDATE (`keep`: DO NOTHING, a row already there stays as it is), in the current write transaction. Looking
    first and then inserting lets two requests at once (a double tap, two staff on one flat) both insert, and the
    second fails on the UNIQUE key. Give every column that has a default: the database's own would differ."""
    names = [f'"{column._meta.db_column_name}"' for column in values]
    keys = [f'"{column._meta.db_column_name}"' for column in key]
    changed = "" if keep else ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
    slots = ", ".join("{}" for _ in names)
    await write_statement(
        f'INSERT INTO "{table._meta.tablename}" ({", ".join(names)}) VALUES ({slots})'  # noqa: S608 - the tables' own names
        f" ON CONFLICT ({', '.join(keys)}) DO " + (f"UPDATE SET {changed}" if changed else "NOTHING"),
        *values.values(),
    )


_PLAIN_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:\{\}, )*\{\}\)")


# Rows written (flats imported, flats in a snapshot) from which PostgreSQL's statistics are refreshed at once.
STATISTICS_AFTER = 1000


async def refresh_statistics(*tables: str) -> None:
    """After a bulk write commits (a register imported, an electorate snapshot taken): PostgreSQL's planner
    statistics for these tables, at once. Until autovacuum gets to them (a minute or more later; never where it is
    off) the planner takes a 100,000-row table for an empty one, and a page that joins it runs nested loops over
    every row (the register's "not yet joined" count: 0.9 s instead of 0.15 s). SQLite plans without statistics."""
    db = engine()
    if not isinstance(db, PostgresEngine) or not tables:
        return
    if any(not re.fullmatch(r"\w+", table) for table in tables):
        raise ValueError(f"not a table name: {tables!r}")
    if db.current_transaction.get() is not None:
        raise RuntimeError("refresh statistics after the bulk write has committed: ANALYZE sees committed rows")
    try:
        await fetch_tuples(f"ANALYZE {', '.join(tables)}")
    except Exception:  # the write has committed: an import or an opening is not reported failed for this
        log.exception("ANALYZE %s failed; PostgreSQL's autovacuum will refresh the statistics later", ", ".join(tables))
