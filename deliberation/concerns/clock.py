"""The concerns clock: closes answers nobody rated within the community's days, without anyone visiting a page.
It runs beside the vote clock in the application's lifespan (app.main), every YISHI_VOTE_CLOCK seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from deliberation.concerns import rating

log = logging.getLogger("yishi.concerns.clock")


async def tick(at: datetime | None = None) -> list[int]:
    """Close what is due now; the concerns closed."""
    return await rating.close_unrated(at)


async def _run(seconds: float) -> None:
    while True:
        try:
            await tick()
        except Exception:  # the database away for a moment: try again next time
            log.exception("the concerns clock could not close unrated answers")
        await asyncio.sleep(seconds)


@asynccontextmanager
async def running(seconds: float) -> AsyncIterator[None]:
    """Tick every `seconds` while the application runs (0: never)."""
    if seconds <= 0:
        yield
        return
    task = asyncio.create_task(_run(seconds), name="yishi-concerns-clock")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
