"""Votes service: create and edit votes, publish them (the electorate snapshot), close them (the count), settings."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from community import events, i18n
from community.accounts import CurrentUser
from community.audit import audit as audit_log
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.config import get_config
from community.db import engine, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import RULE, STAFF_ROLES, is_staff, require_role
from community.roster.scope import Scope, ScopeKind, flats_in_scope
from community.safetext import form_list
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    Person,
    StairwellUnit,
)
from deliberation.tables import AgendaItem
from votes import period_checks, privacy
from votes import settings as vote_settings
from votes.ballot_store import choice_measures, entity_choices, voted_entities
from votes.bulk import fetch_tuples, insert_many
from votes.codes import paper_serial
from votes.electorate import RosterFlat, Snapshot, SnapshotProblem, build_snapshot
from votes.errors import PaperPending
from votes.events import VoteClosed, VoteOpened
from votes.households import entity_choice
from votes.lifecycle import can_edit, due_transition, publish_target, window_errors, window_state
from votes.matters import CHOICE_LABELS
from votes.participation import FlatFact, Group, Participation, breakdown, natural_key, participation
from votes.record import VoteRecord, record_to_json, result_to_json, tally_record
from votes.regimes import poll_option_keys, poll_tally, poll_to_json, residents_tally, residents_to_json
from votes.rules import MATTERS, Measure, Settings, format_area
from votes.rules import Ballot as RuleBallot
from votes.settings import VOTE_KINDS, VoteKind, VoteSettings
from votes.tables import (
    Ballot,
    Delivery,
    PaperBallot,
    Vote,
    VoteEntity,
    VoteFlat,
    VoteRecordFile,
    VoteVoter,
)
from votes.tables import Conflict as ConflictRow

log = logging.getLogger("yishi.votes")

SCOPE_LABELS: Final[dict[str, str]] = {
    "compound": lazy("Compound %(name)s"),
    "building": lazy("Building %(name)s"),
    "stairwell_unit": lazy("Stairwell unit %(name)s"),
    "flats": lazy("Flats %(name)s"),
}

CHANNELS: Final = ("online", "paper", "meeting")
MAX_OPTIONS: Final = 10
# Ids per IN (…) list: well under SQLite's limit on bound variables.
BATCH: Final = 500
FACILITATOR: Final = tuple(sorted(RULE["run_votes"].roles))  # the roles page shows the same set
STAFF: Final = tuple(sorted(STAFF_ROLES))

_VOTE_COLUMNS = (
    Vote.id,
    Vote.community,
    Vote.community.slug,
    Vote.community.name,
    Vote.community.settings,  # the community's vote defaults, read with the vote (no second query)
    Vote.agenda_item,
    Vote.agenda_item.meeting,
    Vote.agenda_item.title,
    Vote.title,
    Vote.question,
    Vote.kind,
    Vote.matter,
    Vote.options,
    Vote.scope_kind,
    Vote.scope_ids,
    Vote.scope_label,
    Vote.opens_at,
    Vote.closes_at,
    Vote.status,
    Vote.overrides,
    Vote.settings,
    Vote.channels,
    Vote.electorate_hash,
    Vote.entities,
    Vote.total_area,
    Vote.result,
    Vote.result_detail,
    Vote.created_at,
    Vote.published_at,
    Vote.opened_at,
    Vote.closed_at,
)


@dataclass(frozen=True)
class VoteInfo:
    """A vote as pages and services use it; `settings` are the ones in force (frozen once published)."""

    id: int
    community_id: int
    community_slug: str
    community_name: str
    agenda_item_id: int | None
    meeting_id: int | None
    agenda_item_title: str
    title: str
    question: str
    kind: VoteKind
    matter: int | None
    options: tuple[str, ...]
    scope_kind: ScopeKind
    scope_ids: tuple[int, ...]
    scope_label: str
    opens_at: datetime | None
    closes_at: datetime | None
    status: str
    overrides: Mapping[str, object]
    settings: VoteSettings
    channels: tuple[str, ...]
    electorate_hash: str
    entities: int
    total_area: int
    result: Mapping[str, Any] | None
    result_detail: Mapping[str, Any] | None
    created_at: datetime
    published_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    community_defaults: Mapping[str, object] = field(default_factory=dict)

    @property
    def option_keys(self) -> list[str]:
        return poll_option_keys(self.options)

    @property
    def choices(self) -> list[str]:
        """What a voter picks from online: agree/oppose/abstain, or the poll's option keys."""
        if self.kind == "poll":
            return self.option_keys
        return ["agree", "oppose", "abstain"]

    def scope_text(self) -> str:
        """Who the vote concerns, in the current language: "Stairwell unit 3-2", "the whole community"."""
        if self.scope_kind == "community":
            return i18n.gettext("the whole community")
        return i18n.gettext(SCOPE_LABELS[self.scope_kind]) % {"name": self.scope_label}

    def choice_text(self, choice: str) -> str:
        """A choice as shown, in the current language (a poll option is shown as written)."""
        if self.kind == "poll" and choice in self.option_keys:
            return self.options[self.option_keys.index(choice)]
        return i18n.gettext(CHOICE_LABELS.get(choice, choice))

    @property
    def has_paper(self) -> bool:
        return "paper" in self.channels or "meeting" in self.channels

    @property
    def counting_after_window(self) -> bool:
        """Paper and meeting ballots are entered after they are returned, so such votes are closed by hand."""
        return self.has_paper

    def window(self, at: datetime | None = None) -> str:
        return window_state(self.status, self.opens_at, self.closes_at, at or now())



def _tuple_of_ints(value: object) -> tuple[int, ...]:
    return tuple(int(v) for v in cast(list[Any], value or []))


def _vote_info(row: Mapping[str, Any], defaults: Mapping[str, object]) -> VoteInfo:
    kind = cast(VoteKind, row["kind"])
    overrides = cast(Mapping[str, object], row["overrides"] or {})
    if can_edit(row["status"]) or not row["settings"]:
        in_force = vote_settings.effective(kind, defaults, overrides)
    else:
        in_force = vote_settings.from_json(cast(Mapping[str, object], row["settings"]))
    return VoteInfo(
        id=row["id"],
        community_id=row["community"],
        community_slug=row["community.slug"],
        community_name=row["community.name"],
        agenda_item_id=row["agenda_item"],
        meeting_id=row["agenda_item.meeting"],
        agenda_item_title=row["agenda_item.title"] or "",
        title=row["title"],
        question=row["question"],
        kind=kind,
        matter=row["matter"],
        options=tuple(str(o) for o in row["options"] or []),
        scope_kind=cast(ScopeKind, row["scope_kind"]),
        scope_ids=_tuple_of_ints(row["scope_ids"]),
        scope_label=row["scope_label"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        status=row["status"],
        overrides=overrides,
        settings=in_force,
        channels=tuple(row["channels"] or ()),
        electorate_hash=row["electorate_hash"],
        entities=row["entities"],
        total_area=row["total_area"],
        result=row["result"],
        result_detail=row["result_detail"],
        created_at=row["created_at"],
        published_at=row["published_at"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        community_defaults=defaults,
    )


async def community_defaults(community_id: int) -> dict[str, object]:
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    return _vote_defaults((row or {}).get("settings"))


def _vote_defaults(stored: Any) -> dict[str, object]:
    if isinstance(stored, str):
        stored = json.loads(stored or "{}")
    votes = stored.get("votes") if isinstance(stored, dict) else None
    return dict(votes) if isinstance(votes, dict) else {}


async def _fetch(vote_id: int) -> VoteInfo:
    row = await Vote.select(*_VOTE_COLUMNS).where(Vote.id == vote_id).output(load_json=True).first()
    if row is None:
        raise NotFound(lazy("This vote does not exist."))
    return _vote_info(row, _vote_defaults(row.pop("community.settings")))


async def get_vote(vote_id: int) -> VoteInfo:
    """The vote as stored. A read never writes: opening and closing on time is the vote clock's job
    (`bring_up_to_date`), and pages judge the window by the clock (`VoteInfo.window`)."""
    return await _fetch(vote_id)


async def bring_up_to_date(vote_id: int) -> VoteInfo:
    """Make the transition the vote's window made due (a scheduled vote opens, an online-only one closes)."""
    vote = await _fetch(vote_id)
    due = due_transition(vote.status, vote.opens_at, vote.closes_at, now())
    if due == "open":
        try:
            await open_vote_as(vote, actor=None)
        except Conflict as problem:
            # The roster changed since it was scheduled; it stays scheduled and the manage page says why.
            log.warning("vote %s could not open: %s", vote_id, problem.message)
        vote = await _fetch(vote_id)
    elif due == "close" and not vote.counting_after_window:
        try:
            await close_vote_as(vote, actor=None)
        except Conflict:
            pass  # someone closed it meanwhile
        vote = await _fetch(vote_id)
    return vote


async def visible_vote(user: CurrentUser | None, vote_id: int) -> VoteInfo:
    """A vote anyone may see once published; drafts only for the community's staff."""
    vote = await get_vote(vote_id)
    if vote.status == "draft" and not await is_staff(user, vote.community_id):
        raise NotFound(lazy("This vote does not exist."))
    return vote


async def require_facilitator(user: CurrentUser, vote: VoteInfo) -> None:
    await require_role(user, vote.community_id, *FACILITATOR)


async def require_staff(user: CurrentUser, vote: VoteInfo) -> None:
    await require_role(user, vote.community_id, *STAFF)


async def staff_view(user: CurrentUser, vote: VoteInfo) -> privacy.VoteView:
    """Staff only, and only the flats of their buildings (grid workers, building leads); Forbidden for a vote
    that concerns none of them. Every staff list of a vote's flats and owners is filtered by it."""
    await require_staff(user, vote)
    opened = vote.status in ("open", "closed")
    flats = () if opened else await flats_in_scope(Scope(vote.community_id, vote.scope_kind, vote.scope_ids))
    return await privacy.vote_view(user, vote.community_id, vote.id, flats)


def opaque_id(prefix: str, vote_id: int, subject: int | str) -> str:
    """The id the published record shows for a person or proxy: keyed per vote, so records cannot be linked."""
    key = get_config().secret_key.encode()
    return prefix + hmac.digest(key, f"yishi-vote:{vote_id}:{prefix}:{subject}".encode(), "sha256").hex()[:12]


async def lock_vote(vote_id: int, exclusive: bool = False) -> dict[str, Any]:
    """Inside a write transaction: the vote's status and window, locked so a close waits for casts in flight
    (PostgreSQL row lock; SQLite already has one writer at a time)."""
    if isinstance(engine(), PostgresEngine):
        mode = "UPDATE" if exclusive else "SHARE"
        rows = await Vote.raw(f"SELECT id, status, opens_at, closes_at FROM vote WHERE id = {{}} FOR {mode}", vote_id)  # noqa: S608 - mode is one of two literals
    else:
        rows = await Vote.select(Vote.id, Vote.status, Vote.opens_at, Vote.closes_at).where(Vote.id == vote_id)
    if not rows:
        raise NotFound(lazy("This vote does not exist."))
    return dict(rows[0])


async def audit(community_id: int, actor: int | None, action: str, vote_id: int, detail: dict[str, object] | None = None) -> None:
    await audit_log(action, actor=actor, community=community_id, object_type="vote", object_id=vote_id, details=detail or {})


# --- community defaults --------------------------------------------------------------------------------


SETTING_FIELDS: Final = vote_settings.SETTING_NAMES


async def save_community_defaults(user: CurrentUser, community_id: int, form: Mapping[str, str]) -> None:
    """The community's default settings for owners' and residents' votes; FormErrors if a value is wrong."""
    await require_role(user, community_id, *FACILITATOR)
    values = {name: str(form.get(name, "")).strip() for name in SETTING_FIELDS}
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for name, raw in values.items():
        try:
            parsed.update(vote_settings.parse_overrides({name: raw}))
        except ValueError:
            errors[name] = _SETTING_ERRORS.get(name, lazy("Please choose one of the offered values."))
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
        stored = dict((row or {}).get("settings") or {})
        stored["votes"] = parsed
        await Community.update({Community.settings: stored}).where(Community.id == community_id)
        await audit_log("vote_defaults_changed", actor=user.id, community=community_id, object_type="community", object_id=community_id, details=parsed)


_SETTING_ERRORS: Final = {
    "proxy_limit": lazy("Enter a whole number from 0 (no limit) to 99."),
}


# --- creating and editing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeChoice:
    value: str  # "community", "compound:3", "building:5", "stairwell_unit:12", "flats"
    label: str
    kind: str


async def scope_choices(community_id: int) -> list[ScopeChoice]:
    """Every scope a vote can take in this community, for the form's select."""
    compounds = await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id).order_by(Compound.name)
    buildings = await Building.select(Building.id, Building.name, Building.compound.name).where(
        Building.compound.community == community_id
    )
    units = await StairwellUnit.select(
        StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.name, StairwellUnit.building.compound.name
    ).where(StairwellUnit.building.compound.community == community_id)
    several = len(compounds) > 1
    choices = [ScopeChoice("community", lazy("The whole community"), "community")]
    choices += [ScopeChoice(f"compound:{c['id']}", c["name"], "compound") for c in compounds]
    for b in sorted(buildings, key=lambda b: (b["compound.name"], natural_key(b["name"]))):
        prefix = f"{b['compound.name']} " if several else ""
        choices.append(ScopeChoice(f"building:{b['id']}", f"{prefix}{b['name']}", "building"))
    for u in sorted(units, key=lambda u: (u["building.compound.name"], natural_key(u["building.name"]), natural_key(u["name"]))):
        prefix = f"{u['building.compound.name']} " if several else ""
        choices.append(ScopeChoice(f"stairwell_unit:{u['id']}", f"{prefix}{u['building.name']}-{u['name']}", "stairwell_unit"))
    choices.append(ScopeChoice("flats", lazy("Hand-picked flats (list them below)"), "flats"))
    return choices


async def agenda_choices(community_id: int) -> list[dict[str, Any]]:
    """Agenda items of the community's meetings that are not closed, to attach a vote to."""
    return await AgendaItem.select(AgendaItem.id, AgendaItem.title, AgendaItem.meeting.title).where(
        (AgendaItem.meeting.community == community_id) & (AgendaItem.meeting.status != "closed")
    ).order_by(AgendaItem.meeting.id, ascending=False).order_by(AgendaItem.position)


FORM_FIELDS: Final = (
    "title", "question", "kind", "matter", "options", "scope", "flats", "agenda_item", "opens_at", "closes_at",
)


def _parse_local(text: str) -> datetime | None:
    """A datetime-local value ("2026-12-01T18:00") in the community's time zone, as UTC."""
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(text) from exc
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(get_config().timezone))
    return local.astimezone(UTC)


def local_input(value: datetime | None) -> str:
    """A stored time as the value of a datetime-local input."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(get_config().timezone)).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class VoteDraft:
    """A validated vote form."""

    title: str
    question: str
    kind: VoteKind
    matter: int | None
    options: tuple[str, ...]
    scope_kind: ScopeKind
    scope_ids: tuple[int, ...]
    scope_label: str
    agenda_item: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    channels: tuple[str, ...]
    overrides: dict[str, object]


async def _resolve_flats(community_id: int, text: str) -> tuple[list[int], list[str]]:
    """Flat ids for hand-picked unit labels ("3-2-601", or "小区 3-2-601"); the labels not found."""
    wanted = [line.strip() for line in text.replace(",", "\n").replace("，", "\n").replace("、", "\n").splitlines() if line.strip()]
    rows = await Flat.select(
        Flat.id, Flat.room, Flat.stairwell_unit.name, Flat.stairwell_unit.building.name,
        Flat.stairwell_unit.building.compound.name,
    ).where((Flat.stairwell_unit.building.compound.community == community_id) & Flat.active.eq(True))
    by_label: dict[str, list[int]] = {}
    for r in rows:
        short = f"{r['stairwell_unit.building.name']}-{r['stairwell_unit.name']}-{r['room']}"
        by_label.setdefault(short, []).append(r["id"])
        by_label.setdefault(f"{r['stairwell_unit.building.compound.name']} {short}", []).append(r["id"])
    found: list[int] = []
    missing: list[str] = []
    for label in wanted:
        ids = by_label.get(" ".join(label.split()))
        if ids is None or len(ids) != 1:
            missing.append(label)
        elif ids[0] not in found:
            found.append(ids[0])
    return found, missing


async def parse_vote_form(community_id: int, form: Mapping[str, Any]) -> VoteDraft:
    """Check a vote form; FormErrors with every problem and what was typed."""
    values = {name: str(form.get(name, "") or "").strip() for name in FORM_FIELDS}
    channels = tuple(c for c in CHANNELS if c in form_list(form, "channels"))
    override_values = {name: str(form.get("s_" + name, "") or "").strip() for name in SETTING_FIELDS}
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = lazy("Please enter a title.")
    elif len(values["title"]) > 200:
        errors["title"] = lazy("The title is too long (at most 200 characters).")
    if not values["question"]:
        errors["question"] = lazy("Please write the question the voters answer.")
    elif len(values["question"]) > 5000:
        errors["question"] = lazy("The question is too long (at most 5000 characters).")
    kind = values["kind"] if values["kind"] in VOTE_KINDS else ""
    if not kind:
        errors["kind"] = lazy("Please choose what kind of vote this is.")
    matter: int | None = None
    options: tuple[str, ...] = ()
    if kind == "owners":
        if values["matter"].isdigit() and int(values["matter"]) in MATTERS:
            matter = int(values["matter"])
        else:
            errors["matter"] = lazy("Please choose which Art. 278 matter this vote decides.")
    if kind == "poll":
        options = tuple(line.strip() for line in values["options"].splitlines() if line.strip())
        if len(options) < 2:
            errors["options"] = lazy("A poll needs at least two options, one per line.")
        elif len(options) > MAX_OPTIONS:
            errors["options"] = lazy("A poll can have at most 10 options.")
        elif len(set(options)) != len(options) or any(len(o) > 200 for o in options):
            errors["options"] = lazy("Each option must be different and at most 200 characters long.")
    scope_kind: str = ""
    scope_ids: tuple[int, ...] = ()
    scope_label = ""
    choices = {c.value: c for c in await scope_choices(community_id)}
    chosen = choices.get(values["scope"])
    if chosen is None:
        errors["scope"] = lazy("Please choose who votes.")
    elif chosen.kind == "flats":
        scope_kind = "flats"
        ids, missing = await _resolve_flats(community_id, values["flats"])
        if missing:
            errors["flats"] = lazy("These flats are not in the roster: {units}. Write them as building-unit-room, e.g. 3-2-601.")
            values["flats_missing"] = "、".join(missing[:20])
        elif not ids:
            errors["flats"] = lazy("List the flats that vote, one per line, e.g. 3-2-601.")
        scope_ids = tuple(ids)
        scope_label = "、".join(line.strip() for line in values["flats"].splitlines() if line.strip())[:300]
    else:
        scope_kind = chosen.kind
        scope_ids = (int(chosen.value.split(":")[1]),) if ":" in chosen.value else ()
        scope_label = chosen.label
    agenda_item: int | None = None
    if values["agenda_item"]:
        allowed = {a["id"] for a in await agenda_choices(community_id)}
        if values["agenda_item"].isdigit() and int(values["agenda_item"]) in allowed:
            agenda_item = int(values["agenda_item"])
        else:
            errors["agenda_item"] = lazy("Please choose an agenda item of an open meeting, or none.")
    opens_at = closes_at = None
    try:
        opens_at = _parse_local(values["opens_at"])
    except ValueError:
        errors["opens_at"] = lazy("Please enter a date and time, e.g. 2026-12-01 18:00.")
    try:
        closes_at = _parse_local(values["closes_at"])
    except ValueError:
        errors["closes_at"] = lazy("Please enter a date and time, e.g. 2026-12-01 18:00.")
    if "opens_at" not in errors and "closes_at" not in errors:
        errors.update(window_errors(opens_at, closes_at, now()))
    if not channels:
        errors["channels"] = lazy("Choose at least one way to vote.")
    overrides: dict[str, object] = {}
    for name, raw in override_values.items():
        try:
            overrides.update(vote_settings.parse_overrides({name: raw}))
        except ValueError:
            errors["s_" + name] = _SETTING_ERRORS.get(name, lazy("Please choose one of the offered values."))
    if errors:
        typed = {**values, **{"s_" + k: v for k, v in override_values.items()}, "channels": ",".join(channels)}
        raise FormErrors(errors, typed)
    return VoteDraft(
        title=values["title"],
        question=values["question"],
        kind=cast(VoteKind, kind),
        matter=matter,
        options=options,
        scope_kind=cast(ScopeKind, scope_kind),
        scope_ids=scope_ids,
        scope_label=scope_label,
        agenda_item=agenda_item,
        opens_at=opens_at,
        closes_at=closes_at,
        channels=channels,
        overrides=overrides,
    )


def _draft_columns(draft: VoteDraft) -> dict[Any, Any]:
    return {
        Vote.title: draft.title,
        Vote.question: draft.question,
        Vote.kind: draft.kind,
        Vote.matter: draft.matter,
        Vote.options: list(draft.options),
        Vote.scope_kind: draft.scope_kind,
        Vote.scope_ids: list(draft.scope_ids),
        Vote.scope_label: draft.scope_label,
        Vote.agenda_item: draft.agenda_item,
        Vote.opens_at: draft.opens_at,
        Vote.closes_at: draft.closes_at,
        Vote.channels: list(draft.channels),
        Vote.overrides: draft.overrides,
    }


async def create_vote(user: CurrentUser, community_id: int, draft: VoteDraft) -> int:
    """A new draft vote (`parse_vote_form` checks a form into a VoteDraft); nothing is frozen until it is
    published."""
    await require_role(user, community_id, *FACILITATOR)
    async with write_transaction():
        rows = await Vote.insert(Vote(community=community_id, created_by=user.id, status="draft")).returning(Vote.id)
        vote_id = int(rows[0]["id"])
        await Vote.update(_draft_columns(draft)).where(Vote.id == vote_id)
        await audit(community_id, user.id, "vote_created", vote_id)
    return vote_id


def require_editable(vote: VoteInfo) -> None:
    if not can_edit(vote.status):
        raise Conflict(lazy("This vote is already open; its question, voters and settings can no longer change."))


DISCLOSURE_FIXED = lazy("Who sees how a flat voted is chosen before the vote is published; it is printed on the ballots and can no longer change.")


async def update_vote(user: CurrentUser, vote_id: int, draft: VoteDraft) -> None:
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    require_editable(vote)
    async with write_transaction():
        row = await lock_vote(vote_id, exclusive=True)
        if not can_edit(row["status"]):
            raise Conflict(lazy("This vote is already open; its question, voters and settings can no longer change."))
        if row["status"] != "draft" and vote_settings.effective(draft.kind, vote.community_defaults, draft.overrides).disclosure != vote.settings.disclosure:
            raise FormErrors({"s_disclosure": DISCLOSURE_FIXED}, {})  # the page shows the stored values again
        await Vote.update(_draft_columns(draft)).where(Vote.id == vote_id)
        await audit(vote.community_id, user.id, "vote_edited", vote_id)


async def delete_vote(user: CurrentUser, vote_id: int) -> str:
    """Delete a draft (a published vote stays on record); returns the community slug."""
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    async with write_transaction():
        row = await lock_vote(vote_id, exclusive=True)
        if row["status"] != "draft":
            raise Conflict(lazy("Only a draft can be deleted. A published vote stays on record."))
        await Vote.delete().where(Vote.id == vote_id)
        await audit(vote.community_id, user.id, "vote_deleted", vote_id, {"title": vote.title})
    return vote.community_slug


# --- publishing: the electorate snapshot ---------------------------------------------------------------


async def publish_vote(user: CurrentUser, vote_id: int) -> str:
    """Publish a draft: it opens now (freezing the electorate) or at its opening time. Returns the new status."""
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    if vote.status not in ("draft", "scheduled"):
        raise Conflict(lazy("This vote has already been published."))
    opening_now = None if vote.status == "scheduled" else vote.opens_at  # "open now" on a scheduled vote
    await period_checks.check_window(vote.community_id, vote.kind, vote.matter, opening_now, vote.closes_at, now())
    if vote.status == "scheduled":
        await open_vote_as(vote, actor=user.id)
        return "open"
    errors = window_errors(vote.opens_at, vote.closes_at, now())
    if errors:
        raise Conflict(next(iter(errors.values())))
    target = publish_target(vote.opens_at, now())
    if target == "open":
        await open_vote_as(vote, actor=user.id)
    else:
        await _snapshot(vote)  # a roster that cannot be counted is reported now, not at the opening time
        async with write_transaction():
            row = await lock_vote(vote_id, exclusive=True)
            if row["status"] != "draft":
                raise Conflict(lazy("This vote has already been published."))
            # The disclosure is printed on the ballots from now on: a later change of the community's default
            # must not alter it (votes.disclosure).
            fixed = {**vote.overrides, "disclosure": vote.settings.disclosure}
            await Vote.update({Vote.status: "scheduled", Vote.published_at: now(), Vote.overrides: fixed}).where(Vote.id == vote_id)
            await audit(vote.community_id, user.id, "vote_scheduled", vote_id)
    return target


async def load_roster(vote: VoteInfo) -> list[RosterFlat]:
    """The roster flats of the vote's scope, in building/unit/floor/room order (plain rows: 100,000 flats)."""
    in_scope = set(await flats_in_scope(Scope(vote.community_id, vote.scope_kind, vote.scope_ids)))
    if not in_scope:
        return []
    rows = await fetch_tuples(
        "SELECT f.id, f.stairwell_unit, c.name, b.name, u.name, f.room, f.floor, f.area, f.usage, f.developer_unsold, "
        "f.designated_voter FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit "
        "JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound "
        "WHERE c.community = {} AND f.active = {}",
        vote.community_id,
        True,
    )
    owners: dict[int, list[int]] = {}
    for flat_id, person in await fetch_tuples(
        "SELECT o.flat, o.person FROM ownership o JOIN person p ON p.id = o.person WHERE p.community = {}",
        vote.community_id,
    ):
        owners.setdefault(flat_id, []).append(person)
    residents: dict[int, list[int]] = {}
    if vote_settings.residents_answer(vote.kind, vote.settings):  # tenants answer residents' meetings and polls
        for flat_id, person in await fetch_tuples(
            "SELECT r.flat, r.person FROM residency r JOIN person p ON p.id = r.person WHERE p.community = {}",
            vote.community_id,
        ):
            residents.setdefault(flat_id, []).append(person)
    flats = [
        RosterFlat(
            flat_id=r[0],
            stairwell_unit_id=r[1],
            compound=r[2],
            building=r[3],
            stairwell=r[4],
            room=r[5],
            floor=r[6],
            area=r[7],
            usage=r[8],
            developer_unsold=bool(r[9]),
            owner_persons=tuple(owners.get(r[0], ())),
            designated_person=r[10],
            resident_persons=tuple(residents.get(r[0], ())),
        )
        for r in rows
        if r[0] in in_scope
    ]
    flats.sort(key=lambda f: (f.compound, natural_key(f.building), natural_key(f.stairwell), f.floor, natural_key(f.room)))
    return flats


async def _snapshot(vote: VoteInfo) -> tuple[Snapshot, VoteSettings]:
    """The electorate as the roster stands now, and the settings in force; Conflict if it cannot be counted."""
    roster = await load_roster(vote)
    in_force = vote_settings.effective(vote.kind, vote.community_defaults, vote.overrides)
    try:
        snapshot = build_snapshot(
            vote.kind,
            roster,
            lambda person: opaque_id("p", vote.id, person),
            include_parking=in_force.parking == "include",
        )
    except SnapshotProblem as problem:
        if not problem.units:
            raise Conflict(lazy("The scope of this vote contains no flats. Check the scope and the roster.")) from problem
        units = "、".join(problem.units[:10]) + (" …" if len(problem.units) > 10 else "")
        raise Conflict(
            lazy("Some flats in the scope have no registered owner: {units}. Complete the roster first."), units=units
        ) from problem
    return snapshot, in_force


async def open_vote_as(vote: VoteInfo, actor: int | None) -> None:
    """Freeze the electorate and the settings, and open the vote."""
    snapshot, in_force = await _snapshot(vote)
    async with write_transaction():
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] not in ("draft", "scheduled"):
            return  # opened by someone else meanwhile
        await _store_snapshot(vote.id, snapshot)
        moment = now()
        await Vote.update(
            {
                Vote.status: "open",
                Vote.settings: vote_settings.to_json(in_force),
                Vote.electorate_hash: snapshot.electorate_hash,
                Vote.entities: len(snapshot.entities),
                Vote.total_area: snapshot.total_area,
                Vote.opened_at: moment,
                Vote.published_at: vote.published_at or moment,
            }
        ).where(Vote.id == vote.id)
        await audit(vote.community_id, actor, "vote_opened", vote.id, {"electorate_hash": snapshot.electorate_hash})
    await events.publish(VoteOpened(vote.id))


async def _store_snapshot(vote_id: int, snapshot: Snapshot) -> None:
    """Entities, flats and who is on each flat, inside the opening's write transaction (bulk inserts)."""
    await insert_many(
        VoteEntity,
        ("vote", "key", "number", "label", "area", "developer"),
        [(vote_id, e.key, e.number, _entity_label(e.units), e.area, e.developer) for e in snapshot.entities],
    )
    entity_ids = {key: id_ for id_, key in await fetch_tuples("SELECT id, key FROM vote_entity WHERE vote = {}", vote_id)}
    await insert_many(
        VoteFlat,
        ("vote", "entity", "position", "unit", "stairwell", "floor", "area", "developer_unsold", "owners",
         "owner_persons", "designated_voter", "designated_person", "resident_persons", "flat_id", "served"),
        [
            (
                vote_id, entity_ids[f.entity_key], f.position, f.unit, f.stairwell, f.floor, f.area,
                f.developer_unsold, json.dumps(list(f.owners)),
                json.dumps({opaque: person for opaque, person in f.owner_persons}), f.designated_voter,
                f.designated_person, json.dumps(list(f.resident_persons)), f.flat_id, False,
            )
            for f in snapshot.flats
        ],
    )
    flat_ids = {
        position: id_ for id_, position in await fetch_tuples("SELECT id, position FROM vote_flat WHERE vote = {}", vote_id)
    }
    await insert_many(
        VoteVoter,
        ("vote", "person", "flat", "relation"),
        [
            (vote_id, person, flat_ids[f.position], relation)
            for f in snapshot.flats
            for relation, people in (("owner", [p for _o, p in f.owner_persons]), ("resident", f.resident_persons))
            for person in people
        ],
    )


def _entity_label(units: Sequence[str]) -> str:
    label = "、".join(units)
    if len(label) <= 255:
        return label
    return label[:240].rsplit("、", 1)[0] + f" … ({len(units)})"


# --- while open ----------------------------------------------------------------------------------------


async def participation_of(vote: VoteInfo) -> Participation:
    """Participation against the thresholds; choices only when the vote shows them live (or it is closed)."""
    show = vote.settings.show_live or vote.status == "closed"
    return participation(
        vote.kind,
        vote.settings,
        Measure(vote.entities, vote.total_area),
        await choice_measures(vote.id),
        show_counts=show,
    )


async def breakdowns(vote: VoteInfo) -> tuple[list[Group], list[Group]]:
    """Participation per stairwell unit, and per floor of each stairwell unit."""
    flats = await VoteFlat.select(VoteFlat.stairwell, VoteFlat.floor, VoteFlat.area, VoteFlat.entity).where(
        VoteFlat.vote == vote.id
    )
    voted = {
        str(entity)
        for entity, choice in (await entity_choices(vote.id)).items()
        if choice != "spoiled" or vote.settings.spoiled_ballots == "participate"
    }
    facts = [FlatFact(r["stairwell"], r["floor"], r["area"], str(r["entity"])) for r in flats]
    return breakdown(facts, voted), breakdown(facts, voted, by_floor=True)


@dataclass(frozen=True)
class NonVoter:
    unit: str
    stairwell: str
    floor: int
    names: str
    serial: str


async def non_voters(vote: VoteInfo, stairwell: str | None = None, limit: int = 500,
                     view: privacy.VoteView = privacy.EVERYTHING) -> tuple[list[NonVoter], int]:
    """Flats (of the staff member's buildings) whose voting entity has no ballot yet, with their owners' names."""
    voted = {r["entity"] for r in await Ballot.select(Ballot.entity).where(Ballot.vote == vote.id)}
    query = VoteFlat.select(
        VoteFlat.id, VoteFlat.unit, VoteFlat.stairwell, VoteFlat.floor, VoteFlat.entity, VoteFlat.entity.number,
        VoteFlat.owner_persons, VoteFlat.resident_persons,
    ).where(VoteFlat.vote == vote.id)
    if stairwell:
        query = query.where(VoteFlat.stairwell == stairwell)
    rows = [r for r in await query.order_by(VoteFlat.position).output(load_json=True)
            if r["entity"] not in voted and view.sees_vote_flat(r["id"])]
    total = len(rows)
    rows = rows[:limit]
    person_ids = {int(p) for r in rows for p in (r["owner_persons"] or {}).values()}
    person_ids |= {int(p) for r in rows for p in (r["resident_persons"] or [])} if vote_settings.residents_answer(vote.kind, vote.settings) else set()
    names = await person_names(person_ids)
    result = []
    for r in rows:
        people = list((r["owner_persons"] or {}).values())
        if vote_settings.residents_answer(vote.kind, vote.settings):
            people += list(r["resident_persons"] or [])
        result.append(
            NonVoter(r["unit"], r["stairwell"], r["floor"], "、".join(sorted({names.get(int(p), "") for p in people} - {""})),
                     paper_serial(vote.id, r["entity.number"]))
        )
    return result, total


async def person_names(person_ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    ids = sorted(person_ids)
    for start in range(0, len(ids), BATCH):
        for r in await Person.select(Person.id, Person.name).where(Person.id.is_in(ids[start : start + BATCH])):
            names[r["id"]] = r["name"]
    return names


async def stairwells(vote_id: int, view: privacy.VoteView = privacy.EVERYTHING) -> list[str]:
    rows = await VoteFlat.select(VoteFlat.stairwell).where(VoteFlat.vote == vote_id).distinct()
    return sorted((r["stairwell"] for r in rows if view.sees_stairwell(r["stairwell"])), key=natural_key)


async def served_count(vote_id: int) -> int:
    """Flats with recorded evidence of delivery (votes.deliveries)."""
    return int(await Delivery.count().where(Delivery.vote == vote_id))


# --- closing: the count --------------------------------------------------------------------------------


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
        result, detail, record_text = await count_vote(vote)
        await Vote.update(
            {
                Vote.status: "closed",
                Vote.result: result,
                Vote.result_detail: detail,
                Vote.closed_at: now(),
                Vote.closed_by: actor,
            }
        ).where(Vote.id == vote.id)
        if record_text is not None:
            await VoteRecordFile.insert(VoteRecordFile(vote=vote.id, body=record_text))
        await audit(vote.community_id, actor, "vote_closed", vote.id, {"outcome": str(result.get("outcome"))})
    await events.publish(VoteClosed(vote.id, actor))


def _measure(m: Measure) -> dict[str, object]:
    return {"headcount": m.headcount, "area": format_area(m.area)}


async def count_vote(vote: VoteInfo) -> tuple[dict[str, object], dict[str, object], str | None]:
    """(result, detail, record JSON text or None) from the snapshot and the counted ballots."""
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
        return stored, detail, json.dumps(body, ensure_ascii=False)
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


# --- lists ---------------------------------------------------------------------------------------------


async def community_votes(community_id: int, staff: bool) -> list[dict[str, Any]]:
    query = Vote.select(
        Vote.id, Vote.title, Vote.kind, Vote.matter, Vote.status, Vote.scope_label, Vote.opens_at, Vote.closes_at,
        Vote.entities, Vote.result, Vote.closed_at,
    ).where(Vote.community == community_id)
    if not staff:
        query = query.where(Vote.status != "draft")
    rows = await query.order_by(Vote.id, ascending=False).output(load_json=True)
    counts = await voted_entities([r["id"] for r in rows])
    for r in rows:
        r["ballots"] = counts.get(r["id"], 0)
    return rows


async def my_votes(user: CurrentUser) -> dict[str, list[dict[str, Any]]]:
    """Open votes in the communities where the account is on the roster, and all votes it helps run."""
    person_communities = {r["community"] for r in await Person.select(Person.community).where(Person.account == user.id)}
    staff_communities = {
        c["id"] for c in await Community.select(Community.id)
    } if user.is_site_admin else {m["community"] for m in await _memberships(user.id)}
    voting = await Vote.select(
        Vote.id, Vote.title, Vote.kind, Vote.status, Vote.closes_at, Vote.community.name, Vote.scope_label,
    ).where(Vote.community.is_in(sorted(person_communities) or [-1]) & Vote.status.is_in(["open", "scheduled"])).order_by(
        Vote.id, ascending=False
    )
    running = await Vote.select(
        Vote.id, Vote.title, Vote.kind, Vote.status, Vote.closes_at, Vote.community.name, Vote.community.slug,
        Vote.scope_label,
    ).where(Vote.community.is_in(sorted(staff_communities) or [-1]) & (Vote.status != "closed")).order_by(Vote.id, ascending=False)
    communities = await Community.select(Community.slug, Community.name).where(
        Community.id.is_in(sorted(person_communities | staff_communities) or [-1])
    ).order_by(Community.name)
    return {"voting": voting, "running": running, "communities": communities}


async def _memberships(account_id: int) -> list[dict[str, Any]]:
    from community.tables import Membership

    return await Membership.select(Membership.community).where(
        (Membership.account == account_id) & Membership.role.is_in(list(STAFF))
    )


async def meeting_votes(meeting_id: int) -> list[int]:
    """Open votes attached to the agenda items of a meeting (for its projector panel)."""
    rows = await Vote.select(Vote.id).where(
        (Vote.agenda_item.meeting == meeting_id) & (Vote.status == "open")
    ).order_by(Vote.id)
    return [r["id"] for r in rows]


async def meeting_last_closed_vote(meeting_id: int) -> int | None:
    """The vote on this meeting's agenda closed last (its result is shown on the projector), or None."""
    row = await Vote.select(Vote.id).where(
        (Vote.agenda_item.meeting == meeting_id) & (Vote.status == "closed")
    ).order_by(Vote.closed_at, ascending=False).order_by(Vote.id, ascending=False).first()
    return None if row is None else int(row["id"])


async def agenda_item_links(item_ids: list[int]) -> dict[int, list[Any]]:
    """The votes taken on these agenda items, as links for the meeting's pages: an open vote's ballot (the
    staff manage it), a closed vote's result. Drafts are the staff's business and not shown."""
    from deliberation.contributions import ItemLink

    rows = await Vote.select(Vote.id, Vote.agenda_item, Vote.status).where(
        Vote.agenda_item.is_in(item_ids) & Vote.status.is_in(["scheduled", "open", "closed"])
    ).order_by(Vote.id)
    found: dict[int, list[Any]] = {}
    for row in rows:
        vote_id, status = int(row["id"]), str(row["status"])
        if status == "open":
            link = ItemLink(lazy("Vote on this item"), f"/v/{vote_id}", primary=True, staff_url=f"/v/{vote_id}/manage")
        elif status == "closed":
            link = ItemLink(lazy("Result of the vote"), f"/v/{vote_id}/result", staff_url=f"/v/{vote_id}/manage")
        else:
            link = ItemLink(lazy("The vote on this item (not open yet)"), f"/v/{vote_id}", staff_url=f"/v/{vote_id}/manage")
        found.setdefault(int(row["agenda_item"]), []).append(link)
    return found


async def meeting_of(vote_id: int) -> int | None:
    row = await Vote.select(Vote.agenda_item.meeting).where(Vote.id == vote_id).first()
    return None if row is None else row["agenda_item.meeting"]

