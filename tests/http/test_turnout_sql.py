"""Participation summed in SQL (votes.ballot_store, votes.turnout) gives exactly the figures of the pure count:
the tally of the vote's record (Art. 278 headcount and floor area), and per stairwell unit, floor and non-voter
what the household rule gives entity by entity, over co-owned flats, owners of several flats, developer stock,
spoiled and abstaining entities, proxies and paper ballots, on both engines."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable

import pytest

from community.db import write_transaction
from community.tables import Community, Flat, Ownership, Person, Verification
from votes import canvass_store, counting, opening, privacy, services, turnout
from votes.ballot_store import choice_measures, entity_choices
from votes.bulk import fetch_tuples, insert_many
from votes.households import SPOILED
from votes.record import parse_record, tally_record
from votes.rules import SPOILED_BALLOTS, Measure
from votes.tables import Ballot, Proxy, Vote, VoteFlat
from votes.testing import bulk_electorate

CHOICES = ("agree", "agree", "oppose", "abstain", SPOILED)


async def _varied_vote(spoiled_ballots: str, seed: int, before_opening: Callable[[int], Awaitable[None]] | None = None) -> int:
    """An open owners' vote over 150 flats in 12-flat stairwell units: owners of two flats and developer stock
    (bulk_electorate), every 7th flat co-owned, with ballots from about two thirds of the entities, some
    co-owners disagreeing, some by proxy, a quarter on paper."""
    rows = await Community.insert(Community(slug="sql", name="对照社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    await bulk_electorate(community_id, 150, per_stairwell=12)
    flat_ids = [r["id"] for r in await Flat.select(Flat.id).where(Flat.developer_unsold.eq(False)).order_by(Flat.id)]
    async with write_transaction():
        await insert_many(Person, ("community", "name", "identity_key", "is_developer"),
                          [(community_id, f"共有{i}", f"co-{i}", False) for i in range(0, len(flat_ids), 7)])  # fmt: skip
        co = [r["id"] for r in await Person.select(Person.id).where(Person.identity_key.like("co-%")).order_by(Person.id)]
        pairs = [(flat_ids[i], co[n]) for n, i in enumerate(range(0, len(flat_ids), 7))]
        await insert_many(Ownership, ("flat", "person"), pairs)
        await insert_many(Verification, ("flat", "person", "method", "note", "revoke_reason"),
                          [(f, p, "register", "", "") for f, p in pairs])  # fmt: skip
    if before_opening is not None:
        await before_opening(community_id)
    rows = await Vote.insert(
        Vote(community=community_id, title="对照表决", question="?", kind="owners", matter=7, scope_kind="community",
             channels=["online", "paper"], status="draft", overrides={"spoiled_ballots": spoiled_ballots, "conflict": "spoil"})
    ).returning(Vote.id)  # fmt: skip
    vote_id = int(rows[0]["id"])
    await opening.open_vote_as(await services.get_vote(vote_id), actor=None)
    voters: dict[int, tuple[str, list[str]]] = {}
    for f in await VoteFlat.select(VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.developer_unsold).where(
        VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True):  # fmt: skip
        voters.setdefault(f["entity"], (f["unit"], ["developer"] if f["developer_unsold"] else sorted(f["owners"])))
    draw = random.Random(seed)
    ballots, proxied = [], []
    for entity, (unit, owners) in sorted(voters.items()):
        if draw.random() < 0.35:
            continue
        for voter in owners[: draw.choice((1, len(owners)))]:  # co-owners may both vote, and disagree
            channel = "paper" if draw.random() < 0.25 else "online"
            ballots.append((vote_id, entity, unit, voter, draw.choice(CHOICES), channel, 1, ""))
            if channel == "online" and voter != "developer" and draw.random() < 0.2:
                proxied.append((entity, voter))
    async with write_transaction():
        await insert_many(Ballot, ("vote", "entity", "unit", "voter", "choice", "channel", "version", "nonce_hash"), ballots)
        for entity, voter in proxied:
            rows = await Proxy.insert(Proxy(vote=vote_id, entity=entity, owner_person=0, owner_voter=voter, proxy_name="代理人",
                                            proxy_key="代理人", proxy_opaque=f"p{entity}", authorised_on=services.now().date())
                                      ).returning(Proxy.id)  # fmt: skip
            await Ballot.update({Ballot.proxy: rows[0]["id"]}).where((Ballot.entity == entity) & (Ballot.voter == voter))
    return vote_id


@pytest.mark.parametrize("spoiled_ballots", sorted(SPOILED_BALLOTS))
@pytest.mark.parametrize("seed", [1, 2])
async def test_participation_in_sql_is_the_tally_of_the_record(spoiled_ballots, seed):
    vote_id = await _varied_vote(spoiled_ballots, seed)
    vote = await services.get_vote(vote_id)
    _stored, _detail, record = await counting.count_vote(vote)
    assert record is not None
    result = tally_record(parse_record(json.loads(json.dumps(record))))  # as stored and published
    p = await turnout.participation_of(vote)
    assert result.invalid_ballots == 0 and result.totals == p.totals
    assert p.participating == result.participating
    measures = {choice: Measure(0, 0) for choice in ("agree", "oppose", "abstain")}
    measures.update(await choice_measures(vote_id))
    assert (measures["agree"], measures["oppose"], measures["abstain"]) == (result.agreeing, result.opposing, result.abstaining)
    assert SPOILED in measures  # the draw made spoiled entities: the comparison covers them


@pytest.mark.parametrize("spoiled_ballots", sorted(SPOILED_BALLOTS))
async def test_units_floors_and_non_voters_in_sql_are_the_household_rule_flat_by_flat(spoiled_ballots):
    vote_id = await _varied_vote(spoiled_ballots, 3)
    vote = await services.get_vote(vote_id)
    chosen = await entity_choices(vote_id)
    took_part = {e for e, c in chosen.items() if c != SPOILED or spoiled_ballots == "participate"}
    flats = await fetch_tuples("SELECT id, stairwell, floor, area, entity FROM vote_flat WHERE vote = {} ORDER BY position", vote_id)
    expected: dict[tuple[str, int | None], list[int]] = {}
    for _id, stairwell, floor, area, entity in flats:
        for key in ((stairwell, None), (stairwell, floor)):
            n = expected.setdefault(key, [0, 0, 0, 0])
            n[0], n[2] = n[0] + 1, n[2] + area
            if entity in took_part:
                n[1], n[3] = n[1] + 1, n[3] + area
    units, floors = await turnout.breakdowns(vote)
    assert floors is not None
    assert {(g.stairwell, g.floor): [g.flats, g.voted, g.area, g.voted_area] for g in [*units, *floors]} == expected
    assert [g.stairwell for g in units] == sorted({s for s, _f in expected}, key=turnout.natural_key)
    chosen_unit = units[1].stairwell
    _units, only = await turnout.breakdowns(vote, lambda s: s == chosen_unit, floor_limit=6)
    assert only == [g for g in floors if g.stairwell == chosen_unit]
    assert (await turnout.breakdowns(vote, floor_limit=5))[1] is None
    waiting = [(stairwell, floor) for _id, stairwell, floor, _area, entity in flats if entity not in chosen]
    shown, total = await turnout.non_voters(vote, limit=7, offset=7)
    assert total == len(waiting) and [(n.stairwell, n.floor) for n in shown] == waiting[7:14]
    in_unit = [w for w in waiting if w[0] == chosen_unit]
    shown, total = await turnout.non_voters(vote, chosen_unit, limit=100)
    assert total == len(in_unit) and [(n.stairwell, n.floor) for n in shown] == in_unit


async def test_the_visit_plan_ordered_in_sql_is_visit_order():
    """Who to visit first over the whole electorate (ordered and summed in SQL) is `canvass.visit_order` over
    the same flats read one by one (a staff member's buildings; here all of them)."""
    vote_id = await _varied_vote("exclude", 4)
    vote = await services.get_vote(vote_id)
    whole = privacy.VoteView(vote_id, frozenset(r[0] for r in await fetch_tuples("SELECT id FROM building")))

    def shown(plan):  # type: ignore[no-untyped-def]
        visits, total, needed, by_area = plan
        return [(v.candidate.entity, v.candidate.area, v.rank, v.closes_gap) for v in visits], total, needed, by_area

    area = sum(r[0] for r in await fetch_tuples("SELECT area FROM vote_entity WHERE vote = {}", vote_id))
    for missing in (Measure(0, 0), Measure(3, 0), Measure(0, 30000), Measure(4, 2000), Measure(30, area // 3),
                    Measure(10_000, 0), Measure(1, area)):  # fmt: skip
        in_sql = await canvass_store.visit_plan(vote, privacy.EVERYTHING, missing)
        assert shown(in_sql) == shown(await canvass_store.visit_plan(vote, whole, missing))
        assert len(in_sql[0]) == min(canvass_store.PLAN_SHOWN, in_sql[1])
