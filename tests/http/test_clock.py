"""One injectable clock: a test moves time on instead of editing rows, and every service sees the same time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_votes_casting import make_world, stairwell_scope, vote_form

from community import clock
from votes import clock as vote_clock
from votes import services
from votes.tables import Vote, VoteEntity


def test_frozen_and_advanced() -> None:
    start = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        assert clock.now() == start == services.now()  # services ask the same clock
        assert clock.advance(timedelta(days=2)) == start + timedelta(days=2) == clock.now()
    assert clock.now() > start - timedelta(days=3650)  # thawed: the real time again
    with pytest.raises(ValueError):
        with clock.frozen_at(datetime(2030, 5, 1)):  # noqa: DTZ001 - the naive moment is the point
            pass


async def test_a_scheduled_vote_opens_when_the_clock_reaches_it(client, make_account):
    world = await make_world(make_account)
    start = datetime.now(UTC).replace(microsecond=0)
    with clock.frozen_at(start):
        await client.signin("13800000009")
        opens = (start + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
        form = vote_form(scope=await stairwell_scope(world.community_id), opens_at=opens)
        vote_id = int((await client.post_form("/c/test/votes", form)).headers["location"].split("/")[2])
        await client.post_form(f"/v/{vote_id}/publish")
        assert await vote_clock.tick() == []
        clock.advance(timedelta(days=2, minutes=1))  # no row is moved back in time
        assert await vote_clock.tick() == [vote_id]
        assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
        assert await VoteEntity.count() == 5
