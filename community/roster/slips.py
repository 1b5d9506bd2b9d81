"""Join slips: one-time codes printed with a QR code, made per building, listed by batch and withdrawn one by one.

Claiming a code on a phone is `joining.py`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import segno

from community import paging
from community.accounts import CurrentUser
from community.audit import audit
from community.bulk_sql import fetch_tuples, id_list
from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import RosterAccess, require_verify
from community.roster import codes
from community.roster.places import (
    FlatPlace,
    flats_of_people,
    people_on,
    places,
    places_of_person,
    relation_among,
)
from community.roster.plan import natural_key
from community.roster.snapshot import CHUNK, chunks
from community.tables import Building, Flat, JoinCode

SlipMode = Literal["person", "flat"]
SLIP_MODES: tuple[SlipMode, ...] = ("person", "flat")


def qr_svg(url: str) -> str:
    """An inline SVG QR code (no image file, no other host); sized by CSS through class "qr"."""
    return str(segno.make(url, error="m", micro=False).svg_inline(scale=4, border=4, omitsize=True, svgclass="qr"))


# --------------------------------------------------------------------------- printing slips


@dataclass(frozen=True)
class Slip:
    id: int
    code: str
    person_name: str
    relation: str
    places: list[FlatPlace]
    expires_at: datetime
    state: str

    @property
    def display_code(self) -> str:
        return codes.format_code(self.code)


@dataclass(frozen=True)
class BatchSummary:
    batch: str
    created_at: datetime
    created_by: str | None
    slips: int
    valid: int


async def slip_buildings(access: RosterAccess) -> list[dict[str, Any]]:
    """The buildings this account may print slips for, with their compound's name."""
    rows = await Building.select(Building.id, Building.name, Building.compound.name).where(
        Building.compound.community == access.community_id
    )
    visible = [r for r in rows if access.may_verify(int(r["id"]))]
    return sorted(visible, key=lambda r: (natural_key(str(r["compound.name"])), natural_key(str(r["name"]))))


async def _wanted_slips(
    access: RosterAccess, building_ids: Sequence[int], mode: str, include_unverified: bool, days: int
) -> tuple[list[int], list[int], dict[tuple[int, int | None], None]]:
    """(chosen buildings, their flats, the slips wanted: (person, flat or None)); FormErrors if none or refused."""
    errors: dict[str, str] = {}
    allowed = {int(r["id"]) for r in await slip_buildings(access)}
    chosen = sorted(set(building_ids))
    if not chosen:
        errors["buildings"] = lazy("Choose at least one building.")
    elif any(b not in allowed for b in chosen):
        errors["buildings"] = lazy("You may print slips only for your own buildings.")
    if mode not in SLIP_MODES:
        errors["mode"] = lazy("Choose one slip per person or one per flat.")
    if not 1 <= days <= codes.MAX_VALIDITY_DAYS:
        errors["days"] = lazy("The validity must be between 1 and 365 days.")
    values = {"mode": mode, "days": str(days), "include_unverified": "1" if include_unverified else ""}
    if errors:
        raise FormErrors(errors, values)
    for building in chosen:
        require_verify(access, building)
    flat_ids = [
        int(r["id"])
        for r in await Flat.select(Flat.id).where(Flat.stairwell_unit.building.is_in(chosen) & Flat.active.eq(True))
    ]
    people = await people_on(flat_ids)
    flat_places = await places(flat_ids)
    wanted: dict[tuple[int, int | None], None] = {}
    for fid in sorted(flat_ids, key=lambda f: flat_places[f].sort_key):
        for person in people[fid]:
            if person.joined or not (person.verified or include_unverified):
                continue
            wanted[(person.person_id, fid if mode == "flat" else None)] = None
    if not wanted:
        raise FormErrors({"buildings": lazy("Nobody in these buildings needs a slip.")}, values)
    return chosen, flat_ids, wanted


def _old_slips(person_ids: Sequence[int], flat_ids: Sequence[int]) -> Any:
    """Unused, not withdrawn slips of these people for these flats (or for all their flats): what voiding withdraws.
    Slips printed for flats of other buildings stay valid."""
    return (
        JoinCode.person.is_in(list(person_ids))
        & (JoinCode.flat.is_null() | JoinCode.flat.is_in(list(flat_ids) or [-1]))
        & JoinCode.used_at.is_null()
        & JoinCode.revoked_at.is_null()
    )


async def old_slip_count(
    access: RosterAccess, building_ids: Sequence[int], mode: str, include_unverified: bool, days: int
) -> int:
    """How many earlier unused slips `create_slips(..., void_old=True)` would withdraw (shown before confirming)."""
    _chosen, flat_ids, wanted = await _wanted_slips(access, building_ids, mode, include_unverified, days)
    person_ids = sorted({person for person, _ in wanted})
    total = 0
    for part in chunks(person_ids, CHUNK):
        total += await JoinCode.count().where(_old_slips(list(part), flat_ids) & (JoinCode.expires_at > now()))
    return int(total)


async def create_slips(
    access: RosterAccess,
    user: CurrentUser,
    building_ids: Sequence[int],
    mode: str,
    include_unverified: bool,
    days: int,
    void_old: bool = False,
) -> str:
    """New codes for the people of the chosen buildings who have not joined; returns the batch to print.

    Earlier unused slips stay valid unless `void_old` (an explicit, confirmed choice): then the unused slips of
    the same people for the chosen buildings' flats are withdrawn, so only the newest slip works. Slips of other
    buildings are never touched.
    """
    chosen, flat_ids, wanted = await _wanted_slips(access, building_ids, mode, include_unverified, days)
    batch = secrets.token_urlsafe(12)
    moment = now()
    expires = moment + timedelta(days=days)
    person_ids = sorted({person for person, _ in wanted})
    for _attempt in range(3):
        fresh = [codes.new_code() for _ in wanted]
        try:
            async with write_transaction():
                for part in chunks(person_ids, CHUNK) if void_old else ():
                    await JoinCode.update({JoinCode.revoked_at: moment}).where(_old_slips(list(part), flat_ids))
                rows = [
                    JoinCode(
                        community=access.community_id,
                        code=code,
                        person=person,
                        flat=flat,
                        created_by=user.id,
                        expires_at=expires,
                        batch=batch,
                    )
                    for code, (person, flat) in zip(fresh, wanted, strict=True)
                ]
                for part_rows in chunks(rows, CHUNK):
                    await JoinCode.insert(*part_rows)
                await audit("join_slips_created", actor=user.id, community=access.community_id, object_type="join_code_batch", details={"batch": batch, "slips": len(rows), "mode": mode, "buildings": chosen, "days": days, "voided_old": void_old})
        except Exception as exc:
            # Two equal codes among 31⁸: draw again.
            if is_unique_violation(exc):
                continue
            raise
        return batch
    raise Conflict(lazy("Could not make unique codes. Please try again."))



@dataclass(frozen=True)
class BatchPage:
    """One screen page of a batch's valid slips, and how many of the batch's slips in view are valid or not."""

    slips: list[Slip]
    printable: int
    skipped: int
    page: int
    pages: int


# A batch's slips in view: those whose flats (the slip's own, or all its person's) include an active one and,
# for a grid worker, lie all in their buildings (`@outside`: a condition on the building `b`, FALSE for everyone
# else), with whether each can still be claimed. Asked of the database, so a scope's thousands of slips are
# counted and paged without reading them (issue 15).
_IN_VIEW = """SELECT j.id AS id, CASE WHEN j.revoked_at IS NULL AND j.used_at IS NULL AND j.failed_attempts < {}
  AND j.expires_at > {} THEN 1 ELSE 0 END AS valid
FROM join_code j JOIN (
  SELECT j.id AS code, u.building AS b FROM join_code j JOIN flat f ON f.id = j.flat
    JOIN stairwell_unit u ON u.id = f.stairwell_unit WHERE j.batch = {} AND j.community = {} AND f.active = {}
  UNION ALL SELECT j.id, u.building FROM join_code j JOIN ownership o ON o.person = j.person
    JOIN flat f ON f.id = o.flat JOIN stairwell_unit u ON u.id = f.stairwell_unit
    WHERE j.batch = {} AND j.community = {} AND j.flat IS NULL AND f.active = {}
  UNION ALL SELECT j.id, u.building FROM join_code j JOIN residency r ON r.person = j.person
    JOIN flat f ON f.id = r.flat JOIN stairwell_unit u ON u.id = f.stairwell_unit
    WHERE j.batch = {} AND j.community = {} AND j.flat IS NULL AND f.active = {}
) s ON s.code = j.id
GROUP BY j.id, j.revoked_at, j.used_at, j.failed_attempts, j.expires_at
HAVING SUM(CASE WHEN @outside THEN 1 ELSE 0 END) = 0"""
_COUNT_IN_VIEW = "SELECT COUNT(*), SUM(valid) FROM (" + _IN_VIEW + ") v"  # noqa: S608 - literals only
_PAGE_IN_VIEW = "SELECT id FROM (" + _IN_VIEW + ") v WHERE valid = 1 ORDER BY id LIMIT {} OFFSET {}"  # noqa: S608


def _in_view_sql(sql: str, access: RosterAccess) -> str:
    if access.verify_buildings is None:
        return sql.replace("@outside", "1 = 0")
    return sql.replace("@outside", f"s.b NOT IN ({id_list(access.verify_buildings)})")  # the account's own scope


async def batch_page(access: RosterAccess, batch: str, page: int, per_page: int) -> BatchPage:
    """The valid slips of one batch that this account may see, `per_page` of them from page `page` (the last
    page when there are fewer), in the order they were made; 404 when the account sees none of the batch."""
    moment = now()
    args = [codes.MAX_FAILED_ATTEMPTS, moment, *[batch, access.community_id, True] * 3]
    counted = await fetch_tuples(_in_view_sql(_COUNT_IN_VIEW, access), *args)
    total, printable = int(counted[0][0]), int(counted[0][1] or 0)
    if not total:
        raise NotFound(lazy("These slips do not exist."))
    pages = paging.pages(printable, per_page)
    page = min(page, pages)
    ids = [int(r[0]) for r in await fetch_tuples(_in_view_sql(_PAGE_IN_VIEW, access), *args, per_page, (page - 1) * per_page)]
    shown = await batch_slips(access, batch, ids) if ids else []
    return BatchPage([slip for slip in shown if slip.state == "valid"], printable, total - printable, page, pages)


async def batch_slips(access: RosterAccess, batch: str, ids: Sequence[int] | None = None) -> list[Slip]:
    """The slips of one batch that this account may see, in the order they were made (only those of `ids`)."""
    query = JoinCode.select(
        JoinCode.id,
        JoinCode.code,
        JoinCode.person,
        JoinCode.person.name,
        JoinCode.flat,
        JoinCode.expires_at,
        JoinCode.used_at,
        JoinCode.revoked_at,
        JoinCode.failed_attempts,
    ).where((JoinCode.batch == batch) & (JoinCode.community == access.community_id))
    if ids is not None:
        query = query.where(JoinCode.id.is_in(list(ids) or [-1]))
    rows = await query.order_by(JoinCode.id)
    if not rows:
        raise NotFound(lazy("These slips do not exist."))
    # A few queries for the whole batch, not a few per slip: a batch may hold hundreds of slips.
    person_flats = await flats_of_people(sorted({int(r["person"]) for r in rows}))
    flat_ids = {fid for fids in person_flats.values() for fid in fids}
    flat_ids |= {int(r["flat"]) for r in rows if r["flat"] is not None}
    found = await places(flat_ids)
    people = await people_on(sorted(flat_ids))
    moment = now()
    slips: list[Slip] = []
    for r in rows:
        person_id = int(r["person"])
        wanted = [int(r["flat"])] if r["flat"] is not None else person_flats[person_id]
        flat_places = sorted(
            (found[fid] for fid in set(wanted) if fid in found and found[fid].active), key=lambda p: p.sort_key
        )
        if not flat_places or not all(access.may_verify(p.building_id) for p in flat_places):
            continue
        slips.append(
            Slip(
                id=int(r["id"]),
                code=str(r["code"]),
                person_name=str(r["person.name"]),
                relation=relation_among(person_id, [p for place in flat_places for p in people[place.id]]),
                places=flat_places,
                expires_at=r["expires_at"],
                state=codes.code_state(
                    now=moment,
                    expires_at=r["expires_at"],
                    used_at=r["used_at"],
                    revoked_at=r["revoked_at"],
                    failed_attempts=int(r["failed_attempts"]),
                ),
            )
        )
    if not slips:
        raise NotFound(lazy("These slips do not exist."))
    return slips


async def recent_batches(access: RosterAccess, limit: int = 10) -> list[BatchSummary]:
    """The latest slip batches of the community (made by anyone), newest first."""
    rows = await JoinCode.select(
        JoinCode.batch,
        JoinCode.created_at,
        JoinCode.created_by.display_name,
        JoinCode.used_at,
        JoinCode.revoked_at,
        JoinCode.expires_at,
        JoinCode.failed_attempts,
    ).where((JoinCode.community == access.community_id) & (JoinCode.batch != "")).order_by(
        JoinCode.id, ascending=False
    ).limit(5000)
    moment = now()
    batches: dict[str, BatchSummary] = {}
    for r in rows:
        state = codes.code_state(
            now=moment,
            expires_at=r["expires_at"],
            used_at=r["used_at"],
            revoked_at=r["revoked_at"],
            failed_attempts=int(r["failed_attempts"]),
        )
        current = batches.get(r["batch"])
        if current is None:
            if len(batches) >= limit:
                continue
            current = BatchSummary(r["batch"], r["created_at"], r["created_by.display_name"], 0, 0)
        batches[r["batch"]] = BatchSummary(
            current.batch,
            current.created_at,
            current.created_by,
            current.slips + 1,
            current.valid + (1 if state == "valid" else 0),
        )
    return list(batches.values())


async def revoke_code(access: RosterAccess, user: CurrentUser, code_id: int) -> int | None:
    """Withdraw an unused code; returns its flat (None for a per-person code). Audit-logged."""
    row = await JoinCode.select(JoinCode.id, JoinCode.person, JoinCode.flat, JoinCode.used_at).where(
        (JoinCode.id == code_id) & (JoinCode.community == access.community_id)
    ).first()
    if row is None:
        raise NotFound(lazy("This code does not exist."))
    flat_places = (
        list((await places([int(row["flat"])])).values())
        if row["flat"] is not None
        else await places_of_person(int(row["person"]))
    )
    for place in flat_places:
        require_verify(access, place.building_id)
    async with write_transaction():
        done = await JoinCode.update({JoinCode.revoked_at: now()}).where(
            (JoinCode.id == code_id) & JoinCode.used_at.is_null() & JoinCode.revoked_at.is_null()
        ).returning(JoinCode.id)
        if not done:
            raise Conflict(lazy("This code has already been used or withdrawn."))
        await audit("join_code_revoked", actor=user.id, community=access.community_id, object_type="person", object_id=int(row["person"]), details={"code": code_id})
    return int(row["flat"]) if row["flat"] is not None else None


