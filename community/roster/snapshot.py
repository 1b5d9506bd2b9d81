"""Read the register from the database into a snapshot (what an import is planned against), and export it."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from community.bulk_sql import fetch_tuples
from community.roster import identity as identities
from community.roster import plan as planning
from community.roster.plan import Snapshot, StoredFlat, paused_gc
from community.roster.template import FlatKey, FlatRow, PersonRef, same_content
from community.tables import (
    Building,
    Compound,
    StairwellUnit,
)

# Ids per "… IN (…)": well under both engines' limit on bound parameters.
CHUNK = 500
# Flats per read of a register.
SLICE = 5000

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load_snapshot(community_id: int, like: Sequence[FlatRow] = ()) -> Snapshot:
    """The community's register as the database holds it (inactive flats included).

    A flat that says exactly what its row in `like` (the file being imported) says is held as that very row,
    line number and all (nothing that reads a snapshot row looks at its line): a register imported again is
    then not held twice. `people` holds only the people of `like` that the plan must look up by identity."""
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
    # hundreds of MiB (docs/architecture.md, "Large communities"). The phones of the owners of stored flats come
    # with their ownerships, those of people looked up by identity with them: nobody else's is ever compared.
    phones: dict[int, str | None] = {}
    last_person = (await fetch_tuples("SELECT MAX(id) FROM person WHERE community = {}", community_id))[0][0] or 0
    file_rows = {row.key: row for row in like}
    stored: dict[tuple[str, str, str, str], StoredFlat] = {}
    # A slice of stairwell units at a time, each slice's flats read with their owners and tenants: the raw rows
    # of the whole register (and every person's name) were once all held at once, beside the file imported.
    sizes = await fetch_tuples(
        "SELECT f.stairwell_unit, COUNT(*) FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit "
        "JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound WHERE c.community = {} "
        "GROUP BY f.stairwell_unit",
        community_id,
    )
    # Flats in the order of their places' names, then as created: the order the preview lists removed flats in
    # (it was SQLite's order when the register was one read).
    sizes.sort(key=lambda unit_size: unit_keys[unit_size[0]])
    for units_part in _slices(sizes):
        slots = ", ".join(["{}"] * len(units_part))
        flats = await fetch_tuples(
            "SELECT f.id, f.stairwell_unit, f.floor, f.room, f.area, f.area_source, f.usage, f.developer_unsold, "  # noqa: S608 - "{}" slots only
            f"f.designated_voter, f.active FROM flat f WHERE f.stairwell_unit IN ({slots}) ORDER BY f.id",
            *units_part,
        )
        rank = {unit_id: place for place, unit_id in enumerate(units_part)}
        flats.sort(key=lambda flat: rank[flat[1]])
        owners: dict[int, list[tuple[int, PersonRef, str | None]]] = {}
        for flat, person, phone, name, id_suffix, person_phone in await fetch_tuples(
            "SELECT o.flat, o.person, o.phone, p.name, p.id_suffix, p.phone FROM ownership o "  # noqa: S608 - "{}" slots only
            "JOIN flat f ON f.id = o.flat "
            f"JOIN person p ON p.id = o.person WHERE f.stairwell_unit IN ({slots}) ORDER BY o.id",
            *units_part,
        ):
            owners.setdefault(flat, []).append((person, PersonRef(name, id_suffix, phone), person_phone))
        tenants: dict[int, list[tuple[int, str]]] = {}
        for flat, person, name in await fetch_tuples(
            "SELECT r.flat, r.person, p.name FROM residency r JOIN flat f ON f.id = r.flat "  # noqa: S608 - "{}" slots only
            f"JOIN person p ON p.id = r.person WHERE f.stairwell_unit IN ({slots}) ORDER BY r.id",
            *units_part,
        ):
            tenants.setdefault(flat, []).append((person, name))
        _add_flats(stored, flats, unit_keys, owners, tenants, file_rows, phones)
    del file_rows
    people = await _people_by_identity(community_id, like, stored, phones) if last_person else {}
    return Snapshot(
        compounds={name: cid for cid, name in compound_names.items()},
        buildings={key: bid for bid, key in building_keys.items()},
        units={key: uid for uid, key in unit_keys.items()},
        flats=stored,
        people=people,
        person_phones=phones,
        last_person_id=last_person,
    )


async def _people_by_identity(
    community_id: int, like: Sequence[FlatRow], stored: Mapping[FlatKey, StoredFlat], phones: dict[int, str | None]
) -> dict[bytes, int]:
    """The stored people the plan must find by identity: those of the file's rows whose flat does not already list
    them, in the same order (`planning.stored_owner_ids`). A register imported again then looks up nobody, and
    does not hold 180,000 keys."""
    wanted: dict[str, None] = {}
    for row in like:
        owners, tenants = planning.looked_up(stored.get(row.key), row)
        if owners:
            wanted.update(dict.fromkeys(identities.person_key(identity) for identity in identities.owner_identities(row)))
        if tenants:
            wanted.update(dict.fromkeys(identities.tenant_key(name, row.key) for name in row.tenants))
    people: dict[bytes, int] = {}
    for keys in chunks(list(wanted)):
        slots = ", ".join(["{}"] * len(keys))
        for pid, identity_key, phone in await fetch_tuples(
            f"SELECT id, identity_key, phone FROM person WHERE community = {{}} AND identity_key IN ({slots})",  # noqa: S608 - "{}" slots only
            community_id,
            *keys,
        ):
            people[identity_key.encode()] = pid
            phones.setdefault(pid, phone)
    return people


def _slices(sizes: Iterable[Sequence[int]]) -> Iterator[list[int]]:
    """Stairwell unit ids in groups of at most SLICE flats (a larger unit alone) and CHUNK units."""
    part: list[int] = []
    flats = 0
    for unit_id, count in sizes:
        if part and (flats + count > SLICE or len(part) == CHUNK):
            yield part
            part, flats = [], 0
        part.append(unit_id)
        flats += count
    if part:
        yield part


def _add_flats(
    stored: dict[FlatKey, StoredFlat],
    flats: Sequence[Sequence[Any]],
    unit_keys: Mapping[int, tuple[str, str, str]],
    owners: Mapping[int, list[tuple[int, PersonRef, str | None]]],
    tenants: Mapping[int, list[tuple[int, str]]],
    file_rows: Mapping[FlatKey, FlatRow],
    phones: dict[int, str | None],
) -> None:
    no_owners: list[tuple[int, PersonRef, str | None]] = []
    no_tenants: list[tuple[int, str]] = []
    with paused_gc():
        for flat_id, unit_id, floor, room, area, area_source, usage, unsold, voter, active in flats:
            compound, building, unit = unit_keys[unit_id]
            owner_links = owners.get(flat_id, no_owners)
            tenant_links = tenants.get(flat_id, no_tenants)
            row = FlatRow(
                0,
                compound,
                building,
                unit,
                floor,
                room,
                area,
                sys.intern(area_source),  # type: ignore[arg-type]  # one string each, not one per flat
                sys.intern(usage),  # type: ignore[arg-type]
                tuple([ref for _pid, ref, _phone in owner_links]),
                next((ref.name for pid, ref, _phone in owner_links if pid == voter), None),
                bool(unsold),
                tuple([name for _pid, name in tenant_links]),
            )
            same = file_rows.get(row.key)
            if same is not None and same_content(same, row):
                row = same
            for (pid, _ref, person_phone), owner in zip(owner_links, row.owners, strict=True):
                # Mostly the phone the row gives: then that very string (the file's when it is the file's row).
                phones[pid] = owner.phone if person_phone == owner.phone else person_phone
            stored[row.key] = StoredFlat(
                flat_id,
                bool(active),
                row,
                tuple([pid for pid, _ref, _phone in owner_links]),
                tuple([pid for pid, _name in tenant_links]),
            )


async def export_rows(community_id: int) -> list[FlatRow]:
    """The active register in a natural order (compound, building, unit, floor, room)."""
    snapshot = await load_snapshot(community_id)
    return sorted(snapshot.active_rows(), key=planning.row_sort_key)

