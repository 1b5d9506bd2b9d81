"""Live updates come back after PostgreSQL drops the listening connection (a restart, a failover)."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from community import live_pg

URL = os.environ.get("YISHI_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgres"), reason="LISTEN/NOTIFY needs PostgreSQL")


async def next_message(stream, seconds: float = 30.0) -> tuple[str, bytes]:
    return await asyncio.wait_for(anext(stream), seconds)


async def test_listening_resumes_after_the_connection_is_killed(monkeypatch):
    monkeypatch.setattr(live_pg, "CHECK_SECONDS", 0.05)
    dsn = "postgresql://" + URL.split("://", 1)[1]
    backend = live_pg.ReconnectingAsyncPgBackend(dsn=dsn)
    await backend.on_startup()
    try:
        await backend.subscribe(["vote-1"])
        stream = backend.stream_events()
        await backend.publish(b"before", ["vote-1"])
        assert await next_message(stream) == ("vote-1", b"before")

        # What a database restart does to the listener: the server ends its session.
        admin = await asyncpg.connect(dsn)
        try:
            pid = backend._listener_conn.get_server_pid()
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        for _ in range(600):  # polls, no wall-clock assertion: wait until the watchdog has listened again
            if backend.reconnects:
                break
            await asyncio.sleep(0.05)
        assert backend.reconnects >= 1

        await backend.subscribe(["vote-2"])  # a new listener after the outage is heard too
        await backend.publish(b"after", ["vote-1"])
        await backend.publish(b"new", ["vote-2"])
        got = {await next_message(stream), await next_message(stream)}
        assert got == {("vote-1", b"after"), ("vote-2", b"new")}
    finally:
        await backend.on_shutdown()
