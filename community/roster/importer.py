"""Register import and export: read the database into a snapshot, apply a plan in one write transaction,
keep uploads server-side between preview and apply, and run large applies in the background."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from piccolo.engine.postgres import PostgresEngine

from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import engine, write_transaction
from community.errors import Conflict, NotFound
from community.i18n import lazy
from community.roster import plan as planning
from community.roster.files import load_register
from community.roster.plan import ImportPlan, Snapshot, StoredFlat, plan_import
from community.roster.template import FlatRow, PersonRef, Problem
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    JoinCode,
    Ownership,
    Person,
    Residency,
    RosterUpload,
    StairwellUnit,
    Verification,
)

log = logging.getLogger("yishi.roster")

# Ids per "… IN (…)": well under both engines' limit on bound parameters.
CHUNK = 500
# Rows per executemany call; between calls the progress bar moves.
BULK = 2000
UPLOAD_KEEP = timedelta(days=7)
# An apply that has not finished after this long died with its process; it may be started again.
APPLY_TIMEOUT = timedelta(minutes=10)
# Stored in Verification.revoke_reason when an import (not a person) ended a link; shown translated.
REASON_REGISTER = "register:removed"
REGISTER_REMOVED_TEXT = lazy("No longer in the register")
STALE_REGISTER = lazy(
    "The register has changed since this preview was made. Look at the preview again before applying it."
)

Progress = Callable[[int, int], None]
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- snapshot


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


# --------------------------------------------------------------------------- applying a plan


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
) -> ImportResult:
    """Make the community's register say what `rows` say, all or nothing; writes nothing when it already does.

    `expected_fingerprint` ties the write to the register a preview was computed against (Conflict otherwise).
    `remove=False` adds and updates only: flats the file does not list are kept (the web pages' default for a
    file that lacks rows; the command line makes the register say exactly what the file says).
    """
    snapshot = await load_snapshot(community_id)
    if expected_fingerprint is not None and snapshot.fingerprint() != expected_fingerprint:
        raise Conflict(STALE_REGISTER)
    plan = plan_import(snapshot, rows, remove)
    if plan.is_empty:
        return _result(plan, written=False)
    async with write_transaction():
        await _lock_community(community_id)
        # Read again under the write lock: another import may have finished in between.
        snapshot = await load_snapshot(community_id)
        if expected_fingerprint is not None and snapshot.fingerprint() != expected_fingerprint:
            raise Conflict(STALE_REGISTER)
        plan = plan_import(snapshot, rows, remove)
        if plan.is_empty:
            return _result(plan, written=False)
        await _execute(community_id, snapshot, plan, actor_id, progress or (lambda done, total: None))
        await audit("roster_imported", actor=actor_id, community=community_id, object_type="community", object_id=community_id, details={**_result(plan, True).as_dict(), **(source or {})})
    return _result(plan, written=True)


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
    people = dict(snapshot.people)
    for new_people in chunks(plan.new_people, BULK):
        await _write_many(
            "INSERT INTO person (community, name, id_suffix, phone, identity_key, is_developer, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {})",
            [(community_id, p.name, p.id_suffix, p.phone, p.key, False, moment) for p in new_people],
        )
        step(len(new_people))
    if plan.new_people:
        for r in await Person.select(Person.id, Person.identity_key).where(Person.community == community_id):
            people[str(r["identity_key"])] = int(r["id"])
    await _write_many(
        "UPDATE person SET phone = {} WHERE id = {}", [(phone, pid) for pid, phone in plan.phone_updates]
    )

    def voter_id(row: FlatRow) -> int | None:
        key = planning.designated_voter_key(row)
        return people[key] if key is not None else None

    flat_ids = {key: stored.id for key, stored in snapshot.flats.items()}
    for flat_rows in chunks(plan.insert_flats, BULK):
        await _write_many(
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
        for r in await Flat.select(Flat.id, Flat.stairwell_unit, Flat.room).where(
            Flat.stairwell_unit.building.compound.community == community_id
        ):
            flat_ids[(*unit_keys[int(r["stairwell_unit"])], str(r["room"]))] = int(r["id"])

    for updates in chunks(plan.update_flats, BULK):
        await _write_many(
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

    relinked_owner_flats = [flat_ids[key] for key in plan.relink_owners]
    for ids in chunks(relinked_owner_flats):
        await Ownership.delete().where(Ownership.flat.is_in(list(ids)))
    relinked_tenant_flats = [flat_ids[key] for key in plan.relink_tenants]
    for ids in chunks(relinked_tenant_flats):
        await Residency.delete().where(Residency.flat.is_in(list(ids)))
    owner_links = [link for link in plan.links if link.relation == "owner"]
    for owner_part in chunks(owner_links, BULK):
        await _write_many(
            "INSERT INTO ownership (flat, person, phone) VALUES ({}, {}, {})",
            [(flat_ids[link.flat], people[link.person], link.phone) for link in owner_part],
        )
        step(len(owner_part))
    tenant_links = [link for link in plan.links if link.relation == "tenant"]
    for tenant_part in chunks(tenant_links, BULK):
        await _write_many(
            "INSERT INTO residency (flat, person, relation) VALUES ({}, {}, {})",
            [(flat_ids[link.flat], people[link.person], "tenant") for link in tenant_part],
        )
        step(len(tenant_part))
    await _end_links(plan.dropped, actor_id, moment)


def _placeholders(sql: str) -> str:
    """Write "{}" placeholders the way the database driver wants them (? for SQLite, $n for PostgreSQL)."""
    if isinstance(engine(), PostgresEngine):
        counter = iter(range(1, sql.count("{}") + 1))
        return re.sub(r"\{\}", lambda _: f"${next(counter)}", sql)
    return sql.replace("{}", "?")


async def _write_many(sql: str, rows: Sequence[Sequence[object]]) -> None:
    """One statement for many rows on the write transaction's own connection.

    Piccolo builds a Table object and a query string per inserted row, which made a 10,000-flat import
    several times slower; the drivers' executemany sends the rows in one go.
    """
    if not rows:
        return
    transaction = engine().current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk writes must run inside write_transaction()")
    await transaction.connection.executemany(_placeholders(sql), rows)


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


# --------------------------------------------------------------------------- checking a file


@dataclass(frozen=True)
class Checked:
    """A register file read and validated; `rows` only when there is no problem."""

    rows: list[FlatRow]
    problems: list[Problem]


_parsed: OrderedDict[str, Checked] = OrderedDict()
# Preview and apply read the same stored file; keeping the last few parses saves a second read.
_PARSED_KEEP = 4


async def check_file(filename: str, data: bytes) -> Checked:
    """Read and validate off the event loop (a large XLSX takes a second); recent results are kept."""
    digest = hashlib.sha256(data).hexdigest()
    cached = _parsed.get(digest)
    if cached is not None:
        _parsed.move_to_end(digest)
        return cached
    rows, problems = await asyncio.to_thread(load_register, filename, data)
    checked = Checked(planning.normalise_rows(rows), problems)
    _parsed[digest] = checked
    while len(_parsed) > _PARSED_KEEP:
        _parsed.popitem(last=False)
    return checked


async def preview(community_id: int, rows: Sequence[FlatRow]) -> tuple[ImportPlan, str]:
    """The plan for `rows` against the register now, and that register's fingerprint."""
    snapshot = await load_snapshot(community_id)
    return plan_import(snapshot, rows), snapshot.fingerprint()


# --------------------------------------------------------------------------- uploads


async def store_upload(community_id: int, actor_id: int, filename: str, data: bytes) -> str:
    """Keep a validated upload until it is applied (or for UPLOAD_KEEP); returns its token."""
    token = secrets.token_urlsafe(24)
    async with write_transaction():
        await RosterUpload.delete().where(RosterUpload.created_at < now() - UPLOAD_KEEP)
        await RosterUpload.insert(
            RosterUpload(
                community=community_id,
                token=token,
                sha256=hashlib.sha256(data).hexdigest(),
                filename=filename[:255],
                data=data,
                created_by=actor_id,
            )
        )
    return token


async def get_upload(community_id: int, token: str, with_data: bool = False) -> dict[str, Any]:
    columns = [
        RosterUpload.id,
        RosterUpload.token,
        RosterUpload.sha256,
        RosterUpload.filename,
        RosterUpload.status,
        RosterUpload.created_at,
        RosterUpload.started_at,
        RosterUpload.finished_at,
        RosterUpload.result,
        RosterUpload.created_by.display_name,
    ]
    if with_data:
        columns.append(RosterUpload.data)
    row = (
        await RosterUpload.select(*columns)
        .where((RosterUpload.token == token) & (RosterUpload.community == community_id))
        .first()
    )
    if row is None:
        raise NotFound(lazy("This upload does not exist or has expired. Please upload the file again."))
    if row["status"] == "applying" and row["started_at"] is not None and now() - row["started_at"] > APPLY_TIMEOUT:
        row["status"] = "failed"
        row["result"] = {"reason": "interrupted"}
    if isinstance(row["result"], str):
        row["result"] = json.loads(row["result"] or "{}")
    return row


_progress: dict[str, tuple[int, int]] = {}
_tasks: set[asyncio.Task[None]] = set()


def progress_of(token: str) -> tuple[int, int] | None:
    """(done, total) of an apply running in this process; None when unknown (another process, or done)."""
    return _progress.get(token)


def running() -> list[asyncio.Task[None]]:
    """Applies still running in this process (tests and shutdown wait for them)."""
    return list(_tasks)


async def start_apply(
    community_id: int, token: str, actor_id: int, expected_fingerprint: str, remove: bool = True
) -> Literal["started", "busy", "stale"]:
    """Claim the upload (once: a second click finds it busy) and apply it in the background.

    "stale" when the register changed since the preview the user looked at; nothing is started then.
    """
    upload = await get_upload(community_id, token)
    if upload["status"] not in ("previewed", "failed"):
        return "busy"
    startable = RosterUpload.status.is_in(["previewed", "failed"]) | (
        (RosterUpload.status == "applying") & (RosterUpload.started_at < now() - APPLY_TIMEOUT)
    )
    async with write_transaction():
        claimed = await RosterUpload.update(
            {RosterUpload.status: "applying", RosterUpload.started_at: now(), RosterUpload.result: {}}
        ).where((RosterUpload.id == upload["id"]) & startable).returning(RosterUpload.id)
    if not claimed:
        return "busy"
    if (await load_snapshot(community_id)).fingerprint() != expected_fingerprint:
        async with write_transaction():
            await RosterUpload.update({RosterUpload.status: "previewed", RosterUpload.started_at: None}).where(
                RosterUpload.id == upload["id"]
            )
        return "stale"
    _progress[token] = (0, 0)
    task = asyncio.create_task(_apply(community_id, token, actor_id, expected_fingerprint, remove))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return "started"


async def _apply(community_id: int, token: str, actor_id: int, expected_fingerprint: str, remove: bool) -> None:
    status = "failed"
    result: dict[str, Any] = {"reason": "error"}
    try:
        upload = await get_upload(community_id, token, with_data=True)
        checked = await check_file(upload["filename"], bytes(upload["data"]))
        if checked.problems:
            result = {"reason": "problems"}
        else:

            def report(done: int, total: int) -> None:
                _progress[token] = (done, total)

            outcome = await import_rows(
                community_id,
                checked.rows,
                actor_id=actor_id,
                expected_fingerprint=expected_fingerprint,
                progress=report,
                source={"filename": upload["filename"], "sha256": upload["sha256"], "removals": remove},
                remove=remove,
            )
            status, result = "applied", {**outcome.as_dict(), "written": int(outcome.written)}
    except Conflict:
        result = {"reason": "stale"}
    except Exception:
        log.exception("roster import %s failed", token)
    finally:
        _progress.pop(token, None)
    try:
        async with write_transaction():
            await RosterUpload.update(
                {RosterUpload.status: status, RosterUpload.finished_at: now(), RosterUpload.result: result}
            ).where(RosterUpload.token == token)
    except Exception:
        log.exception("could not record the outcome of roster import %s", token)
