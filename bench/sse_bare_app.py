"""The bare baseline of bench/bench_sse.py: a Litestar SSE endpoint fed by the channels backend Yishi uses.

GET /live: one Litestar subscriber per listener, each message sent as it comes (Litestar's documented way).
POST /publish?marker=…: one publish of a fragment the size of a comment to every listener. The backend is
LISTEN/NOTIFY when YISHI_DATABASE_URL names PostgreSQL (as Yishi's), else in memory (one process only).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from litestar import Litestar, get, post
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response import ServerSentEvent, ServerSentEventMessage

URL = os.environ.get("YISHI_DATABASE_URL", "")
CHANNEL = "bare"
# About the size of the comment fragment Yishi sends (deliberation/_comment_oob.html).
FILLER = '<div class="comment"><p>' + "意见" * 300 + "</p></div>"


def backend() -> ChannelsBackend:
    if URL.startswith("postgres"):
        return AsyncPgChannelsBackend(dsn="postgresql://" + URL.split("://", 1)[1])
    return MemoryChannelsBackend()


plugin = ChannelsPlugin(backend=backend(), arbitrary_channels_allowed=True, subscriber_max_backlog=500,
                        subscriber_backlog_strategy="dropleft")  # fmt: skip


@get("/live")
async def live() -> ServerSentEvent:
    async def events() -> AsyncIterator[ServerSentEventMessage]:
        async with plugin.start_subscription([CHANNEL]) as subscriber:
            yield ServerSentEventMessage(comment="connected", data=None)
            async for raw in subscriber.iter_events():
                yield ServerSentEventMessage(event="comment", data=raw.decode())

    return ServerSentEvent(events())


@post("/publish", status_code=200)
async def publish(marker: str) -> None:
    await plugin.wait_published(f"{FILLER} {marker}", [CHANNEL])


@get("/healthz")
async def healthz() -> str:
    return "ok"


app = Litestar(route_handlers=[live, publish, healthz], plugins=[plugin], openapi_config=None)
