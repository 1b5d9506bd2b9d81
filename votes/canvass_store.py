"""Canvass tracker (扫楼) service: every flat of an open owners' vote in the staff member's buildings, with its
status, note and next visit; whether it has voted is read from the ballots at every read, never stored."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from community import paging
from community.accounts import CurrentUser
from community.bulk_sql import upsert
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.tables import Person
from votes import canvass, duties, privacy, services, turnout
from votes.bulk import fetch_tuples
from votes.participation import Participation
from votes.rules import Measure
from votes.services import VoteInfo
from votes.tables import CanvassStatus, VoteFlat

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
    view: privacy.VoteView  # the staff member's buildings
    flats: paging.Paged[FlatRow]  # the page shown of the flats in view (of the chosen stairwell unit), electorate order
    flat_total: int  # flats in view (of the chosen stairwell unit)
    stairwells: list[str]
    p: Participation
    plan: list[tuple[canvass.Visit, FlatRow, list[tuple[int, str]]]]  # the first visits: each entity's first flat
    # in view, and all its flats in view (id, unit)
    plan_total: int  # entities in view that have not voted
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


async def voted_by_entity(vote_id: int, entities: Sequence[int] | None = None) -> dict[int, str]:
    """{entity id: "online" or "paper"} for entities (of `entities`, or all) with a ballot; the choice is never read."""
    sql, args = "SELECT entity, channel FROM vote_ballot WHERE vote = {}", [vote_id, *(entities or ())]
    if entities is not None:
        sql += f" AND entity IN ({', '.join(['{}'] * len(entities)) or 'NULL'})"
    channels: dict[int, list[str]] = {}
    for entity, channel in await fetch_tuples(sql, *args):
        channels.setdefault(int(entity), []).append(str(channel))
    return {entity: channel for entity, seen in channels.items() if (channel := canvass.voted_channel(seen))}


async def flat_rows(vote: VoteInfo, view: privacy.VoteView, stairwell: str | None = None,
                    ids: Sequence[int] | None = None) -> list[FlatRow]:
    """The flats in view (of `stairwell`, or of `ids`: at most `turnout.BATCH` of them) with their status and their
    owners' names, in electorate order."""
    sql = "SELECT position, id, unit, stairwell, floor, area, entity, owner_persons FROM vote_flat f WHERE "
    args: list[object]
    if ids is not None:  # by primary key only (they are this vote's flats): SQLite would rather walk the vote's index
        ids = sorted(await view.vote_flats_seen(ids))
        sql, args = sql + f"id IN ({', '.join(['{}'] * len(ids)) or 'NULL'})", list(ids)
    else:
        scope, scope_args = view.flats_sql("f.flat_id")
        sql, args = sql + "vote = {}" + scope, [vote.id, *scope_args]
        if stairwell:
            sql, args = sql + " AND stairwell = {}", [*args, stairwell]
    # Sorted here: ORDER BY position would have SQLite walk the whole vote by its (vote, position) index.
    rows = [
        {"id": r[1], "unit": r[2], "stairwell": r[3], "floor": r[4], "area": r[5], "entity": r[6],
         "owner_persons": json.loads(r[7]) if isinstance(r[7], str) else r[7]}
        for r in sorted(await fetch_tuples(sql, *args), key=lambda r: int(r[0]))
    ]  # fmt: skip
    statuses = CanvassStatus.select().where(CanvassStatus.vote == vote.id)
    if ids is not None:
        statuses = statuses.where(CanvassStatus.flat.is_in([int(r["id"]) for r in rows] or [-1]))
    noted_of = {int(r["flat"]): r for r in await statuses}
    voted = await voted_by_entity(vote.id, sorted({int(r["entity"]) for r in rows}) if ids is not None else None)
    person_ids = {int(p) for r in rows for p in (r["owner_persons"] or {}).values()}
    names = await turnout.person_names(person_ids)
    with_accounts: set[int] = set()
    ordered = sorted(person_ids)
    for start in range(0, len(ordered), turnout.BATCH):
        with_accounts |= {int(r["id"]) for r in await Person.select(Person.id).where(
            Person.id.is_in(ordered[start : start + turnout.BATCH]) & Person.account.is_not_null())}  # fmt: skip
    result = []
    for r in rows:
        people = {int(p) for p in (r["owner_persons"] or {}).values()}
        noted = noted_of.get(int(r["id"]), {})
        staff_status = str(noted.get("status") or "not_contacted")
        result.append(FlatRow(
            int(r["id"]), str(r["unit"]), str(r["stairwell"]), int(r["floor"]), int(r["area"]), int(r["entity"]),
            "、".join(sorted({names.get(p, "") for p in people} - {""})),
            canvass.shown_status(staff_status, voted.get(int(r["entity"]))), staff_status,
            str(noted.get("note") or ""), noted.get("next_visit"), noted.get("updated_at"), bool(people & with_accounts),
        ))  # fmt: skip
    return result


# The voting entities that have not voted (no ballot, whatever it chose: canvass.shown_status), with their area
# and their place in the electorate: entities are numbered in the order of their first flat (votes.rules.voting_entities).
_CANDIDATES = ("SELECT e.id AS entity, e.area AS area, e.number AS position FROM vote_entity e WHERE e.vote = {}"
               " AND NOT EXISTS (SELECT 1 FROM vote_ballot b WHERE b.vote = e.vote AND b.entity = e.id)")  # fmt: skip
# The same flat by flat, for a staff member's buildings (their condition: {scope}).
_WAITING_FLATS = ("SELECT f.id, f.entity, e.area FROM vote_flat f JOIN vote_entity e ON e.id = f.entity WHERE f.vote = {{}}"
                  "{scope} AND NOT EXISTS (SELECT 1 FROM vote_ballot b WHERE b.vote = f.vote AND b.entity = f.entity)"
                  " ORDER BY f.position")  # fmt: skip


def _visit_sql(by_area: bool) -> str:
    """`canvass.visit_order`'s order in SQL."""
    return "area DESC, position, entity" if by_area else "position, entity"


async def visit_plan(vote: VoteInfo, view: privacy.VoteView, missing: Measure) -> tuple[list[canvass.Visit], int, int | None, bool]:
    """(the first PLAN_SHOWN visits, how many entities wait, how many must vote to reach both thresholds,
    area first). The whole electorate is ordered and counted per area in the database; a staff member's
    buildings, their waiting flats read in electorate order (a few percent of the vote), by `canvass.visit_order`."""
    if not view.everything:
        waiting: dict[int, canvass.Candidate] = {}
        scope, scope_args = view.flats_sql("f.flat_id")
        rows = await fetch_tuples(_WAITING_FLATS.format(scope=scope), vote.id, *scope_args)
        for index, (_flat, entity, area) in enumerate(rows):
            waiting.setdefault(int(entity), canvass.Candidate(int(entity), int(area), index))
        plan = canvass.visit_order(list(waiting.values()), missing)
        return list(plan.visits[:PLAN_SHOWN]), len(plan.visits), plan.needed, plan.by_area
    by_area = missing.area > 0
    order = _visit_sql(by_area)
    # The first visits, and how many wait per area (ordered and counted in the database; only the code's SQL is
    # formatted in): a few thousand rows for 100,000 flats, not one per entity.
    first = await fetch_tuples(f"SELECT entity, area, position FROM ({_CANDIDATES}) c ORDER BY {order} LIMIT {{}}",  # noqa: S608
                               vote.id, PLAN_SHOWN)  # fmt: skip
    areas = [(int(area), int(n)) for area, n in await fetch_tuples(
        f"SELECT area, COUNT(*) FROM ({_CANDIDATES}) c GROUP BY area ORDER BY area DESC", vote.id)]  # noqa: S608  # fmt: skip
    needed = canvass.needed_visits(areas, missing)
    visits = [canvass.Visit(canvass.Candidate(int(e), int(a), int(pos)), rank, needed is not None and rank <= needed)
              for rank, (e, a, pos) in enumerate(first, start=1)]  # fmt: skip
    return visits, sum(n for _area, n in areas), needed, by_area


async def tracker(user: CurrentUser, vote_id: int, stairwell: str | None, page: int, per_page: int) -> Tracker:
    """The tracker: participation, who to visit first, and the page `page` of the flats in view (of `stairwell`).
    Names and statuses are read only for the flats shown and the first visits, never for the whole electorate."""
    vote, view = await open_vote_in_view(user, vote_id)
    p = await turnout.participation_of(vote)
    visits, plan_total, needed, by_area = await visit_plan(vote, view, p.missing)
    sql, args = "FROM vote_flat WHERE vote = {}", [cast(object, vote.id)]
    if stairwell:
        sql, args = sql + " AND stairwell = {}", [*args, stairwell]
    scope, scope_args = view.flats_sql("flat_id")  # a staff member's buildings: counted and paged in SQL too
    sql, args = sql + scope, [*args, *scope_args]
    total = int((await fetch_tuples("SELECT COUNT(*) " + sql, *args))[0][0])
    page = min(page, paging.pages(total, per_page))  # the last page when asked for one beyond it
    shown = [int(i) for (i,) in await fetch_tuples(
        "SELECT id " + sql + " ORDER BY position LIMIT {} OFFSET {}", *args, per_page, (page - 1) * per_page)]  # fmt: skip
    entities = [v.candidate.entity for v in visits]
    units: dict[int, list[tuple[int, str]]] = {}  # the first visits' flats in view; the developer may have thousands
    # Sorted here: ORDER BY position would have SQLite walk the whole vote by its (vote, position) index.
    scope, scope_args = view.flats_sql("flat_id")
    for _position, flat_id, unit, entity in sorted(await fetch_tuples(
        f"SELECT position, id, unit, entity FROM vote_flat WHERE vote = {{}} AND entity IN ({', '.join(['{}'] * len(entities)) or 'NULL'}){scope}",  # noqa: S608
        vote.id, *entities, *scope_args)):  # fmt: skip
        units.setdefault(int(entity), []).append((int(flat_id), str(unit)))
    firsts = [units[e][0][0] for e in entities if e in units]
    rows = {f.id: f for f in await flat_rows(vote, view, ids=sorted({*shown, *firsts}))}
    return Tracker(
        vote, view, paging.Paged([rows[i] for i in shown if i in rows], page, paging.pages(total, per_page)), total,
        await turnout.stairwells(vote.id, view), p,
        [(v, rows[units[v.candidate.entity][0][0]], units[v.candidate.entity]) for v in visits if v.candidate.entity in units],
        plan_total, needed, by_area,
    )  # fmt: skip


async def set_status(user: CurrentUser, vote_id: int, flat_id: int, form: Mapping[str, Any]) -> str:
    """Staff note one flat's status, note and next visit; FormErrors (nothing changed) on bad input. Returns the unit."""
    vote, view = await open_vote_in_view(user, vote_id)
    row = await VoteFlat.select(VoteFlat.id, VoteFlat.unit).where((VoteFlat.id == flat_id) & (VoteFlat.vote == vote_id)).first()
    if row is None or not await view.sees_vote_flat(flat_id):
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
        await upsert(CanvassStatus, (CanvassStatus.flat,), {
            CanvassStatus.vote: vote_id, CanvassStatus.flat: flat_id, CanvassStatus.status: values["status"],
            CanvassStatus.note: values["note"], CanvassStatus.next_visit: visit, CanvassStatus.updated_by: user.id,
            CanvassStatus.updated_at: services.now()})  # fmt: skip
        await services.audit(vote.community_id, user.id, "vote_canvass_status", vote_id,
                             {"unit": str(row["unit"]), "status": values["status"],
                              "next_visit": values["next_visit"]})  # fmt: skip
    return str(row["unit"])


async def sheet(user: CurrentUser, vote_id: int, stairwell: str) -> tuple[VoteInfo, str, list[FlatRow]]:
    """The door-to-door sheet of one stairwell unit in the staff member's buildings."""
    vote, view = await open_vote_in_view(user, vote_id)
    if not stairwell:  # the first stairwell unit in the staff member's buildings
        stairwell = next(iter(await turnout.stairwells(vote_id, view)), "")
    seen = await view.stairwells()
    if not stairwell or (seen is not None and stairwell not in seen):
        raise NotFound(lazy("This stairwell unit is not in this vote's electorate."))
    flats = await flat_rows(vote, view, stairwell)
    if not flats:
        raise NotFound(lazy("This stairwell unit is not in this vote's electorate."))
    return vote, stairwell, flats
