"""The test client (forms with CSRF, signing in) and running an app's lifespan; shared by conftest and the
tests that build an app of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar


class Client(httpx.AsyncClient):
    """The test client with the two things every test needs: forms with CSRF, and signing in."""

    async def csrf(self, path: str = "/") -> str:
        if "csrftoken" not in self.cookies:
            await self.get(path)
        return str(self.cookies["csrftoken"])

    async def post_form(self, path: str, data: dict[str, str] | None = None, **kwargs: object):
        token = await self.csrf()
        return await self.post(path, data={**(data or {}), "_csrf_token": token}, **kwargs)  # type: ignore[arg-type]

    async def signin(self, identifier: str, password: str = "correct-horse"):
        response = await self.post_form("/signin", {"identifier": identifier, "password": password, "next": "/account"})
        assert response.status_code == 303, response.text
        return response


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own: anyio wants it entered and left in one task."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task
