"""Redis publish/subscribe channels that come back after Redis restarts or drops the connection (Litestar's
backend ended its reading task on the first connection error: live updates stopped until the app restarted)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import suppress
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from community.live_heal import Healing

CONNECT_TIMEOUT = 10.0
READ_SECONDS = 1.0  # how long one read waits for a message before looking again

DOWN = (RedisError, OSError, TimeoutError)


class HealingRedisBackend(ChannelsBackend):
    """Subscribes on one connection of its own. When that connection fails, connects again (0.5 s, 1 s … 30 s
    apart), subscribes to every channel that still has listeners and calls `on_recovered` so that open
    streams catch up; the loss and the recovery are logged once each. Publishing uses another client, which
    retries by itself."""

    def __init__(self, url: str, on_recovered: Callable[[], None] | None = None) -> None:
        self._publisher = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
        # No retries of its own on the listening side: a failure must reach us, to resubscribe and catch up.
        self._listener = Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=CONNECT_TIMEOUT, socket_keepalive=True,
            client_name=f"yishi-live-{os.getpid()}",  # CLIENT LIST shows which process listens
        )
        self._pubsub: PubSub | None = None
        self._channels: set[str] = set()
        self._has_channels: asyncio.Event | None = None
        self.healing = Healing("Redis", on_recovered)

    @property
    def reconnects(self) -> int:
        return self.healing.reconnects

    async def on_startup(self) -> None:
        self._has_channels = asyncio.Event()
        self._pubsub = self._listener.pubsub()

    async def on_shutdown(self) -> None:
        if self._pubsub is not None:
            with suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        for client in (self._publisher, self._listener):
            with suppress(Exception):
                await client.aclose()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        for channel in set(channels):
            await self._publisher.publish(channel, data)

    async def subscribe(self, channels: Iterable[str]) -> None:
        new = set(channels) - self._channels
        self._channels |= new
        if new and self._pubsub is not None and not self.healing.lost:
            try:
                await self._pubsub.subscribe(*sorted(new))
            except DOWN as exc:  # remembered: the reader subscribes again once Redis answers
                self.healing.lose(exc)
        if self._has_channels is not None and self._channels:
            self._has_channels.set()  # after subscribing: the reader needs a subscribed connection to read

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        gone = set(channels) & self._channels
        self._channels -= gone
        if self._has_channels is not None and not self._channels:
            self._has_channels.clear()
        if gone and self._pubsub is not None and not self.healing.lost:
            try:
                await self._pubsub.unsubscribe(*sorted(gone))
            except DOWN as exc:
                self.healing.lose(exc)

    async def _reconnect(self) -> None:
        old, self._pubsub = self._pubsub, None
        if old is not None:
            with suppress(Exception):
                await old.aclose()  # type: ignore[no-untyped-call]
        pubsub = self._listener.pubsub()
        try:
            await self._listener.ping()  # Redis answers again…
            if self._channels:
                await pubsub.subscribe(*sorted(self._channels))  # …and hears every channel with listeners
        except BaseException:
            with suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        self._pubsub = pubsub

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        assert self._has_channels is not None, "on_startup first"
        while True:
            await self._has_channels.wait()
            if self.healing.lost or self._pubsub is None:
                await self.healing.until_connected(self._reconnect)
                self.healing.found()
                continue
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_SECONDS)
            except DOWN as exc:
                self.healing.lose(exc)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else str(message["channel"])
            if channel in self._channels:  # an unsubscribe may still be on its way
                yield channel, message["data"]

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError
