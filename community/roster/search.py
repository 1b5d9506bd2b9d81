"""Finding flats and people in the roster, and who has not joined yet."""

from __future__ import annotations

from dataclasses import dataclass

from community.bulk_sql import fetch_tuples
from community.permissions import RosterAccess, require_sees
from community.roster.places import FlatPlace, flats_of_people, people_on, places
from community.roster.plan import natural_key
from community.roster.service import FlatLine, building_in_community
from community.tables import (
    Flat,
)

SEARCH_LIMIT = 100

# --------------------------------------------------------------------------- search and not yet joined


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
    """Flats whose room number or one of whose people's names contains `query`; (lines, more than shown).

    The matching flats are read as tuples with what orders them, and only the first SEARCH_LIMIT are read in
    full: a name common to 10,000 owners read every one of their flats' places (300 ms over 100,000 flats)."""
    text = query.strip().replace("%", "").replace("_", "")[:50]
    if not text:
        return [], False
    pattern = f"%{text}%"
    positions = await _unit_positions(access, None)
    cid = access.community_id
    rows = [
        r
        for r in await fetch_tuples(_SEARCH, True, pattern, cid, pattern, cid, pattern)
        if int(r[1]) in positions  # in the community and in a building the account sees
    ]
    rows.sort(key=lambda r: (positions[int(r[1])], r[2], natural_key(str(r[3])), r[0]))
    shown = [int(r[0]) for r in rows[:SEARCH_LIMIT]]
    found = await places(shown)
    people = await people_on(shown)
    return [FlatLine(found[fid], people[fid]) for fid in shown], len(rows) > SEARCH_LIMIT


# Active flats whose room, or the name of one of whose owners or tenants (people of the community), matches:
# (flat, unit, floor, room).
_SEARCH = """SELECT f.id, f.stairwell_unit, f.floor, f.room FROM flat f WHERE f.active = {} AND f.id IN (
  SELECT g.id FROM flat g WHERE g.room LIKE {}
  UNION SELECT o.flat FROM ownership o JOIN person p ON p.id = o.person WHERE p.community = {} AND p.name LIKE {}
  UNION SELECT s.flat FROM residency s JOIN person p ON p.id = s.person WHERE p.community = {} AND p.name LIKE {})"""


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

    With a limit the database counts them and finds the stairwell units the first `limit` of them start in
    (`_FIRST_UNITS`); only those units' waiting people are read and ordered here, then the places of the people
    shown. Walking the buildings took 35 statements and half a second over 100,000 flats, over a second for a
    grid worker, whose buildings were found among all the others (issue 15)."""
    if building_id is not None:
        await building_in_community(access.community_id, building_id)
        require_sees(access, building_id)
    if limit is None:
        everyone = await _waiting(await _scoped_flat_ids(access, building_id))
        return everyone, len(everyone)
    positions = await _unit_positions(access, building_id)
    if not positions:
        return [], 0
    counts = await fetch_tuples(_FIRST_UNITS.replace("@units", _positions_sql(positions)), *_link_args(access))
    total, last = 0, -1
    for position, people in sorted((int(p), int(n)) for p, n in counts):
        if total < limit:
            last = position  # the units up to this one hold the first `limit` people
        total += people
    if last < 0:
        return [], 0
    # The waiting people's links in those units, in the register's order: a person's first is where they stand.
    first = {unit: position for unit, position in positions.items() if position <= last}
    rows = await fetch_tuples(_WAITING_IN.replace("@units", _positions_sql(first)), *_link_args(access))
    rows.sort(key=lambda r: (r[1], r[2], natural_key(str(r[3])), r[4], r[5], r[6]))
    shown = list(dict.fromkeys(int(r[0]) for r in rows))[:limit]
    # Their places anywhere in view (a person may own a flat in a later building too), exactly as without a limit.
    flats = {fid for owned in (await flats_of_people(shown)).values() for fid in owned}
    in_view = [
        place.id
        for place in (await places(flats)).values()
        if place.active and access.sees(place.building_id) and building_id in (None, place.building_id)
    ]
    wanted = set(shown)
    return [w for w in await _waiting(in_view) if w.person_id in wanted], total


async def _unit_positions(access: RosterAccess, building_id: int | None) -> dict[int, int]:
    """The stairwell units in view, each with its place in the register's natural order (compound, building,
    unit): units whose names sort alike share a place, as their flats then sort by floor and room together."""
    rows = await fetch_tuples(_UNITS, access.community_id)
    keyed = sorted(
        ((natural_key(str(compound)), natural_key(str(building)), natural_key(str(unit))), int(uid))
        for uid, bid, unit, building, compound in rows
        if access.sees(int(bid)) and building_id in (None, int(bid))
    )
    positions: dict[int, int] = {}
    previous, position = None, -1
    for key, uid in keyed:
        if key != previous:
            previous, position = key, position + 1
        positions[uid] = position
    return positions


def _positions_sql(positions: dict[int, int]) -> str:
    """The units and their places as a VALUES list of integer literals (ids and places made here, never text
    from a request): thousands of them, more than some SQLite builds allow as parameters."""
    return ", ".join(f"({int(unit)}, {int(position)})" for unit, position in positions.items())


def _link_args(access: RosterAccess) -> tuple[int, bool, int, bool]:
    return (access.community_id, True, access.community_id, True)


_UNITS = """SELECT u.id, b.id, u.name, b.name, c.name FROM stairwell_unit u JOIN building b ON b.id = u.building
JOIN compound c ON c.id = b.compound WHERE c.community = {}"""

# Owners and tenants of the active flats of the units in view (`r`) who have no account yet, with what orders
# them: (person, unit's place, floor, room, flat, owner before tenant, register order). CROSS JOIN keeps SQLite's
# loops in this order (units, their flats, their links, the person); left free it scanned the community's people
# for each unit (14 s over 100,000 flats). PostgreSQL plans CROSS JOIN like any join.
_LINKS = """SELECT o.person AS person, r.pos AS pos, f.floor AS floor, f.room AS room, f.id AS flat, 0 AS kind,
  o.id AS link FROM r CROSS JOIN flat f CROSS JOIN ownership o CROSS JOIN person p
  WHERE f.stairwell_unit = r.unit AND o.flat = f.id AND p.id = o.person
  AND p.community = {} AND p.account IS NULL AND f.active = {}
UNION ALL SELECT s.person, r.pos, f.floor, f.room, f.id, 1, s.id FROM r CROSS JOIN flat f CROSS JOIN residency s
  CROSS JOIN person p WHERE f.stairwell_unit = r.unit AND s.flat = f.id AND p.id = s.person
  AND p.community = {} AND p.account IS NULL AND f.active = {}"""

# How many waiting people start (have their first flat) in each unit's place.
_FIRST_UNITS = (
    "WITH r(unit, pos) AS (VALUES @units) SELECT first_pos, COUNT(*) FROM (SELECT x.person, MIN(x.pos) AS first_pos "  # noqa: S608 - literals only
    "FROM (" + _LINKS + ") x GROUP BY x.person) firsts GROUP BY first_pos"
)

# The waiting people's links in the first units.
_WAITING_IN = (
    "WITH r(unit, pos) AS (VALUES @units) SELECT x.person, x.pos, x.floor, x.room, x.flat, x.kind, x.link "  # noqa: S608 - literals only
    "FROM (" + _LINKS + ") x"
)


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


