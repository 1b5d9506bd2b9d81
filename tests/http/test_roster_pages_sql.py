"""The register's staff pages asked of the database (issue 15) give what reading the register in Python gave: the
not-yet-joined list (people, order, places, total) and the join slips of a batch a page at a time, on a varied
register (compounds and buildings whose names sort naturally, not by id, several units, co-owned flats, owners of
several flats, tenants and family, joined and not-joined people, revoked verifications, inactive flats), for the
facilitator and for a grid worker limited to some buildings, who sees nothing outside them on any page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from community import accounts
from community.clock import now
from community.permissions import RosterAccess
from community.roster import search, service, slips
from community.tables import Community, Flat, JoinCode, Verification
from votes.testing import RosterBuilder, scope_staff

PASSWORD = "roster-pages-2026"


@dataclass
class World:
    community_id: int
    buildings: dict[str, int]  # "compound/building" -> id
    scope: frozenset[int]  # the grid worker's buildings
    outside_names: set[str]  # people on no flat of the scope
    scope_names: set[str]  # people with a flat in the scope


async def _world() -> World:
    rows = await Community.insert(Community(slug="varied", name="对照社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    b = RosterBuilder(community_id)
    n = 0

    async def person(name: str, joined: bool = False) -> int:
        nonlocal n
        n += 1
        account = (
            await accounts.create_account(display_name=name, password=PASSWORD, phone=f"1370000{n:04d}")
            if joined
            else None
        )
        return await b.person(name, account=account, phone=None if n % 3 else f"1390000{n:04d}")

    # Compounds and buildings made in an order their natural order is not: ids do not give the register's order.
    units: list[int] = []
    for compound in ("10号院", "2号院"):
        for building in ("10", "2", "1"):
            for unit in ("2", "10", "1单元"):
                units.append(await b.stairwell(building, unit, compound))
    flats: list[int] = []
    for u, unit in enumerate(units):
        for room in ("1201", "302", "101A", "101", "2"):
            flats.append(await b.flat(unit, room, 9000 + u, floor=int(room[:-2] or "1") if room[:-2].isdigit() else 1))
    for i, flat in enumerate(flats):
        owner = await person(f"业主{i}", joined=i % 5 == 0)
        await b.own(flat, owner, verified=i % 4 != 1)
        if i % 7 == 0:  # co-owned
            await b.own(flat, await person(f"共有{i}", joined=i % 2 == 0), verified=i % 3 == 0)
        if i % 6 == 2:  # a tenant, or family
            await b.rent(flat, await person(f"租户{i}"), relation="family" if i % 4 else "tenant", verified=i % 2 == 0)
        if i % 11 == 3:  # an owner of several flats, in other buildings and compounds, before and after this one
            for other in (flats[(i + 17) % len(flats)], flats[(i + 61) % len(flats)]):
                await b.own(other, owner, verified=False)
        if i % 13 == 4:  # the owner also rents the flat to themselves' family: two links to one flat
            await b.rent(flat, owner, relation="family", verified=False)
    # Revoked verifications, and flats dropped from the register (with people on no other flat).
    for v in (await Verification.select(Verification.id).order_by(Verification.id))[::5]:
        await Verification.update({Verification.revoked_at: now(), Verification.revoke_reason: "错"}).where(
            Verification.id == v["id"]
        )
    await Flat.update({Flat.active: False}).where(Flat.id.is_in(flats[3::9]))
    buildings = {f"{c}/{name}": bid for (c, name), bid in b._buildings.items()}
    scope = frozenset({buildings["10号院/2"], buildings["2号院/10"]})
    in_scope = {
        name
        for flat in await Flat.select(Flat.id).where(Flat.stairwell_unit.building.is_in(sorted(scope)) & Flat.active.eq(True))
        for name in await _names_on(flat["id"])
    }
    everyone = {name for flat in flats for name in await _names_on(flat)}
    return World(community_id, buildings, scope, everyone - in_scope, in_scope)


async def _names_on(flat_id: int) -> set[str]:
    from community.roster.places import people_on

    return {p.name for p in (await people_on([flat_id]))[flat_id]}


def _access(world: World, limited: bool) -> RosterAccess:
    if limited:
        return RosterAccess(world.community_id, frozenset({"grid_worker"}), False, world.scope, world.scope)
    return RosterAccess(world.community_id, frozenset({"facilitator"}), False, None, None)


@pytest.mark.parametrize("limit", [1, 4, 9, 30, 1000])
async def test_not_joined_from_the_database_is_the_start_of_the_whole_list(limit):
    world = await _world()
    cases = [(False, None), (False, world.buildings["2号院/1"]), (True, None), (True, world.buildings["10号院/2"])]
    for limited, building in cases:
        access = _access(world, limited)
        everyone, total = await search.not_joined(access, building)  # every flat read and ordered in Python
        shown, counted = await search.not_joined(access, building, limit=limit)
        assert total == len(everyone) > 0
        assert counted == total
        assert shown == everyone[:limit]
        if limited:
            assert all(place.building_id in world.scope for w in shown for place in w.places)
    # The register's natural order: compound 2号院 before 10号院, building 1 before 2 before 10.
    first, _total = await search.not_joined(_access(world, False), limit=1)
    assert (first[0].places[0].compound, first[0].places[0].building) == ("2号院", "1")


async def test_every_one_counted_has_no_account_and_a_flat_in_view():
    world = await _world()
    everyone, _total = await search.not_joined(_access(world, True))
    names = {w.name for w in everyone}
    assert names and names <= world.scope_names and not names & world.outside_names


async def _search_in_python(access: RosterAccess, query: str) -> tuple[list, bool]:
    """The search as it was before it was asked of the database (every match read and sorted in Python)."""
    from community.roster.places import people_on, places
    from community.roster.service import FlatLine
    from community.tables import Ownership, Residency

    text = query.strip().replace("%", "").replace("_", "")[:50]
    if not text:
        return [], False
    pattern = f"%{text}%"
    base = (Flat.stairwell_unit.building.compound.community == access.community_id) & Flat.active.eq(True)
    found: set[int] = set()
    for r in await Flat.select(Flat.id, Flat.stairwell_unit.building).where(base & Flat.room.like(pattern)):
        if access.sees(int(r["stairwell_unit.building"])):
            found.add(int(r["id"]))
    for table in (Ownership, Residency):
        for r in await table.select(table.flat, table.flat.stairwell_unit.building).where(
            (table.person.community == access.community_id) & table.person.name.like(pattern) & table.flat.active.eq(True)
        ):
            if access.sees(int(r["flat.stairwell_unit.building"])):
                found.add(int(r["flat"]))
    ordered = sorted((await places(found)).values(), key=lambda p: p.sort_key)
    shown = ordered[: search.SEARCH_LIMIT]
    people = await people_on([p.id for p in shown])
    return [FlatLine(p, people[p.id]) for p in shown], len(ordered) > search.SEARCH_LIMIT


@pytest.mark.parametrize("limit", [5, 100])
async def test_the_search_from_the_database_finds_what_python_found(monkeypatch, limit):
    world = await _world()
    monkeypatch.setattr(search, "SEARCH_LIMIT", limit)
    for limited in (False, True):
        access = _access(world, limited)
        for query in ("101", "2", "业主1", "租户", "共有7", "10", "nobody", " ", "1%"):
            assert await search.search(access, query) == await _search_in_python(access, query), query
        lines, _more = await search.search(access, "业主")
        assert lines and (not limited or all(line.place.building_id in world.scope for line in lines))


async def _batch(world: World, buildings: list[int], mode: str) -> str:
    admin = await accounts.create_account(display_name="主任", password=PASSWORD, username=f"boss-{mode}")
    user = accounts.CurrentUser(admin, "主任", f"boss-{mode}", None, True, 0)
    return await slips.create_slips(_access(world, False), user, buildings, mode, True, 30)


@pytest.mark.parametrize("mode", ["person", "flat"])
@pytest.mark.parametrize("per_page", [1, 3, 40])
async def test_a_batch_a_page_at_a_time_is_the_batch_read_at_once(mode, per_page):
    world = await _world()
    chosen = [world.buildings["10号院/2"], world.buildings["2号院/10"], world.buildings["2号院/1"]]
    batch = await _batch(world, chosen, mode)
    codes = [r["id"] for r in await JoinCode.select(JoinCode.id).where(JoinCode.batch == batch).order_by(JoinCode.id)]
    # Slips no longer valid in every way, and a slip whose flats have all left the register.
    await JoinCode.update({JoinCode.used_at: now()}).where(JoinCode.id.is_in(codes[1::7]))
    await JoinCode.update({JoinCode.revoked_at: now()}).where(JoinCode.id.is_in(codes[2::7]))
    await JoinCode.update({JoinCode.failed_attempts: 5}).where(JoinCode.id.is_in(codes[3::7]))
    await JoinCode.update({JoinCode.expires_at: now() - timedelta(days=1)}).where(JoinCode.id.is_in(codes[4::7]))
    await Flat.update({Flat.active: False}).where(
        Flat.stairwell_unit.building.is_in([world.buildings["2号院/1"]]) & (Flat.room == "302")
    )
    for limited in (False, True):
        access = _access(world, limited)
        whole = await slips.batch_slips(access, batch)  # every slip of the batch read in Python
        valid = [s for s in whole if s.state == "valid"]
        pages, number = [], 1
        while True:
            found = await slips.batch_page(access, batch, number, per_page)
            assert (found.printable, found.skipped) == (len(valid), len(whole) - len(valid))
            pages += found.slips
            if found.page == found.pages:
                break
            number += 1
        assert pages == valid
        assert len(valid) > per_page or per_page == 40
        past = await slips.batch_page(access, batch, 10_000, per_page)
        assert past.page == past.pages and past.slips == valid[(past.page - 1) * per_page :]
        if limited:
            assert all(p.building_id in world.scope for s in pages for p in s.places)
            assert {s.person_name for s in pages} <= world.scope_names


async def test_a_batch_outside_the_scope_is_not_found():
    world = await _world()
    batch = await _batch(world, [world.buildings["2号院/1"]], "person")
    from community.errors import NotFound

    with pytest.raises(NotFound):
        await slips.batch_page(_access(world, True), batch, 1, 40)


async def test_a_limited_overview_counts_what_the_whole_overview_counts_for_those_buildings():
    world = await _world()
    whole, _total = await service.overview(_access(world, False))
    limited, total = await service.overview(_access(world, True))
    expected = [(c.id, [(b.id, b.counts, [(u.id, u.counts) for u in b.units]) for b in c.buildings if b.id in world.scope])
                for c in whole]  # fmt: skip
    assert [(c.id, [(b.id, b.counts, [(u.id, u.counts) for u in b.units]) for b in c.buildings]) for c in limited] == [
        e for e in expected if e[1]
    ]
    assert total.flats == sum(b.counts.flats for c in limited for b in c.buildings) > 0
    assert total.verified > 0 and total.joined > 0


async def test_building_choices_are_the_overviews_buildings():
    world = await _world()
    for limited in (False, True):
        access = _access(world, limited)
        compounds, _total = await service.overview(access)
        choices = await service.building_choices(access)
        assert [(c.id, c.name, [(b.id, b.name) for b in c.buildings]) for c in choices] == [
            (c.id, c.name, [(b.id, b.name) for b in c.buildings]) for c in compounds
        ]


@pytest.mark.parametrize("path", ["", "/not-joined", "/search?q=业主", "/search?q=10", "/slips", "/slips/{batch}",
                                  "/slips/{batch}?page=2"])  # fmt: skip
async def test_a_grid_worker_sees_nobody_outside_their_buildings(client, path):
    world = await _world()
    batch = await _batch(world, sorted(world.buildings.values()), "person")
    worker = await accounts.create_account(display_name="网格员", password=PASSWORD, phone="13811112222")
    await accounts.grant_role(worker, world.community_id, "grid_worker")
    await scope_staff(worker, world.community_id, "grid_worker", tuple(sorted(world.scope)))
    await client.signin("13811112222", PASSWORD)
    page = await client.get("/c/varied/roster" + path.replace("{batch}", batch))
    assert page.status_code == 200
    shown = {name for name in world.scope_names | world.outside_names if f">{name}<" in page.text or f"{name} ·" in page.text}
    assert not shown & world.outside_names
    if path in ("/not-joined", "/search?q=业主", "/slips/{batch}"):
        assert shown & world.scope_names
    linked = re.findall(r'(?:/buildings/|<option value="|name="building" value=")(\d+)', page.text)
    assert {int(b) for b in linked} <= world.scope
