"""Roster service: what staff see (by compound, building, unit and flat), search, who has not joined,
verification of people against flats, and residents' own flats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from community.accounts import CurrentUser
from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import RosterAccess, require_sees, require_verify
from community.roster import codes as join_codes
from community.roster.importer import CHUNK, REASON_REGISTER, chunks
from community.roster.messages import METHODS
from community.roster.plan import natural_key
from community.roster.scope import attachments
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    JoinCode,
    Ownership,
    Residency,
    StairwellUnit,
    Verification,
)

NOTE_MAX = 500
SEARCH_LIMIT = 100


# --------------------------------------------------------------------------- places and people


@dataclass(frozen=True)
class FlatPlace:
    """Where a flat is, and what the register says about it."""

    id: int
    community_id: int
    compound: str
    building_id: int
    building: str
    unit_id: int
    unit: str
    floor: int
    room: str
    area: int
    area_source: str
    usage: str
    developer_unsold: bool
    active: bool

    @property
    def sort_key(self) -> tuple[object, ...]:
        return (
            natural_key(self.compound),
            natural_key(self.building),
            natural_key(self.unit),
            self.floor,
            natural_key(self.room),
        )


_PLACE_COLUMNS = (
    Flat.id,
    Flat.floor,
    Flat.room,
    Flat.area,
    Flat.area_source,
    Flat.usage,
    Flat.developer_unsold,
    Flat.active,
    Flat.stairwell_unit.id,
    Flat.stairwell_unit.name,
    Flat.stairwell_unit.building.id,
    Flat.stairwell_unit.building.name,
    Flat.stairwell_unit.building.compound.name,
    Flat.stairwell_unit.building.compound.community,
)


def _place(r: dict[str, Any]) -> FlatPlace:
    return FlatPlace(
        id=int(r["id"]),
        community_id=int(r["stairwell_unit.building.compound.community"]),
        compound=str(r["stairwell_unit.building.compound.name"]),
        building_id=int(r["stairwell_unit.building.id"]),
        building=str(r["stairwell_unit.building.name"]),
        unit_id=int(r["stairwell_unit.id"]),
        unit=str(r["stairwell_unit.name"]),
        floor=int(r["floor"]),
        room=str(r["room"]),
        area=int(r["area"]),
        area_source=str(r["area_source"]),
        usage=str(r["usage"]),
        developer_unsold=bool(r["developer_unsold"]),
        active=bool(r["active"]),
    )


async def places(flat_ids: Iterable[int]) -> dict[int, FlatPlace]:
    ids = sorted(set(flat_ids))
    found: dict[int, FlatPlace] = {}
    for part in chunks(ids, CHUNK):
        for r in await Flat.select(*_PLACE_COLUMNS).where(Flat.id.is_in(list(part))):
            found[int(r["id"])] = _place(r)
    return found


@dataclass(frozen=True)
class FlatPerson:
    """A person attached to a flat by the register, with where they stand."""

    person_id: int
    name: str
    relation: str  # owner / tenant / family
    phone: str | None
    verified: bool
    verification_id: int | None
    joined: bool
    designated_voter: bool


async def people_on(flat_ids: Sequence[int]) -> dict[int, list[FlatPerson]]:
    """Owners first (in register order), then tenants, per flat."""
    result: dict[int, list[FlatPerson]] = {fid: [] for fid in flat_ids}
    if not flat_ids:
        return result
    owners: list[dict[str, Any]] = []
    residents: list[dict[str, Any]] = []
    active: dict[tuple[int, int], int] = {}
    voters: dict[int, int | None] = {}
    for part in chunks(list(flat_ids), CHUNK):
        ids = list(part)
        owners += await Ownership.select(
            Ownership.flat,
            Ownership.person,
            Ownership.phone,
            Ownership.person.name,
            Ownership.person.phone,
            Ownership.person.account,
        ).where(Ownership.flat.is_in(ids)).order_by(Ownership.id)
        residents += await Residency.select(
            Residency.flat,
            Residency.person,
            Residency.relation,
            Residency.person.name,
            Residency.person.phone,
            Residency.person.account,
        ).where(Residency.flat.is_in(ids)).order_by(Residency.id)
        for r in await Verification.select(Verification.id, Verification.flat, Verification.person).where(
            Verification.flat.is_in(ids) & Verification.revoked_at.is_null()
        ):
            active[(int(r["flat"]), int(r["person"]))] = int(r["id"])
        for r in await Flat.select(Flat.id, Flat.designated_voter).where(Flat.id.is_in(ids)):
            voters[int(r["id"])] = r["designated_voter"]
    for r in owners:
        flat, person = int(r["flat"]), int(r["person"])
        result[flat].append(
            FlatPerson(
                person,
                str(r["person.name"]),
                "owner",
                r["phone"] or r["person.phone"],
                (flat, person) in active,
                active.get((flat, person)),
                r["person.account"] is not None,
                voters.get(flat) == person,
            )
        )
    for r in residents:
        flat, person = int(r["flat"]), int(r["person"])
        result[flat].append(
            FlatPerson(
                person,
                str(r["person.name"]),
                "family" if r["relation"] == "family" else "tenant",
                r["person.phone"],
                (flat, person) in active,
                active.get((flat, person)),
                r["person.account"] is not None,
                False,
            )
        )
    return result


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

    flats = await Flat.select(Flat.id, Flat.stairwell_unit, Flat.developer_unsold).where(
        (Flat.stairwell_unit.building.compound.community == cid) & Flat.active.eq(True)
    )
    verified_flats = await _verified_owner_flats(cid)
    joined_flats = await _joined_flats(cid)
    for r in flats:
        unit = units.get(int(r["stairwell_unit"]))
        if unit is None:
            continue
        fid = int(r["id"])
        unit.counts.add(
            Counts(1, int(fid in verified_flats), int(fid in joined_flats), int(bool(r["developer_unsold"])))
        )
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


async def _verified_owner_flats(community_id: int) -> set[int]:
    owners = {
        (int(r["flat"]), int(r["person"]))
        for r in await Ownership.select(Ownership.flat, Ownership.person).where(
            Ownership.person.community == community_id
        )
    }
    return {
        int(r["flat"])
        for r in await Verification.select(Verification.flat, Verification.person).where(
            (Verification.person.community == community_id) & Verification.revoked_at.is_null()
        )
        if (int(r["flat"]), int(r["person"])) in owners
    }


async def _joined_flats(community_id: int) -> set[int]:
    joined = {
        int(r["flat"])
        for r in await Ownership.select(Ownership.flat).where(
            (Ownership.person.community == community_id) & Ownership.person.account.is_not_null()
        )
    }
    joined |= {
        int(r["flat"])
        for r in await Residency.select(Residency.flat).where(
            (Residency.person.community == community_id) & Residency.person.account.is_not_null()
        )
    }
    return joined


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


async def _building_in_community(community_id: int, building_id: int) -> dict[str, Any]:
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
    row = await _building_in_community(access.community_id, building_id)
    require_sees(access, building_id)
    flat_rows = await Flat.select(*_PLACE_COLUMNS).where(
        (Flat.stairwell_unit.building == building_id) & Flat.active.eq(True)
    )
    flat_places = sorted((_place(r) for r in flat_rows), key=lambda p: p.sort_key)
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
        await _building_in_community(access.community_id, building_id)
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


# --------------------------------------------------------------------------- verification


async def _relation(flat_id: int, person_id: int) -> str | None:
    if await Ownership.exists().where((Ownership.flat == flat_id) & (Ownership.person == person_id)):
        return "owner"
    row = await Residency.select(Residency.relation).where(
        (Residency.flat == flat_id) & (Residency.person == person_id)
    ).first()
    return str(row["relation"]) if row else None


async def verify(
    access: RosterAccess, user: CurrentUser, flat_id: int, person_id: int | None, method: str, note: str
) -> None:
    """Record that staff checked a person's link to a flat, and how; audit-logged."""
    place = await flat_in_community(access.community_id, flat_id)
    require_sees(access, place.building_id)
    require_verify(access, place.building_id)
    note = note.strip()
    errors: dict[str, str] = {}
    if person_id is None or await _relation(flat_id, person_id) is None:
        errors["person"] = lazy("Choose one of the people the register lists for this flat.")
    if method not in METHODS:
        errors["method"] = lazy("Please choose how you checked.")
    elif method == "other" and not note:
        errors["note"] = lazy("Please describe how you checked.")
    if len(note) > NOTE_MAX:
        errors["note"] = lazy("The note is too long (at most 500 characters).")
    if not place.active:
        errors["person"] = lazy("This flat is no longer in the register.")
    if errors:
        raise FormErrors(errors, {"method": method, "note": note})
    assert person_id is not None
    try:
        async with write_transaction():
            if await Verification.exists().where(
                (Verification.flat == flat_id)
                & (Verification.person == person_id)
                & Verification.revoked_at.is_null()
            ):
                raise Conflict(lazy("This person is already verified for this flat."))
            rows = await Verification.insert(
                Verification(flat=flat_id, person=person_id, method=method, note=note, verified_by=user.id)
            ).returning(Verification.id)
            await audit("person_verified", actor=user.id, community=access.community_id, object_type="flat", object_id=flat_id, details={"person": person_id, "method": method, "note": note, "verification": rows[0]["id"]})
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("This person is already verified for this flat.")) from exc
        raise


async def revoke_verification(access: RosterAccess, user: CurrentUser, verification_id: int, reason: str) -> int:
    """End a verification with a reason; returns the flat's id. Audit-logged."""
    row = await Verification.select(
        Verification.id, Verification.flat, Verification.person, Verification.revoked_at
    ).where(Verification.id == verification_id).first()
    if row is None:
        raise NotFound(lazy("This verification does not exist."))
    place = await flat_in_community(access.community_id, int(row["flat"]))
    require_sees(access, place.building_id)
    require_verify(access, place.building_id)
    reason = reason.strip()
    if not reason:
        raise FormErrors({"reason": lazy("Please give a reason.")}, {"reason": reason})
    if len(reason) > NOTE_MAX:
        raise FormErrors({"reason": lazy("The reason is too long (at most 500 characters).")}, {"reason": reason})
    async with write_transaction():
        done = await Verification.update(
            {Verification.revoked_at: now(), Verification.revoked_by: user.id, Verification.revoke_reason: reason}
        ).where((Verification.id == verification_id) & Verification.revoked_at.is_null()).returning(Verification.id)
        if not done:
            raise Conflict(lazy("This verification has already been revoked."))
        await audit("verification_revoked", actor=user.id, community=access.community_id, object_type="flat", object_id=place.id, details={"person": int(row["person"]), "verification": verification_id, "reason": reason})
    return place.id


# --------------------------------------------------------------------------- residents


@dataclass(frozen=True)
class MyFlat:
    place: FlatPlace
    community: str
    relation: str
    verified: bool


async def my_flats(account_id: int) -> list[MyFlat]:
    """Every active flat the account owns or lives in, with whether staff have verified the link."""
    links = await attachments(account_id)
    found = await places(a.flat_id for a in links)
    names = {
        int(r["id"]): str(r["name"])
        for r in await Community.select(Community.id, Community.name).where(
            Community.id.is_in(sorted({p.community_id for p in found.values()}) or [-1])
        )
    }
    merged: dict[int, MyFlat] = {}
    for link in links:
        place = found.get(link.flat_id)
        if place is None:
            continue
        current = merged.get(link.flat_id)
        # Owner wins over tenant when one account is both; verified wins over not.
        if current is None or (current.relation != "owner" and link.relation == "owner"):
            merged[link.flat_id] = MyFlat(place, names.get(place.community_id, ""), link.relation, link.verified)
        elif link.verified and not current.verified and link.relation == current.relation:
            merged[link.flat_id] = MyFlat(place, current.community, current.relation, True)
    return sorted(merged.values(), key=lambda m: (m.community, m.place.sort_key))
