"""The electorate snapshot an opening stores (entities, flats, who is on each flat) on a varied register: its content
is pinned, so a faster way of writing it must write exactly the same rows on both engines."""

from __future__ import annotations

import hashlib
import json

from community.bulk_sql import fetch_tuples
from community.tables import Community, Flat
from votes import opening, services
from votes.tables import Vote
from votes.testing import RosterBuilder


async def varied_register() -> tuple[int, int]:
    """Two compounds; co-owned flats, an owner of several flats, unsold developer stock, designated voters,
    tenants, a parking space, an inactive flat and rooms whose natural order differs from their text order."""
    rows = await Community.insert(Community(slug="snap", name="快照")).returning(Community.id)
    community_id = int(rows[0]["id"])
    roster = RosterBuilder(community_id)
    people = [await roster.person(f"人{i}") for i in range(12)]
    first = await roster.stairwell("10", "2")
    second = await roster.stairwell("9", "1")
    other = await roster.stairwell("1", "1", compound="东苑")
    flats = {}
    for unit, room, area in (
        (first, "1001", 12345), (first, "201", 9000), (first, "1002", 8000), (first, "202", 7000), (second, "101", 6000),
        (second, "102", 5000), (second, "B1", 1500), (other, "301", 11111), (other, "302", 10000),
    ):
        flats[(unit, room)] = await roster.flat(unit, room, area, usage="parking" if room == "B1" else "residential")
    developer_stock = [await roster.flat(second, room, 6500, developer_unsold=True) for room in ("201", "202")]
    inactive = await roster.flat(other, "303", 4000)
    await Flat.update({Flat.active: False}).where(Flat.id == inactive)
    await roster.own(inactive, people[0])
    # 人0 and 人1 co-own two flats (one entity); 人2 owns three flats alone; others one each.
    for room in ("1001", "202"):
        await roster.own(flats[(first, room)], people[0])
        await roster.own(flats[(first, room)], people[1])
    for key in ((first, "201"), (second, "101"), (other, "302")):
        await roster.own(flats[key], people[2])
    await roster.own(flats[(first, "1002")], people[3])
    await roster.own(flats[(first, "1002")], people[4])
    await roster.own(flats[(second, "102")], people[5])
    await roster.own(flats[(second, "B1")], people[6])
    await roster.own(flats[(other, "301")], people[7])
    await roster.own(developer_stock[0], people[8])  # a buyer registered before the stock was marked sold
    await roster.designate(flats[(first, "1002")], people[4])
    await roster.designate(flats[(second, "102")], people[5])
    await roster.designate(flats[(first, "201")], people[9])  # not an owner: no designated voter
    await roster.rent(flats[(second, "101")], people[10])
    await roster.rent(flats[(second, "101")], people[11], relation="family")
    await roster.rent(flats[(other, "302")], people[10])
    return community_id, flats[(first, "1001")]


async def stored(vote_id: int) -> list[object]:
    """The snapshot's rows with their links written as keys and positions (ids are the database's business)."""
    entities = await fetch_tuples(
        "SELECT key, number, label, area, developer FROM vote_entity WHERE vote = {} ORDER BY number", vote_id
    )
    flats = await fetch_tuples(
        "SELECT e.key, f.position, f.unit, f.stairwell, f.floor, f.area, f.developer_unsold, f.owners, f.owner_persons, "
        "f.designated_voter, f.designated_person, f.resident_persons, f.flat_id, f.served FROM vote_flat f "
        "JOIN vote_entity e ON e.id = f.entity WHERE f.vote = {} ORDER BY f.position",
        vote_id,
    )
    voters = await fetch_tuples(
        "SELECT f.position, v.person, v.relation FROM vote_voter v JOIN vote_flat f ON f.id = v.flat "
        "WHERE v.vote = {} ORDER BY f.position, v.relation, v.person",
        vote_id,
    )
    return [
        [[e[0], e[1], e[2], e[3], bool(e[4])] for e in entities],
        [
            [*f[:6], bool(f[6]), *f[7:9], f[9], f[10], f[11], f[12], bool(f[13])]  # the JSON columns' very text
            for f in flats
        ],
        [list(v) for v in voters],
    ]


async def opened(community_id: int, kind: str, **scope: object) -> list[object]:
    rows = await Vote.insert(
        Vote(community=community_id, title="快照", question="?", kind=kind, matter=7, channels=["online", "paper"],
             status="draft", **scope)  # fmt: skip
    ).returning(Vote.id)
    vote = await services.get_vote(int(rows[0]["id"]))
    await opening.open_vote_as(vote, actor=None)
    row = await Vote.select(Vote.electorate_hash, Vote.entities, Vote.total_area).where(Vote.id == vote.id).first()
    return [row["electorate_hash"], row["entities"], row["total_area"], await stored(vote.id)]


def digest(snapshot: list[object]) -> str:
    return hashlib.sha256(json.dumps(snapshot, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


async def test_an_owners_vote_stores_the_same_snapshot_as_before():
    community_id, _ = await varied_register()
    snapshot = await opened(community_id, "owners", scope_kind="community")
    assert snapshot[1:3] == [6, 12345 + 9000 + 8000 + 7000 + 6000 + 5000 + 11111 + 10000 + 6500 * 2]
    assert [f[2] for f in snapshot[3][1]][:3] == ["东苑 1-1-301", "东苑 1-1-302", "幸福里 9-1-101"]
    assert digest(snapshot) == OWNERS


async def test_a_residents_meeting_over_one_building_stores_the_same_snapshot_as_before():
    community_id, flat_id = await varied_register()
    building = await fetch_tuples(
        "SELECT u.building FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit WHERE f.id = {}", flat_id
    )
    snapshot = await opened(community_id, "residents", scope_kind="building", scope_ids=[building[0][0]])
    assert [f[2] for f in snapshot[3][1]] == ["10-2-201", "10-2-202", "10-2-1001", "10-2-1002"]
    assert digest(snapshot) == RESIDENTS



async def test_opening_over_many_flats_refreshes_the_planners_statistics(monkeypatch):
    """The vote's pages join its snapshot from the moment it opens: PostgreSQL is told at once what it holds."""
    from community.db import is_postgres

    community_id, _ = await varied_register()
    monkeypatch.setattr(opening, "STATISTICS_AFTER", 1)
    analyses = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'vote_flat'"
    before = (await fetch_tuples(analyses))[0][0] if is_postgres() else 0
    await opened(community_id, "owners", scope_kind="community")
    if is_postgres():
        assert (await fetch_tuples(analyses))[0][0] == before + 1

# Taken from the snapshot as the opening stored it before it was made faster (one executemany per table after
# reading the register flat by flat).
OWNERS = "8d343a26cf91d123db2eed1910dac1d6ec35a6ffef7dbc530a6dbe604620ee33"
RESIDENTS = "a79d06442bd6d1f93aaa01c66c8edb3c0a3cd60e3c419e472b99d6ebd18a670e"
