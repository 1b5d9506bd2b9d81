"""While a vote is open: participation against the thresholds, figures per stairwell unit and floor, who has not voted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

from community.tables import Person
from votes import privacy
from votes import settings as vote_settings
from votes.ballot_store import ENTITY_CHOICE_SQL, choice_measures
from votes.bulk import fetch_tuples
from votes.codes import paper_serial
from votes.households import SPOILED
from votes.participation import Group, Participation, natural_key, ordered_groups, participation
from votes.rules import Measure
from votes.services import VoteInfo
from votes.tables import Delivery, VoteFlat

# Ids per IN (…) list: well under SQLite's limit on bound variables.
BATCH: Final = 500


async def participation_of(vote: VoteInfo) -> Participation:
    """Participation against the thresholds; choices only when the vote shows them live (or it is closed)."""
    show = vote.settings.show_live or vote.status == "closed"
    return participation(
        vote.kind,
        vote.settings,
        Measure(vote.entities, vote.total_area),
        await choice_measures(vote.id),
        show_counts=show,
    )


def _participating_sql(settings: vote_settings.VoteSettings) -> str:
    """The entities of vote {} that took part so far (`participation.counts_as_participating` of their
    `households.entity_choice`, as `ballot_store.ENTITY_CHOICE_SQL` writes it)."""
    if settings.spoiled_ballots == "participate":
        return "SELECT entity FROM vote_ballot WHERE vote = {} GROUP BY entity"
    return f"SELECT b.entity FROM vote_ballot b WHERE b.vote = {{}} GROUP BY b.entity HAVING {ENTITY_CHOICE_SQL} <> '{SPOILED}'"  # noqa: S608


def _groups_sql(settings: vote_settings.VoteSettings, by: str, where: str = "") -> str:
    """Flats, flats that took part, their areas and (last) the floors, per `by`, counted in the database."""
    return (  # only the code's own SQL is formatted in
        f"SELECT {by}, COUNT(*), COUNT(p.entity), SUM(f.area), SUM(CASE WHEN p.entity IS NULL THEN 0 ELSE f.area END),"  # noqa: S608
        f" COUNT(DISTINCT f.floor) FROM vote_flat f LEFT JOIN ({_participating_sql(settings)}) p ON p.entity = f.entity"
        f" WHERE f.vote = {{}}{where} GROUP BY {by}"
    )


async def breakdowns(
    vote: VoteInfo, floors_of: Callable[[str], bool] | None = None, floor_limit: int | None = None
) -> tuple[list[Group], list[Group] | None]:
    """Participation per stairwell unit, and per floor of each stairwell unit (of those `floors_of` keeps); the
    floors are None when there would be more than `floor_limit` of them (50,000 in a compound of 100,000 flats).
    Summed in the database: a 100,000-flat electorate is ~1,700 rows here, one per stairwell unit."""
    units = await fetch_tuples(_groups_sql(vote.settings, "f.stairwell"), vote.id, vote.id, hash_joins=True)
    kept = [(str(row[0]), int(row[5])) for row in units if floors_of is None or floors_of(str(row[0]))]
    by_unit = ordered_groups((str(s), None, int(n), int(v), int(a), int(va)) for s, n, v, a, va, _floors in units)
    if floor_limit is not None and sum(floors for _s, floors in kept) > floor_limit:
        return by_unit, None
    names = [stairwell for stairwell, _floors in kept]
    by_floor = "f.stairwell, f.floor"
    if len(names) == len(units):  # every unit: no list of names
        floors = await fetch_tuples(_groups_sql(vote.settings, by_floor), vote.id, vote.id, hash_joins=True)
    else:
        floors = []
        for start in range(0, len(names), BATCH):
            batch = names[start : start + BATCH]
            where = f" AND f.stairwell IN ({', '.join(['{}'] * len(batch))})"
            floors += await fetch_tuples(_groups_sql(vote.settings, by_floor, where), vote.id, vote.id, *batch,
                                       hash_joins=True)
    return by_unit, ordered_groups((str(s), int(fl), int(n), int(v), int(a), int(va)) for s, fl, n, v, a, va, _f in floors)


@dataclass(frozen=True)
class NonVoter:
    unit: str
    stairwell: str
    floor: int
    names: str
    serial: str


async def non_voters(vote: VoteInfo, stairwell: str | None = None, limit: int = 500,
                     view: privacy.VoteView = privacy.EVERYTHING, offset: int = 0) -> tuple[list[NonVoter], int]:
    """Flats (of the staff member's buildings) whose voting entity has no ballot yet, with their owners' names."""
    # Which flats have not voted is asked of the database; names and serials only for the page shown (a
    # 100,000-flat electorate's JSON read on every visit of the manage page cost seconds).
    sql = ("FROM vote_flat f WHERE f.vote = {} AND NOT EXISTS"
           " (SELECT 1 FROM vote_ballot b WHERE b.vote = f.vote AND b.entity = f.entity)")  # fmt: skip
    args = [cast(object, vote.id)]
    if stairwell:
        sql, args = sql + " AND f.stairwell = {}", [*args, stairwell]
    scope, scope_args = view.flats_sql("f.flat_id")  # a staff member's buildings: their flats only
    sql, args = sql + scope, [*args, *scope_args]
    # Counted, and only the page shown read.
    total = int((await fetch_tuples("SELECT COUNT(*) " + sql, *args))[0][0])
    shown = [int(flat_id) for (flat_id,) in await fetch_tuples(
        "SELECT f.id " + sql + " ORDER BY f.position LIMIT {} OFFSET {}", *args, limit, offset)]  # fmt: skip
    found = {r["id"]: r for r in await VoteFlat.select(
        VoteFlat.id, VoteFlat.unit, VoteFlat.stairwell, VoteFlat.floor, VoteFlat.entity, VoteFlat.entity.number,
        VoteFlat.owner_persons, VoteFlat.resident_persons,
    ).where(VoteFlat.id.is_in(shown or [-1])).output(load_json=True)}  # fmt: skip
    rows = [found[flat_id] for flat_id in shown]
    person_ids = {int(p) for r in rows for p in (r["owner_persons"] or {}).values()}
    person_ids |= {int(p) for r in rows for p in (r["resident_persons"] or [])} if vote_settings.residents_answer(vote.kind, vote.settings) else set()
    names = await person_names(person_ids)
    result = []
    for r in rows:
        people = list((r["owner_persons"] or {}).values())
        if vote_settings.residents_answer(vote.kind, vote.settings):
            people += list(r["resident_persons"] or [])
        result.append(
            NonVoter(r["unit"], r["stairwell"], r["floor"], "、".join(sorted({names.get(int(p), "") for p in people} - {""})),
                     paper_serial(vote.id, r["entity.number"]))
        )
    return result, total


async def person_names(person_ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    ids = sorted(person_ids)
    for start in range(0, len(ids), BATCH):
        for r in await Person.select(Person.id, Person.name).where(Person.id.is_in(ids[start : start + BATCH])):
            names[r["id"]] = r["name"]
    return names


async def stairwells(vote_id: int, view: privacy.VoteView = privacy.EVERYTHING) -> list[str]:
    seen = await view.stairwells()
    if seen is not None:
        return sorted(seen, key=natural_key)
    rows = await VoteFlat.select(VoteFlat.stairwell).where(VoteFlat.vote == vote_id).distinct()
    return sorted((r["stairwell"] for r in rows), key=natural_key)


async def served_count(vote_id: int) -> int:
    """Flats with recorded evidence of delivery (votes.deliveries)."""
    return int(await Delivery.count().where(Delivery.vote == vote_id))
