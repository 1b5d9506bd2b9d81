"""Closing a vote: the count with the pure rules, its result and record stored together."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from community import events
from community.accounts import CurrentUser
from community.clock import now
from community.db import write_transaction
from community.errors import Conflict
from community.i18n import lazy
from community.roster.plan import paused_gc
from votes import period_checks, result_stage
from votes.bulk import fetch_tuples
from votes.errors import PaperPending
from votes.events import VoteClosed
from votes.households import entity_choice
from votes.record import VoteRecord, record_to_json, result_to_json, tally_record
from votes.regimes import poll_tally, poll_to_json, residents_tally, residents_to_json
from votes.rules import Ballot as RuleBallot
from votes.rules import Measure, Settings, format_area
from votes.services import VoteInfo, audit, get_vote, lock_vote, require_facilitator
from votes.tables import Ballot, Delivery, PaperBallot, Vote, VoteEntity, VoteRecordFile
from votes.tables import Conflict as ConflictRow


async def close_vote(user: CurrentUser, vote_id: int) -> None:
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    if vote.status == "open":  # not before the minimum voting period has run (the clock closes at its time)
        await period_checks.check_close(vote.community_id, vote.kind, vote.matter, vote.opened_at, now())
    await close_vote_as(vote, actor=user.id)


async def close_vote_as(vote: VoteInfo, actor: int | None) -> None:
    """Close the vote and count it with the pure rules; the record and its result are stored together."""
    async with write_transaction():
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] != "open":
            raise Conflict(lazy("Only an open vote can be closed."))
        pending = await PaperBallot.count().where((PaperBallot.vote == vote.id) & (PaperBallot.status == "entered"))
        if pending and actor is not None:
            raise PaperPending(pending)
        # At 100,000 flats the count, the record and its public copy make millions of objects, none in a cycle:
        # the cycle collector's passes over them would cost a tenth of the close.
        with paused_gc():
            result, detail, record = await count_vote(vote)
            await Vote.update(
                {
                    Vote.status: "closed",
                    Vote.result: result,
                    Vote.result_detail: detail,
                    Vote.closed_at: now(),
                    Vote.closed_by: actor,
                }
            ).where(Vote.id == vote.id)
            await audit(vote.community_id, actor, "vote_closed", vote.id, {"outcome": str(result.get("outcome"))})
            # The preliminary result and its query window, in the chain (votes.result_stage), which stores the record.
            final = await result_stage.begin(vote, actor, record)
    await events.publish(VoteClosed(vote.id, actor))
    if final is not None:  # no query window: the final result at once
        await events.publish(final)


def _measure(m: Measure) -> dict[str, object]:
    return {"headcount": m.headcount, "area": format_area(m.area)}


async def count_vote(vote: VoteInfo) -> tuple[dict[str, object], dict[str, object], dict[str, object] | None]:
    """(result, detail, the vote record as a JSON-ready object or None) from the snapshot and the counted ballots."""
    flats = await fetch_tuples(
        "SELECT unit, area, owners, designated_voter, developer_unsold, served, entity FROM vote_flat "
        "WHERE vote = {} ORDER BY position",
        vote.id,
    )
    ballots = await fetch_tuples(
        "SELECT b.unit, b.voter, b.choice, b.channel, b.entity, p.proxy_opaque FROM vote_ballot b "
        "LEFT JOIN vote_proxy p ON p.id = b.proxy WHERE b.vote = {} ORDER BY b.id",
        vote.id,
    )
    by_channel: dict[str, int] = {}
    for b in ballots:
        by_channel[b[3]] = by_channel.get(b[3], 0) + 1
    conflicts = int(await ConflictRow.count().where(ConflictRow.vote == vote.id))
    pending = int(await PaperBallot.count().where((PaperBallot.vote == vote.id) & (PaperBallot.status == "entered")))
    # Counters and scrutineers sign the count record (docs/rules.md, Procedure): their names are published.
    staff = await PaperBallot.select(PaperBallot.entered_by.display_name, PaperBallot.confirmed_by.display_name).where(
        (PaperBallot.vote == vote.id) & (PaperBallot.status == "confirmed")
    )
    detail: dict[str, object] = {
        "ballots": len(ballots),
        "by_channel": by_channel,
        "conflicts": conflicts,
        "pending_paper": pending,
        "counters": sorted({r["entered_by.display_name"] for r in staff if r["entered_by.display_name"]}),
        "scrutineers": sorted({r["confirmed_by.display_name"] for r in staff if r["confirmed_by.display_name"]}),
    }
    if vote.kind == "owners":
        from votes.rules import Flat as RuleFlat

        assert vote.matter is not None
        owner_lists = _json_lists([f[2] for f in flats])
        rule_flats = tuple(
            RuleFlat(unit=f[0], area=int(f[1]), owners=frozenset(owners), designated_voter=f[3], developer_unsold=bool(f[4]))
            for f, owners in zip(flats, owner_lists, strict=True)
        )
        record = VoteRecord(
            matter=vote.matter,
            settings=Settings(vote.settings.spoiled_ballots, vote.settings.silent_majority),
            flats=rule_flats,
            ballots=tuple(RuleBallot(b[0], b[1], b[2], b[3], b[5]) for b in ballots),
            served=await _served_units(vote.id) if vote.settings.silent_majority else frozenset(),
            vote_id=f"v-{vote.id}",
            title=vote.title,
        )
        result = tally_record(record)
        stored = result_to_json(result)
        detail["opposing"] = _measure(result.opposing)
        detail["abstaining"] = _measure(result.abstaining)
        detail["ballot_problems"] = await ballot_problems_of(vote, record)
        if result.adjusted is not None:
            detail["adjusted_opposing"] = _measure(result.adjusted.opposing)
            detail["served"] = len(record.served)
        body = record_to_json(record)
        body["result"] = stored
        return stored, detail, body
    # One choice per voting entity, by the household rule (the owners' record applies it in `tally`).
    grouped: dict[str, list[str]] = {}
    for b in ballots:
        grouped.setdefault(str(b[4]), []).append(str(b[2]))
    chosen = {entity: entity_choice(choices) or "spoiled" for entity, choices in grouped.items()}
    if vote.kind == "residents":
        residents = residents_tally(vote.entities, list(chosen.values()), vote.settings)
        return residents_to_json(residents), detail, None
    areas = {str(e["id"]): int(e["area"]) for e in await VoteEntity.select(VoteEntity.id, VoteEntity.area).where(VoteEntity.vote == vote.id)}
    poll = poll_tally(vote.options, areas, chosen)
    return poll_to_json(vote.options, poll), detail, None


async def ballot_problems_of(vote: VoteInfo, record: VoteRecord) -> dict[str, dict[str, int]]:
    """Spoiled households and invalid ballots by reason, for the result page (votes.explain reads them).

    A ballot the paper desk turned spoiled because another ballot for the household differed is told apart
    from an unreadable one.
    """
    from votes.explain import ballot_problems

    spoiled_by_conflict = [
        r["entity"]
        for r in await ConflictRow.select(ConflictRow.entity).where(
            (ConflictRow.vote == vote.id) & (ConflictRow.resolution == "spoiled")
        )
    ]
    units = {
        r["unit"]
        for r in await Ballot.select(Ballot.unit).where((Ballot.vote == vote.id) & Ballot.entity.is_in(spoiled_by_conflict or [-1]))
    }
    return ballot_problems(record.flats, record.ballots, frozenset(units))


async def _served_units(vote_id: int) -> frozenset[str]:
    """Only flats whose delivery was recorded with its evidence count as served (votes.delivery)."""
    return frozenset(str(r["flat.unit"]) for r in await Delivery.select(Delivery.flat.unit).where(Delivery.vote == vote_id))


def _json_lists(values: Sequence[object]) -> list[list[str]]:
    """Many stored JSON arrays of strings, decoded in one call (raw queries return JSON columns as text)."""
    texts = [v if isinstance(v, str) else json.dumps(v or []) for v in values]
    return cast(list[list[str]], json.loads("[" + ",".join(texts) + "]"))


async def record_text(vote_id: int) -> str | None:
    row = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first()
    return None if row is None else str(row["body"])
