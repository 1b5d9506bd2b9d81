"""Database engines (SQLite by default, PostgreSQL in production) and the write-transaction helper."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from community.config import Config, get_config

# Seconds a SQLite writer waits for the lock before giving up; generous, because
# a roomful of phones may submit at once and each write is short.
SQLITE_BUSY_TIMEOUT = 60


class YishiSQLiteEngine(SQLiteEngine):
    """SQLite with WAL and a long busy timeout; writes are serialised per process."""

    IDLE_CONNECTIONS = 4

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as conn:
            # WAL is persistent in the file: readers never block the writer.
            conn.execute("PRAGMA journal_mode=WAL")
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT)
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._idle_connections: dict[asyncio.AbstractEventLoop, asyncio.Queue[Any]] = {}

    @property
    def write_lock(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio.Lock must not be shared across loops.
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock

    async def get_connection(self) -> Any:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # aiosqlite's worker threads are non-daemon: one left idle would keep the process from
        # exiting (and hang a server's shutdown). Every statement commits, so nothing is lost.
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _take(self) -> Any:
        try:
            return self._idle().get_nowait()
        except asyncio.QueueEmpty:
            return await self.get_connection()

    async def _give_back(self, connection: Any) -> None:
        idle = self._idle()
        if idle.qsize() < self.IDLE_CONNECTIONS and not connection.in_transaction:
            idle.put_nowait(connection)
        else:
            await connection.close()

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None, query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # Piccolo sends "PRAGMA foreign_keys = 1" before every statement of a transaction: our connections
        # have it on from the start (get_connection), so each statement is one trip to the thread, not two.
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's way
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        return await connection.execute_fetchall(query, args or [])  # one trip: execute, fetch and close together

    def _idle(self) -> asyncio.Queue[Any]:
        loop = asyncio.get_running_loop()
        idle = self._idle_connections.get(loop)
        if idle is None:
            idle = self._idle_connections[loop] = asyncio.Queue()
        return idle

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # Piccolo opens a new connection (and thread) for every query outside a transaction;
        # reusing a few idle ones is several times faster and keeps pages quick on SQLite.
        connection = await self._take()
        try:
            # One trip to the connection's thread, not three (execute, fetch, close): each trip hands the GIL over.
            rows = await connection.execute_fetchall(query, args or [])
            # A read opens no transaction: committing after it would only cost another trip to the thread.
            if connection.in_transaction:
                await connection.commit()
        except BaseException:
            await connection.close()
            raise
        await self._give_back(connection)
        return rows

    async def close_idle(self) -> None:
        """Close this loop's idle connections: their threads would otherwise keep the process alive."""
        idle = self._idle()
        while not idle.empty():
            await idle.get_nowait().close()


class _PooledTransaction(SQLiteTransaction):
    """A transaction on one of the engine's idle connections, given back afterwards: opening a connection
    (a thread, two PRAGMAs) for every write cost more than the write itself."""

    async def get_connection(self) -> Any:
        engine: YishiSQLiteEngine = self.engine  # type: ignore[assignment]
        return await engine._take()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        engine: YishiSQLiteEngine = self.engine  # type: ignore[assignment]
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
        except BaseException:
            await self.connection.close()
            raise
        finally:
            engine.current_transaction.reset(self.context)
        await engine._give_back(self.connection)
        return exception is None


def make_engine(config: Config) -> Engine[Any]:
    if config.is_sqlite:
        return YishiSQLiteEngine(config.sqlite_path)
    return PostgresEngine(config={"dsn": config.database_url})


def engine() -> Engine[Any]:
    found = engine_finder()
    assert found is not None, "PICCOLO_CONF did not provide an engine"
    return found


def is_postgres() -> bool:
    """Raw SQL that differs between the engines (JSON aggregates, for one) asks this."""
    return isinstance(engine(), PostgresEngine)


@asynccontextmanager
async def write_transaction(changes_roles_or_links: bool = True) -> AsyncIterator[None]:
    """A transaction for writes that never fails with 'database is locked'.

    SQLite: one writer at a time in this process (an asyncio lock), and BEGIN IMMEDIATE so
    another process's writer makes us wait on the busy timeout instead of failing on upgrade.
    PostgreSQL: an ordinary transaction.
    `changes_roles_or_links=False` promises that the writes touch no role, membership, person or link to a flat
    (e.g. a ballot): what the request read with its session stays good for the page it then shows.
    """
    from community import known

    if changes_roles_or_links:
        known.forget()  # what the request read with its session (roles, links) may be what this changes
    db = engine()
    committing = False
    try:
        if isinstance(db, YishiSQLiteEngine):
            async with db.write_lock:
                async with db.transaction(transaction_type=TransactionType.immediate):
                    yield
                    committing = True
        else:
            async with db.transaction():
                yield
                committing = True
    except BaseException as exc:
        if committing:  # the body ran; COMMIT itself failed: the change may or may not be stored
            exc.add_note(COMMIT_FAILED)
        raise


COMMIT_FAILED = "yishi: this failure came while committing; the change may or may not have been stored"


def failed_while_committing(exc: BaseException) -> bool:
    """The error came from COMMIT (the connection dropped while it was on its way): nobody knows the outcome."""
    return COMMIT_FAILED in getattr(exc, "__notes__", ())


def is_unique_violation(exc: BaseException) -> bool:
    """True for a duplicate-key error from either engine."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, UniqueViolationError)


async def _keep_session(connection: Any) -> None:
    """A connection goes back to the pool as it is: asyncpg has already rolled back a transaction left open, and
    Yishi sets no session state (no SET, advisory locks, cursors or LISTEN on pooled connections: community.live_pg
    listens on its own). Its default reset query was a second round trip for every statement."""


async def open_pool() -> bool:
    """Open the PostgreSQL pool unless one is open; True if this call opened it."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=get_config().db_pool_size, reset=_keep_session)
        return True
    return isinstance(db, YishiSQLiteEngine)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
        db.pool = None
    elif isinstance(db, YishiSQLiteEngine):
        await db.close_idle()


async def run_migrations() -> None:
    """Apply every pending migration of every app."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
