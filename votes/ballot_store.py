"""Stored ballots read per voting entity: the household rule (`votes.households`) applied for every count."""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.engine.postgres import PostgresEngine

from community.db import engine
from votes.households import entity_choice
from votes.rules import Measure
from votes.tables import Ballot, VoteEntity


async def lock_entity(entity_id: int) -> None:
    """Inside a write transaction: orders co-owners of one entity casting at once, so the household rule
    sees every earlier ballot (PostgreSQL row lock; SQLite already has one writer at a time)."""
    if isinstance(engine(), PostgresEngine):
        await VoteEntity.raw("SELECT id FROM vote_entity WHERE id = {} FOR UPDATE", entity_id)


async def entity_choices(vote_id: int, entity_ids: Sequence[int] | None = None) -> dict[int, str]:
    """{entity id: what it chose} for entities with at least one stored ballot."""
    query = Ballot.select(Ballot.entity, Ballot.choice).where(Ballot.vote == vote_id)
    if entity_ids is not None:
        query = query.where(Ballot.entity.is_in(list(entity_ids) or [-1]))
    grouped: dict[int, list[str]] = {}
    for row in await query.order_by(Ballot.id):
        grouped.setdefault(int(row["entity"]), []).append(str(row["choice"]))
    return {entity: choice for entity, choices in grouped.items() if (choice := entity_choice(choices)) is not None}


_BALLOTS_WITH_AREA = """SELECT b.vote AS vote, b.entity AS entity, b.choice AS choice, e.area AS area
FROM vote_ballot b JOIN vote_entity e ON e.id = b.entity WHERE b.vote IN (%s) ORDER BY b.id"""


async def choice_measures_of(vote_ids: Sequence[int]) -> dict[int, dict[str, Measure]]:
    """{vote id: {choice: entities and their area}} of the voting entities that have voted so far, for several
    votes in one statement (a notice board shows every open vote); only entities with a ballot are read."""
    ids = list(vote_ids) or [-1]
    grouped: dict[tuple[int, int], list[str]] = {}
    areas: dict[int, int] = {}
    for row in await Ballot.raw(_BALLOTS_WITH_AREA % ", ".join(["{}"] * len(ids)), *ids):
        key = (int(row["vote"]), int(row["entity"]))
        grouped.setdefault(key, []).append(str(row["choice"]))
        areas[key[1]] = int(row["area"])
    totals: dict[int, dict[str, Measure]] = {vote_id: {} for vote_id in vote_ids}
    for (vote_id, entity), choices in grouped.items():
        choice = entity_choice(choices)
        if choice is not None:
            before = totals[vote_id].get(choice, Measure(0, 0))
            totals[vote_id][choice] = Measure(before.headcount + 1, before.area + areas[entity])
    return totals


async def choice_measures(vote_id: int) -> dict[str, Measure]:
    """{choice: entities and their area} of the voting entities that have voted so far."""
    return (await choice_measures_of([vote_id]))[vote_id]


async def voted_entities(vote_ids: Sequence[int]) -> dict[int, int]:
    """{vote id: number of voting entities with at least one ballot}."""
    counted: dict[int, set[int]] = {}
    for row in await Ballot.select(Ballot.vote, Ballot.entity).where(Ballot.vote.is_in(list(vote_ids) or [-1])).distinct():
        counted.setdefault(int(row["vote"]), set()).add(int(row["entity"]))
    return {vote: len(entities) for vote, entities in counted.items()}
