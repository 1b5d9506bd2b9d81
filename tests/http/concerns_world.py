"""A small street for the concerns tests: street 长宁 with community 幸福里 (compound 阳光花园: buildings 1 and 2, one
unit each, two flats each) and a second community 安康; another street 新华 with community 和平. People: an owner
in building 1, a tenant in building 2, a facilitator, a recorder, a grid worker scoped to building 1, street
staff of each street, the facilitator of 和平, an outsider."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from community.accounts import CurrentUser
from community.admin import store as admin_store
from community.admin.core import RoleScope
from community.db import write_transaction
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    Ownership,
    Person,
    Residency,
    StairwellUnit,
    Street,
    StreetMembership,
)

PHONES = {
    "owner": "13900000301",
    "tenant": "13900000302",
    "facilitator": "13800000301",
    "recorder": "13800000302",
    "grid": "13800000303",
    "street": "13800000304",
    "other_street": "13800000305",
    "other_facilitator": "13800000306",
    "outsider": "13900000309",
}
NAMES = {
    "owner": "赵业主", "tenant": "孙租户", "facilitator": "王主任", "recorder": "李记录", "grid": "张网格",
    "street": "街道刘", "other_street": "新华赵", "other_facilitator": "和平主任", "outsider": "周路人",
}  # fmt: skip


@dataclass
class World:
    street: int
    other_street: int
    community: int
    sibling: int  # 安康, same street
    other: int  # 和平, another street
    compound: int
    buildings: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    flats: dict[str, int] = field(default_factory=dict)  # "1-101"
    people: dict[str, int] = field(default_factory=dict)
    other_unit: int = 0

    def user(self, who: str) -> CurrentUser:
        return CurrentUser(self.people[who], NAMES[who], None, PHONES[who], False, 0)


async def build(make_account: Any) -> World:
    async with write_transaction():
        s1 = (await Street.insert(Street(slug="changning", name="长宁街道")).returning(Street.id))[0]["id"]
        s2 = (await Street.insert(Street(slug="xinhua", name="新华街道")).returning(Street.id))[0]["id"]
        rows = await Community.insert(
            Community(slug="xfl", name="幸福里社区", street="长宁街道", street_ref=s1),
            Community(slug="ak", name="安康社区", street="长宁街道", street_ref=s1),
            Community(slug="hp", name="和平社区", street="新华街道", street_ref=s2),
        ).returning(Community.id)
        c1, c2, c3 = (int(r["id"]) for r in rows)
        compound = (await Compound.insert(Compound(community=c1, name="阳光花园")).returning(Compound.id))[0]["id"]
        world = World(s1, s2, c1, c2, c3, compound)
        for b in ("1", "2"):
            bid = (await Building.insert(Building(compound=compound, name=b)).returning(Building.id))[0]["id"]
            world.buildings[b] = bid
            uid = (await StairwellUnit.insert(StairwellUnit(building=bid, name="1")).returning(StairwellUnit.id))[0]["id"]
            world.units[b] = uid
            for room in ("101", "201"):
                fid = (await Flat.insert(Flat(stairwell_unit=uid, floor=int(room[0]), room=room, area=8000)).returning(Flat.id))[0]["id"]
                world.flats[f"{b}-{room}"] = fid
        other_compound = (await Compound.insert(Compound(community=c3, name="和平苑")).returning(Compound.id))[0]["id"]
        other_building = (await Building.insert(Building(compound=other_compound, name="9")).returning(Building.id))[0]["id"]
        world.other_unit = (await StairwellUnit.insert(StairwellUnit(building=other_building, name="1")).returning(StairwellUnit.id))[0]["id"]
    for who, phone in PHONES.items():
        world.people[who] = await make_account(phone=phone, name=NAMES[who])
    async with write_transaction():
        owner = (await Person.insert(Person(community=c1, name=NAMES["owner"], identity_key="赵业主|1",
                                            account=world.people["owner"])).returning(Person.id))[0]["id"]  # fmt: skip
        await Ownership.insert(Ownership(flat=world.flats["1-101"], person=owner))
        tenant = (await Person.insert(Person(community=c1, name=NAMES["tenant"], identity_key="孙租户|2",
                                             account=world.people["tenant"])).returning(Person.id))[0]["id"]  # fmt: skip
        await Residency.insert(Residency(flat=world.flats["2-101"], person=tenant, relation="tenant"))
        await admin_store.insert_membership(world.people["facilitator"], c1, "facilitator", RoleScope())
        await admin_store.insert_membership(world.people["recorder"], c1, "recorder", RoleScope())
        await admin_store.insert_membership(world.people["grid"], c1, "grid_worker",
                                            RoleScope("building", frozenset({world.buildings["1"]})))  # fmt: skip
        await admin_store.insert_membership(world.people["other_facilitator"], c3, "facilitator", RoleScope())
        await StreetMembership.insert(StreetMembership(account=world.people["street"], street=s1),
                                      StreetMembership(account=world.people["other_street"], street=s2))  # fmt: skip
    return world


def png(size: int = 40, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def ago(**delta: float) -> datetime:
    from datetime import timedelta

    return datetime.now(UTC) - timedelta(**delta)
