"""Finding flats and people in the roster, and who has not joined yet."""

from __future__ import annotations

from dataclasses import dataclass

from community.bulk_sql import fetch_tuples
from community.permissions import RosterAccess, require_sees
from community.roster.places import FlatPlace, flats_of_people, people_on, places
from community.roster.plan import natural_key
from community.roster.service import FlatLine, building_in_community
from community.tables import (
    Building,
    Flat,
    Ownership,
    Residency,
)

SEARCH_LIMIT = 100

# --------------------------------------------------------------------------- search and not yet joined


FIRST_BUILDINGS = 8  # buildings read in the first step of not_joined's walk


async def _scoped_flat_ids(access: RosterAccess, building_id: int | list[int] | None = None) -> list[int]:
    query = Flat.select(Flat.id, Flat.stairwell_unit.building).where(
        (Flat.stairwell_unit.building.compound.community == access.community_id) & Flat.active.eq(True)
    )
    if isinstance(building_id, list):
        query = query.where(Flat.stairwell_unit.building.is_in(building_id or [-1]))
    elif building_id is not None:
        query = query.where(Flat.stairwell_unit.building == building_id)
    return [int(r["id"]) for r in await query if access.sees(int(r["stairwell_unit.building"]))]


async def search(access: RosterAccess, query: str) -> tuple[list[FlatLine], bool]:
    """Flats whose room number or one of whose people's names contains `query`; (lines, more than shown)."""
    text = query.strip().replace("%", "").replace("_", "")[:50]
    if not text:
        return [], False
    pattern = f"%{text}%"
    base = (Flat.stairwell_unit.building.compound.community == access.community_id) & Flat.active.eq(True)
    found: set[int] = set()
    for r in await Flat.select(Flat.id, Flat.stairwell_unit.building).where(base & Flat.room.like(pattern)):
        if access.sees(int(r["stairwell_unit.building"])):
            found.add(int(r["id"]))
    for r in await Ownership.select(Ownership.flat, Ownership.flat.stairwell_unit.building).where(
        (Ownership.person.community == access.community_id)
        & Ownership.person.name.like(pattern)
        & Ownership.flat.active.eq(True)
    ):
        if access.sees(int(r["flat.stairwell_unit.building"])):
            found.add(int(r["flat"]))
    for r in await Residency.select(Residency.flat, Residency.flat.stairwell_unit.building).where(
        (Residency.person.community == access.community_id)
        & Residency.person.name.like(pattern)
        & Residency.flat.active.eq(True)
    ):
        if access.sees(int(r["flat.stairwell_unit.building"])):
            found.add(int(r["flat"]))
    ordered = sorted((await places(found)).values(), key=lambda p: p.sort_key)
    shown = ordered[:SEARCH_LIMIT]
    people = await people_on([p.id for p in shown])
    return [FlatLine(p, people[p.id]) for p in shown], len(ordered) > SEARCH_LIMIT


@dataclass(frozen=True)
class WaitingPerson:
    """Someone in the register without an account yet."""

    person_id: int
    name: str
    relation: str
    phone: str | None
    verified: bool
    places: list[FlatPlace]


async def not_joined(
    access: RosterAccess, building_id: int | None = None, limit: int | None = None
) -> tuple[list[WaitingPerson], int]:
    """People of the active flats the account sees who have not joined, in the order of their first flat (the
    first `limit` of them), and how many there are in all.

    With a limit, the buildings are walked in order only until enough people are found, and the total is one
    COUNT: a street office's 100,000 flats read 500 at a time took a thousand queries (issue 15)."""
    if building_id is not None:
        await building_in_community(access.community_id, building_id)
        require_sees(access, building_id)
    if limit is None:
        everyone = await _waiting(await _scoped_flat_ids(access, building_id))
        return everyone, len(everyone)
    first: dict[int, None] = {}
    buildings = await _scoped_buildings(access, building_id)
    # A few buildings at a time, twice as many each step: a small community is read in one step, a large one in
    # a handful, never a round of reads per building.
    start, step = 0, FIRST_BUILDINGS
    while start < len(buildings) and len(first) < limit:
        batch = buildings[start : start + step]
        for person in await _waiting(await _scoped_flat_ids(access, batch)):
            first.setdefault(person.person_id, None)
        start, step = start + step, step * 2
    shown = list(first)[:limit]
    # Their places anywhere in view (a person may own a flat in a later building too), exactly as without a limit.
    flats = {fid for owned in (await flats_of_people(shown)).values() for fid in owned}
    in_view = [
        place.id
        for place in (await places(flats)).values()
        if place.active and access.sees(place.building_id) and building_id in (None, place.building_id)
    ]
    wanted = set(shown)
    return [w for w in await _waiting(in_view) if w.person_id in wanted], await _count_waiting(access, building_id)


async def _scoped_buildings(access: RosterAccess, building_id: int | None) -> list[int]:
    """The buildings in view, in the register's natural order (compound, then building)."""
    rows = await Building.select(Building.id, Building.name, Building.compound.name).where(
        Building.compound.community == access.community_id
    )
    ordered = sorted(rows, key=lambda r: (natural_key(str(r["compound.name"])), natural_key(str(r["name"]))))
    return [int(r["id"]) for r in ordered if access.sees(int(r["id"])) and building_id in (None, int(r["id"]))]


_COUNT_WAITING = """SELECT COUNT(DISTINCT x.person) FROM (
  SELECT o.person AS person, o.flat AS flat FROM ownership o
  UNION ALL SELECT r.person AS person, r.flat AS flat FROM residency r
) x JOIN person p ON p.id = x.person JOIN flat f ON f.id = x.flat JOIN stairwell_unit u ON u.id = f.stairwell_unit
JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound
WHERE c.community = {} AND p.community = {} AND f.active = {} AND p.account IS NULL"""


async def _count_waiting(access: RosterAccess, building_id: int | None) -> int:
    sql, args = _COUNT_WAITING, [access.community_id, access.community_id, True]
    allowed = sorted(access.buildings) if access.buildings is not None else None
    if building_id is not None:
        allowed = [building_id] if allowed is None or building_id in allowed else []
    if allowed is not None:
        sql += f" AND b.id IN ({', '.join(['{}'] * len(allowed)) or 'NULL'})"
        args += allowed
    rows = await fetch_tuples(sql, *args)
    return int(rows[0][0])


async def _waiting(flat_ids: list[int]) -> list[WaitingPerson]:
    flat_places = await places(flat_ids)
    people = await people_on(flat_ids)
    waiting: dict[int, WaitingPerson] = {}
    for fid in sorted(flat_ids, key=lambda f: flat_places[f].sort_key):
        for person in people[fid]:
            if person.joined:
                continue
            entry = waiting.get(person.person_id)
            if entry is None:
                waiting[person.person_id] = WaitingPerson(
                    person.person_id, person.name, person.relation, person.phone, person.verified, [flat_places[fid]]
                )
            else:
                entry.places.append(flat_places[fid])
                if person.verified and not entry.verified:
                    waiting[person.person_id] = WaitingPerson(
                        entry.person_id, entry.name, entry.relation, entry.phone, True, entry.places
                    )
    return list(waiting.values())


