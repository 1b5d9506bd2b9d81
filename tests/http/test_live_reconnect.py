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


async def terminate_listener(backend) -> None:
    admin = await asyncpg.connect("postgresql://" + URL.split("://", 1)[1])
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", backend._listener_conn.get_server_pid())
    finally:
        await admin.close()


async def wait_for(condition) -> None:
    for _ in range(1200):  # polls, no wall-clock assertion
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def test_a_projector_open_during_the_cut_catches_up_and_hears_again(app, client, make_account, monkeypatch, live_log):
    """Issue 17, scenario 1: the LISTEN backend is killed; a comment posted while the app is not listening
    reaches the projector's stream, opened before the cut, through its catch-up; the next one arrives live."""
    from sse import open_stream
    from test_deliberation_room import post_comment
    from test_deliberation_world import build_world, make_meeting

    from community import live
    from deliberation.tables import Meeting

    backend = live._plugin._backend
    assert isinstance(backend, live_pg.ReconnectingAsyncPgBackend)
    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    await Meeting.update({Meeting.current_item: items[0]}).where(Meeting.id == meeting_id)
    await client.signin(world.phones["owner"])

    def comments_with(text):
        return lambda event, data: event == "comments-zh" and text in data

    async with open_stream(app, f"/live/meeting-{meeting_id}?key=projector-key-for-tests-0123456789") as stream:
        assert stream.status == 200
        await stream.until(lambda event, _data: event == "comments-zh")  # the snapshot on connect
        assert (await post_comment(client, meeting_id, items[0], body="断线之前的意见")).status_code == 303
        await stream.until(comments_with("断线之前的意见"))

        # The cut: PostgreSQL ends the listening session; the reconnection is held back until the comment is in.
        gate = asyncio.Event()
        connect = backend._new_listener

        async def held_back():
            await gate.wait()
            return await connect()

        monkeypatch.setattr(backend, "_new_listener", held_back)
        reconnects = backend.reconnects
        await terminate_listener(backend)
        await wait_for(lambda: backend.healing.lost)
        assert (await post_comment(client, meeting_id, items[0], body="断线期间的意见")).status_code == 303
        gate.set()
        caught_up = await stream.until(comments_with("断线期间的意见"))
        assert backend.reconnects == reconnects + 1
        # The whole snapshot came again (so a control page refetches its regions), then "resync" for the phones.
        names = {event for event, _data in caught_up}
        assert {"now-zh", "queue-zh", "attendance-zh", "comments-zh"} <= names
        rest = await stream.until(lambda event, _data: event == "resync")
        assert {"now-en", "comments-en"} <= names | {event for event, _data in rest}

        assert (await post_comment(client, meeting_id, items[0], body="恢复之后的意见")).status_code == 303
        await stream.until(comments_with("恢复之后的意见"))

    said = [r.getMessage() for r in live_log]
    assert len([m for m in said if "lost the database connection" in m]) == 1, said
    assert len([m for m in said if "listening again" in m]) == 1, said
    assert not [r for r in live_log if r.exc_info], "no traceback for an outage"


async def test_publishing_goes_on_after_its_connection_is_killed():
    """Messages go out on one kept connection (not a new one each); when PostgreSQL ends it, the next message
    goes out on a new one."""
    dsn = "postgresql://" + URL.split("://", 1)[1]
    backend = live_pg.ReconnectingAsyncPgBackend(dsn=dsn)
    await backend.on_startup()
    try:
        await backend.subscribe(["vote-7"])
        stream = backend.stream_events()
        await backend.publish(b"one", ["vote-7"])
        await backend.publish(b"two", ["vote-7"])
        assert [await next_message(stream), await next_message(stream)] == [("vote-7", b"one"), ("vote-7", b"two")]
        publisher = backend._publisher
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", publisher.get_server_pid())
        finally:
            await admin.close()
        await backend.publish(b"three", ["vote-7"])
        assert await next_message(stream) == ("vote-7", b"three")
        assert backend._publisher is not publisher
    finally:
        await backend.on_shutdown()
