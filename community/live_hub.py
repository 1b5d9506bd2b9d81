"""The fan-out of live updates in one process: one channels subscription per channel, each event decoded and
encoded once, the same bytes handed to every open stream of that channel (community.live).

A listener is a small buffer and a wake-up flag, not a task or a queue of its own: publishing to a thousand
phones costs one decode, one encoding and a thousand appends. Heartbeats come from one timer for the whole
process, and closing the hub (the server is stopping) ends every stream at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.subscriber import Subscriber

log = logging.getLogger("yishi.live")

# A slow phone must not hold messages for ever: it keeps the newest this many chunks.
MAX_BACKLOG = 500
# A snapshot shared by the listeners of a channel is computed again after an event on it, or after this long
# (a change that published nothing, e.g. a clock, shows within this).
SHARED_SECONDS = 2.0
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

Decode = Callable[[bytes], Awaitable[tuple[str, str] | None]]


def encode(event: str, data: str) -> bytes:
    """One Server-Sent Event, as Litestar's ServerSentEventMessage writes it (CRLF line ends)."""
    lines = "".join(f"data: {line}\r\n" for line in _LINE_BREAK.split(data))
    return f"event: {_LINE_BREAK.sub('', event)}\r\n{lines}\r\n".encode()


def comment(text: str) -> bytes:
    """A comment line: browsers ignore it; proxies see traffic and keep the connection."""
    return f": {text}\r\n\r\n".encode()


class _Abandoned(Exception):
    """The listener computing a shared value left (or failed): the others compute it themselves."""


class Listener:
    """One open stream: what is waiting to be written to it, and whether it must catch up or end."""

    __slots__ = ("catch_up", "chunks", "ended", "wake")

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque(maxlen=MAX_BACKLOG)
        self.wake = asyncio.Event()
        self.catch_up = False
        self.ended = False

    def put(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.wake.set()

    def take(self) -> bytes:
        """Everything waiting, as one write."""
        chunk = b"".join(self.chunks)
        self.chunks.clear()
        return chunk


class Feed:
    """One channel's subscription in this process, read by one task that fans its events out."""

    def __init__(self, hub: Hub, channel: str) -> None:
        self.hub = hub
        self.channel = channel
        self.listeners: set[Listener] = set()
        self.ready = asyncio.Event()
        self.subscriber: Subscriber | None = None
        self.stopped = False
        # What every new listener is sent alike (community.live.shared): (generation, when, value) by key.
        self.generation = 0  # events seen: a value computed before the latest one is stale
        self.cache: dict[str, tuple[int, float, asyncio.Future[Any]]] = {}
        self.task = asyncio.create_task(self._run(), name=f"yishi-live-{channel}")

    async def _run(self) -> None:
        try:
            self.subscriber = await self.hub.plugin.subscribe([self.channel])
        finally:
            self.ready.set()
        if self.stopped:  # every listener left while the subscription was under way
            with suppress(Exception):
                await self.hub.plugin.unsubscribe(self.subscriber, [self.channel])
            return
        async for raw in self.subscriber.iter_events():
            try:
                decoded = await self.hub.decode(raw)
            except Exception:  # one unreadable message must not stop the channel
                log.exception("live updates: could not read a message of %s", self.channel)
                continue
            if decoded is None:
                continue
            chunk = encode(*decoded)
            self.generation += 1
            self.hub.encoded += 1
            for listener in self.listeners:
                listener.put(chunk)

    async def shared(self, key: str, compute: Callable[[], Awaitable[Any]], seconds: float) -> Any:
        """The value of `compute` for every listener joining while no event came through this channel (and
        for `seconds` at most); listeners joining together wait for one computation."""
        loop = asyncio.get_running_loop()
        entry = self.cache.get(key)
        if entry is not None and entry[0] == self.generation and loop.time() - entry[1] < seconds:
            try:
                return await asyncio.shield(entry[2])
            except _Abandoned:
                return await compute()
        generation, future = self.generation, loop.create_future()
        self.cache[key] = (generation, loop.time(), future)
        try:
            value = await compute()
        except BaseException:
            if self.cache.get(key, (0, 0, None))[2] is future:
                del self.cache[key]
            future.set_exception(_Abandoned())
            future.exception()  # retrieved: nobody else may be waiting
            raise
        future.set_result(value)
        if self.generation != generation and self.cache.get(key, (0, 0, None))[2] is future:
            del self.cache[key]  # an event came meanwhile: later listeners compute afresh
        return value

    async def stop(self) -> None:
        self.stopped = True
        if self.subscriber is not None:
            with suppress(Exception):  # the backend's connection may be down: nothing to undo there
                await self.hub.plugin.unsubscribe(self.subscriber, [self.channel])
        with suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(self.task), 5)


class Hub:
    """Every open stream of this process, by channel."""

    def __init__(self, plugin: ChannelsPlugin, decode: Decode, keepalive: Callable[[], float]) -> None:
        self.plugin = plugin
        self.decode = decode
        self.keepalive = keepalive  # seconds between heartbeats, read at every beat (tests shorten it)
        self.feeds: dict[str, Feed] = {}
        self.closed = False
        self.encoded = 0  # events encoded since start: one per event and channel, however many listen
        self.shared_seconds = SHARED_SECONDS
        self._beat: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()

    def listeners(self) -> list[Listener]:
        return [listener for feed in self.feeds.values() for listener in feed.listeners]

    async def join(self, channel: str) -> Listener:
        """A new listener of `channel`, once the channel is subscribed: what is published from then on reaches it."""
        listener = Listener()
        if self.closed:
            listener.ended = True
            return listener
        self._start_beating()
        feed = self.feeds.get(channel)
        if feed is None:
            feed = self.feeds[channel] = Feed(self, channel)
        feed.listeners.add(listener)
        try:
            await feed.ready.wait()
        except BaseException:  # the browser left while the channel was being subscribed
            self.leave(channel, listener)
            raise
        if feed.subscriber is None:  # the backend refused the subscription: the stream fails, the browser retries
            self.leave(channel, listener)
            raise RuntimeError(f"live updates: could not subscribe to {channel}")
        return listener

    def leave(self, channel: str, listener: Listener) -> None:
        """The stream ended. Not a coroutine: it runs where the stream was cancelled (the browser left), and a
        cancelled UNLISTEN would leave the backend believing it still listens. The last listener's leaving gives
        the subscription back in a task of its own."""
        feed = self.feeds.get(channel)
        if feed is None or listener not in feed.listeners:
            return
        feed.listeners.discard(listener)
        if not feed.listeners:
            del self.feeds[channel]
            stopping = asyncio.get_running_loop().create_task(feed.stop(), name=f"yishi-live-stop-{channel}")
            self._stopping.add(stopping)
            stopping.add_done_callback(self._stopping.discard)

    async def shared(self, channel: str, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        feed = self.feeds.get(channel)
        if feed is None or feed.subscriber is None or self.closed:
            return await compute()
        return await feed.shared(key, compute, self.shared_seconds)

    def catch_up(self) -> None:
        """The backend listens again after losing its connection: every stream sends its snapshot again."""
        for feed in self.feeds.values():
            feed.generation += 1  # what was published meanwhile reached nobody: nothing computed before holds
        for listener in self.listeners():
            listener.catch_up = True
            listener.wake.set()

    def close(self) -> None:
        """The server is stopping: every stream ends now (browsers reconnect to whoever serves next)."""
        self.closed = True
        for listener in self.listeners():
            listener.ended = True
            listener.wake.set()
        if self._beat is not None:
            self._beat.cancel()

    async def stop(self) -> None:
        """Streams ended, subscriptions given back (the application's shutdown)."""
        self.close()
        for channel, feed in list(self.feeds.items()):
            self.feeds.pop(channel, None)
            await feed.stop()
        await asyncio.gather(*self._stopping, return_exceptions=True)

    def _start_beating(self) -> None:
        loop = asyncio.get_running_loop()
        if self._beat is None or self._beat.done() or self._beat.get_loop() is not loop:
            self._beat = loop.create_task(self._beating(), name="yishi-live-heartbeat")

    async def _beating(self) -> None:
        beat = comment("keepalive")
        while not self.closed:
            await asyncio.sleep(self.keepalive())
            for listener in self.listeners():
                if not listener.chunks:
                    listener.put(beat)
