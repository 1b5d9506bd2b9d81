"""While a vote is open: participation against the thresholds, figures per stairwell unit and floor, who has not voted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

from community.tables import Person
from votes import privacy
from votes import settings as vote_settings
from votes.ballot_store import choice_measures, entity_choices
from votes.bulk import fetch_tuples
from votes.codes import paper_serial
from votes.participation import FlatFact, Group, Participation, breakdown, natural_key, participation
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


async def breakdowns(
    vote: VoteInfo, floors_of: Callable[[str], bool] | None = None, floor_limit: int | None = None
) -> tuple[list[Group], list[Group] | None]:
    """Participation per stairwell unit, and per floor of each stairwell unit (of those `floors_of` keeps); the
    floors are None when there would be more than `floor_limit` of them (50,000 in a compound of 100,000 flats:
    grouping and sorting them cost more than everything else on the manage page)."""
    # Tuples: the manage page reads this on every visit, and a 100,000-flat electorate as dicts cost a second.
    flats = await fetch_tuples("SELECT stairwell, floor, area, entity FROM vote_flat WHERE vote = {}", vote.id)
    voted = {
        str(entity)
        for entity, choice in (await entity_choices(vote.id)).items()
        if choice != "spoiled" or vote.settings.spoiled_ballots == "participate"
    }
    facts = [FlatFact(stairwell, floor, area, str(entity)) for stairwell, floor, area, entity in flats]
    floor_facts = facts if floors_of is None else [f for f in facts if floors_of(f.stairwell)]
    if floor_limit is not None and len({(f.stairwell, f.floor) for f in floor_facts}) > floor_limit:
        return breakdown(facts, voted), None
    return breakdown(facts, voted), breakdown(floor_facts, voted, by_floor=True)


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
    voted = {entity for (entity,) in await fetch_tuples("SELECT DISTINCT entity FROM vote_ballot WHERE vote = {}", vote.id)}
    # Which flats have not voted from two small columns; names and serials only for the page shown (a
    # 100,000-flat electorate's JSON read on every visit of the manage page cost seconds).
    sql, args = "SELECT id, entity FROM vote_flat WHERE vote = {}", [cast(object, vote.id)]
    if stairwell:
        sql, args = sql + " AND stairwell = {}", [*args, stairwell]
    waiting = [flat_id for flat_id, entity in await fetch_tuples(sql + " ORDER BY position", *args)
               if entity not in voted and view.sees_vote_flat(flat_id)]
    total = len(waiting)
    shown = waiting[offset : offset + limit]
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
    rows = await VoteFlat.select(VoteFlat.stairwell).where(VoteFlat.vote == vote_id).distinct()
    return sorted((r["stairwell"] for r in rows if view.sees_stairwell(r["stairwell"])), key=natural_key)


async def served_count(vote_id: int) -> int:
    """Flats with recorded evidence of delivery (votes.deliveries)."""
    return int(await Delivery.count().where(Delivery.vote == vote_id))
