"""A bare Litestar app doing one pooled INSERT per POST, served like Yishi (uvicorn, same workers, same database),
the baseline of bench/bench_cast_load.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, post

from community import db
from community.tables import AuditLog


@post("/_bench/insert", status_code=200)
async def insert() -> str:
    if isinstance(db.engine(), db.YishiSQLiteEngine):
        async with db.write_transaction():  # SQLite: one writer per process, as Yishi's casts
            await AuditLog.raw("INSERT INTO bench_bare (note) VALUES ({})", "ballot")
    else:
        await AuditLog.raw("INSERT INTO bench_bare (note) VALUES ({})", "ballot")
    return "ok"


@asynccontextmanager
async def lifespan(_app: Litestar) -> AsyncIterator[None]:
    await db.open_pool()
    try:
        yield
    finally:
        await db.close_pool()


app = Litestar(route_handlers=[insert], lifespan=[lifespan])
