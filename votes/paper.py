"""Paper and meeting ballots: entry by a counter, confirmation or rejection by a scrutineer.

The pre-filled ballots themselves (printing, what the desk shows) are `paper_ballots.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from markupsafe import Markup

from community import events, qr
from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from votes.ballot_store import lock_entity
from votes.duties import require_duty
from votes.errors import STAFF_SPOIL_WARNING, FirstBallotCounts
from votes.events import BallotCast
from votes.households import admit, others_voted
from votes.paper_ballots import entity_by_serial, paper_entity
from votes.paper_desk import require_role
from votes.rules import DEVELOPER
from votes.services import (
    VoteInfo,
    audit,
    get_vote,
    lock_vote,
    now,
)
from votes.tables import Ballot, BallotChange, PaperBallot, VoteFlat
from votes.tables import Conflict as ConflictRow

PAPER_CHOICES: Final = ("agree", "oppose", "abstain", "spoiled")
PAPER_CHANNELS: Final = ("paper", "meeting")


def require_paper(vote: VoteInfo) -> None:
    if not vote.has_paper:
        raise NotFound(lazy("This vote takes no paper ballots."))


def qr_svg(data: str) -> Markup:
    """The printed ballot's QR code, drawn larger than a page's."""
    return qr.qr_svg(data, scale=3)


@dataclass(frozen=True)
class Entered:
    """An entered paper ballot, and the warning staff must see (another owner of the flat has voted)."""

    paper_id: int
    warning: str | None = None


async def enter(user: CurrentUser, vote_id: int, form: Mapping[str, Any]) -> Entered:
    """A counter enters a returned ballot; it does not count until a different person confirms it.

    Each owner of a flat signs their own ballot: the same serial signed by the same owner entered before
    (waiting or confirmed) is flagged and refused, so a ballot is never counted twice. A co-owner's ballot
    after the flat's first one is refused under the "first ballot counts" rule, as online.
    """
    vote = await get_vote(vote_id)
    await require_duty(user, vote, "enter_paper")
    require_paper(vote)
    values = {name: str(form.get(name, "") or "").strip() for name in ("serial", "choice", "signer", "channel", "note")}
    number = await entity_by_serial(vote, values["serial"])
    entity = await paper_entity(vote, number)
    errors: dict[str, str] = {}
    allowed_choices = PAPER_CHOICES if vote.kind != "poll" else (*vote.option_keys, "spoiled")
    if values["choice"] not in allowed_choices:
        errors["choice"] = lazy("Please mark what the ballot says.")
    signer = next((s for s in entity.signers if s.value == values["signer"]), None)
    if signer is None and len(entity.signers) == 1 and not values["signer"]:
        signer = entity.signers[0]
    if signer is None:
        errors["signer"] = lazy("Please choose who signed the ballot.")
    channel = values["channel"] or "paper"
    if channel not in PAPER_CHANNELS or channel not in vote.channels:
        errors["channel"] = lazy("Please choose how the ballot was returned.")
    if len(values["note"]) > 300:
        errors["note"] = lazy("The note is too long (at most 300 characters).")
    if errors:
        raise FormErrors(errors, values)
    assert signer is not None
    if vote.status != "open":
        raise Conflict(lazy("Paper ballots can be entered only while the vote is open."))
    async with write_transaction():
        # The desk one click at a time (a double click enters, confirms or rejects once): status checked below.
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] != "open":
            raise Conflict(lazy("Paper ballots can be entered only while the vote is open."))
        await require_role(vote.id, user.id, "counter")
        previous = await PaperBallot.select(PaperBallot.id, PaperBallot.status).where(
            (PaperBallot.vote == vote.id) & (PaperBallot.serial == entity.serial) & (PaperBallot.signer == signer.voter)
        ).first()
        held = {
            b["voter"]: b["choice"]
            for b in await Ballot.select(Ballot.voter, Ballot.choice).where(
                (Ballot.vote == vote.id) & (Ballot.entity == entity.entity_id)
            )
        }
        refused_first = duplicate = False
        if admit(held, signer.voter, vote.settings.conflict, False) == "first_counts":
            await ConflictRow.insert(
                ConflictRow(vote=vote.id, entity=entity.entity_id, kind="co_owner_after_first", serial=entity.serial,
                            resolution="refused", detail={"choice": values["choice"]}, flagged_by=user.id)
            )
            refused_first = True
        elif previous is not None and previous["status"] != "rejected":
            await ConflictRow.insert(
                ConflictRow(vote=vote.id, entity=entity.entity_id, kind="serial_twice", serial=entity.serial,
                            resolution="refused", detail={"choice": values["choice"]}, flagged_by=user.id)
            )
            duplicate = True
        else:
            fields: dict[str, Any] = {
                "entity": entity.entity_id,
                "channel": channel,
                "choice": values["choice"],
                "signer": signer.voter,
                "proxy": signer.proxy_id,
                "status": "entered",
                "outcome": "",
                "note": values["note"],
                "entered_by": user.id,
                "entered_at": now(),
                "confirmed_by": None,
                "confirmed_at": None,
            }
            if previous is None:
                rows = await PaperBallot.insert(PaperBallot(vote=vote.id, serial=entity.serial, **fields)).returning(
                    PaperBallot.id
                )
                paper_id = int(rows[0]["id"])
            else:
                paper_id = int(previous["id"])
                await PaperBallot.update({getattr(PaperBallot, name): value for name, value in fields.items()}).where(
                    PaperBallot.id == paper_id
                )
            await audit(vote.community_id, user.id, "paper_ballot_entered", vote.id, {"serial": entity.serial})
    if refused_first:
        raise FirstBallotCounts(staff=True)
    if duplicate:
        raise Conflict(
            lazy("Ballot {serial} has already been entered. It is flagged, and it will not be counted twice."),
            serial=entity.serial,
        )
    waiting_beside = await PaperBallot.exists().where(
        (PaperBallot.vote == vote.id) & (PaperBallot.entity == entity.entity_id) & (PaperBallot.status == "entered")
        & (PaperBallot.signer != signer.voter)
    )
    return Entered(paper_id, STAFF_SPOIL_WARNING if others_voted(held, signer.voter) or waiting_beside else None)


async def _paper_row(vote: VoteInfo, paper_id: int) -> dict[str, Any]:
    row = await PaperBallot.select(
        PaperBallot.id, PaperBallot.entity, PaperBallot.serial, PaperBallot.channel, PaperBallot.choice,
        PaperBallot.signer, PaperBallot.proxy, PaperBallot.status, PaperBallot.entered_by,
    ).where((PaperBallot.id == paper_id) & (PaperBallot.vote == vote.id)).first()
    if row is None:
        raise NotFound(lazy("This paper ballot does not exist."))
    return row


async def confirm(user: CurrentUser, vote_id: int, paper_id: int) -> str:
    """A scrutineer (not the counter) confirms an entered ballot; only now does it count.

    The household rule (`votes.households`) decides, as online: a co-owner's ballot stands beside another's
    (rule "spoil": differing choices spoil the entity) or is not counted (rule "first"); the signer's own
    second ballot is a conflict, flagged and resolved by the same rule. Returns the paper ballot's outcome:
    counted, duplicate or spoiled_entity.
    """
    vote = await get_vote(vote_id)
    await require_duty(user, vote, "check_paper")
    require_paper(vote)
    async with write_transaction():
        # The desk one click at a time (a double click enters, confirms or rejects once): status checked below.
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] != "open":
            raise Conflict(lazy("Paper ballots can be confirmed only while the vote is open."))
        paper = await _paper_row(vote, paper_id)
        if paper["status"] != "entered":
            raise Conflict(lazy("This paper ballot is not waiting for confirmation."))
        if paper["entered_by"] == user.id:
            raise Conflict(lazy("You entered this ballot yourself. A second person, the scrutineer, must confirm it."))
        await require_role(vote.id, user.id, "scrutineer")
        moment = now()
        await lock_entity(paper["entity"])
        held = {
            b["voter"]: b
            for b in await Ballot.select(Ballot.id, Ballot.voter, Ballot.choice, Ballot.channel).where(
                (Ballot.vote == vote.id) & (Ballot.entity == paper["entity"])
            ).order_by(Ballot.id)
        }
        choices = {voter: b["choice"] for voter, b in held.items()}
        # A paper ballot is never a change: the signer's own earlier ballot is a conflict resolved by the rule.
        admission = admit(choices, paper["signer"], vote.settings.conflict, False)
        conflict: tuple[str, str] | None = None
        if admission in ("new", "beside"):
            unit = await _ballot_unit(vote, paper["entity"], paper["signer"])
            await Ballot.insert(
                Ballot(
                    vote=vote.id, entity=paper["entity"], unit=unit, voter=paper["signer"], choice=paper["choice"],
                    channel=paper["channel"], proxy=paper["proxy"], paper=paper["id"], cast_by=paper["entered_by"],
                    cast_at=moment, updated_at=moment,
                )
            )
            outcome = "counted"
            if any(choice != paper["choice"] for choice in choices.values()):
                outcome = "spoiled_entity"
                conflict = ("co_owners_differ", "spoiled")
        elif admission == "first_counts":
            outcome = "duplicate"
            first = next(iter(held.values()))
            conflict = (f"{first['channel']}_and_{paper['channel']}", "first_counts")
        else:  # the signer's own second ballot, on another channel or entered twice
            existing = held[paper["signer"]]
            outcome = "duplicate"
            conflict = (f"{existing['channel']}_and_{paper['channel']}", "first_counts")
            if vote.settings.conflict == "spoil" and existing["choice"] != paper["choice"]:
                outcome = "spoiled_entity"
                conflict = (conflict[0], "spoiled")
                if existing["choice"] != "spoiled":
                    await Ballot.update({Ballot.choice: "spoiled", Ballot.updated_at: moment}).where(Ballot.id == existing["id"])
                    await BallotChange.insert(
                        BallotChange(vote=vote.id, ballot=existing["id"], old_choice=existing["choice"], new_choice="spoiled",
                                     reason="conflict_spoiled", changed_by=user.id, changed_at=moment)
                    )
        if conflict is not None:
            await ConflictRow.insert(
                ConflictRow(vote=vote.id, entity=paper["entity"], kind=conflict[0], serial=paper["serial"],
                            resolution=conflict[1], flagged_by=user.id)
            )
        await PaperBallot.update(
            {PaperBallot.status: "confirmed", PaperBallot.outcome: outcome, PaperBallot.confirmed_by: user.id,
             PaperBallot.confirmed_at: moment}
        ).where(PaperBallot.id == paper_id)
        await audit(vote.community_id, user.id, "paper_ballot_confirmed", vote.id, {"serial": paper["serial"], "outcome": outcome})
    await events.publish(BallotCast(vote.id))
    return outcome


async def _ballot_unit(vote: VoteInfo, entity_id: int, voter: str) -> str:
    """The entity's first unit for which `voter` is a valid voter (the record's ballot names it)."""
    flats = await VoteFlat.select(VoteFlat.unit, VoteFlat.owners, VoteFlat.designated_voter, VoteFlat.developer_unsold).where(
        VoteFlat.entity == entity_id
    ).order_by(VoteFlat.position).output(load_json=True)
    for f in flats:
        if voter == DEVELOPER and f["developer_unsold"]:
            return str(f["unit"])
        if voter in (f["owners"] or []) and f["designated_voter"] in (None, voter):
            return str(f["unit"])
    return str(flats[0]["unit"])


async def reject(user: CurrentUser, vote_id: int, paper_id: int) -> None:
    """A scrutineer finds an entry wrong: it never counts, and the counter may enter the ballot again."""
    vote = await get_vote(vote_id)
    await require_duty(user, vote, "check_paper")
    require_paper(vote)
    async with write_transaction():
        # The desk one click at a time (a double click enters, confirms or rejects once): status checked below.
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] != "open":
            raise Conflict(lazy("Paper ballots can be confirmed only while the vote is open."))
        paper = await _paper_row(vote, paper_id)
        if paper["status"] != "entered":
            raise Conflict(lazy("This paper ballot is not waiting for confirmation."))
        await require_role(vote.id, user.id, "scrutineer")
        await PaperBallot.update(
            {PaperBallot.status: "rejected", PaperBallot.confirmed_by: user.id, PaperBallot.confirmed_at: now()}
        ).where(PaperBallot.id == paper_id)
        await audit(vote.community_id, user.id, "paper_ballot_rejected", vote.id, {"serial": paper["serial"]})
