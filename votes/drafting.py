"""Creating and editing votes: the scopes and items offered, the checked draft, the community's default settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from community import objects
from community.accounts import CurrentUser
from community.audit import audit as audit_log
from community.clock import now
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from community.permissions import require_role
from community.roster.scope import ScopeKind
from community.safetext import form_datetime, form_list
from community.tables import Building, Community, Compound, Flat, StairwellUnit
from votes import settings as vote_settings
from votes.agenda import agenda_choices
from votes.lifecycle import can_edit, window_errors
from votes.participation import natural_key
from votes.rules import MATTERS
from votes.services import FACILITATOR, VoteInfo, audit, get_vote, lock_vote, require_facilitator
from votes.settings import VOTE_KINDS, VoteKind
from votes.tables import Vote

CHANNELS: Final = ("online", "paper", "meeting")
MAX_OPTIONS: Final = 10


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


FORM_FIELDS: Final = (
    "title", "question", "kind", "matter", "options", "scope", "flats", "agenda_item", "opens_at", "closes_at",
)


def _parse_local(text: str) -> datetime | None:
    """A datetime-local value ("2026-12-01T18:00") in the community's time zone, as UTC."""
    if not text:
        return None
    local = form_datetime(text, get_config().timezone)
    if local is None:
        raise ValueError(text)
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
        allowed = {a.id for a in await agenda_choices(community_id)}
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
        objects.forget("v", vote_id)  # the id may come back on SQLite
        await audit(vote.community_id, user.id, "vote_deleted", vote_id, {"title": vote.title})
    return vote.community_slug
