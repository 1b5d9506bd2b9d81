"""Reminders to flats that have not voted: an in-app notice to owners with accounts, a printed slip with the join
QR for the others; never to a flat that has voted, at most once a day per flat (UNIQUE (vote, flat, day)), each
one logged with who sent it, when and how. And the owners' own notices, read on "my votes"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from community.accounts import CurrentUser
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import gettext, lazy
from community.tables import Person
from votes import canvass, privacy, services
from votes.canvass_store import NOT_OPEN, FlatRow, flat_rows, open_vote_in_view, today, voted_by_entity
from votes.services import VoteInfo
from votes.tables import Notice, Reminder, VoteFlat

ALREADY = lazy("A reminder was sent to these flats today already; try again tomorrow.")


@dataclass(frozen=True)
class Sent:
    in_app: int
    slips: int


async def send(user: CurrentUser, vote_id: int, form: Mapping[str, Any]) -> Sent:
    """One reminder to every flat of the staff member's buildings that has not voted and was not reminded today."""
    vote, view = await open_vote_in_view(user, vote_id)
    template = str(form.get("template", "") or "").strip()
    errors = canvass.template_errors(template)
    if errors:
        raise FormErrors(errors, {"template": template})
    rows = [r for r in await VoteFlat.select(VoteFlat.id, VoteFlat.entity, VoteFlat.owner_persons).where(
        VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True) if view.sees_vote_flat(int(r["id"]))]  # fmt: skip
    person_ids = sorted({int(p) for r in rows for p in (r["owner_persons"] or {}).values()})
    accounts = {int(r["id"]): int(r["account"]) for r in await Person.select(Person.id, Person.account).where(
        Person.id.is_in(person_ids or [-1]) & Person.account.is_not_null())}  # fmt: skip
    flats = [(int(r["id"]), tuple(accounts[int(p)] for p in (r["owner_persons"] or {}).values() if int(p) in accounts))
             for r in rows]  # fmt: skip
    day = today()
    try:
        async with write_transaction():
            locked = await services.lock_vote(vote_id, exclusive=True)  # two staff sending at once: one after the other
            if locked["status"] != "open":
                raise Conflict(NOT_OPEN)
            voted_entities = set(await voted_by_entity(vote_id))
            voted = frozenset(int(r["id"]) for r in rows if int(r["entity"]) in voted_entities)
            reminded = frozenset(int(r["flat"]) for r in await Reminder.select(Reminder.flat).where(
                (Reminder.vote == vote_id) & (Reminder.day == day)))  # fmt: skip
            targets = canvass.reminder_targets(flats, voted, reminded)
            if not targets:
                raise Conflict(ALREADY if reminded - voted else lazy("Every flat in your buildings has voted."))
            moment = services.now()
            for target in targets:
                await Reminder.insert(Reminder(vote=vote_id, flat=target.flat, day=day, method=target.method,
                                               template=template, sent_by=user.id, sent_at=moment))  # fmt: skip
            notified = sorted({a for t in targets for a in t.accounts})
            for account in notified:
                await Notice.insert(Notice(account=account, vote=vote_id, template=template, created_at=moment))
            sent = Sent(sum(1 for t in targets if t.accounts), sum(1 for t in targets if not t.accounts))
            await services.audit(vote.community_id, user.id, "vote_reminder_sent", vote_id,
                                 {"template": template, "in_app": sent.in_app, "slips": sent.slips,
                                  "accounts": len(notified), "day": day.isoformat()})  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(ALREADY) from exc
        raise
    return sent


async def log(vote: VoteInfo, view: privacy.VoteView) -> list[dict[str, Any]]:
    """The reminders sent to the flats in view, newest first: who sent them, when, how, and which text."""
    rows = await Reminder.select(Reminder.flat, Reminder.flat.unit, Reminder.day, Reminder.method, Reminder.template,
                                 Reminder.sent_at, Reminder.sent_by.display_name).where(Reminder.vote == vote.id).order_by(
        Reminder.sent_at, ascending=False)  # fmt: skip
    return [{**r, "unit": r["flat.unit"]} for r in rows if view.sees_vote_flat(int(r["flat"]))]


async def slips(user: CurrentUser, vote_id: int) -> tuple[VoteInfo, list[tuple[FlatRow, str]]]:
    """Today's reminders to be printed (flats without an account), in the staff member's buildings, with their text."""
    vote, view = await open_vote_in_view(user, vote_id)
    flats = {f.id: f for f in await flat_rows(vote, view)}
    rows = await Reminder.select(Reminder.flat, Reminder.template).where(
        (Reminder.vote == vote_id) & (Reminder.day == today()) & (Reminder.method == "slip")).order_by(Reminder.id)  # fmt: skip
    return vote, [(flats[int(r["flat"])], str(r["template"])) for r in rows if int(r["flat"]) in flats]


def reminder_text(template: str, vote_title: str, closes_at: datetime | None) -> str:
    """A template's text in the current language, filled with the vote's title and closing time."""
    closes = (closes_at.astimezone(ZoneInfo(get_config().timezone)).strftime("%Y-%m-%d %H:%M") if closes_at
              else gettext("the end of the vote"))  # fmt: skip
    return gettext(canvass.TEMPLATES.get(template, canvass.TEMPLATES["friendly"])) % {"title": vote_title, "closes": closes}


async def my_notices(user: CurrentUser, limit: int = 20) -> list[dict[str, Any]]:
    """The account's notices, unread first, newest first."""
    rows = await Notice.select(Notice.id, Notice.vote, Notice.template, Notice.created_at, Notice.read_at,
                               Notice.vote.title, Notice.vote.closes_at).where(Notice.account == user.id).order_by(
        Notice.created_at, ascending=False).limit(limit)  # fmt: skip
    for r in rows:
        r["text"] = reminder_text(str(r["template"]), str(r["vote.title"]), r["vote.closes_at"])
    return sorted(rows, key=lambda r: r["read_at"] is not None)


async def open_notice(user: CurrentUser, notice_id: int) -> dict[str, Any]:
    """The account's own notice, marked read when first opened; NotFound for anyone else's."""
    row = await Notice.select(Notice.id, Notice.vote, Notice.template, Notice.created_at, Notice.read_at,
                              Notice.vote.title, Notice.vote.closes_at).where(
        (Notice.id == notice_id) & (Notice.account == user.id)).first()  # fmt: skip
    if row is None:
        raise NotFound(lazy("This notice does not exist."))
    if row["read_at"] is None:
        async with write_transaction():
            await Notice.update({Notice.read_at: services.now()}).where(Notice.id == notice_id)
    row["text"] = reminder_text(str(row["template"]), str(row["vote.title"]), row["vote.closes_at"])
    return row


async def unread_count(user: CurrentUser) -> int:
    return int(await Notice.count().where((Notice.account == user.id) & Notice.read_at.is_null()))

