"""Queries on a preliminary count (询异): owners of the vote's electorate lodge them while the window runs, staff
answer each in public. The owner's own words stay with staff; what is published — the query's kind, the answer —
carries no personal data (checked against the register's names, the vote's flats and phone numbers)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.names import find_names, matched_names
from community.roster.names import register_names
from community.roster.scope import verified_owner_flats
from community.tables import Person
from votes import queries
from votes.result_stage import ANSWER, QUERY, StageInfo, add_history, audit, iso, publish, stage_of
from votes.services import VoteInfo, get_vote, lock_vote, now, staff_view
from votes.tables import VoteCorrection, VoteFlat, VoteQuery, VoteStage, VoteVoter

MAX_OPEN_PER_OWNER: Final = 5  # an owner's unanswered queries on one vote: enough for every flat, not a flood
PHONE: Final = re.compile(r"(?<!\d)1\d{10}(?!\d)")

NOT_ELECTOR = lazy("Only owners in this vote's electorate may query its count.")
WINDOW_OVER = lazy("The query window of this vote has ended, or its result is already final.")
TOO_MANY = lazy("You already have 5 queries waiting for an answer on this vote. Please wait for the answers.")
ALREADY_ANSWERED = lazy("This query has already been answered.")
NO_LONGER = lazy("The final result has been published: its queries and corrections are closed.")


@dataclass(frozen=True)
class QueryRow:
    number: int
    kind: str
    lodged_at: datetime
    status: str
    answer: str
    answered_at: datetime | None
    correction: int | None
    text: str = ""  # the owner's words: only for staff and the owner who lodged it
    mine: bool = False


@dataclass(frozen=True)
class CorrectionRow:
    number: int
    kind: str
    reason: str
    entered_at: datetime
    outcome_before: str
    outcome_after: str


async def is_elector(user: CurrentUser | None, vote: VoteInfo) -> bool:
    """Whether the account is in the vote's electorate: for an owners' vote a verified owner of one of its flats
    (as votes.privacy.viewer_of says "elector"), for other votes anyone of its snapshot."""
    if user is None or vote.status not in ("open", "closed"):
        return False
    if vote.kind == "owners":
        owned = [a.flat_id for a in await verified_owner_flats(user.id, vote.community_id)]
        return bool(owned) and bool(await VoteFlat.exists().where((VoteFlat.vote == vote.id) & VoteFlat.flat_id.is_in(owned)))
    persons = [int(r["id"]) for r in await Person.select(Person.id).where(Person.account == user.id)]
    return bool(persons) and bool(await VoteVoter.exists().where((VoteVoter.vote == vote.id) & VoteVoter.person.is_in(persons)))


async def queries_of(vote_id: int, staff: bool = False, account: int | None = None) -> list[QueryRow]:
    """The vote's queries, oldest first, from their table: every one with the owner's words for staff, or the
    account's own (`account`)."""
    query = VoteQuery.select().where(VoteQuery.vote == vote_id)
    if not staff:
        query = query.where(VoteQuery.lodged_by == (account or -1))
    return [
        QueryRow(int(r["number"]), str(r["kind"]), r["lodged_at"], str(r["status"]), str(r["answer"]), r["answered_at"],
                 r["correction"], str(r["text"]), r["lodged_by"] == account)  # fmt: skip
        for r in await query.order_by(VoteQuery.number)
    ]


def _moment(text: object) -> datetime:
    return datetime.fromisoformat(str(text))


def public_rows(history: Sequence[Mapping[str, Any]], own: Sequence[QueryRow] = ()) -> tuple[list[QueryRow], list[CorrectionRow]]:
    """The public list of queries (kind, answer) and corrections (reason, recount), read from the result's public
    history (one row, the same the record carries); `own`: the viewer's own queries, whose words they see."""
    words = {q.number: q.text for q in own}
    answers = {int(h["number"]): h for h in history if h.get("event") == "answer"}
    found = []
    for h in history:
        if h.get("event") != "query":
            continue
        number = int(h["number"])
        reply = answers.get(number)
        found.append(QueryRow(
            number, str(h["kind"]), _moment(h["at"]), "answered" if reply else "open", str((reply or {}).get("answer", "")),
            _moment(reply["at"]) if reply else None, (reply or {}).get("correction"), words.get(number, ""), number in words,
        ))  # fmt: skip
    fixes = [
        CorrectionRow(int(h["number"]), str(h["kind"]), str(h["reason"]), _moment(h["at"]), str(h.get("outcome_before", "")),
                      str(h.get("outcome", "")))  # fmt: skip
        for h in history if h.get("event") == "correction"
    ]
    return found, fixes


# --- personal data in what is published ------------------------------------------------------------------------


async def personal_data(vote: VoteInfo, text: str) -> list[str]:
    """What in a text to be published names someone: register names, the vote's flat numbers, phone numbers."""
    found = matched_names(find_names(text, await register_names(vote.community_id)))
    units = {str(r["unit"]) for r in await VoteFlat.select(VoteFlat.unit).where(VoteFlat.vote == vote.id)}
    found += sorted(unit for unit in units if unit in text)
    found += PHONE.findall(text)
    return found


PERSONAL = lazy("Answers and reasons are public: write them without names, flat numbers or phone numbers. Found: {found}.")


TOO_LONG: Final = {
    queries.ANSWER_TEXT_MAX: lazy("The answer is too long (at most 2000 characters)."),
    queries.REASON_MAX: lazy("The reason is too long (at most 500 characters)."),
}


async def public_text_errors(vote: VoteInfo, name: str, text: str, limit: int, missing: str) -> dict[str, str]:
    """Field errors of a text to be published ({name: msgid, name_found: what names someone}); {} if fine."""
    if not text:
        return {name: missing}
    if len(text) > limit:
        return {name: TOO_LONG[limit]}
    found = await personal_data(vote, text)
    if found:
        return {name: PERSONAL, name + "_found": "、".join(found)}
    return {}


def form_errors(errors: dict[str, str], values: dict[str, str]) -> FormErrors:
    """The errors, with what names someone carried in the values for the page to show ("…_found")."""
    values.update({k: v for k, v in errors.items() if k.endswith("_found")})
    return FormErrors({k: v for k, v in errors.items() if not k.endswith("_found")}, values)


# --- lodging -------------------------------------------------------------------------------------------------------


async def lodge(user: CurrentUser, vote_id: int, form: Mapping[str, Any]) -> int:
    """An owner of the electorate queries the preliminary count; the query's number."""
    vote = await get_vote(vote_id)
    if not await is_elector(user, vote):
        raise Forbidden(NOT_ELECTOR)
    if vote.status != "closed":
        raise Conflict(queries.NOT_CLOSED)
    values = {name: str(form.get(name, "") or "").strip() for name in ("kind", "text")}
    errors: dict[str, str] = {}
    if values["kind"] not in queries.QUERY_KINDS:
        errors["kind"] = lazy("Please choose what your query is about.")
    if not values["text"]:
        errors["text"] = lazy("Please say what you found, so that staff can check it.")
    elif len(values["text"]) > queries.QUERY_TEXT_MAX:
        errors["text"] = lazy("The text is too long (at most 1000 characters).")
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await lock_vote(vote.id, exclusive=True)
        stage = await stage_of(vote)
        if stage is None or not stage.lodging():
            raise Conflict(WINDOW_OVER)
        waiting = await VoteQuery.count().where(
            (VoteQuery.vote == vote.id) & (VoteQuery.lodged_by == user.id) & (VoteQuery.status == "open")
        )
        if waiting >= MAX_OPEN_PER_OWNER:
            raise Conflict(TOO_MANY)
        last = await VoteQuery.select(VoteQuery.number).where(VoteQuery.vote == vote.id).order_by(VoteQuery.number, ascending=False).first()
        number = int(last["number"]) + 1 if last else 1
        moment = now()
        await VoteQuery.insert(VoteQuery(vote=vote.id, number=number, kind=values["kind"], text=values["text"],
                                         lodged_by=user.id, lodged_at=moment))  # fmt: skip
        await add_history(vote.id, {"event": "query", "number": number, "kind": values["kind"], "at": iso(moment)})
        seq = await publish(vote, QUERY, {"number": number, "query_kind": values["kind"], "lodged_at": iso(moment)},
                            user.id, moment)  # fmt: skip
        await VoteQuery.update({VoteQuery.lodged_seq: seq}).where((VoteQuery.vote == vote.id) & (VoteQuery.number == number))
        await audit(vote, user.id, "vote_query_lodged", {"number": number, "kind": values["kind"], "seq": seq})
    return number


# --- answering -----------------------------------------------------------------------------------------------------


async def staff_stage(user: CurrentUser, vote_id: int) -> tuple[VoteInfo, StageInfo]:
    """Staff whose buildings the vote concerns, on a closed vote: the vote and its stage (404 before the close)."""
    vote = await get_vote(vote_id)
    await staff_view(user, vote)
    stage = await stage_of(vote)
    if stage is None:
        raise NotFound(queries.NOT_CLOSED)
    return vote, stage


async def answer(user: CurrentUser, vote_id: int, number: int, form: Mapping[str, Any]) -> None:
    """Staff answer a query in public (no personal data), optionally citing the correction it led to."""
    vote, _stage = await staff_stage(user, vote_id)
    values = {name: str(form.get(name, "") or "").strip() for name in ("answer", "correction")}
    errors = await public_text_errors(vote, "answer", values["answer"], queries.ANSWER_TEXT_MAX,
                                      lazy("Please write the answer: what was checked and what was found."))  # fmt: skip
    correction: int | None = None
    if values["correction"]:
        exists = values["correction"].isdigit() and await VoteCorrection.exists().where(
            (VoteCorrection.vote == vote.id) & (VoteCorrection.number == int(values["correction"]))
        )
        if exists:
            correction = int(values["correction"])
        else:
            errors["correction"] = lazy("Choose one of this vote's corrections, or none.")
    if errors:
        raise form_errors(errors, values)
    async with write_transaction():
        await lock_vote(vote.id, exclusive=True)
        if not await VoteStage.exists().where((VoteStage.vote == vote.id) & (VoteStage.stage == "preliminary")):
            raise Conflict(NO_LONGER)
        row = await VoteQuery.select(VoteQuery.status, VoteQuery.kind).where(
            (VoteQuery.vote == vote.id) & (VoteQuery.number == number)
        ).first()
        if row is None:
            raise NotFound(lazy("This query does not exist."))
        if row["status"] != "open":
            raise Conflict(ALREADY_ANSWERED)
        moment = now()
        await add_history(vote.id, {"event": "answer", "number": number, "at": iso(moment), "answer": values["answer"],
                                    "correction": correction})  # fmt: skip
        seq = await publish(vote, ANSWER, {"number": number, "query_kind": row["kind"], "answer": values["answer"],
                                           "answered_at": iso(moment), "correction": correction}, user.id, moment)  # fmt: skip
        await VoteQuery.update({
            VoteQuery.status: "answered", VoteQuery.answer: values["answer"], VoteQuery.answered_by: user.id,
            VoteQuery.answered_at: moment, VoteQuery.answered_seq: seq, VoteQuery.correction: correction,
        }).where((VoteQuery.vote == vote.id) & (VoteQuery.number == number))  # fmt: skip
        await audit(vote, user.id, "vote_query_answered", {"number": number, "seq": seq, "correction": correction})
