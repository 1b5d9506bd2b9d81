"""A small community for the deliberation tests: a compound, a building with two stairwell units, five flats,
owners (one verified, one not), a tenant, an outsider, the staff, and a second community with its facilitator."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from community import accounts
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    Ownership,
    Person,
    Residency,
    StairwellUnit,
    Verification,
)
from deliberation.tables import AgendaItem, Meeting, Notice, Venue
from votes.testing import scope_staff


@dataclass
class World:
    community: int
    other_community: int
    compound: int
    building: int
    units: list[int]
    flats: dict[str, int]  # "1-101" → flat id (unit number – room)
    people: dict[str, int] = field(default_factory=dict)  # who → account id
    phones: dict[str, str] = field(default_factory=dict)  # who → phone to sign in with


PHONES = {
    "facilitator": "13800000101",
    "recorder": "13800000102",
    "grid_worker": "13800000103",
    "owner": "13900000101",  # verified owner of 1-101
    "unverified": "13900000102",  # owner of 1-201, not verified
    "tenant": "13900000103",  # verified tenant of 2-101
    "outsider": "13900000104",  # no flat at all
    "unit2_owner": "13900000105",  # verified owner of 2-201
    "other_facilitator": "13800000201",  # facilitator of another community
}
NAMES = {
    "facilitator": "王主任",
    "recorder": "李记录",
    "grid_worker": "张网格",
    "owner": "赵业主",
    "unverified": "钱业主",
    "tenant": "孙租户",
    "outsider": "周路人",
    "unit2_owner": "吴业主",
    "other_facilitator": "郑主任",
}
DATA_NAMES = frozenset({*NAMES.values(), "幸福里社区", "幸福里", "3号楼", "1单元", "2单元", "长宁街道", "三号楼活动室"})


async def build_world(make_account) -> World:
    rows = await Community.insert(
        Community(slug="xfl", name="幸福里社区", street="长宁街道"), Community(slug="other", name="别处社区")
    ).returning(Community.id)
    community, other = int(rows[0]["id"]), int(rows[1]["id"])
    compound = int((await Compound.insert(Compound(community=community, name="幸福里")).returning(Compound.id))[0]["id"])
    building = int((await Building.insert(Building(compound=compound, name="3号楼")).returning(Building.id))[0]["id"])
    unit_rows = await StairwellUnit.insert(
        StairwellUnit(building=building, name="1单元"), StairwellUnit(building=building, name="2单元")
    ).returning(StairwellUnit.id)
    units = [int(r["id"]) for r in unit_rows]
    flats: dict[str, int] = {}
    for unit_number, unit_id, rooms in ((1, units[0], ("101", "201", "301")), (2, units[1], ("101", "201"))):
        for room in rooms:
            flat = await Flat.insert(
                Flat(stairwell_unit=unit_id, floor=int(room[0]), room=room, area=8550 + 100 * int(room[0]))
            ).returning(Flat.id)
            flats[f"{unit_number}-{room}"] = int(flat[0]["id"])
    world = World(community, other, compound, building, units, flats)
    for who, phone in PHONES.items():
        world.people[who] = await make_account(phone=phone, name=NAMES[who])
        world.phones[who] = phone
    await accounts.grant_role(world.people["facilitator"], community, "facilitator")
    await accounts.grant_role(world.people["recorder"], community, "recorder")
    await accounts.grant_role(world.people["grid_worker"], community, "grid_worker")
    await scope_staff(world.people["grid_worker"], community, "grid_worker")
    await accounts.grant_role(world.people["other_facilitator"], other, "facilitator")
    links = (
        ("owner", "1-101", "owner", True),
        ("unverified", "1-201", "owner", False),
        ("tenant", "2-101", "tenant", True),
        ("unit2_owner", "2-201", "owner", True),
    )
    for who, flat_key, relation, verified in links:
        person = await Person.insert(
            Person(community=community, name=NAMES[who], identity_key=f"{NAMES[who]}|{who}", account=world.people[who])
        ).returning(Person.id)
        person_id = int(person[0]["id"])
        flat_id = flats[flat_key]
        if relation == "owner":
            await Ownership.insert(Ownership(flat=flat_id, person=person_id))
        else:
            await Residency.insert(Residency(flat=flat_id, person=person_id, relation="tenant"))
        if verified:
            await Verification.insert(
                Verification(flat=flat_id, person=person_id, method="register", verified_by=world.people["facilitator"])
            )
    return world


async def make_meeting(
    world: World,
    *,
    status: str = "noticed",
    scope_kind: str = "building",
    scope_ids: list[int] | None = None,
    items: tuple[str, ...] = ("加装电梯方案", "楼道堆物清理"),
    community: int | None = None,
    facilitator: str | None = "facilitator",
    recorder: str | None = "recorder",
) -> tuple[int, list[int]]:
    """A meeting straight in the tables (the forms are tested separately); its notice if it is past draft."""
    if scope_ids is None:
        scope_ids = [world.building] if scope_kind == "building" else []
    # A notice names its place (deliberation.procedure): every test meeting has a venue.
    venue = await Venue.select(Venue.id).where(Venue.community == (community or world.community)).first()
    if venue is None:
        venue = (await Venue.insert(Venue(community=community or world.community, name="三号楼活动室")).returning(Venue.id))[0]
    rows = await Meeting.insert(
        Meeting(
            community=community or world.community,
            kind="bench",
            title="三号楼板凳会",
            scope_kind=scope_kind,
            scope_ids=json.dumps(scope_ids),
            starts_at=datetime.now(UTC) + timedelta(days=1),
            venue=venue["id"],
            facilitator=world.people[facilitator] if facilitator else None,
            recorder=world.people[recorder] if recorder else None,
            status=status,
            projector_key="projector-key-for-tests-0123456789",
            speaking_limit=180,
        )
    ).returning(Meeting.id)
    meeting_id = int(rows[0]["id"])
    item_ids = []
    for position, title in enumerate(items, start=1):
        item = await AgendaItem.insert(
            AgendaItem(meeting=meeting_id, position=position, title=title, description=f"**{title}**的说明")
        ).returning(AgendaItem.id)
        item_ids.append(int(item[0]["id"]))
    if status != "draft":
        await Notice.insert(Notice(meeting=meeting_id, number=1, snapshot={"title": "三号楼板凳会", "kind": "bench",
                                                                         "items": [{"title": t} for t in items]}))
    return meeting_id, item_ids


async def test_the_world_links_people_to_flats(make_account):
    from community.roster.scope import Scope, is_attached_to_scope

    world = await build_world(make_account)
    building = Scope(world.community, "building", (world.building,))
    assert await is_attached_to_scope(world.people["owner"], building, verified_only=True)
    assert await is_attached_to_scope(world.people["tenant"], building, verified_only=True)
    assert await is_attached_to_scope(world.people["unverified"], building)
    assert not await is_attached_to_scope(world.people["unverified"], building, verified_only=True)
    assert not await is_attached_to_scope(world.people["outsider"], building)
