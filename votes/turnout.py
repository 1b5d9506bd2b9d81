"""While a vote is open: participation against the thresholds, figures per stairwell unit and floor, who has not voted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from community.tables import Person
from votes import privacy
from votes import settings as vote_settings
from votes.ballot_store import choice_measures, entity_choices
from votes.codes import paper_serial
from votes.participation import FlatFact, Group, Participation, breakdown, natural_key, participation
from votes.rules import Measure
from votes.services import VoteInfo
from votes.tables import Ballot, Delivery, VoteFlat

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


async def breakdowns(vote: VoteInfo) -> tuple[list[Group], list[Group]]:
    """Participation per stairwell unit, and per floor of each stairwell unit."""
    flats = await VoteFlat.select(VoteFlat.stairwell, VoteFlat.floor, VoteFlat.area, VoteFlat.entity).where(
        VoteFlat.vote == vote.id
    )
    voted = {
        str(entity)
        for entity, choice in (await entity_choices(vote.id)).items()
        if choice != "spoiled" or vote.settings.spoiled_ballots == "participate"
    }
    facts = [FlatFact(r["stairwell"], r["floor"], r["area"], str(r["entity"])) for r in flats]
    return breakdown(facts, voted), breakdown(facts, voted, by_floor=True)


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
    voted = {r["entity"] for r in await Ballot.select(Ballot.entity).where(Ballot.vote == vote.id)}
    query = VoteFlat.select(
        VoteFlat.id, VoteFlat.unit, VoteFlat.stairwell, VoteFlat.floor, VoteFlat.entity, VoteFlat.entity.number,
        VoteFlat.owner_persons, VoteFlat.resident_persons,
    ).where(VoteFlat.vote == vote.id)
    if stairwell:
        query = query.where(VoteFlat.stairwell == stairwell)
    rows = [r for r in await query.order_by(VoteFlat.position).output(load_json=True)
            if r["entity"] not in voted and view.sees_vote_flat(r["id"])]
    total = len(rows)
    rows = rows[offset : offset + limit]
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
