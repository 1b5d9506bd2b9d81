"""Reading a Server-Sent Events stream from the ASGI app as a browser would, event by event (httpx's ASGI
transport waits for the whole body, which a live stream never finishes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx


class Stream:
    def __init__(self) -> None:
        self.status: int | None = None
        self.started = asyncio.Event()
        self.ended = asyncio.Event()  # the server ended the response (more_body False)
        self.raw = b""  # every byte received, comments included
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._buffer = b""

    async def next_event(self, seconds: float = 60.0) -> tuple[str, str]:
        """The next (event, data) within `seconds` in all (keepalives do not extend it); comments (connected,
        keepalive) are skipped. TimeoutError when none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            while b"\r\n\r\n" not in self._buffer:
                self._buffer += await asyncio.wait_for(self._chunks.get(), max(deadline - loop.time(), 0.0))
            block, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
            event, data = "message", []
            for line in block.decode().split("\r\n"):
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            if data or event != "message":
                return event, "\n".join(data)

    async def until(self, wanted, seconds: float = 60.0) -> list[tuple[str, str]]:
        """Read events until `wanted(event, data)` holds; returns every event read, the wanted one last."""
        seen: list[tuple[str, str]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            try:
                event, data = await self.next_event(max(deadline - loop.time(), 0.0))
            except TimeoutError:
                raise AssertionError(f"the awaited event did not come in {seconds} s; read: {[e for e, _d in seen]}") from None
            seen.append((event, data))
            if wanted(event, data):
                return seen


@asynccontextmanager
async def open_stream(app, url: str, cookies: httpx.Cookies | None = None) -> AsyncIterator[Stream]:
    parts = urlsplit(url)
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or httpx.Cookies()).items())
    headers = [(b"host", b"testserver.local"), (b"accept", b"text/event-stream")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(), "root_path": "",
        "headers": headers, "client": ("203.0.113.7", 50000), "server": ("testserver.local", 80),
    }
    stream = Stream()
    gone = asyncio.Event()
    sent_request = False

    async def receive():
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.started.set()
        elif message["type"] == "http.response.body":
            if message.get("body"):
                stream.raw += message["body"]
                stream._chunks.put_nowait(message["body"])
            if not message.get("more_body", False):
                stream.ended.set()

    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(stream.started.wait(), 60)
        yield stream
    finally:
        gone.set()  # the browser goes away
        try:
            await asyncio.wait_for(task, 30)
        except (asyncio.CancelledError, TimeoutError):
            task.cancel()
