"""Live updates at scale (issue 15): an event is rendered and encoded once however many listen, a room filling up
shares one snapshot, idle streams get heartbeats, and a stopping server ends every stream."""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack

from sse import open_stream
from test_deliberation_room import post_comment
from test_deliberation_world import build_world, make_meeting

from community import live
from deliberation import feed


async def poll(condition, what: str) -> None:
    for _ in range(1200):  # polls with a generous bound, no wall-clock assertion
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


async def room(make_account, client):
    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["owner"])
    return meeting_id, items


async def phones(app, client, stack: AsyncExitStack, meeting_id: int, count: int) -> list:
    """`count` phones following the meeting in Chinese, each past its snapshot."""
    streams = []
    for _ in range(count):
        stream = await stack.enter_async_context(open_stream(app, f"/live/phones-{meeting_id}-zh", client.cookies))
        assert stream.status == 200
        await stream.until(lambda event, _data: event == "now")
        streams.append(stream)
    return streams


async def test_a_comment_is_rendered_and_encoded_once_however_many_listen(app, client, make_account, monkeypatch):
    meeting_id, items = await room(make_account, client)
    renders: list[str] = []
    render = feed.render

    def counted(template: str, **context):
        renders.append(template)
        return render(template, **context)

    monkeypatch.setattr(feed, "render", counted)
    hub = live.hub()

    async def one_comment(listeners: int, body: str) -> tuple[int, int]:
        async with AsyncExitStack() as stack:
            streams = await phones(app, client, stack, meeting_id, listeners)
            renders.clear()
            encoded = hub.encoded
            assert (await post_comment(client, meeting_id, items[0], body=body)).status_code == 303
            for stream in streams:  # every phone has it…
                await stream.until(lambda event, data: event == f"comment-{items[0]}" and body in data)
            return len(renders), hub.encoded - encoded

    alone = await one_comment(1, "一个人听的意见")
    crowd = await one_comment(6, "六个人听的意见")
    # …from the same renders (one per language), and one encoding of the event for the whole room.
    assert alone == crowd
    assert crowd[1] == 1
    assert renders.count("deliberation/_comment_oob.html") == 2


async def test_phones_joining_a_quiet_room_share_one_snapshot(app, client, make_account, monkeypatch):
    meeting_id, items = await room(make_account, client)
    monkeypatch.setattr(live.hub(), "shared_seconds", 3600.0)  # only an event makes it stale here
    gathered: list[tuple[str, ...]] = []
    gather = feed.gather

    async def counted(meeting_id: int, parts: tuple[str, ...], meeting=None):
        gathered.append(parts)
        return await gather(meeting_id, parts, meeting)

    monkeypatch.setattr(feed, "gather", counted)
    async with AsyncExitStack() as stack:
        first, *_others = await phones(app, client, stack, meeting_id, 5)
        assert gathered == [("now", "agenda", "queue")]  # read and rendered once for five phones

        assert (await post_comment(client, meeting_id, items[0], body="新的意见")).status_code == 303
        await first.until(lambda event, data: event == f"comment-{items[0]}" and "新的意见" in data)
        gathered.clear()
        await phones(app, client, stack, meeting_id, 2)
        assert gathered == [("now", "agenda", "queue")]  # an event passed: the next phone reads afresh, once


async def test_an_idle_stream_gets_heartbeats(app, client, make_account, monkeypatch):
    meeting_id, _items = await room(make_account, client)
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.05)
    hub = live.hub()
    if hub._beat is not None:  # the timer of earlier tests sleeps its old interval: start it afresh
        hub._beat.cancel()
        await asyncio.gather(hub._beat, return_exceptions=True)
    async with AsyncExitStack() as stack:
        (stream,) = await phones(app, client, stack, meeting_id, 1)
        # Comment lines: browsers ignore them, proxies see a live connection.
        await poll(lambda: b"\r\n: keepalive\r\n\r\n" in stream.raw, "no heartbeat came")


async def test_a_stop_signal_ends_every_stream_then_reaches_the_server(client, make_account, monkeypatch):
    from clients import running

    from app.main import create_app

    meeting_id, _items = await room(make_account, client)
    heard: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, _frame: heard.append(number))  # as uvicorn's handler
    monkeypatch.setattr(live, "_plugin", live._plugin)  # an app of its own; the session's comes back afterwards
    monkeypatch.setattr(live, "_through_database", live._through_database)
    try:
        application = create_app()
        async with running(application), AsyncExitStack() as stack:
            streams = await phones(application, client, stack, meeting_id, 3)
            signal.raise_signal(signal.SIGTERM)
            for stream in streams:
                await poll(stream.ended.is_set, "a stream stayed open after SIGTERM")
            assert heard == [signal.SIGTERM]  # the server's own handler still runs (it stops accepting)
            # A listener arriving now is not kept either.
            (late,) = [await stack.enter_async_context(
                open_stream(application, f"/live/phones-{meeting_id}-zh", client.cookies))]  # fmt: skip
            await poll(late.ended.is_set, "a stream opened while stopping stayed open")
    finally:
        signal.signal(signal.SIGTERM, previous)
