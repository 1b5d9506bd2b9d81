"""Read the register from the database into a snapshot (what an import is planned against), and export it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from community.bulk_sql import fetch_tuples
from community.roster import plan as planning
from community.roster.plan import Snapshot, StoredFlat, paused_gc
from community.roster.template import FlatRow, PersonRef
from community.tables import (
    Building,
    Compound,
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
    # Tuples, not Piccolo's dicts: a register of 100,000 flats and as many people held as dicts cost
    # hundreds of MiB (docs/architecture.md, "Large communities").
    people_rows = await fetch_tuples(
        "SELECT id, identity_key, name, id_suffix, phone FROM person WHERE community = {}", community_id
    )
    names: dict[int, str] = {}
    suffixes: dict[int, str | None] = {}
    people: dict[str, int] = {}
    phones: dict[int, str | None] = {}
    for pid, identity_key, name, id_suffix, phone in people_rows:
        names[pid] = name
        suffixes[pid] = id_suffix
        people[identity_key] = pid
        phones[pid] = phone
    del people_rows
    owners: dict[int, list[tuple[int, str | None]]] = {}
    for flat, person, phone in await fetch_tuples(
        "SELECT o.flat, o.person, o.phone FROM ownership o JOIN person p ON p.id = o.person "
        "WHERE p.community = {} ORDER BY o.id",
        community_id,
    ):
        owners.setdefault(flat, []).append((person, phone))
    tenants: dict[int, list[int]] = {}
    for flat, person in await fetch_tuples(
        "SELECT r.flat, r.person FROM residency r JOIN person p ON p.id = r.person "
        "WHERE p.community = {} ORDER BY r.id",
        community_id,
    ):
        tenants.setdefault(flat, []).append(person)
    flats = await fetch_tuples(
        "SELECT f.id, f.stairwell_unit, f.floor, f.room, f.area, f.area_source, f.usage, f.developer_unsold, "
        "f.designated_voter, f.active FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit "
        "JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound WHERE c.community = {}",
        community_id,
    )

    stored: dict[tuple[str, str, str, str], StoredFlat] = {}
    no_links: list[tuple[int, str | None]] = []
    no_tenants: list[int] = []
    shared: dict[str, str] = {}  # "registered", "residential": one string each, not one per flat
    with paused_gc():
        for flat_id, unit_id, floor, room, area, area_source, usage, unsold, voter, active in flats:
            compound, building, unit = unit_keys[unit_id]
            owner_links = owners.get(flat_id, no_links)
            owner_ids = tuple([pid for pid, _phone in owner_links])
            refs = tuple([PersonRef(names[pid], suffixes[pid], phone) for pid, phone in owner_links])
            voter_name = names[voter] if voter is not None and voter in owner_ids else None
            tenant_ids = tenants.get(flat_id, no_tenants)
            row = FlatRow(
                0,
                compound,
                building,
                unit,
                floor,
                room,
                area,
                shared.setdefault(area_source, area_source),  # type: ignore[arg-type]
                shared.setdefault(usage, usage),  # type: ignore[arg-type]
                refs,
                voter_name,
                bool(unsold),
                tuple([names[pid] for pid in tenant_ids]),
            )
            stored[row.key] = StoredFlat(flat_id, bool(active), row, owner_ids, tuple(tenant_ids))
    del flats, owners, tenants
    return Snapshot(
        compounds={name: cid for cid, name in compound_names.items()},
        buildings={key: bid for bid, key in building_keys.items()},
        units={key: uid for uid, key in unit_keys.items()},
        flats=stored,
        people=people,
        person_phones=phones,
    )


async def export_rows(community_id: int) -> list[FlatRow]:
    """The active register in a natural order (compound, building, unit, floor, room)."""
    snapshot = await load_snapshot(community_id)
    return sorted(snapshot.active_rows(), key=planning.row_sort_key)

