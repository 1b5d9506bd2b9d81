"""A small community with one stairwell unit for the projects tests: staff, owners, a tenant, a second community."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from community import accounts
from community.db import write_transaction
from community.tables import Community
from votes.tables import Ballot, VoteFlat
from votes.testing import RosterBuilder, scope_staff

# Areas of the x01 and x02 flats, in hundredths of m².
AREA_A = 9000
AREA_B = 7000


@dataclass
class World:
    """Community "c1": stairwell unit 3-2, six floors of two flats (owned by one person each), and 3-1 next
    door; community "c2" with a facilitator of its own."""

    community_id: int
    other_community_id: int
    unit_id: int
    flats: dict[str, int]  # "3-2-601" → flat id
    people: dict[str, int]
    accounts: dict[str, int]  # role or name → account id
    phones: dict[str, str]


async def make_world(make_account: Callable[..., Awaitable[int]]) -> World:
    rows = await Community.insert(Community(slug="c1", name="一号社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    rows = await Community.insert(Community(slug="c2", name="二号社区")).returning(Community.id)
    other_id = int(rows[0]["id"])
    phones = {
        "facilitator": "13800000101",
        "grid_worker": "13800000103",
        "other_facilitator": "13800000201",
        "top_owner": "13900000601",  # owns 3-2-601
        "ground_owner": "13900000101",  # owns 3-2-101, which the works occupy
        "tenant": "13900000302",  # rents 3-2-302
        "neighbour": "13900000911",  # owns 3-1-101, outside the project
        "stranger": "13900000999",  # no flat at all
    }
    ids = {role: await make_account(phone=phone, name=role) for role, phone in phones.items()}
    await accounts.grant_role(ids["facilitator"], community_id, "facilitator")
    await accounts.grant_role(ids["grid_worker"], community_id, "grid_worker")
    await scope_staff(ids["grid_worker"], community_id, "grid_worker")
    await accounts.grant_role(ids["other_facilitator"], other_id, "facilitator")
    builder = RosterBuilder(community_id)
    async with write_transaction():
        unit = await builder.stairwell("3", "2")
        next_door = await builder.stairwell("3", "1")
        flats: dict[str, int] = {}
        people: dict[str, int] = {}
        for floor in range(1, 7):
            for number, area in ((1, AREA_A), (2, AREA_B)):
                room = f"{floor}{number:02d}"
                label = f"3-2-{room}"
                flats[label] = await builder.flat(unit, room, area, floor=floor)
                account = {"3-2-601": ids["top_owner"], "3-2-101": ids["ground_owner"]}.get(label)
                people[label] = await builder.person(f"业主{room}", account=account)
                await builder.own(flats[label], people[label])
        flats["3-1-101"] = await builder.flat(next_door, "101", 8000, floor=1)
        people["3-1-101"] = await builder.person("邻居", account=ids["neighbour"])
        await builder.own(flats["3-1-101"], people["3-1-101"])
        people["tenant"] = await builder.person("租客", account=ids["tenant"])
        await builder.rent(flats["3-2-302"], people["tenant"])
    return World(community_id, other_id, unit, flats, people, ids, phones)


async def cast_paper_ballots(vote_id: int, choices: dict[str, str]) -> None:
    """Counted ballots for the flats named ({unit label: choice}), as if paper ballots had been confirmed."""
    rows = await VoteFlat.select(
        VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.designated_voter
    ).where(VoteFlat.vote == vote_id).output(load_json=True)
    async with write_transaction():
        for r in rows:
            choice = choices.get(r["unit"])
            if choice is None:
                continue
            voter = r["designated_voter"] or sorted(r["owners"])[0]
            await Ballot.insert(
                Ballot(vote=vote_id, entity=r["entity"], unit=r["unit"], voter=voter, choice=choice, channel="paper")
            )
