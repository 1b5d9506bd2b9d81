"""Live updates: Server-Sent Events fed by Litestar channels (in memory, PostgreSQL LISTEN/NOTIFY, or Redis).

A feature registers a channel prefix ("meeting", "vote", …) with who may listen and what a new listener
must be sent first (a snapshot, so a reconnecting projector is never stale). It then calls `publish`.
When the backend had lost its connection (community.live_heal), every open stream is sent that snapshot
again, then "resync": what was published meanwhile reached nobody.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from litestar import Request, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.params import FromPath
from litestar.response import Stream

from community.config import Config
from community.errors import Forbidden, NotFound
from community.live_hub import Hub, encode
from community.live_pg import ReconnectingAsyncPgBackend
from community.live_redis import HealingRedisBackend

log = logging.getLogger("yishi.live")

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger updates go through the database.
NOTIFY_LIMIT = 7000
KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 2000

T = TypeVar("T")
Authorize = Callable[[Request[Any, Any, Any], str], Awaitable[bool]]
Snapshot = Callable[[Request[Any, Any, Any], str], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class ChannelKind:
    authorize: Authorize
    snapshot: Snapshot


_kinds: dict[str, ChannelKind] = {}
_plugin: LiveChannelsPlugin | None = None
_through_database = False
RESYNC = "resync"


def register_channel(prefix: str, authorize: Authorize, snapshot: Snapshot) -> None:
    """Channels named "<prefix>-<anything>" are served by /live/<channel> under these rules."""
    _kinds[prefix] = ChannelKind(authorize, snapshot)


def make_channels_plugin(config: Config) -> ChannelsPlugin:
    """Memory for one process on SQLite; LISTEN/NOTIFY on PostgreSQL; Redis when YISHI_REDIS_URL is set."""
    global _plugin, _through_database
    backend: ChannelsBackend
    _through_database = False
    if config.redis_url:
        backend = HealingRedisBackend(config.redis_url, on_recovered=catch_up)
    elif not config.is_sqlite:
        backend = ReconnectingAsyncPgBackend(dsn=_asyncpg_dsn(config.database_url), on_recovered=catch_up)
        _through_database = True
    else:
        backend = MemoryChannelsBackend()
    _plugin = LiveChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        # One subscriber per channel and process (community.live_hub): it must never drop what it is sent.
        subscriber_max_backlog=None,
    )
    return _plugin


class LiveChannelsPlugin(ChannelsPlugin):
    """Litestar's channels, with the streams of this process ended first when the application stops, and at
    once when the server is told to stop (a stream never ends by itself: uvicorn would wait for it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hub = Hub(self, _decode, lambda: KEEPALIVE_SECONDS)

    async def _on_startup(self) -> None:
        await super()._on_startup()
        _end_streams_on_signal(self.hub)

    async def _on_shutdown(self) -> None:
        await self.hub.stop()
        await super()._on_shutdown()


def _end_streams_on_signal(hub: Hub) -> None:
    """Chain the server's SIGTERM/SIGINT handler (uvicorn's, which only stops accepting connections and then
    waits for open ones) with ending every stream: listeners see their stream end and the worker exits promptly."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if not callable(previous) or previous is signal.default_int_handler or getattr(previous, "yishi", False):
            continue  # no server's handler to chain (a test, a shell): nothing to do

        def ending(number: int, frame: Any, previous: Callable[[int, Any], Any] = previous) -> None:
            loop.call_soon_threadsafe(hub.close)
            previous(number, frame)

        ending.yishi = True  # type: ignore[attr-defined]
        signal.signal(signum, ending)


def _asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def catch_up() -> None:
    """The backend listens again after losing its connection: every open stream sends its snapshot again."""
    if _plugin is not None:
        _plugin.hub.catch_up()


async def shared(channel: str, key: str, compute: Callable[[], Awaitable[T]]) -> T:
    """For a snapshot: what every listener of `channel` is sent alike (nothing per person), computed once for
    the listeners joining this process's stream of it while no event passes on it (a room filling up, a whole
    room reconnecting): each change publishes an event, which makes the next listener compute it afresh.
    The value is shared: never change it."""
    if _plugin is None:
        return await compute()
    return cast(T, await _plugin.hub.shared(channel, key, compute))


def hub() -> Hub | None:
    """This process's open streams (community.live_hub)."""
    return None if _plugin is None else _plugin.hub


def backend_name() -> str:
    if _plugin is None:
        return "none"
    return type(_plugin._backend).__name__


async def publish(channel: str, event: str, data: str) -> None:
    """Send `data` (usually an HTML fragment) as SSE event `event` to every listener of `channel`."""
    if _plugin is None:
        return
    payload = json.dumps({"e": event, "d": data}, ensure_ascii=False)
    if _through_database and len(payload.encode()) > NOTIFY_LIMIT:
        from community.db import write_transaction
        from community.tables import LiveMessage

        async with write_transaction():
            rows = await LiveMessage.insert(LiveMessage(channel=channel, event=event, data=data)).returning(
                LiveMessage.id
            )
            await LiveMessage.delete().where(LiveMessage.created_at < datetime.now(UTC) - timedelta(hours=1))
        # The data's digest goes too: a row id alone can name other data after a restore or a test's reset.
        payload = json.dumps({"e": event, "ref": rows[0]["id"], "h": hashlib.sha256(data.encode()).hexdigest()[:16]})
    try:
        await _plugin.wait_published(payload, channels=[channel])
    except Exception:  # a live update must never make the change that caused it fail
        log.exception("could not publish to %s", channel)


_fetched: dict[tuple[int, str], tuple[str, str]] = {}


async def _decode(raw: bytes) -> tuple[str, str] | None:
    message = json.loads(raw)
    if "ref" in message:
        ref = int(message["ref"])
        key = (ref, str(message.get("h", "")))
        if key not in _fetched:
            from community.tables import LiveMessage

            row = await LiveMessage.select(LiveMessage.event, LiveMessage.data).where(LiveMessage.id == ref).first()
            if row is None:
                return None
            if len(_fetched) > 200:
                _fetched.clear()
            # Every listener in this process gets the same row: fetch it once.
            _fetched[key] = (row["event"], row["data"])
        return _fetched[key]
    return str(message["e"]), str(message["d"])


def _kind_of(channel: str) -> ChannelKind:
    kind = _kinds.get(channel.split("-", 1)[0])
    if kind is None or "-" not in channel:
        raise NotFound("This page does not exist. Check the address or go back to the start page.")
    return kind


@get("/live/{channel:str}", name="live", include_in_schema=False)
async def live_stream(request: Request[Any, Any, Any], channel: FromPath[str]) -> Stream:
    kind = _kind_of(channel)
    if not await kind.authorize(request, channel):
        raise Forbidden("You are not allowed to see or do this.")
    assert _plugin is not None
    return Stream(
        _events(request, channel, kind, _plugin.hub),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"},
    )


CONNECTED = f": connected\r\nretry: {RETRY_MILLISECONDS}\r\n\r\n".encode()


async def _events(request: Request[Any, Any, Any], channel: str, kind: ChannelKind, hub: Hub) -> AsyncIterator[bytes]:
    listener = await hub.join(channel)
    try:
        # Subscribed first, then the snapshot: nothing published in between is missed.
        yield CONNECTED + b"".join(encode(event, data) for event, data in await kind.snapshot(request, channel))
        while not listener.ended:
            await listener.wake.wait()
            listener.wake.clear()
            if listener.chunks:
                yield listener.take()
            if listener.catch_up and not listener.ended:
                listener.catch_up = False
                try:
                    events = await kind.snapshot(request, channel)
                except Exception:  # the database is not back yet: end; the browser reconnects and catches up
                    log.warning("live updates: could not catch %s up; the stream ends", channel, exc_info=True)
                    return
                if RESYNC not in {event for event, _data in events}:
                    events.append((RESYNC, ""))
                yield b"".join(encode(event, data) for event, data in events)
    finally:
        hub.leave(channel, listener)


ROUTES = [live_stream]
