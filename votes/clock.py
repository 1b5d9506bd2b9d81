"""The vote clock: opens scheduled votes, closes online-only ones when their window says, and publishes final
results when their query window has ended, without a visit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from votes import services
from votes.tables import Vote

log = logging.getLogger("yishi.votes.clock")


async def due_votes(at: datetime) -> list[int]:
    """Votes whose window has a transition due at `at` (services.bring_up_to_date decides what it is and makes it)."""
    rows = await Vote.select(Vote.id).where(
        ((Vote.status == "scheduled") & (Vote.opens_at <= at)) | ((Vote.status == "open") & (Vote.closes_at <= at))
    )
    return sorted(int(row["id"]) for row in rows)


async def tick(at: datetime | None = None) -> list[int]:
    """Make every transition due now; the votes looked at. One vote's failure does not stop the others."""
    looked_at = await due_votes(at or services.now())
    for vote_id in looked_at:
        try:
            # Several processes may tick at once: opening and closing lock the vote and are idempotent.
            await services.bring_up_to_date(vote_id)
        except Exception:
            log.exception("the vote clock could not bring vote %s up to date", vote_id)
    # Results whose query window has ended with every query answered become final (votes.result_stage).
    from votes import result_final

    await result_final.finalise_due(at)
    return looked_at


async def _run(seconds: float) -> None:
    while True:
        try:
            await tick()
        except Exception:  # the database away for a moment: try again next time
            log.exception("the vote clock could not look for due votes")
        await asyncio.sleep(seconds)


@asynccontextmanager
async def running(seconds: float) -> AsyncIterator[None]:
    """Tick every `seconds` while the application runs (0: never; pages still apply due transitions)."""
    if seconds <= 0:
        yield
        return
    task = asyncio.create_task(_run(seconds), name="yishi-vote-clock")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
