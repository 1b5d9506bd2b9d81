"""Finding flats and people in the roster, and who has not joined yet."""

from __future__ import annotations

from dataclasses import dataclass

from community.permissions import RosterAccess, require_sees
from community.roster.places import FlatPlace, people_on, places
from community.roster.service import FlatLine, building_in_community
from community.tables import (
    Flat,
    Ownership,
    Residency,
)

SEARCH_LIMIT = 100

# --------------------------------------------------------------------------- search and not yet joined


async def _scoped_flat_ids(access: RosterAccess, building_id: int | None = None) -> list[int]:
    query = Flat.select(Flat.id, Flat.stairwell_unit.building).where(
        (Flat.stairwell_unit.building.compound.community == access.community_id) & Flat.active.eq(True)
    )
    if building_id is not None:
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


async def not_joined(access: RosterAccess, building_id: int | None = None) -> list[WaitingPerson]:
    """People of the active flats the account sees who have not joined, in the order of their first flat."""
    if building_id is not None:
        await building_in_community(access.community_id, building_id)
        require_sees(access, building_id)
    flat_ids = await _scoped_flat_ids(access, building_id)
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


