"""Drafts of minutes and notices: starting one (from a closed meeting, a closed vote, or as an addendum), the
facilitator's narrative and settings, discarding a draft started by mistake."""

from __future__ import annotations

import secrets
from typing import Any

from community import objects
from community.accounts import CurrentUser
from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import community_by_slug, require_rule
from deliberation.minutes import rules
from deliberation.minutes.service import NOT_FOUND, audit, eligible_people, for_staff, load
from deliberation.minutes.tables import Minutes, Signoff
from deliberation.tables import AgendaItem, Meeting
from votes.tables import Vote


async def _insert(user: CurrentUser, community_id: int, **columns: Any) -> int:
    try:
        async with write_transaction():
            rows = await Minutes.insert(
                Minutes(community=community_id, created_by=user.id, redaction_salt=secrets.token_hex(16), **columns)
            ).returning(Minutes.id)
            minutes_id = int(rows[0]["id"])
            await audit(community_id, user.id, "minutes_started", minutes_id, {"kind": columns.get("kind", "minutes")})
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("These minutes have already been started. Open them from the list.")) from exc
        raise
    return minutes_id


async def start_for_meeting(user: CurrentUser, slug: str, meeting_id: int) -> int:
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "publish_minutes")
    meeting = await Meeting.select(Meeting.id, Meeting.title, Meeting.status, Meeting.facilitator, Meeting.recorder).where(
        (Meeting.id == meeting_id) & (Meeting.community == community["id"])
    ).first()
    if meeting is None:
        raise NotFound("This meeting does not exist, or it is not open to you.")
    if meeting["status"] != "closed":
        raise Conflict(lazy("Minutes can be written once the meeting is closed."))
    return await _insert(
        user,
        int(community["id"]),
        kind="minutes",
        meeting=meeting_id,
        title=str(meeting["title"]),
        facilitator=meeting["facilitator"],
        recorder=meeting["recorder"],
    )


async def _closed_vote(community_id: int, vote_id: int) -> dict[str, Any]:
    vote = await Vote.select(Vote.id, Vote.title, Vote.status, Vote.agenda_item, Vote.result).where(
        (Vote.id == vote_id) & (Vote.community == community_id)
    ).output(load_json=True).first()
    if vote is None:
        raise NotFound("This vote does not exist.")
    if vote["status"] != "closed":
        raise Conflict(lazy("This vote has not closed yet."))
    return vote


async def start_for_vote(user: CurrentUser, slug: str, vote_id: int) -> int:
    """Minutes of a written consultation: a vote that no meeting's agenda carries."""
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "publish_minutes")
    vote = await _closed_vote(int(community["id"]), vote_id)
    if vote["agenda_item"] is not None:
        raise Conflict(lazy("This vote belongs to a meeting: it goes into that meeting's minutes."))
    return await _insert(user, int(community["id"]), kind="minutes", vote=vote_id, title=str(vote["title"]),
                         facilitator=user.id)  # fmt: skip


async def start_notice(user: CurrentUser, slug: str, vote_id: int) -> int:
    """A result notice (公示) of a closed vote, posted for a number of days for objections."""
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "publish_minutes")
    vote = await _closed_vote(int(community["id"]), vote_id)
    return await _insert(user, int(community["id"]), kind="notice", vote=vote_id, title=str(vote["title"]),
                         facilitator=user.id, notice_days=rules.NOTICE_DAYS_DEFAULT)  # fmt: skip


async def start_addendum(user: CurrentUser, minutes_id: int) -> int:
    original = await load(minutes_id)
    await require_rule(user, int(original["community"]), "publish_minutes")
    if original["status"] != "published" or original["kind"] == "notice":
        raise Conflict(lazy("Only published minutes can be corrected by an addendum."))
    return await _insert(
        user,
        int(original["community"]),
        kind="addendum",
        corrects=minutes_id,
        title=str(original["title"]),
        facilitator=original["facilitator"] or user.id,
        recorder=original["recorder"],
    )


async def discard(user: CurrentUser, minutes_id: int) -> str:
    """Delete a draft started by mistake; the community's slug, to go back to the list."""
    row, _can = await for_staff(user, minutes_id, "edit")
    async with write_transaction():
        await Minutes.delete().where((Minutes.id == minutes_id) & (Minutes.status == "draft"))
        objects.forget("minutes", minutes_id)  # the id may come back on SQLite
        await audit(int(row["community"]), user.id, "minutes_discarded", minutes_id)
    return str(row["community.slug"])


# --- Editing --------------------------------------------------------------------------------------------


async def save_part(user: CurrentUser, minutes_id: int, part: str, text: str) -> None:
    row, _can = await for_staff(user, minutes_id, "edit")
    text = text.replace("\r\n", "\n")
    item_ids = []
    if row["meeting"] is not None:
        item_ids = [int(r["id"]) for r in await AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == row["meeting"])]
    if part not in rules.narrative_parts(str(row["kind"]), item_ids):
        raise NotFound(NOT_FOUND)
    errors = rules.validate_narrative(text)
    if errors:
        raise FormErrors({part: errors["text"]}, {part: text})
    async with write_transaction():
        fresh = await Minutes.select(Minutes.narrative, Minutes.status).where(Minutes.id == minutes_id).output(
            load_json=True
        ).first()
        if fresh is None or fresh["status"] != "draft":
            raise Conflict(lazy("These minutes are published and can no longer change. Publish an addendum instead."))
        narrative = dict(fresh["narrative"] or {})
        if text.strip():
            narrative[part] = text
        else:
            narrative.pop(part, None)
        await Minutes.update({Minutes.narrative: narrative, Minutes.updated_at: now()}).where(Minutes.id == minutes_id)


async def save_settings(user: CurrentUser, minutes_id: int, form: Any) -> None:
    """Title, facilitator and recorder (and a notice's period); changing who signs voids earlier sign-offs."""
    row, _can = await for_staff(user, minutes_id, "edit")
    values = {k: str(form.get(k, "") or "").strip() for k in ("title", "facilitator", "recorder", "notice_days")}
    people = await eligible_people(int(row["community"]))
    eligible = {role: frozenset(int(p["id"]) for p in found) for role, found in people.items()}
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = lazy("Please enter a title.")
    elif len(values["title"]) > 200:
        errors["title"] = lazy("The title can have at most 200 characters.")
    facilitator = int(values["facilitator"]) if values["facilitator"].isdigit() else None
    recorder = int(values["recorder"]) if values["recorder"].isdigit() else None
    if row["kind"] == "notice":
        recorder = None
        if facilitator is None or facilitator not in eligible["facilitator"]:
            errors["facilitator"] = lazy("Please choose a facilitator of this community.")
        days, day_errors = rules.parse_notice_days(values["notice_days"])
        errors.update(day_errors)
    else:
        days = None
        errors.update(rules.validate_people(facilitator, recorder, eligible))
    if errors:
        raise FormErrors(errors, values)
    columns: dict[Any, Any] = {
        Minutes.title: values["title"],
        Minutes.facilitator: facilitator,
        Minutes.recorder: recorder,
        Minutes.updated_at: now(),
    }
    if days is not None:
        columns[Minutes.notice_days] = days
    async with write_transaction():
        await Minutes.update(columns).where((Minutes.id == minutes_id) & (Minutes.status == "draft"))
        changed = [role for role, holder in (("facilitator", facilitator), ("recorder", recorder)) if holder != row[role]]
        if changed:
            await Signoff.delete().where((Signoff.minutes == minutes_id) & Signoff.role.is_in(changed))


