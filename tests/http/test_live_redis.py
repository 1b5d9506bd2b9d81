"""Live updates through Redis (YISHI_REDIS_URL) come back after Redis drops the listening connection: the
backend subscribes again, open streams catch up on what they missed, the loss and the recovery are logged once."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import httpx
import pytest
import redis

from community import config, live
from community.live_redis import HealingRedisBackend

REDIS_URL = os.environ.get("YISHI_TEST_REDIS", "redis://127.0.0.1:6379/0")
# Channels are named alike in every run sharing this Redis (the SQLite and PostgreSQL passes run side by side):
# what this run waits for carries its own mark.
RUN = f"#{os.getpid()}"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true" and not redis_answers(),
    reason=f"no Redis answers at {REDIS_URL} (set YISHI_TEST_REDIS; under CI=true this test must run)",
)


def kill_listeners() -> int:
    """What a Redis restart does to a subscriber: `CLIENT KILL` of this process's listening connections."""
    admin = redis.Redis.from_url(REDIS_URL)
    try:
        mine = [c for c in admin.client_list(_type="pubsub") if c.get("name") == f"yishi-live-{os.getpid()}"]
        for c in mine:
            admin.client_kill_filter(_id=c["id"])
        return len(mine)
    finally:
        admin.close()


async def wait_for(condition) -> None:
    for _ in range(1200):  # polls, no wall-clock assertion
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def test_a_projector_on_redis_catches_up_after_the_connection_is_killed(client, make_account, monkeypatch, live_log):
    from clients import Client, running
    from sse import open_stream
    from test_deliberation_room import post_comment
    from test_deliberation_world import build_world, make_meeting

    from app.main import create_app
    from deliberation.tables import Meeting

    # An app of its own, configured for Redis; the session's app (and live's globals) come back afterwards.
    monkeypatch.setattr(config, "_config", dataclasses.replace(config.get_config(), redis_url=REDIS_URL))
    monkeypatch.setattr(live, "_plugin", live._plugin)
    monkeypatch.setattr(live, "_through_database", live._through_database)
    application = create_app()
    backend = live._plugin._backend
    assert isinstance(backend, HealingRedisBackend)

    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    await Meeting.update({Meeting.current_item: items[0]}).where(Meeting.id == meeting_id)

    def comments_with(text):
        return lambda event, data: event == "comments-zh" and text in data

    async with running(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 50000))
        async with Client(transport=transport, base_url="http://testserver.local") as resident:
            await resident.signin(world.phones["owner"])
            async with open_stream(application, f"/live/meeting-{meeting_id}?key=projector-key-for-tests-0123456789") as stream:
                assert stream.status == 200
                await stream.until(lambda event, _data: event == "comments-zh")
                await wait_for(lambda: backend._pubsub is not None and backend._pubsub.connection is not None)
                assert (await post_comment(resident, meeting_id, items[0], body=f"断线之前的意见{RUN}")).status_code == 303
                await stream.until(comments_with(f"断线之前的意见{RUN}"))

                gate = asyncio.Event()
                reconnect = backend._reconnect

                async def held_back():
                    await gate.wait()
                    await reconnect()

                monkeypatch.setattr(backend, "_reconnect", held_back)
                assert await asyncio.to_thread(kill_listeners) >= 1
                await wait_for(lambda: backend.healing.lost)
                assert (await post_comment(resident, meeting_id, items[0], body=f"断线期间的意见{RUN}")).status_code == 303
                gate.set()
                caught_up = await stream.until(comments_with(f"断线期间的意见{RUN}"))
                assert backend.reconnects == 1
                assert {"now-zh", "queue-zh", "attendance-zh"} <= {event for event, _data in caught_up}
                await stream.until(lambda event, _data: event == "resync")

                assert (await post_comment(resident, meeting_id, items[0], body=f"恢复之后的意见{RUN}")).status_code == 303
                await stream.until(comments_with(f"恢复之后的意见{RUN}"))

    said = [r.getMessage() for r in live_log]
    assert len([m for m in said if "lost the Redis connection" in m]) == 1, said
    assert len([m for m in said if "listening again" in m]) == 1, said
    assert not [r for r in live_log if r.exc_info], "no traceback for an outage"


async def test_a_new_listener_during_the_outage_is_heard_once_redis_answers():
    """A stream opened while Redis is away is subscribed when the backend reconnects."""
    backend = HealingRedisBackend(REDIS_URL)
    await backend.on_startup()
    events = backend.stream_events()
    try:
        first, second = f"vote-901{RUN}", f"vote-902{RUN}"
        await backend.subscribe([first])
        reading = asyncio.ensure_future(anext(events))
        await backend.publish(b"before", [first])
        assert await asyncio.wait_for(reading, 30) == (first, b"before")

        reading = asyncio.ensure_future(anext(events))
        await wait_for(lambda: backend._pubsub is not None and backend._pubsub.connection is not None)
        assert await asyncio.to_thread(kill_listeners) >= 1
        await wait_for(lambda: backend.healing.lost or backend.reconnects)
        await backend.subscribe([second])  # while lost, or just after: either way it must be heard
        await wait_for(lambda: backend.reconnects == 1)
        await backend.publish(b"new", [second])
        assert await asyncio.wait_for(reading, 30) == (second, b"new")
    finally:
        await events.aclose()
        await backend.on_shutdown()
