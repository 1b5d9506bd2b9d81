"""Reminders to flats that have not voted: an in-app notice to owners with accounts, a printed slip with the join
QR for the others; never to a flat that has voted, at most once a day per flat (UNIQUE (vote, flat, day)), each
one logged with who sent it, when and how. And the owners' own notices, read on "my votes"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from community import paging
from community.accounts import CurrentUser
from community.bulk_sql import write_statement as write
from community.config import get_config
from community.db import is_postgres, is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import gettext, lazy
from votes import canvass, privacy, services
from votes.bulk import fetch_tuples, insert_many
from votes.canvass_store import NOT_OPEN, FlatRow, flat_rows, open_vote_in_view, today
from votes.services import VoteInfo
from votes.tables import Notice, Reminder
from votes.turnout import BATCH

# Flats (f) of vote {} whose entity has no ballot in vote {} and that had no reminder in vote {} on day {}. SQLite
# reads each list once into a temporary index (a third less time than two look-ups per flat over 100,000 flats);
# PostgreSQL plans NOT EXISTS as hash anti-joins, and NOT IN over a list too big for work_mem as a loop per flat.
_NOT_VOTED_NOR_REMINDED = {
    False: " AND f.entity NOT IN (SELECT b.entity FROM vote_ballot b WHERE b.vote = {})"
           " AND f.id NOT IN (SELECT r.flat FROM vote_reminder r WHERE r.vote = {} AND r.day = {})",
    True: " AND NOT EXISTS (SELECT 1 FROM vote_ballot b WHERE b.vote = {} AND b.entity = f.entity)"
          " AND NOT EXISTS (SELECT 1 FROM vote_reminder r WHERE r.vote = {} AND r.flat = f.id AND r.day = {})",
}  # fmt: skip

# The people of community {} with an account (p) who are owners (o) in vote {}'s snapshot: from the people with one
# (few) through vote_voter's (vote, person) index. SQLite would walk every voter of the vote, or every person of the
# community by its (community, identity) index: CROSS JOIN fixes the order, `p.account > 0` lets it read person's
# account index and `+p.community` keeps it off the other.
_OWNERS_WITH_ACCOUNTS = ("FROM person p CROSS JOIN vote_voter o WHERE p.account > 0 AND +p.community = {}"
                         " AND o.vote = {} AND o.person = p.id AND o.relation = 'owner'")  # fmt: skip

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
    day = today()
    # `canvass.reminder_targets` asked of the database and written by it: the flats in view whose entity has no
    # ballot and that had no reminder today, each in-app when an owner has an account (vote_voter: the snapshot's
    # owners), else a slip. One INSERT … SELECT: 66,000 flats' rows never pass through Python.
    scope, scope_args = view.flats_sql("f.flat_id")
    joined = "SELECT o.flat " + _OWNERS_WITH_ACCOUNTS  # the flats with an owner who has an account
    try:
        async with write_transaction():
            locked = await services.lock_vote(vote_id, exclusive=True)  # two staff sending at once: one after the other
            if locked["status"] != "open":
                raise Conflict(NOT_OPEN)
            # The vote is locked: every reminder of it with a greater id than this is one this statement writes.
            ((before,),) = await fetch_tuples("SELECT COALESCE(MAX(id), 0) FROM vote_reminder")
            moment = services.now()
            await write(
                "INSERT INTO vote_reminder (vote, flat, day, method, template, sent_by, sent_at) "  # noqa: S608
                f"SELECT f.vote, f.id, {{}}, CASE WHEN f.id IN ({joined}) THEN 'in_app' ELSE 'slip' END, {{}}, {{}}, {{}} "
                "FROM vote_flat f WHERE f.vote = {}" + scope + _NOT_VOTED_NOR_REMINDED[is_postgres()] + " ORDER BY f.position",
                day, vote.community_id, vote_id, template, user.id, moment, vote_id, *scope_args, vote_id, vote_id, day)  # fmt: skip
            ((flats, in_app),) = await fetch_tuples(
                "SELECT COUNT(*), COUNT(CASE WHEN method = 'in_app' THEN 1 END) FROM vote_reminder WHERE vote = {} AND id > {}",
                vote_id, before)  # fmt: skip
            if not flats:
                # A reminder today to a flat other than those in view that voted: "already" (as before).
                voted_in_view = "EXISTS (SELECT 1 FROM vote_ballot b WHERE b.vote = f.vote AND b.entity = f.entity)" + scope  # noqa: S608
                already = await fetch_tuples(
                    "SELECT EXISTS (SELECT 1 FROM vote_reminder r JOIN vote_flat f ON f.id = r.flat WHERE r.vote = {}"  # noqa: S608
                    f" AND r.day = {{}} AND NOT ({voted_in_view}))", vote_id, day, *scope_args)  # fmt: skip
                raise Conflict(ALREADY if already[0][0] else lazy("Every flat in your buildings has voted."))
            # The accounts of the owners of the flats just reminded in the app (few): one notice each.
            notified = [int(account) for (account,) in await fetch_tuples(
                "SELECT DISTINCT p.account " + _OWNERS_WITH_ACCOUNTS + " AND EXISTS (SELECT 1 FROM vote_reminder r"  # noqa: S608 - literals only
                " WHERE r.vote = o.vote AND r.flat = o.flat AND r.day = {} AND r.id > {}) ORDER BY p.account",
                vote.community_id, vote_id, day, before)]  # fmt: skip
            await insert_many(Notice, ("account", "vote", "template", "created_at"),
                              [(account, vote_id, template, moment) for account in notified])  # fmt: skip
            sent = Sent(int(in_app), int(flats) - int(in_app))
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
    query = view.keep_vote_flats(query, "vote_reminder.flat").order_by(Reminder.sent_at, ascending=False)
    rows = await (query if limit is None else query.limit(limit))
    return [{**r, "unit": r["flat.unit"]} for r in rows]


async def slips(user: CurrentUser, vote_id: int, page: int = 1, per_page: int = 10**9) -> tuple[VoteInfo, paging.Paged[tuple[FlatRow, str]], int]:
    """The page `page` of today's reminders to be printed (flats without an account), in the staff member's
    buildings, with their text; and how many there are. Counted and paged in the database (a community-wide
    reminder leaves tens of thousands of slips), names read for the page only."""
    vote, view = await open_vote_in_view(user, vote_id)
    todays_slips = (Reminder.vote == vote_id) & (Reminder.day == today()) & (Reminder.method == "slip")
    query = view.keep_vote_flats(Reminder.select(Reminder.flat, Reminder.template).where(todays_slips), "vote_reminder.flat")
    counted = view.keep_vote_flats(Reminder.count().where(todays_slips), "vote_reminder.flat")
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

