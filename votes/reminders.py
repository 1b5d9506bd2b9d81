"""Reminders to flats that have not voted: an in-app notice to owners with accounts, a printed slip with the join
QR for the others; never to a flat that has voted, at most once a day per flat (UNIQUE (vote, flat, day)), each
one logged with who sent it, when and how. And the owners' own notices, read on "my votes"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.columns.combination import WhereRaw

from community import paging
from community.accounts import CurrentUser
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import gettext, lazy
from votes import canvass, privacy, services
from votes.bulk import fetch_tuples, insert_many
from votes.canvass_store import NOT_OPEN, FlatRow, flat_rows, open_vote_in_view, today, voted_by_entity
from votes.services import VoteInfo
from votes.tables import Notice, Reminder
from votes.turnout import BATCH

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
    # The flats in view as tuples (a community-wide vote: 100,000 of them), and the accounts of the community's
    # people who joined (fewer than its owners) rather than an IN list of every owner.
    scope, scope_args = view.flats_sql("f.flat_id")
    rows = [(int(flat), int(entity), json.loads(owners) if isinstance(owners, str) else owners)
            for flat, entity, owners in await fetch_tuples(
                "SELECT f.id, f.entity, f.owner_persons FROM vote_flat f WHERE f.vote = {}" + scope + " ORDER BY f.position",  # noqa: S608
                vote_id, *scope_args)]  # fmt: skip
    accounts = {int(person): int(account) for person, account in await fetch_tuples(
        "SELECT id, account FROM person WHERE community = {} AND account IS NOT NULL", vote.community_id)}  # fmt: skip
    flats = [(flat, tuple(accounts[int(p)] for p in (owners or {}).values() if int(p) in accounts))
             for flat, _entity, owners in rows]  # fmt: skip
    day = today()
    try:
        async with write_transaction():
            locked = await services.lock_vote(vote_id, exclusive=True)  # two staff sending at once: one after the other
            if locked["status"] != "open":
                raise Conflict(NOT_OPEN)
            voted_entities = set(await voted_by_entity(vote_id))
            voted = frozenset(flat for flat, entity, _owners in rows if entity in voted_entities)
            reminded = frozenset(int(r["flat"]) for r in await Reminder.select(Reminder.flat).where(
                (Reminder.vote == vote_id) & (Reminder.day == day)))  # fmt: skip
            targets = canvass.reminder_targets(flats, voted, reminded)
            if not targets:
                raise Conflict(ALREADY if reminded - voted else lazy("Every flat in your buildings has voted."))
            moment = services.now()
            # One statement prepared and executed for every row (executemany): tens of thousands of flats at once.
            await insert_many(Reminder, ("vote", "flat", "day", "method", "template", "sent_by", "sent_at"),
                              [(vote_id, t.flat, day, t.method, template, user.id, moment) for t in targets])  # fmt: skip
            notified = sorted({a for t in targets for a in t.accounts})
            await insert_many(Notice, ("account", "vote", "template", "created_at"),
                              [(account, vote_id, template, moment) for account in notified])  # fmt: skip
            sent = Sent(sum(1 for t in targets if t.accounts), sum(1 for t in targets if not t.accounts))
            await services.audit(vote.community_id, user.id, "vote_reminder_sent", vote_id,
                                 {"template": template, "in_app": sent.in_app, "slips": sent.slips,
                                  "accounts": len(notified), "day": day.isoformat()})  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(ALREADY) from exc
        raise
    return sent


async def log(vote: VoteInfo, view: privacy.VoteView, limit: int | None = None) -> list[dict[str, Any]]:
    """The (`limit` latest) reminders sent to the flats in view, newest first: who sent them, when, how, and which text."""
    query = Reminder.select(Reminder.flat, Reminder.flat.unit, Reminder.day, Reminder.method, Reminder.template,
                            Reminder.sent_at, Reminder.sent_by.display_name).where(Reminder.vote == vote.id)  # fmt: skip
    scope, args = view.vote_flats_sql("vote_reminder.flat")
    if scope:
        query = query.where(WhereRaw(scope.removeprefix(" AND "), *args))
    query = query.order_by(Reminder.sent_at, ascending=False)
    rows = await (query if limit is None else query.limit(limit))
    return [{**r, "unit": r["flat.unit"]} for r in rows]


async def slips(user: CurrentUser, vote_id: int, page: int = 1, per_page: int = 10**9) -> tuple[VoteInfo, paging.Paged[tuple[FlatRow, str]], int]:
    """The page `page` of today's reminders to be printed (flats without an account), in the staff member's
    buildings, with their text; and how many there are. Counted and paged in the database (a community-wide
    reminder leaves tens of thousands of slips), names read for the page only."""
    vote, view = await open_vote_in_view(user, vote_id)
    query = Reminder.select(Reminder.flat, Reminder.template).where(
        (Reminder.vote == vote_id) & (Reminder.day == today()) & (Reminder.method == "slip"))  # fmt: skip
    counted = Reminder.count().where(
        (Reminder.vote == vote_id) & (Reminder.day == today()) & (Reminder.method == "slip"))  # fmt: skip
    scope, args = view.vote_flats_sql("vote_reminder.flat")
    if scope:
        query = query.where(WhereRaw(scope.removeprefix(" AND "), *args))
        counted = counted.where(WhereRaw(scope.removeprefix(" AND "), *args))
    total = int(await counted)
    page = min(page, paging.pages(total, per_page))  # the last page when asked for one beyond it
    rows = await query.order_by(Reminder.id).limit(per_page).offset((page - 1) * per_page)
    wanted = sorted({int(r["flat"]) for r in rows})
    flats: dict[int, FlatRow] = {}
    for start in range(0, len(wanted), BATCH):
        flats.update((f.id, f) for f in await flat_rows(vote, view, ids=wanted[start : start + BATCH]))
    shown = [(flats[int(r["flat"])], str(r["template"])) for r in rows if int(r["flat"]) in flats]
    return vote, paging.Paged(shown, page, paging.pages(total, per_page)), total


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

