"""Corrections of a preliminary count: one staff member enters, with a public reason, a ballot found afterwards (a
paper ballot in the box) or takes a ballot out of the count (a flat that is not an owner's, a ballot counted for
the wrong flat). Each is stored, logged, recounts the vote with the same rules as the close, and is published in
the chain with the new result and record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from community import events
from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from votes import paper, paper_ballots, queries
from votes.ballot_store import lock_entity
from votes.counting import count_vote
from votes.events import BallotCast
from votes.households import admit
from votes.query_store import NO_LONGER, form_errors, public_text_errors, staff_stage
from votes.result_stage import CORRECTION, add_history, audit, iso, publish
from votes.services import VoteInfo, lock_vote, now, staff_view
from votes.tables import Ballot, Vote, VoteCorrection, VoteStage

ALREADY_COUNTED = lazy("This owner's ballot for this flat is already counted. Take that ballot out first if it was wrong.")
FIRST_COUNTS = lazy("Under this vote's rule only a household's first ballot counts, and another owner's ballot is already counted.")
NO_SUCH_BALLOT = lazy("This flat has no counted ballot from that owner.")


@dataclass(frozen=True)
class Counted:
    """A counted ballot of one voting entity as the correction form lists it: who, how; never the choice."""

    voter: str
    name: str
    channel: str


@dataclass(frozen=True)
class Found:
    """The voting entity a serial names, for the correction forms."""

    entity: paper_ballots.PaperEntity
    counted: tuple[Counted, ...]


async def find(user: CurrentUser, vote_id: int, serial: str) -> tuple[VoteInfo, Found]:
    """The entity a ballot serial names, with its signers and counted ballots; only staff who see its flats."""
    vote, _stage = await staff_stage(user, vote_id)
    number = await paper_ballots.entity_by_serial(vote, serial)
    entity = await paper_ballots.paper_entity(vote, number)
    view = await staff_view(user, vote)
    if not await view.sees_entity(entity.entity_id):  # as unknown as a wrong serial (votes.paper_controllers)
        raise FormErrors({"serial": lazy("This ballot belongs to a building outside your area of responsibility.")},
                         {"serial": serial})  # fmt: skip
    names = {s.voter: s.name for s in entity.signers if s.proxy_id is None}
    counted = tuple(
        Counted(str(b["voter"]), str(names.get(str(b["voter"]), "")), str(b["channel"]))
        for b in await Ballot.select(Ballot.voter, Ballot.channel).where(Ballot.entity == entity.entity_id).order_by(Ballot.id)
    )
    return vote, Found(entity, counted)


def _values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "").strip() for name in ("serial", "signer", "choice", "voter", "reason")}


async def _reason_errors(vote: VoteInfo, values: dict[str, str]) -> dict[str, str]:
    return await public_text_errors(vote, "reason", values["reason"], queries.REASON_MAX,
                                    lazy("Please give the reason for the correction; it is published."))  # fmt: skip


async def add_ballot(user: CurrentUser, vote_id: int, form: Mapping[str, Any]) -> int:
    """A ballot found after the close (a paper ballot in the box) is counted; the correction's number."""
    values = _values(form)
    vote, found = await find(user, vote_id, values["serial"])
    entity = found.entity
    errors = await _reason_errors(vote, values)
    allowed = paper.PAPER_CHOICES if vote.kind != "poll" else (*vote.option_keys, "spoiled")
    if values["choice"] not in allowed:
        errors["choice"] = lazy("Please mark what the ballot says.")
    signer = next((s for s in entity.signers if s.value == values["signer"]), None)
    if signer is None:
        errors["signer"] = lazy("Please choose who signed the ballot.")
    if errors:
        raise form_errors(errors, values)
    assert signer is not None
    ballot: dict[str, object] = {"unit": await paper._ballot_unit(vote, entity.entity_id, signer.voter), "voter": signer.voter,
              "choice": values["choice"], "channel": "paper", "serial": entity.serial}  # fmt: skip

    async def change() -> None:
        await lock_entity(entity.entity_id)
        held = {b["voter"]: b["choice"] for b in await Ballot.select(Ballot.voter, Ballot.choice).where(
            (Ballot.vote == vote.id) & (Ballot.entity == entity.entity_id))}  # fmt: skip
        admission = admit(held, signer.voter, vote.settings.conflict, False)
        if admission == "own_again":
            raise Conflict(ALREADY_COUNTED)
        if admission == "first_counts":
            raise Conflict(FIRST_COUNTS)
        moment = now()
        await Ballot.insert(Ballot(vote=vote.id, entity=entity.entity_id, unit=ballot["unit"], voter=signer.voter,
                                   choice=values["choice"], channel="paper", proxy=signer.proxy_id, cast_by=user.id,
                                   cast_at=moment, updated_at=moment))  # fmt: skip

    return await _correct(user, vote, "add_ballot", entity.entity_id, ballot, values["reason"], change)


async def remove_ballot(user: CurrentUser, vote_id: int, form: Mapping[str, Any]) -> int:
    """A counted ballot is taken out of the count (it should not have counted); the correction's number."""
    values = _values(form)
    vote, found = await find(user, vote_id, values["serial"])
    errors = await _reason_errors(vote, values)
    if values["voter"] not in {c.voter for c in found.counted}:
        errors["voter"] = NO_SUCH_BALLOT
    if errors:
        raise form_errors(errors, values)
    entity_id = found.entity.entity_id
    ballot: dict[str, object] = {"voter": values["voter"], "serial": found.entity.serial}

    async def change() -> None:
        row = await Ballot.select(Ballot.id, Ballot.unit, Ballot.choice, Ballot.channel, Ballot.cast_at).where(
            (Ballot.vote == vote.id) & (Ballot.entity == entity_id) & (Ballot.voter == values["voter"])
        ).first()
        if row is None:
            raise Conflict(NO_SUCH_BALLOT)
        ballot.update(unit=row["unit"], choice=row["choice"], channel=row["channel"], cast_at=iso(row["cast_at"]))
        # The ballot leaves the count (its receipt with it); the correction keeps what it was.
        await Ballot.delete().where(Ballot.id == row["id"])

    return await _correct(user, vote, "remove_ballot", entity_id, ballot, values["reason"], change)


async def _correct(user: CurrentUser, vote: VoteInfo, kind: str, entity_id: int, ballot: dict[str, object],
                   reason: str, change: Any) -> int:  # fmt: skip
    """One transaction: the change, the recount, the correction stored, in the history, the chain and the log."""
    async with write_transaction():
        await lock_vote(vote.id, exclusive=True)
        if not await VoteStage.exists().where((VoteStage.vote == vote.id) & (VoteStage.stage == "preliminary")):
            raise Conflict(NO_LONGER)
        before = (await Vote.select(Vote.result).where(Vote.id == vote.id).output(load_json=True).first() or {}).get("result")
        await change()
        result, detail, record = await count_vote(vote)
        await Vote.update({Vote.result: result, Vote.result_detail: detail}).where(Vote.id == vote.id)
        last = await VoteCorrection.select(VoteCorrection.number).where(VoteCorrection.vote == vote.id).order_by(
            VoteCorrection.number, ascending=False).first()  # fmt: skip
        number = int(last["number"]) + 1 if last else 1
        moment = now()
        await VoteCorrection.insert(VoteCorrection(vote=vote.id, number=number, kind=kind, reason=reason, entity=entity_id,
                                                   ballot=ballot, result_before=before, result_after=result,
                                                   entered_by=user.id, entered_at=moment))  # fmt: skip
        outcome = queries.outcome_of(result)
        # The recounted record (it holds the corrected ballots) replaces the stored one, with the whole history so far.
        stored = await add_history(vote.id, {"event": "correction", "number": number, "kind": kind, "reason": reason,
                                             "at": iso(moment), "outcome_before": queries.outcome_of(before),
                                             "outcome": outcome}, record)  # fmt: skip
        seq = await publish(vote, CORRECTION, {"number": number, "correction_kind": kind, "reason": reason,
                                               "entered_at": iso(moment)}, user.id, moment, record=stored)  # fmt: skip
        await VoteCorrection.update({VoteCorrection.seq: seq}).where((VoteCorrection.vote == vote.id) & (VoteCorrection.number == number))
        await audit(vote, user.id, "vote_corrected", {"number": number, "kind": kind, "seq": seq,
                                                      "serial": ballot.get("serial"), "outcome": outcome})  # fmt: skip
    await events.publish(BallotCast(vote.id))
    return number
