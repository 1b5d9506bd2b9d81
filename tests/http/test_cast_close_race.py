"""A ballot acknowledged is counted, exactly once, even when the vote closes while ballots are being cast: owners
confirm at the same moment as the facilitator closes; every cast either got its receipt and is in the count, or
was refused as closed and stored nothing (SQLite: one writer; PostgreSQL: the close waits for the casts holding
the vote, votes.ballot_store.lock_for_cast)."""

from __future__ import annotations

import asyncio

from community import accounts
from community.tables import Community
from votes import casting, counting, services
from votes.electors import known_eligibility
from votes.errors import NotEligible
from votes.tables import Ballot, Receipt, Vote
from votes.testing import RosterBuilder, let_voting_period_run

OWNERS = 24


async def test_casts_racing_the_close_are_counted_exactly_when_acknowledged(client, make_account):
    community_id = (await Community.insert(Community(slug="test", name="测试社区")).returning(Community.id))[0]["id"]
    facilitator = await make_account(phone="13800000009", name="主持人")
    await accounts.grant_role(facilitator, community_id, "facilitator")
    b = RosterBuilder(community_id)
    unit = await b.stairwell("1", "1")
    owners = []
    for n in range(OWNERS):
        account = await make_account(phone=f"1390000{n:04d}", name=f"业主{n}")
        await b.own(await b.flat(unit, f"{1 + n // 4}0{1 + n % 4}", 9000), await b.person(f"业主{n}", account=account))
        owners.append(accounts.CurrentUser(account, f"业主{n}", None, f"1390000{n:04d}", False, 0))
    await client.signin("13800000009")
    form = {"title": "加装电梯", "question": "是否同意？", "kind": "owners", "matter": "7", "scope": "community",
            "channels": "online"}  # fmt: skip
    created = await client.post_form("/c/test/votes", form)
    vote_id = int(created.headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    await let_voting_period_run(vote_id)
    vote = await services.get_vote(vote_id)
    keys = [(await known_eligibility(owner, vote)).eligibility.rights[0].entity_key for owner in owners]

    async def cast(i: int) -> casting.CastResult | NotEligible:
        await asyncio.sleep(0.001 * (i % 6))  # spread around the moment of the close
        try:
            return await casting.cast(owners[i], vote_id, keys[i], "agree", f"race-nonce-{i:04d}-xxxxxx", 0)
        except NotEligible as exc:
            return exc

    async def close() -> None:
        await asyncio.sleep(0.002)
        await counting.close_vote_as(await services.get_vote(vote_id), actor=facilitator)

    *results, _closed = await asyncio.gather(*(cast(i) for i in range(OWNERS)), close())
    acknowledged = [r for r in results if isinstance(r, casting.CastResult)]
    refused = [r for r in results if isinstance(r, NotEligible)]
    assert len(acknowledged) + len(refused) == OWNERS
    stored = await Ballot.count().where(Ballot.vote == vote_id)
    assert stored == len(acknowledged) == await Receipt.count().where(Receipt.vote == vote_id)
    result = (await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first())["result"]
    assert result["participating"]["headcount"] == len(acknowledged)  # each acknowledged ballot counted, once
    assert result["agreeing"]["headcount"] == len(acknowledged)
