"""Shared set-ups of the administration tests: a client from any address on a fresh installation, a street
with communities and a small register, signed-in clients per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from clients import Client, running

from app.main import create_app
from community import accounts, live
from community.admin import store
from community.admin.core import RoleScope
from community.db import write_transaction
from community.tables import Building, Community, Compound, StairwellUnit, Street, StreetMembership


@asynccontextmanager
async def client_from(host: str, done: bool = True) -> AsyncIterator[Client]:
    """A client whose requests come from `host`; done=False: a process that has not seen an administrator."""
    from community.admin.services import forget_setup_state

    forget_setup_state(done=done)
    kept = live._plugin, live._through_database  # an app of its own replaces the live channels' plugin
    app = create_app()
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    try:
        async with running(app), Client(transport=transport, base_url="http://testserver.local") as c:
            yield c
    finally:
        live._plugin, live._through_database = kept  # the session's app keeps its live updates


@dataclass
class Place:
    street: int
    other_street: int
    community: int
    other: int
    compounds: dict[str, int] = field(default_factory=dict)
    buildings: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    other_building: int = 0
    people: dict[str, int] = field(default_factory=dict)


async def make_place(make_account: Any) -> Place:
    """Street 长宁 (community 幸福里 with compound 阳光花园: buildings 1–3, units 1–2 each; community 安康 in
    another street with one building), an admin, a facilitator, street staff and an outsider."""
    async with write_transaction():
        s1 = (await Street.insert(Street(slug="changning", name="长宁街道")).returning(Street.id))[0]["id"]
        s2 = (await Street.insert(Street(slug="xinhua", name="新华街道")).returning(Street.id))[0]["id"]
        c1 = (await Community.insert(Community(slug="xfl", name="幸福里社区", street="长宁街道", street_ref=s1)).returning(Community.id))[0]["id"]
        c2 = (await Community.insert(Community(slug="ak", name="安康社区", street="新华街道", street_ref=s2)).returning(Community.id))[0]["id"]
        place = Place(s1, s2, c1, c2)
        comp = (await Compound.insert(Compound(community=c1, name="阳光花园")).returning(Compound.id))[0]["id"]
        place.compounds["阳光花园"] = comp
        for b in ("1", "2", "3"):
            bid = (await Building.insert(Building(compound=comp, name=b)).returning(Building.id))[0]["id"]
            place.buildings[b] = bid
            for u in ("1", "2"):
                uid = (await StairwellUnit.insert(StairwellUnit(building=bid, name=u)).returning(StairwellUnit.id))[0]["id"]
                place.units[f"{b}-{u}"] = uid
        comp2 = (await Compound.insert(Compound(community=c2, name="安康苑")).returning(Compound.id))[0]["id"]
        place.other_building = (await Building.insert(Building(compound=comp2, name="9")).returning(Building.id))[0]["id"]
    place.people["admin"] = await make_account(username="siteadmin", is_site_admin=True, name="管理员")
    place.people["facilitator"] = await make_account(phone="13800000101", name="王主任")
    place.people["street"] = await make_account(phone="13800000102", name="街道刘")
    place.people["other_street"] = await make_account(phone="13800000103", name="新华赵")
    place.people["outsider"] = await make_account(phone="13800000104", name="路人")
    place.people["grid"] = await make_account(phone="13800000105", name="张网格")
    place.people["other_facilitator"] = await make_account(phone="13800000106", name="安康主任")
    async with write_transaction():
        await store.insert_membership(place.people["facilitator"], c1, "facilitator", RoleScope())
        await store.insert_membership(place.people["other_facilitator"], c2, "facilitator", RoleScope())
        await store.insert_membership(place.people["grid"], c1, "grid_worker",
                                      RoleScope("building", frozenset({place.buildings["1"]})))
        await StreetMembership.insert(StreetMembership(account=place.people["street"], street=s1),
                                      StreetMembership(account=place.people["other_street"], street=s2))
    accounts.forget_communities()
    return place


LOGINS = {
    "admin": "siteadmin",
    "facilitator": "13800000101",
    "street": "13800000102",
    "other_street": "13800000103",
    "outsider": "13800000104",
    "grid": "13800000105",
    "other_facilitator": "13800000106",
}


@asynccontextmanager
async def signed_in(who: str) -> AsyncIterator[Client]:
    async with client_from("203.0.113.7") as c:
        await c.signin(LOGINS[who])
        yield c
