"""Where flats are and who is on them, as every roster page shows them; a resident's own flats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from community.roster.plan import natural_key
from community.roster.scope import attachments
from community.roster.snapshot import CHUNK, chunks
from community.tables import (
    Community,
    Flat,
    Ownership,
    Residency,
    Verification,
)

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


PLACE_COLUMNS = (
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


def place_from_row(r: dict[str, Any]) -> FlatPlace:
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
        for r in await Flat.select(*PLACE_COLUMNS).where(Flat.id.is_in(list(part))):
            found[int(r["id"])] = place_from_row(r)
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


# --------------------------------------------------------------------------- residents


async def flats_of_people(person_ids: Sequence[int]) -> dict[int, list[int]]:
    """The flats each person owns or lives in, by the register (active or not)."""
    found: dict[int, list[int]] = {pid: [] for pid in person_ids}
    for part in chunks(list(person_ids), CHUNK):
        ids = list(part)
        for r in await Ownership.select(Ownership.person, Ownership.flat).where(Ownership.person.is_in(ids)):
            found[int(r["person"])].append(int(r["flat"]))
        for r in await Residency.select(Residency.person, Residency.flat).where(Residency.person.is_in(ids)):
            found[int(r["person"])].append(int(r["flat"]))
    return found


async def places_of_person(person_id: int) -> list[FlatPlace]:
    flat_ids = (await flats_of_people([person_id]))[person_id]
    found = await places(flat_ids)
    return sorted((p for p in found.values() if p.active), key=lambda p: p.sort_key)


def relation_among(person_id: int, links: Sequence[FlatPerson]) -> str:
    """Owner if the person owns any of the flats, else what they are (tenant, family)."""
    relations = {p.relation for p in links if p.person_id == person_id}
    return "owner" if "owner" in relations or not relations else sorted(relations)[0]


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

