"""Canvass tracker (扫楼) service: every flat of an open owners' vote in the staff member's buildings, with its
status, note and next visit; whether it has voted is read from the ballots at every read, never stored."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from community import paging
from community.accounts import CurrentUser
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.tables import Person
from votes import canvass, duties, privacy, services, turnout
from votes.bulk import fetch_tuples
from votes.participation import Participation, natural_key
from votes.services import VoteInfo
from votes.tables import CanvassStatus, VoteEntity, VoteFlat

NOT_OPEN = lazy("Canvassing is for an owners' vote while it is open.")
# The visits the tracker lists (templates/votes/canvass.html shows the first 20).
PLAN_SHOWN = 20
UNKNOWN_FLAT = lazy("This flat is not in this vote's electorate.")


def today() -> date:
    """The community's local day now (reminders are counted per day)."""
    return services.now().astimezone(ZoneInfo(get_config().timezone)).date()


@dataclass(frozen=True)
class FlatRow:
    """One flat as the tracker and the door-to-door sheet show it; no choice, only whether it has voted."""

    id: int
    unit: str
    stairwell: str
    floor: int
    area: int
    entity: int
    names: str
    status: str
    staff_status: str
    note: str
    next_visit: date | None
    updated_at: datetime | None
    has_account: bool

    @property
    def voted(self) -> bool:
        return self.status in canvass.VOTED_STATUSES


@dataclass(frozen=True)
class Tracker:
    vote: VoteInfo
    flats: list[FlatRow]  # in the staff member's buildings (of the chosen stairwell unit), electorate order
    in_view: list[FlatRow]  # every flat in the staff member's buildings
    stairwells: list[str]
    p: Participation
    plan: list[tuple[canvass.Visit, list[FlatRow]]]  # who to visit first, each entity with its flats in view
    plan_needed: int | None
    plan_by_area: bool


async def open_vote_in_view(user: CurrentUser, vote_id: int) -> tuple[VoteInfo, privacy.VoteView]:
    """An open owners' vote and the part of it this staff member or volunteer may canvass; Forbidden outside
    their buildings."""
    vote = await services.get_vote(vote_id)
    view = await duties.canvass_view(user, vote)
    if vote.kind != "owners" or vote.status != "open":
        raise Conflict(NOT_OPEN)
    return vote, view


async def voted_by_entity(vote_id: int) -> dict[int, str]:
    """{entity id: "online" or "paper"} for entities with a ballot; the choice is never read."""
    channels: dict[int, list[str]] = {}
    for entity, channel in await fetch_tuples("SELECT entity, channel FROM vote_ballot WHERE vote = {}", vote_id):
        channels.setdefault(int(entity), []).append(str(channel))
    return {entity: channel for entity, seen in channels.items() if (channel := canvass.voted_channel(seen))}


async def flat_rows(vote: VoteInfo, view: privacy.VoteView, stairwell: str | None = None,
                    with_names: bool = True) -> list[FlatRow]:
    """The flats in view with their status; without names (`with_names=False`) the owners' names and accounts
    are left blank: over 100,000 flats the tracker names only the flats it shows (`_named`)."""
    # Tuples, and the owners' JSON only when names are wanted: the tracker reads every flat of the electorate.
    sql = "SELECT id, unit, stairwell, floor, area, entity, " + ("owner_persons" if with_names else "NULL")
    sql, args = sql + " FROM vote_flat WHERE vote = {}", [cast(object, vote.id)]
    if stairwell:
        sql, args = sql + " AND stairwell = {}", [*args, stairwell]
    rows = [
        {"id": r[0], "unit": r[1], "stairwell": r[2], "floor": r[3], "area": r[4], "entity": r[5],
         "owner_persons": json.loads(r[6]) if isinstance(r[6], str) else r[6]}
        for r in await fetch_tuples(sql + " ORDER BY position", *args) if view.sees_vote_flat(int(r[0]))
    ]  # fmt: skip
    statuses = {int(r["flat"]): r for r in await CanvassStatus.select().where(CanvassStatus.vote == vote.id)}
    voted = await voted_by_entity(vote.id)
    person_ids = {int(p) for r in rows for p in (r["owner_persons"] or {}).values()} if with_names else set()
    names = await turnout.person_names(person_ids)
    with_accounts = {int(r["id"]) for r in await Person.select(Person.id).where(
        Person.id.is_in(sorted(person_ids) or [-1]) & Person.account.is_not_null())} if with_names else set()  # fmt: skip
    result = []
    for r in rows:
        people = {int(p) for p in (r["owner_persons"] or {}).values()}
        noted = statuses.get(int(r["id"]), {})
        staff_status = str(noted.get("status") or "not_contacted")
        result.append(FlatRow(
            int(r["id"]), str(r["unit"]), str(r["stairwell"]), int(r["floor"]), int(r["area"]), int(r["entity"]),
            "、".join(sorted({names.get(p, "") for p in people} - {""})),
            canvass.shown_status(staff_status, voted.get(int(r["entity"]))), staff_status,
            str(noted.get("note") or ""), noted.get("next_visit"), noted.get("updated_at"), bool(people & with_accounts),
        ))  # fmt: skip
    return result


async def tracker(user: CurrentUser, vote_id: int, stairwell: str | None = None,
                  shown_page: tuple[int, int] | None = None) -> Tracker:
    """`shown_page` (page, flats per page): names are read only for that page of the shown flats and for the
    first visits of the plan, not for the whole electorate."""
    vote, view = await open_vote_in_view(user, vote_id)
    flats = await flat_rows(vote, view, with_names=shown_page is None)
    p = await turnout.participation_of(vote)
    entity_areas = await _entity_areas(vote.id)
    by_entity: dict[int, list[FlatRow]] = {}
    first_position: dict[int, int] = {}
    for index, flat in enumerate(flats):
        if not flat.voted:
            by_entity.setdefault(flat.entity, []).append(flat)
            first_position.setdefault(flat.entity, index)
    candidates = [canvass.Candidate(e, entity_areas.get(e, 0), first_position[e]) for e in by_entity]
    plan = canvass.visit_order(candidates, p.missing)
    stairwells = sorted({f.stairwell for f in flats}, key=natural_key)
    shown = [f for f in flats if f.stairwell == stairwell] if stairwell else flats
    visits = [(v, by_entity[v.candidate.entity]) for v in plan.visits]
    if shown_page is not None:  # names for the page shown and the first visits the page lists, not for all
        page, per_page = shown_page
        page = min(page, paging.pages(len(shown), per_page))  # the last page when asked for one beyond it
        named = await _named([*shown[(page - 1) * per_page : page * per_page],
                              *(f for _v, group in visits[:PLAN_SHOWN] for f in group)])  # fmt: skip
        shown = [named.get(f.id, f) for f in shown]
        visits = [(v, [named.get(f.id, f) for f in group]) for v, group in visits]
    return Tracker(vote, shown, flats, stairwells, p, visits, plan.needed, plan.by_area)


async def _named(flats: Sequence[FlatRow]) -> dict[int, FlatRow]:
    """These flats with their owners' names and whether one of them has an account: {flat id: row}."""
    ids = sorted({f.id for f in flats})
    owners: dict[int, set[int]] = {}
    for start in range(0, len(ids), turnout.BATCH):
        for r in await VoteFlat.select(VoteFlat.id, VoteFlat.owner_persons).where(
            VoteFlat.id.is_in(ids[start : start + turnout.BATCH])
        ).output(load_json=True):
            owners[int(r["id"])] = {int(p) for p in (r["owner_persons"] or {}).values()}
    person_ids = set().union(*owners.values()) if owners else set()
    names = await turnout.person_names(person_ids)
    with_accounts = {int(r["id"]) for r in await Person.select(Person.id).where(
        Person.id.is_in(sorted(person_ids) or [-1]) & Person.account.is_not_null())}  # fmt: skip
    return {
        f.id: replace(f, names="、".join(sorted({names.get(p, "") for p in owners.get(f.id, set())} - {""})),
                      has_account=bool(owners.get(f.id, set()) & with_accounts))
        for f in flats
    }  # fmt: skip


async def _entity_areas(vote_id: int) -> dict[int, int]:
    rows = await VoteEntity.select(VoteEntity.id, VoteEntity.area).where(VoteEntity.vote == vote_id)
    return {int(r["id"]): int(r["area"]) for r in rows}


async def set_status(user: CurrentUser, vote_id: int, flat_id: int, form: Mapping[str, Any]) -> str:
    """Staff note one flat's status, note and next visit; FormErrors (nothing changed) on bad input. Returns the unit."""
    vote, view = await open_vote_in_view(user, vote_id)
    row = await VoteFlat.select(VoteFlat.id, VoteFlat.unit).where((VoteFlat.id == flat_id) & (VoteFlat.vote == vote_id)).first()
    if row is None or not view.sees_vote_flat(flat_id):
        raise NotFound(UNKNOWN_FLAT)
    values = {name: str(form.get(name, "") or "").strip() for name in ("status", "note", "next_visit")}
    errors = canvass.status_errors(values["status"], values["note"], values["next_visit"], today())
    if errors:
        raise FormErrors(errors, values)
    visit = canvass.parse_visit_date(values["next_visit"])
    async with write_transaction():
        locked = await services.lock_vote(vote_id)
        if locked["status"] != "open":
            raise Conflict(NOT_OPEN)
        changes: dict[Any, Any] = {CanvassStatus.status: values["status"], CanvassStatus.note: values["note"],
                   CanvassStatus.next_visit: visit, CanvassStatus.updated_by: user.id,
                   CanvassStatus.updated_at: services.now()}  # fmt: skip
        if await CanvassStatus.exists().where(CanvassStatus.flat == flat_id):
            await CanvassStatus.update(changes).where(CanvassStatus.flat == flat_id)
        else:
            await CanvassStatus.insert(CanvassStatus(vote=vote_id, flat=flat_id, status=values["status"],
                                                     note=values["note"], next_visit=visit, updated_by=user.id,
                                                     updated_at=services.now()))  # fmt: skip
        await services.audit(vote.community_id, user.id, "vote_canvass_status", vote_id,
                             {"unit": str(row["unit"]), "status": values["status"],
                              "next_visit": values["next_visit"]})  # fmt: skip
    return str(row["unit"])


async def sheet(user: CurrentUser, vote_id: int, stairwell: str) -> tuple[VoteInfo, str, list[FlatRow]]:
    """The door-to-door sheet of one stairwell unit in the staff member's buildings."""
    vote, view = await open_vote_in_view(user, vote_id)
    if not stairwell:  # the first stairwell unit in the staff member's buildings
        stairwell = next(iter(await turnout.stairwells(vote_id, view)), "")
    if not stairwell or not view.sees_stairwell(stairwell):
        raise NotFound(lazy("This stairwell unit is not in this vote's electorate."))
    flats = await flat_rows(vote, view, stairwell)
    if not flats:
        raise NotFound(lazy("This stairwell unit is not in this vote's electorate."))
    return vote, stairwell, flats
