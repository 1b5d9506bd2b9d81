"""Register import: apply a plan to the database in one write transaction, all or nothing.

The snapshot it is planned against is `snapshot.py`; uploads kept between preview and apply, and large
applies run in the background, are `uploads.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from community.audit import audit
from community.bulk_sql import STATISTICS_AFTER, fetch_tuples, refresh_statistics, write_many
from community.clock import now
from community.db import engine, write_transaction
from community.errors import Conflict
from community.i18n import lazy
from community.roster import identity as identities
from community.roster import plan as planning
from community.roster.identity import Identity
from community.roster.plan import ImportPlan, Link, Snapshot, plan_import
from community.roster.snapshot import chunks, load_snapshot
from community.roster.template import FlatKey, FlatRow
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

# Rows per executemany call; between calls the progress bar moves.
BULK = 2000
# Rows per read of the ids an import gave.
WRITTEN_SLICE = 20_000
ROSTER_TABLES = ("compound", "building", "stairwell_unit", "flat", "person", "ownership", "residency", "verification")
# Stored in Verification.revoke_reason when an import (not a person) ended a link; shown translated.
REASON_REGISTER = "register:removed"
REGISTER_REMOVED_TEXT = lazy("No longer in the register")
STALE_REGISTER = lazy(
    "The register has changed since this preview was made. Look at the preview again before applying it."
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    removed: int
    unchanged: int
    written: bool

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed, "unchanged": self.unchanged}


def _result(plan: ImportPlan, written: bool) -> ImportResult:
    diff = plan.diff
    return ImportResult(len(diff.added), len(diff.changed), len(diff.removed), diff.unchanged, written)


async def _lock_community(community_id: int) -> None:
    # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs a row lock so two
    # imports into one community cannot interleave.
    if isinstance(engine(), PostgresEngine):
        await Community.raw("SELECT id FROM community WHERE id = {} FOR UPDATE", community_id)


async def import_rows(
    community_id: int,
    rows: Sequence[FlatRow],
    *,
    actor_id: int | None = None,
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
    source: dict[str, Any] | None = None,
    remove: bool = True,
    report: Callable[[ImportPlan], None] | None = None,
) -> ImportResult:
    """Make the community's register say what `rows` say, all or nothing; writes nothing when it already does.

    `expected_fingerprint` ties the write to the register a preview was computed against (Conflict otherwise).
    `remove=False` adds and updates only: flats the file does not list are kept (the web pages' default for a
    file that lacks rows; the command line makes the register say exactly what the file says).
    `report` is shown the plan made under the write lock before it is carried out (the command line prints it):
    the register is then read and planned once, not for a preview and again under the lock.
    """
    if expected_fingerprint is None and report is None:
        # Nobody has looked at the plan yet: make it before taking the write lock, so a register that already
        # says this takes no lock at all. A caller with a preview's fingerprint has planned already (and found
        # work to do): planning twice over 100,000 flats cost seconds and the memory of two registers.
        snapshot = await load_snapshot(community_id, rows)
        plan = plan_import(snapshot, rows, remove)
        if plan.is_empty:
            return _result(plan, written=False)
        del snapshot, plan
    async with write_transaction():
        await _lock_community(community_id)
        # Read again under the write lock: another import may have finished in between.
        snapshot = await load_snapshot(community_id, rows)
        if expected_fingerprint is not None and snapshot.fingerprint() != expected_fingerprint:
            raise Conflict(STALE_REGISTER)
        plan = plan_import(snapshot, rows, remove)
        if report is not None:
            report(plan)
        if plan.is_empty:
            return _result(plan, written=False)
        await _execute(community_id, snapshot, plan, actor_id, progress or (lambda done, total: None))
        await audit("roster_imported", actor=actor_id, community=community_id, object_type="community", object_id=community_id, details={**_result(plan, True).as_dict(), **(source or {})})
    result = _result(plan, written=True)
    if result.added + result.changed + result.removed >= STATISTICS_AFTER:
        await refresh_statistics(*ROSTER_TABLES)
    return result


async def _execute(
    community_id: int, snapshot: Snapshot, plan: ImportPlan, actor_id: int | None, progress: Progress
) -> None:
    total = max(plan.work, 1)
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(min(done, total), total)

    progress(0, total)
    compounds = dict(snapshot.compounds)
    if plan.new_compounds:
        await Compound.insert(*(Compound(community=community_id, name=name) for name in plan.new_compounds))
        for r in await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id):
            compounds[str(r["name"])] = int(r["id"])
    buildings = dict(snapshot.buildings)
    for building_keys in chunks(plan.new_buildings):
        await Building.insert(*(Building(compound=compounds[c], name=b) for c, b in building_keys))
    if plan.new_buildings:
        names = {cid: name for name, cid in compounds.items()}
        for r in await Building.select(Building.id, Building.name, Building.compound).where(
            Building.compound.community == community_id
        ):
            buildings[(names[int(r["compound"])], str(r["name"]))] = int(r["id"])
    units = dict(snapshot.units)
    for unit_keys_part in chunks(plan.new_units):
        await StairwellUnit.insert(
            *(StairwellUnit(building=buildings[(c, b)], name=u) for c, b, u in unit_keys_part)
        )
    if plan.new_units:
        keys = {bid: key for key, bid in buildings.items()}
        for r in await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building).where(
            StairwellUnit.building.compound.community == community_id
        ):
            units[(*keys[int(r["building"])], str(r["name"]))] = int(r["id"])

    moment = now()
    # The ids of the people and flats this import adds, beside the snapshot's (not a copy of its 180,000), keyed
    # by the plan's own identities and flat keys: what is read back only finds them.
    new_person_ids: dict[Identity, int | None] = dict.fromkeys(p.identity for p in plan.new_people)

    def person_id(identity: Identity) -> int:
        known = new_person_ids.get(identity)
        if known is None:
            known = snapshot.person_id(identity)
        if known is None:  # the plan wrote every person it links; reaching this is a bug, not bad input
            raise RuntimeError(f"import: no person {identities.person_key(identity)}")
        return known

    for new_people in chunks(plan.new_people, BULK):
        await write_many(
            "INSERT INTO person (community, name, id_suffix, phone, identity_key, is_developer, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {})",
            [(community_id, p.name, p.id_suffix, p.phone, p.key, False, moment) for p in new_people],
        )
        step(len(new_people))
    if plan.new_people:
        # Only rows written now: everybody older is in the snapshot already.
        async for pid, identity_key in _written(
            "SELECT id, identity_key FROM person WHERE community = {} AND id > {} ORDER BY id LIMIT {}",
            community_id,
            snapshot.last_person_id,
        ):
            identity = identities.identity_of_key(identity_key)
            if identity in new_person_ids:  # assigning keeps the plan's tuple as the key, not this one
                new_person_ids[identity] = pid
    await write_many(
        "UPDATE person SET phone = {} WHERE id = {}", [(phone, pid) for pid, phone in plan.phone_updates]
    )

    def voter_id(row: FlatRow) -> int | None:
        identity = identities.designated_voter(row)
        if identity is None:
            return None
        known = planning.stored_owner_ids(snapshot.flats.get(row.key), row)
        if known is not None:  # the flat already lists these owners (the snapshot looked none of them up)
            return known[identities.owner_identities(row).index(identity)]
        return person_id(identity)

    new_flat_ids: dict[FlatKey, int | None] = dict.fromkeys(row.key for row in plan.insert_flats)

    def id_of_flat(key: FlatKey) -> int:
        known = new_flat_ids.get(key)
        return snapshot.flats[key].id if known is None else known

    for flat_rows in chunks(plan.insert_flats, BULK):
        await write_many(
            "INSERT INTO flat (stairwell_unit, floor, room, area, area_source, usage, developer_unsold, "
            "designated_voter, active, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            [
                (
                    units[(row.compound, row.building, row.unit)],
                    row.floor,
                    row.room,
                    row.area,
                    row.area_source,
                    row.usage,
                    row.developer_unsold,
                    voter_id(row),
                    True,
                    moment,
                )
                for row in flat_rows
            ],
        )
        step(len(flat_rows))
    if plan.insert_flats:
        unit_keys = {uid: key for key, uid in units.items()}
        async for new_id, unit_id, room in _written(
            "SELECT f.id, f.stairwell_unit, f.room FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit "
            "JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound "
            "WHERE c.community = {} AND f.id > {} ORDER BY f.id LIMIT {}",
            community_id,
            max((stored.id for stored in snapshot.flats.values()), default=0),
        ):
            key = (*unit_keys[unit_id], room)
            if key in new_flat_ids:  # as for people: the plan's key stays the dict's key
                new_flat_ids[key] = new_id

    for updates in chunks(plan.update_flats, BULK):
        await write_many(
            "UPDATE flat SET floor = {}, area = {}, area_source = {}, usage = {}, developer_unsold = {}, "
            "designated_voter = {}, active = {}, updated_at = {} WHERE id = {}",
            [
                (
                    row.floor,
                    row.area,
                    row.area_source,
                    row.usage,
                    row.developer_unsold,
                    voter_id(row),
                    True,
                    moment,
                    flat_id,
                )
                for flat_id, row in updates
            ],
        )
        step(len(updates))
    for ids in chunks(plan.deactivate_flats):
        await Flat.update({Flat.active: False, Flat.updated_at: moment}).where(Flat.id.is_in(list(ids)))
        step(len(ids))

    relinked_owner_flats = [id_of_flat(key) for key in plan.relink_owners]
    for ids in chunks(relinked_owner_flats):
        await Ownership.delete().where(Ownership.flat.is_in(list(ids)))
    relinked_tenant_flats = [id_of_flat(key) for key in plan.relink_tenants]
    for ids in chunks(relinked_tenant_flats):
        await Residency.delete().where(Residency.flat.is_in(list(ids)))
    for owner_part in _batches(plan.iter_links("owner"), BULK):
        await write_many(
            "INSERT INTO ownership (flat, person, phone) VALUES ({}, {}, {})",
            [(id_of_flat(link.flat), person_id(link.person), link.phone) for link in owner_part],
        )
        step(len(owner_part))
    for tenant_part in _batches(plan.iter_links("tenant"), BULK):
        await write_many(
            "INSERT INTO residency (flat, person, relation) VALUES ({}, {}, {})",
            [(id_of_flat(link.flat), person_id(link.person), "tenant") for link in tenant_part],
        )
        step(len(tenant_part))
    await _end_links(plan.dropped, actor_id, moment)


def _batches(links: Iterable[Link], size: int) -> Iterator[list[Link]]:
    batch: list[Link] = []
    for link in links:
        batch.append(link)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _written(sql: str, community_id: int, after: int) -> AsyncIterator[Sequence[Any]]:
    """The rows `sql` gives for the community after id `after` (rows written now: SQLite hands out ids above
    every row's, PostgreSQL's sequences only grow), a slice at a time: the 180,000 people of a first import
    were once read at once, beside everything else."""
    while True:
        rows = await fetch_tuples(sql, community_id, after, WRITTEN_SLICE)
        for row in rows:
            yield row
        if len(rows) < WRITTEN_SLICE:
            return
        after = rows[-1][0]


async def _end_links(dropped: Sequence[tuple[int, int]], actor_id: int | None, moment: datetime) -> None:
    """Links the register no longer has: their verifications are revoked and their unused slips withdrawn."""
    if not dropped:
        return
    wanted = set(dropped)
    flat_ids = sorted({flat for flat, _ in dropped})
    verification_ids: list[int] = []
    code_ids: list[int] = []
    for ids in chunks(flat_ids):
        for r in await Verification.select(Verification.id, Verification.flat, Verification.person).where(
            Verification.flat.is_in(list(ids)) & Verification.revoked_at.is_null()
        ):
            if (int(r["flat"]), int(r["person"])) in wanted:
                verification_ids.append(int(r["id"]))
        for r in await JoinCode.select(JoinCode.id, JoinCode.flat, JoinCode.person).where(
            JoinCode.flat.is_in(list(ids)) & JoinCode.used_at.is_null() & JoinCode.revoked_at.is_null()
        ):
            if (int(r["flat"]), int(r["person"])) in wanted:
                code_ids.append(int(r["id"]))
    for ids in chunks(verification_ids):
        await Verification.update(
            {
                Verification.revoked_at: moment,
                Verification.revoked_by: actor_id,
                Verification.revoke_reason: REASON_REGISTER,
            }
        ).where(Verification.id.is_in(list(ids)))
    for ids in chunks(code_ids):
        await JoinCode.update({JoinCode.revoked_at: moment}).where(JoinCode.id.is_in(list(ids)))

