"""The vote clock: opens scheduled votes, closes online-only ones when their window says, and publishes final
results when their query window has ended, without a visit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from community.clock import now
from community.errors import Conflict
from votes.counting import close_vote_as
from votes.lifecycle import due_transition
from votes.opening import open_vote_as
from votes.services import VoteInfo, get_vote
from votes.tables import Vote

log = logging.getLogger("yishi.votes.clock")


async def due_votes(at: datetime) -> list[int]:
    """Votes whose window has a transition due at `at` (`bring_up_to_date` decides what it is and makes it)."""
    rows = await Vote.select(Vote.id).where(
        ((Vote.status == "scheduled") & (Vote.opens_at <= at)) | ((Vote.status == "open") & (Vote.closes_at <= at))
    )
    return sorted(int(row["id"]) for row in rows)


async def bring_up_to_date(vote_id: int) -> VoteInfo:
    """Make the transition the vote's window made due (a scheduled vote opens, an online-only one closes)."""
    vote = await get_vote(vote_id)
    due = due_transition(vote.status, vote.opens_at, vote.closes_at, now())
    if due == "open":
        try:
            await open_vote_as(vote, actor=None)
        except Conflict as problem:
            # The roster changed since it was scheduled; it stays scheduled and the manage page says why.
            log.warning("vote %s could not open: %s", vote_id, problem.message)
        vote = await get_vote(vote_id)
    elif due == "close" and not vote.counting_after_window:
        try:
            await close_vote_as(vote, actor=None)
        except Conflict:
            pass  # someone closed it meanwhile
        vote = await get_vote(vote_id)
    return vote


async def tick(at: datetime | None = None) -> list[int]:
    """Make every transition due now; the votes looked at. One vote's failure does not stop the others."""
    looked_at = await due_votes(at or now())
    for vote_id in looked_at:
        try:
            # Several processes may tick at once: opening and closing lock the vote and are idempotent.
            await bring_up_to_date(vote_id)
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
