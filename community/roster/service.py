"""Roster service: what staff see, by compound, building, unit and flat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from community.bulk_sql import fetch_tuples, id_list
from community.clock import now
from community.errors import NotFound
from community.i18n import lazy
from community.permissions import RosterAccess, require_sees
from community.roster import codes as join_codes
from community.roster.importer import REASON_REGISTER
from community.roster.places import PLACE_COLUMNS, FlatPerson, FlatPlace, people_on, place_from_row, places
from community.roster.plan import natural_key
from community.tables import (
    Building,
    Compound,
    Flat,
    JoinCode,
    StairwellUnit,
    Verification,
)

# --------------------------------------------------------------------------- overview


@dataclass
class Counts:
    """Per unit, building or compound: flats, flats with a verified owner, flats where someone joined."""

    flats: int = 0
    verified: int = 0
    joined: int = 0
    unsold: int = 0

    def add(self, other: Counts) -> None:
        self.flats += other.flats
        self.verified += other.verified
        self.joined += other.joined
        self.unsold += other.unsold


@dataclass
class UnitSummary:
    id: int
    name: str
    counts: Counts = field(default_factory=Counts)


@dataclass
class BuildingSummary:
    id: int
    name: str
    units: list[UnitSummary] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class CompoundSummary:
    id: int
    name: str
    buildings: list[BuildingSummary] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


async def overview(access: RosterAccess) -> tuple[list[CompoundSummary], Counts]:
    """The roster by compound → building → unit, limited to the buildings the account may see."""
    cid = access.community_id
    compounds = {
        int(r["id"]): CompoundSummary(int(r["id"]), str(r["name"]))
        for r in await Compound.select(Compound.id, Compound.name).where(Compound.community == cid)
    }
    buildings: dict[int, BuildingSummary] = {}
    building_compound: dict[int, int] = {}
    for r in await Building.select(Building.id, Building.name, Building.compound).where(
        Building.compound.community == cid
    ):
        if access.sees(int(r["id"])):
            buildings[int(r["id"])] = BuildingSummary(int(r["id"]), str(r["name"]))
            building_compound[int(r["id"])] = int(r["compound"])
    units: dict[int, UnitSummary] = {}
    unit_building: dict[int, int] = {}
    for r in await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building).where(
        StairwellUnit.building.compound.community == cid
    ):
        if int(r["building"]) in buildings:
            units[int(r["id"])] = UnitSummary(int(r["id"]), str(r["name"]))
            unit_building[int(r["id"])] = int(r["building"])

    # Counted by the database, a row per stairwell unit: 100,000 flats read into Python took most of a second.
    if access.buildings is None:
        counts = await fetch_tuples(_UNIT_COUNTS, cid, cid, cid, cid, True)
    else:  # a grid worker's few buildings: their flats looked up one by one, not the whole register's sets
        scoped = _SCOPED_UNIT_COUNTS.replace("@buildings", id_list(access.buildings))  # the account's own scope
        counts = await fetch_tuples(scoped, cid, cid, cid, cid, True)
    for unit_id, flats, verified, joined, unsold in counts:
        unit = units.get(int(unit_id))
        if unit is not None:
            unit.counts.add(Counts(int(flats), int(verified or 0), int(joined or 0), int(unsold or 0)))
    for uid, unit in units.items():
        building = buildings[unit_building[uid]]
        building.units.append(unit)
        building.counts.add(unit.counts)
    for bid, building in buildings.items():
        building.units.sort(key=lambda u: natural_key(u.name))
        compound = compounds[building_compound[bid]]
        compound.buildings.append(building)
        compound.counts.add(building.counts)
    total = Counts()
    result = []
    # Compounds in the order the register introduced them; buildings and units in natural order.
    for compound in sorted(compounds.values(), key=lambda c: c.id):
        if not compound.buildings and access.buildings is not None:
            continue
        compound.buildings.sort(key=lambda b: natural_key(b.name))
        total.add(compound.counts)
        result.append(compound)
    return result, total


async def building_choices(access: RosterAccess) -> list[CompoundSummary]:
    """The compounds and buildings in view, in the overview's order, without counting their flats (the not-joined
    page's filter needs their names only; counting the register for it took 200 ms over 100,000 flats)."""
    compounds = {
        int(r["id"]): CompoundSummary(int(r["id"]), str(r["name"]))
        for r in await Compound.select(Compound.id, Compound.name).where(Compound.community == access.community_id)
    }
    for r in await Building.select(Building.id, Building.name, Building.compound).where(
        Building.compound.community == access.community_id
    ):
        if access.sees(int(r["id"])):
            compounds[int(r["compound"])].buildings.append(BuildingSummary(int(r["id"]), str(r["name"])))
    result = []
    for compound in sorted(compounds.values(), key=lambda c: c.id):
        if not compound.buildings and access.buildings is not None:
            continue
        compound.buildings.sort(key=lambda b: natural_key(b.name))
        result.append(compound)
    return result


# Per stairwell unit: active flats, those with a verified owner, those where someone has joined, unsold ones.
# The flats with a verified owner and those with someone joined are joined in as sets, not asked as `f.id IN
# (subquery)` in the select list: PostgreSQL runs such a subquery once per flat when its result outgrows work_mem
# (100,000 flats: over 13 minutes).
_UNIT_COUNTS = """SELECT f.stairwell_unit, COUNT(*), COUNT(verified.flat), COUNT(joined.flat),
SUM(CASE WHEN f.developer_unsold THEN 1 ELSE 0 END)
FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit JOIN building b ON b.id = u.building
JOIN compound c ON c.id = b.compound
LEFT JOIN (SELECT DISTINCT v.flat AS flat FROM verification v
  JOIN ownership o ON o.flat = v.flat AND o.person = v.person
  JOIN person p ON p.id = v.person WHERE p.community = {} AND v.revoked_at IS NULL) verified ON verified.flat = f.id
LEFT JOIN (SELECT o.flat AS flat FROM ownership o JOIN person p ON p.id = o.person
  WHERE p.community = {} AND p.account IS NOT NULL
  UNION SELECT r.flat FROM residency r JOIN person p ON p.id = r.person
  WHERE p.community = {} AND p.account IS NOT NULL) joined ON joined.flat = f.id
WHERE c.community = {} AND f.active = {} GROUP BY f.stairwell_unit"""


# The same for the flats of some buildings (`@buildings`), each asked about its own links.
_SCOPED_UNIT_COUNTS = """SELECT f.stairwell_unit, COUNT(*),
SUM(CASE WHEN EXISTS (SELECT 1 FROM verification v JOIN ownership o ON o.flat = v.flat AND o.person = v.person
  JOIN person p ON p.id = v.person WHERE v.flat = f.id AND p.community = {} AND v.revoked_at IS NULL)
  THEN 1 ELSE 0 END),
SUM(CASE WHEN EXISTS (SELECT 1 FROM ownership o JOIN person p ON p.id = o.person
  WHERE o.flat = f.id AND p.community = {} AND p.account IS NOT NULL)
  OR EXISTS (SELECT 1 FROM residency r JOIN person p ON p.id = r.person
  WHERE r.flat = f.id AND p.community = {} AND p.account IS NOT NULL) THEN 1 ELSE 0 END),
SUM(CASE WHEN f.developer_unsold THEN 1 ELSE 0 END)
FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit JOIN building b ON b.id = u.building
JOIN compound c ON c.id = b.compound
WHERE c.community = {} AND f.active = {} AND b.id IN (@buildings) GROUP BY f.stairwell_unit"""


# --------------------------------------------------------------------------- a building, a flat


@dataclass(frozen=True)
class FlatLine:
    place: FlatPlace
    people: list[FlatPerson]


@dataclass(frozen=True)
class UnitFlats:
    id: int
    name: str
    flats: list[FlatLine]


@dataclass(frozen=True)
class BuildingView:
    id: int
    name: str
    compound: str
    units: list[UnitFlats]
    can_verify: bool


async def building_in_community(community_id: int, building_id: int) -> dict[str, Any]:
    row = (
        await Building.select(Building.id, Building.name, Building.compound.name)
        .where((Building.id == building_id) & (Building.compound.community == community_id))
        .first()
    )
    if row is None:
        raise NotFound(lazy("This building is not in the roster."))
    return row


async def building_view(access: RosterAccess, building_id: int) -> BuildingView:
    """Every active flat of a building, unit by unit, with its people and their status."""
    row = await building_in_community(access.community_id, building_id)
    require_sees(access, building_id)
    flat_rows = await Flat.select(*PLACE_COLUMNS).where(
        (Flat.stairwell_unit.building == building_id) & Flat.active.eq(True)
    )
    flat_places = sorted((place_from_row(r) for r in flat_rows), key=lambda p: p.sort_key)
    people = await people_on([p.id for p in flat_places])
    units: dict[int, UnitFlats] = {}
    for r in await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name).where(
        StairwellUnit.building == building_id
    ):
        units[int(r["id"])] = UnitFlats(int(r["id"]), str(r["name"]), [])
    for place in flat_places:
        units[place.unit_id].flats.append(FlatLine(place, people[place.id]))
    return BuildingView(
        building_id,
        str(row["name"]),
        str(row["compound.name"]),
        sorted((u for u in units.values() if u.flats), key=lambda u: natural_key(u.name)),
        access.may_verify(building_id),
    )


@dataclass(frozen=True)
class VerificationRecord:
    id: int
    person_id: int
    person_name: str
    method: str
    note: str
    verified_by: str | None
    verified_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str
    by_register: bool


@dataclass(frozen=True)
class CodeRecord:
    id: int
    code: str
    person_name: str
    state: str
    expires_at: datetime
    used_at: datetime | None
    batch: str


@dataclass(frozen=True)
class FlatView:
    place: FlatPlace
    people: list[FlatPerson]
    verifications: list[VerificationRecord]
    codes: list[CodeRecord]
    can_verify: bool


async def flat_in_community(community_id: int, flat_id: int) -> FlatPlace:
    found = (await places([flat_id])).get(flat_id)
    if found is None or found.community_id != community_id:
        raise NotFound(lazy("This flat is not in the roster."))
    return found


async def flat_view(access: RosterAccess, flat_id: int) -> FlatView:
    place = await flat_in_community(access.community_id, flat_id)
    require_sees(access, place.building_id)
    people = (await people_on([flat_id]))[flat_id]
    records = [
        VerificationRecord(
            id=int(r["id"]),
            person_id=int(r["person"]),
            person_name=str(r["person.name"]),
            method=str(r["method"]),
            note=str(r["note"]),
            verified_by=r["verified_by.display_name"],
            verified_at=r["verified_at"],
            revoked_at=r["revoked_at"],
            revoked_by=r["revoked_by.display_name"],
            revoke_reason="" if r["revoke_reason"] == REASON_REGISTER else str(r["revoke_reason"]),
            by_register=r["revoke_reason"] == REASON_REGISTER,
        )
        for r in await Verification.select(
            Verification.id,
            Verification.person,
            Verification.person.name,
            Verification.method,
            Verification.note,
            Verification.verified_by.display_name,
            Verification.verified_at,
            Verification.revoked_at,
            Verification.revoked_by.display_name,
            Verification.revoke_reason,
        )
        .where(Verification.flat == flat_id)
        .order_by(Verification.verified_at, ascending=False)
    ]
    person_ids = [p.person_id for p in people]
    code_rows: list[CodeRecord] = []
    if person_ids:
        moment = now()
        for r in await JoinCode.select(
            JoinCode.id,
            JoinCode.code,
            JoinCode.person.name,
            JoinCode.expires_at,
            JoinCode.used_at,
            JoinCode.revoked_at,
            JoinCode.failed_attempts,
            JoinCode.batch,
            JoinCode.flat,
        ).where(
            JoinCode.person.is_in(person_ids)
            & ((JoinCode.flat == flat_id) | JoinCode.flat.is_null())
        ).order_by(JoinCode.created_at, ascending=False):
            code_rows.append(
                CodeRecord(
                    id=int(r["id"]),
                    code=join_codes.format_code(str(r["code"])),
                    person_name=str(r["person.name"]),
                    state=join_codes.code_state(
                        now=moment,
                        expires_at=r["expires_at"],
                        used_at=r["used_at"],
                        revoked_at=r["revoked_at"],
                        failed_attempts=int(r["failed_attempts"]),
                    ),
                    expires_at=r["expires_at"],
                    used_at=r["used_at"],
                    batch=str(r["batch"]),
                )
            )
    return FlatView(place, people, records, code_rows, access.may_verify(place.building_id))


