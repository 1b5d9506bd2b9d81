"""Casting online: who may vote for which entity, the two-step cast, allowed changes, and receipts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from community import events, i18n, ratelimit
from community.accounts import CurrentUser
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.prepared import PLACEHOLDER_IDS, Prepared
from votes.ballot_store import entity_choices, insert_online, lock_for_cast
from votes.codes import nonce_hash, normalise_receipt, receipt_code, receipt_hash
from votes.electors import Known, known_eligibility
from votes.eligibility import Eligibility, Right
from votes.errors import AlreadyVoted, FirstBallotCounts, NotEligible
from votes.events import BallotCast
from votes.households import admit, others_voted
from votes.services import VoteInfo, get_vote, now
from votes.tables import Ballot, BallotChange, Receipt

NOT_OPEN = lazy("This vote is not open yet.")
NOT_OPEN_UNTIL = lazy("This vote is not open yet. It opens on {when}.")
CLOSED = lazy("This vote has closed. Ballots can no longer be cast or changed.")


@dataclass(frozen=True)
class Standing:
    """An entity the account may vote for, with this voter's own ballot so far (if any), and whether
    another owner of the entity has voted (never what they chose)."""

    right: Right
    entity_id: int
    entity_number: int
    ballot: dict[str, Any] | None
    others_voted: bool = False

    @property
    def version(self) -> int:
        return int(self.ballot["version"]) if self.ballot else 0


@dataclass(frozen=True)
class VoterView:
    eligibility: Eligibility
    standings: tuple[Standing, ...]

    def standing(self, entity_key: str) -> Standing | None:
        return next((s for s in self.standings if s.right.entity_key == entity_key), None)


def new_nonce() -> str:
    """The confirm step's token; submitting it twice casts once and shows the same receipt."""
    return secrets.token_urlsafe(18)


def _held(vote_id: int, entity_ids: Sequence[int]) -> Any:
    """The ballots held for these entities of the vote (each co-owner's apart)."""
    return Ballot.select(
        Ballot.entity, Ballot.voter, Ballot.choice, Ballot.version, Ballot.channel, Ballot.cast_at, Ballot.updated_at,
        Ballot.proxy,
    ).where((Ballot.vote == vote_id) & Ballot.entity.is_in(list(entity_ids)))


_HELD = Prepared(lambda vote_id, entity_id: _held(vote_id, [entity_id]), PLACEHOLDER_IDS[0], PLACEHOLDER_IDS[1])


# Everything eligibility needs to know about the account in one statement: its people in the community, their
# verified links (a link the register dropped counts while the vote that snapshotted it runs), the flats they own
# or live in, and the snapshot flats they are voters of. Piccolo would take five queries and more CPU to build them.
async def voter_view(
    user: CurrentUser, vote: VoteInfo, known: Known | None = None, held: Sequence[dict[str, Any]] | None = None
) -> VoterView:
    """The account's rights and ballots; `known`: eligibility already worked out in this request, and `held` the
    ballots of its entities as they stand (a cast read and wrote them)."""
    known = known or await known_eligibility(user, vote)
    result, entity_ids = known.eligibility, known.entity_ids
    if not result.rights:
        return VoterView(result, ())
    ids = [entity_ids[r.entity_key] for r in result.rights]
    ballots: dict[int, dict[str, dict[str, Any]]] = {}
    if held is None:
        # Most voters speak for one entity: that query is built once (community.prepared), on every vote page.
        held = await (_HELD.run(vote.id, ids[0]) if len(ids) == 1 else _held(vote.id, ids))
    for b in held:
        ballots.setdefault(b["entity"], {})[b["voter"]] = b
    numbers = known.numbers
    standings = []
    for right in result.rights:
        entity_id = entity_ids[right.entity_key]
        of_entity = ballots.get(entity_id, {})
        standings.append(
            Standing(right, entity_id, numbers[entity_id], of_entity.get(right.voter), others_voted(of_entity, right.voter))
        )
    return VoterView(result, tuple(standings))


def refuse_outside_window(vote: VoteInfo, at: datetime | None = None) -> None:
    """NotEligible unless ballots are taken now."""
    state = vote.window(at)
    if state in ("draft", "not_open"):
        if vote.opens_at is not None and vote.status == "scheduled":
            raise NotEligible(NOT_OPEN_UNTIL, when=i18n.format_datetime(vote.opens_at, get_config().timezone))
        raise NotEligible(NOT_OPEN)
    if state == "closed":
        raise NotEligible(CLOSED)


def refusal(vote: VoteInfo, result: Eligibility) -> NotEligible:
    return NotEligible(result.message, unit=result.reason_unit, scope=vote.scope_text())


def check_choice(vote: VoteInfo, choice: str) -> None:
    if choice not in vote.choices:
        raise FormErrors({"choice": lazy("Please choose one answer.")}, {"choice": ""})


async def choose(user: CurrentUser, vote_id: int, entity_key: str, choice: str) -> tuple[VoteInfo, Standing]:
    """Step 1: check that this ballot may be cast, store nothing; the page then asks for confirmation."""
    vote = await get_vote(vote_id)
    refuse_outside_window(vote)
    view = await voter_view(user, vote)
    if not view.standings:
        raise refusal(vote, view.eligibility)
    standing = view.standing(entity_key) or (view.standings[0] if len(view.standings) == 1 else None)
    if standing is None:
        raise refusal(vote, view.eligibility)
    if standing.ballot is not None and not vote.settings.allow_change:
        raise AlreadyVoted(standing.right.units[0] if standing.right.units else standing.right.unit)
    if standing.ballot is None and standing.others_voted and vote.settings.conflict == "first":
        raise FirstBallotCounts()
    check_choice(vote, choice)
    return vote, standing


@dataclass(frozen=True)
class CastResult:
    receipt: str
    choice: str
    changed: bool
    unit: str
    units: tuple[str, ...]
    proxy: bool
    cast_at: datetime
    # The vote and the eligibility this cast was decided on: the receipt page shows them without a second look.
    vote: VoteInfo | None = field(default=None, compare=False, repr=False)
    known: Known | None = field(default=None, compare=False, repr=False)
    ballots: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)  # of `known`'s entities


async def cast(
    user: CurrentUser, vote_id: int, entity_key: str, choice: str, nonce: str, version: int
) -> CastResult:
    """Step 2: store this voter's ballot for one voting entity, once.

    Each owner's ballot is stored apart (UNIQUE (vote, entity, voter)); `households.admit` decides, as on
    every other channel, whether a co-owner's ballot stands beside another's or is refused. The entity's
    row lock orders co-owners casting at the same moment; the unique index decides between two tabs of the
    same voter. Submitting the same confirm form again is idempotent (same receipt). Changing a ballot
    needs the vote's allow_change and the version the voter saw.
    """
    if not nonce or len(nonce) > 100:
        raise FormErrors({"choice": lazy("This form has expired. Please choose again.")}, {})
    vote = await get_vote(vote_id)
    refuse_outside_window(vote)
    check_choice(vote, choice)
    known = await known_eligibility(user, vote)
    result, entity_ids = known.eligibility, known.entity_ids
    right = next((r for r in result.rights if r.entity_key == entity_key), None)
    if right is None:
        if result.rights:
            raise NotEligible(lazy("You cannot vote for this flat."))
        raise refusal(vote, result)
    entity_id = entity_ids[entity_key]
    code = receipt_code(get_config().secret_key, nonce)
    code_hash = receipt_hash(code)
    token_hash = nonce_hash(nonce)
    unit = right.units[0] if right.units else right.unit
    moment = now()
    changed = False
    try:
        async with write_transaction(changes_roles_or_links=False):  # a ballot and its receipt only
            mine = sorted(set(entity_ids.values()))  # the voter's entities: their ballots show on the receipt page
            try:
                row, ballots = await lock_for_cast(vote.id, entity_id, mine)
            except LookupError:
                raise NotFound(lazy("This vote does not exist.")) from None
            if row["status"] != "open" or (row["closes_at"] is not None and row["closes_at"] <= moment):
                raise NotEligible(CLOSED if row["status"] in ("open", "closed") else NOT_OPEN)
            held = {b["voter"]: b for b in ballots if b["entity"] == entity_id}
            existing = held.get(right.voter)
            if existing is not None and existing["nonce_hash"] == token_hash:
                return await _replayed(existing["id"], code, right, choice)
            admission = admit({v: b["choice"] for v, b in held.items()}, right.voter, vote.settings.conflict,
                              vote.settings.allow_change)
            if admission == "own_again":
                raise AlreadyVoted(unit)
            if admission == "first_counts":
                raise FirstBallotCounts()
            if existing is not None:  # admission == "replace"
                if existing["version"] != version:
                    raise Conflict(lazy("Your ballot was changed meanwhile, perhaps on another device. Please look at it again."))
                changed = True
                await _change(vote.id, existing, user.id, right, choice, token_hash, moment)
                ballot_id = int(existing["id"])
                new_version = int(existing["version"]) + 1
                await Receipt.insert(
                    Receipt(vote=vote.id, ballot=ballot_id, code_hash=code_hash, choice=choice, channel="online",
                            version=new_version, cast_at=moment)
                )
                ballots.remove(existing)
            else:
                ballot_id = await insert_online(
                    Ballot(vote=vote.id, entity=entity_id, unit=right.unit, voter=right.voter,
                           voter_person=right.voter_person, choice=choice, channel="online", proxy=right.proxy_id,
                           cast_by=user.id, nonce_hash=token_hash, cast_at=moment, updated_at=moment),
                    code_hash,
                )  # fmt: skip
                new_version = 1
            ballots.append(
                {"id": ballot_id, "entity": entity_id, "voter": right.voter, "choice": choice, "version": new_version,
                 "nonce_hash": token_hash, "channel": "online", "cast_at": existing["cast_at"] if existing else moment,
                 "updated_at": moment, "proxy": right.proxy_id}
            )  # fmt: skip
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # Another request of the same voter won the race. If it was this very form, show its receipt.
        winner = await Ballot.select(Ballot.id, Ballot.nonce_hash).where(
            (Ballot.vote == vote.id) & (Ballot.entity == entity_id) & (Ballot.voter == right.voter)
        ).first()
        if winner is not None and winner["nonce_hash"] == token_hash:
            return await _replayed(winner["id"], code, right, choice)
        raise AlreadyVoted(unit) from exc
    await events.publish(BallotCast(vote.id))
    return CastResult(code, choice, changed, unit, right.units, right.proxy_id is not None, moment, vote, known,
                      tuple(ballots))


async def _replayed(ballot_id: int, code: str, right: Right, choice: str) -> CastResult:
    receipt = await Receipt.select(Receipt.choice, Receipt.cast_at).where(Receipt.code_hash == receipt_hash(code)).first()
    if receipt is None:  # the winning transaction has not stored its receipt yet; it will in a moment
        raise Conflict(lazy("Your ballot is being recorded. Please wait a moment and reload the page."))
    return CastResult(
        code, receipt["choice"], False, right.units[0] if right.units else right.unit, right.units,
        right.proxy_id is not None, receipt["cast_at"],
    )


async def _change(
    vote_id: int, existing: dict[str, Any], account_id: int, right: Right, choice: str, token_hash: str, moment: datetime
) -> None:
    await Ballot.update(
        {
            Ballot.choice: choice,
            Ballot.version: Ballot.version + 1,
            Ballot.nonce_hash: token_hash,
            Ballot.updated_at: moment,
            Ballot.cast_by: account_id,
            Ballot.channel: "online",
            Ballot.voter: right.voter,
            Ballot.voter_person: right.voter_person,
            Ballot.unit: right.unit,
            Ballot.proxy: right.proxy_id,
        }
    ).where(Ballot.id == existing["id"])
    await BallotChange.insert(
        BallotChange(vote=vote_id, ballot=existing["id"], old_choice=existing["choice"], new_choice=choice,
                     reason="changed_by_voter", changed_by=account_id, changed_at=moment)
    )
    await Receipt.update({Receipt.superseded_at: moment}).where(
        (Receipt.ballot == existing["id"]) & Receipt.superseded_at.is_null()
    )


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt code proves: this ballot, as cast, and whether it is the one counted now."""

    choice: str
    channel: str
    cast_at: datetime
    superseded_at: datetime | None
    counted_as: str | None  # the ballot's counted choice when it differs (a conflict made it spoiled)


async def check_receipt(vote_id: int, text: str, client: str) -> ReceiptCheck | None:
    """The ballot a receipt code belongs to, or None; reveals nothing about any other ballot.

    Codes that match no ballot count against the client and the vote (community.ratelimit): past the limit the
    check is refused (TooManyAttempts) before any code is looked up."""
    code = normalise_receipt(text)
    if code is None:
        raise FormErrors({"code": lazy("A receipt code has 12 letters and digits, e.g. 7KQ2-M9XD-4HTA.")}, {"code": text})
    targets = ((ratelimit.RECEIPT_PER_CLIENT, client), (ratelimit.RECEIPT_PER_VOTE, str(vote_id)))
    await ratelimit.check(*targets)
    row = await Receipt.select(
        Receipt.choice, Receipt.channel, Receipt.cast_at, Receipt.superseded_at, Receipt.version,
        Receipt.ballot.choice, Receipt.ballot.version, Receipt.ballot.entity,
    ).where((Receipt.vote == vote_id) & (Receipt.code_hash == receipt_hash(code))).first()
    if row is None:
        await ratelimit.failed(*targets)
        return None
    counted_as = None
    if row["superseded_at"] is None:
        # What the household counts as: this ballot's own choice, unless a conflict or a co-owner's
        # differing ballot made the voting entity's choice spoiled.
        household = (await entity_choices(vote_id, [int(row["ballot.entity"])])).get(int(row["ballot.entity"]))
        if household is not None and household != row["choice"]:
            counted_as = household
    return ReceiptCheck(row["choice"], row["channel"], row["cast_at"], row["superseded_at"], counted_as)
