"""LISTEN/NOTIFY channels that come back after PostgreSQL restarts (Litestar's backend keeps one dead
connection for ever: projectors and phones froze until the app itself was restarted)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import nullcontext, suppress
from functools import partial

import asyncpg
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from community.live_heal import Healing

CHECK_SECONDS = 2.0  # how often the listening connection is looked at (a lost one wakes the watchdog at once)
PING_EVERY = 5  # …and every this many looks, asked a question (a half-open socket answers nothing)
PING_TIMEOUT = 5.0
CONNECT_TIMEOUT = 10.0

# InternalClientError: asyncpg's state machine, when the server ends the connection in the middle of a statement.
DOWN = (asyncpg.PostgresError, OSError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError, TimeoutError)


class ReconnectingAsyncPgBackend(AsyncPgChannelsBackend):
    """Watches its listening connection; when it is lost, connects again (0.5 s, 1 s … 30 s apart), LISTENs to
    every channel that still has listeners and calls `on_recovered` so that open streams catch up. The loss
    and the recovery are logged once each. Publishing keeps a connection of its own (Litestar's opened one per
    message: a handshake and a login for every live update); a failed one is replaced at the next message."""

    def __init__(self, dsn: str, on_recovered: Callable[[], None] | None = None) -> None:
        super().__init__(make_connection=partial(asyncpg.connect, dsn=dsn, timeout=CONNECT_TIMEOUT))
        self.healing = Healing("database", on_recovered)
        self._watchdog: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._publisher: asyncpg.Connection | None = None
        self._publishing: asyncio.Lock | None = None
        self._stopped = False  # after shutdown a late live update opens no new connection (it would be left open)

    @property
    def reconnects(self) -> int:
        return self.healing.reconnects

    async def _new_listener(self) -> asyncpg.Connection:
        """A connection for LISTEN (a seam for tests, which hold a reconnection back)."""
        return await self._connect()

    async def on_startup(self) -> None:
        await super().on_startup()
        self._publishing = asyncio.Lock()
        self._wake = asyncio.Event()
        self._listener_conn.add_termination_listener(self._terminated)
        self._watchdog = asyncio.create_task(self._watch(), name="yishi-live-listener")

    async def on_shutdown(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await self._watchdog
        with suppress(Exception):
            await super().on_shutdown()
        self._stopped = True
        async with self._publishing or nullcontext():  # a NOTIFY in flight finishes first
            await self._drop_publisher()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        """NOTIFY on the publishing connection; if it had died, once more on a new one."""
        assert self._publishing is not None, "on_startup first"
        text = data.decode()
        async with self._publishing:
            if self._stopped:
                return  # the server is stopping: its streams have ended, nobody would receive this
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.is_closed():
                        self._publisher = await self._connect()
                    for channel in set(channels):
                        await self._publisher.execute("SELECT pg_notify($1, $2)", channel, text)
                    return
                except DOWN:
                    await self._drop_publisher()
                    if attempt == 2:
                        raise

    async def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            with suppress(Exception):
                publisher.terminate()

    def _terminated(self, connection: asyncpg.Connection) -> None:
        if connection is self._listener_conn and self._wake is not None:
            self._wake.set()  # the server ended the session (restart, failover, pg_terminate_backend)

    async def subscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        try:
            await super().subscribe(channels)
        except DOWN as exc:
            # The connection is down: remember the channels; the watchdog LISTENs once it is back.
            self._subscribed_channels.update(channels)
            self.healing.lose(exc)
            if self._wake is not None:
                self._wake.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        try:
            await super().unsubscribe(channels)
        except DOWN:
            self._subscribed_channels.difference_update(channels)

    async def _healthy(self, ping: bool) -> bool:
        if self._listener_conn.is_closed():
            return False
        if not ping:
            return True
        try:
            async with self._listener_lock:
                await asyncio.wait_for(self._listener_conn.fetchval("SELECT 1"), PING_TIMEOUT)
        except DOWN:
            return False
        return True

    async def _reconnect(self) -> None:
        # Connect outside the lock: a subscriber arriving meanwhile is not held up by a slow connection attempt.
        connection = await self._new_listener()
        try:
            async with self._listener_lock:
                for channel in sorted(self._subscribed_channels):
                    await connection.add_listener(channel, self._listener)
                old, self._listener_conn = self._listener_conn, connection
        except BaseException:
            with suppress(Exception):
                connection.terminate()
            raise
        connection.add_termination_listener(self._terminated)
        with suppress(Exception):
            old.terminate()

    async def _watch(self) -> None:
        assert self._wake is not None
        looks = 0
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CHECK_SECONDS)
            self._wake.clear()
            looks += 1
            if not self.healing.lost and await self._healthy(ping=looks % PING_EVERY == 0):
                continue
            self.healing.lose("the listening connection was closed")
            await self.healing.until_connected(self._reconnect)
            self.healing.found()
