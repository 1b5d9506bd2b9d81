"""Read the register from the database into a snapshot (what an import is planned against), and export it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from community.roster import plan as planning
from community.roster.plan import Snapshot, StoredFlat
from community.roster.template import FlatRow, PersonRef
from community.tables import (
    Building,
    Compound,
    Flat,
    Ownership,
    Person,
    Residency,
    StairwellUnit,
)

# Ids per "… IN (…)": well under both engines' limit on bound parameters.
CHUNK = 500

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load_snapshot(community_id: int) -> Snapshot:
    """The community's register as the database holds it (inactive flats included)."""
    compounds = await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id)
    compound_names = {int(r["id"]): str(r["name"]) for r in compounds}
    buildings = await Building.select(Building.id, Building.name, Building.compound).where(
        Building.compound.community == community_id
    )
    building_keys = {int(r["id"]): (compound_names[int(r["compound"])], str(r["name"])) for r in buildings}
    units = await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building).where(
        StairwellUnit.building.compound.community == community_id
    )
    unit_keys = {int(r["id"]): (*building_keys[int(r["building"])], str(r["name"])) for r in units}
    people_rows = await Person.select(
        Person.id, Person.identity_key, Person.name, Person.id_suffix, Person.phone
    ).where(Person.community == community_id)
    by_id = {int(r["id"]): r for r in people_rows}
    flats = await Flat.select(
        Flat.id,
        Flat.stairwell_unit,
        Flat.floor,
        Flat.room,
        Flat.area,
        Flat.area_source,
        Flat.usage,
        Flat.developer_unsold,
        Flat.designated_voter,
        Flat.active,
    ).where(Flat.stairwell_unit.building.compound.community == community_id)
    owners: dict[int, list[tuple[int, str | None]]] = {}
    for r in await Ownership.select(Ownership.flat, Ownership.person, Ownership.phone).where(
        Ownership.person.community == community_id
    ).order_by(Ownership.id):
        owners.setdefault(int(r["flat"]), []).append((int(r["person"]), r["phone"]))
    tenants: dict[int, list[int]] = {}
    for r in await Residency.select(Residency.flat, Residency.person).where(
        Residency.person.community == community_id
    ).order_by(Residency.id):
        tenants.setdefault(int(r["flat"]), []).append(int(r["person"]))

    stored: dict[tuple[str, str, str, str], StoredFlat] = {}
    for r in flats:
        flat_id = int(r["id"])
        compound, building, unit = unit_keys[int(r["stairwell_unit"])]
        owner_links = owners.get(flat_id, [])
        refs = tuple(
            PersonRef(str(by_id[pid]["name"]), by_id[pid]["id_suffix"], phone) for pid, phone in owner_links
        )
        voter = r["designated_voter"]
        voter_name = (
            str(by_id[int(voter)]["name"])
            if voter is not None and any(pid == int(voter) for pid, _ in owner_links)
            else None
        )
        tenant_ids = tenants.get(flat_id, [])
        row = FlatRow(
            line=0,
            compound=compound,
            building=building,
            unit=unit,
            floor=int(r["floor"]),
            room=str(r["room"]),
            area=int(r["area"]),
            area_source=r["area_source"],
            usage=r["usage"],
            owners=refs,
            designated_voter=voter_name,
            developer_unsold=bool(r["developer_unsold"]),
            tenants=tuple(str(by_id[pid]["name"]) for pid in tenant_ids),
        )
        stored[row.key] = StoredFlat(
            flat_id, bool(r["active"]), row, tuple(pid for pid, _ in owner_links), tuple(tenant_ids)
        )
    return Snapshot(
        compounds={name: cid for cid, name in compound_names.items()},
        buildings={key: bid for bid, key in building_keys.items()},
        units={key: uid for uid, key in unit_keys.items()},
        flats=stored,
        people={str(r["identity_key"]): int(r["id"]) for r in people_rows},
        person_phones={int(r["id"]): r["phone"] for r in people_rows},
    )


async def export_rows(community_id: int) -> list[FlatRow]:
    """The active register in a natural order (compound, building, unit, floor, room)."""
    snapshot = await load_snapshot(community_id)
    return sorted(snapshot.active_rows(), key=planning.row_sort_key)

