"""Stored ballots read per voting entity: the household rule (`votes.households`) applied for every count."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from community.db import is_postgres
from community.sqljson import timestamptz
from votes.bulk import fetch_tuples
from votes.households import SPOILED, entity_choice
from votes.rules import Measure
from votes.tables import Ballot, Receipt, VoteEntity


async def lock_entity(entity_id: int) -> None:
    """Inside a write transaction: orders co-owners of one entity casting at once, so the household rule
    sees every earlier ballot (PostgreSQL row lock; SQLite already has one writer at a time)."""
    if is_postgres():
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


# The household rule of `votes.households.entity_choice` in SQL: an entity's ballots that all agree give their
# choice, ballots that differ give "spoiled". Summed per choice in the database, so a vote of 100,000 entities
# costs a few rows here, not one per ballot.
ENTITY_CHOICE_SQL: Final = f"CASE WHEN COUNT(DISTINCT b.choice) > 1 THEN '{SPOILED}' ELSE MIN(b.choice) END"
_MEASURES_SQL = f"""SELECT vote, choice, COUNT(*), SUM(area) FROM (
SELECT b.vote AS vote, {ENTITY_CHOICE_SQL} AS choice, MIN(e.area) AS area
FROM vote_ballot b JOIN vote_entity e ON e.id = b.entity WHERE b.vote IN (%s) GROUP BY b.vote, b.entity
) per_entity GROUP BY vote, choice"""  # noqa: S608 - only placeholders are formatted in


async def choice_measures_of(vote_ids: Sequence[int]) -> dict[int, dict[str, Measure]]:
    """{vote id: {choice: entities and their area}} of the voting entities that have voted so far, for several
    votes in one statement (a notice board shows every open vote); only entities with a ballot are read."""
    ids = list(vote_ids) or [-1]
    totals: dict[int, dict[str, Measure]] = {vote_id: {} for vote_id in vote_ids}
    for vote_id, choice, entities, area in await fetch_tuples(_MEASURES_SQL % ", ".join(["{}"] * len(ids)), *ids):
        totals[int(vote_id)][str(choice)] = Measure(int(entities), int(area))
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


_BALLOT_COLUMNS = "b.id, b.entity, b.voter, b.choice, b.version, b.nonce_hash, b.channel, b.cast_at, b.updated_at, b.proxy"


async def lock_for_cast(vote_id: int, entity_id: int, entity_ids: Sequence[int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Inside a write transaction, in one statement: the vote's status and window (held so a close waits for the
    casts in flight), the entity locked (so co-owners casting at once are ordered and the household rule sees every
    earlier ballot), and the stored ballots of `entity_ids` (the entities the voter may vote for, `entity_id` among
    them). PostgreSQL row locks; SQLite already has one writer at a time. LookupError when the vote is gone."""
    marks = ", ".join(["{}"] * len(entity_ids))
    if is_postgres():
        sql = (
            f"SELECT v.status AS vote_status, v.closes_at AS vote_closes_at, {_BALLOT_COLUMNS} FROM vote v"  # noqa: S608
            " JOIN vote_entity e ON e.id = {} AND e.vote = v.id"
            f" LEFT JOIN vote_ballot b ON b.vote = v.id AND b.entity IN ({marks})"
            " WHERE v.id = {} FOR SHARE OF v FOR UPDATE OF e"
        )  # only placeholders are formatted in
        rows = await Ballot.raw(sql, entity_id, *entity_ids, vote_id)
    else:
        sql = (
            f"SELECT v.status AS vote_status, v.closes_at AS vote_closes_at, {_BALLOT_COLUMNS} FROM vote v"  # noqa: S608
            f" LEFT JOIN vote_ballot b ON b.vote = v.id AND b.entity IN ({marks}) WHERE v.id = {{}}"
        )  # only placeholders are formatted in
        rows = await Ballot.raw(sql, *entity_ids, vote_id)
    if not rows:
        raise LookupError(vote_id)
    vote = {"status": rows[0]["vote_status"], "closes_at": timestamptz(rows[0]["vote_closes_at"])}
    ballots = [
        {**{k: v for k, v in r.items() if not k.startswith("vote_")}, "cast_at": timestamptz(r["cast_at"]),
         "updated_at": timestamptz(r["updated_at"])}
        for r in rows
        if r["id"] is not None
    ]  # fmt: skip
    return vote, ballots


_INSERT_BALLOT_AND_RECEIPT = """WITH b AS (
  INSERT INTO vote_ballot (vote, entity, unit, voter, voter_person, choice, channel, proxy, paper, cast_by, version,
    nonce_hash, cast_at, updated_at)
  VALUES ({}, {}, {}, {}, {}, {}, 'online', {}, NULL, {}, 1, {}, {}, {}) RETURNING id)
INSERT INTO vote_receipt (vote, ballot, code_hash, choice, channel, version, cast_at, superseded_at)
  SELECT {}, b.id, {}, {}, 'online', 1, {}, NULL FROM b RETURNING ballot"""


async def insert_online(ballot: Ballot, code_hash: str) -> int:
    """Inside a write transaction: store a first online ballot and its receipt; the ballot's id. One statement on
    PostgreSQL (a data-modifying WITH); SQLite, which has none, takes two. Raw SQL: building Piccolo's inserts
    cost more CPU than running them."""
    if is_postgres():
        rows = await Ballot.raw(
            _INSERT_BALLOT_AND_RECEIPT, ballot.vote, ballot.entity, ballot.unit, ballot.voter, ballot.voter_person,
            ballot.choice, ballot.proxy, ballot.cast_by, ballot.nonce_hash, ballot.cast_at, ballot.updated_at,
            ballot.vote, code_hash, ballot.choice, ballot.cast_at,
        )  # fmt: skip
        return int(rows[0]["ballot"])
    if sqlite3.sqlite_version_info >= (3, 35):  # RETURNING; Piccolo's adapters store the timestamps as its inserts do
        rows = await Ballot.raw(
            _INSERT_BALLOT, ballot.vote, ballot.entity, ballot.unit, ballot.voter, ballot.voter_person, ballot.choice,
            ballot.proxy, ballot.cast_by, ballot.nonce_hash, ballot.cast_at, ballot.updated_at,
        )  # fmt: skip
        ballot_id = int(rows[0]["id"])
        await Receipt.raw(_INSERT_RECEIPT, ballot.vote, ballot_id, code_hash, ballot.choice, ballot.cast_at)
        return ballot_id
    rows = await Ballot.insert(ballot).returning(Ballot.id)
    ballot_id = int(rows[0]["id"])
    await Receipt.insert(
        Receipt(vote=ballot.vote, ballot=ballot_id, code_hash=code_hash, choice=ballot.choice, channel="online",
                version=1, cast_at=ballot.cast_at)
    )  # fmt: skip
    return ballot_id


_INSERT_BALLOT = """INSERT INTO vote_ballot (vote, entity, unit, voter, voter_person, choice, channel, proxy, paper, cast_by,
  version, nonce_hash, cast_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, 'online', {}, NULL, {}, 1, {}, {}, {})
RETURNING id"""
_INSERT_RECEIPT = """INSERT INTO vote_receipt (vote, ballot, code_hash, choice, channel, version, cast_at, superseded_at)
VALUES ({}, {}, {}, {}, 'online', 1, {}, NULL)"""
