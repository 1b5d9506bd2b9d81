"""LISTEN/NOTIFY channels that come back after PostgreSQL restarts (Litestar's backend keeps one dead
connection for ever: projectors and phones froze until the app itself was restarted)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from contextlib import suppress

import asyncpg
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

log = logging.getLogger("yishi.live")

CHECK_SECONDS = 2.0  # how often the listening connection is looked at
PING_EVERY = 5  # …and every this many looks, asked a question (a half-open socket answers nothing)
PING_TIMEOUT = 5.0


class ReconnectingAsyncPgBackend(AsyncPgChannelsBackend):
    """Watches its listening connection; when it is lost, connects again and LISTENs to every channel
    that still has listeners. Publishing opens its own connection per message, so it recovers by itself."""

    _watchdog: asyncio.Task[None] | None = None
    reconnects = 0

    async def on_startup(self) -> None:
        await super().on_startup()
        self._watchdog = asyncio.create_task(self._watch(), name="yishi-live-listener")

    async def on_shutdown(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await self._watchdog
        with suppress(Exception):
            await super().on_shutdown()

    async def subscribe(self, channels: Iterable[str]) -> None:
        try:
            await super().subscribe(channels)
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            # The connection is down: remember the channels; the watchdog LISTENs once it is back.
            self._subscribed_channels.update(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        try:
            await super().unsubscribe(channels)
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            self._subscribed_channels.difference_update(channels)

    async def _healthy(self, ping: bool) -> bool:
        if self._listener_conn.is_closed():
            return False
        if not ping:
            return True
        try:
            async with self._listener_lock:
                await asyncio.wait_for(self._listener_conn.fetchval("SELECT 1"), PING_TIMEOUT)
        except (TimeoutError, asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            return False
        return True

    async def _reconnect(self) -> None:
        async with self._listener_lock:
            old = self._listener_conn
            with suppress(Exception):
                old.terminate()
            connection = await self._connect()
            for channel in sorted(self._subscribed_channels):
                await connection.add_listener(channel, self._listener)
            self._listener_conn = connection
        self.reconnects += 1
        log.warning("live updates: listening again after the database connection was lost")

    async def _watch(self) -> None:
        looks = 0
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            looks += 1
            try:
                if not await self._healthy(ping=looks % PING_EVERY == 0):
                    await self._reconnect()
            except Exception:  # the database is still away: try again at the next look
                log.warning("live updates: the database is not reachable yet", exc_info=True)
