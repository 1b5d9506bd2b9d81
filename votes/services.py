"""Votes service: a vote as pages and services see it (`VoteInfo`), who may see and run it, its lock and audit, lists.

The steps of a vote's life are next to it: creating and editing (`votes.drafting`), publishing and opening
(`votes.opening`), while open (`votes.turnout`), closing and counting (`votes.counting`); the clock makes the
transitions a window makes due (`votes.clock`).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from piccolo.engine.postgres import PostgresEngine

from community import i18n
from community.accounts import CurrentUser
from community.audit import audit as audit_log
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.config import get_config
from community.db import engine
from community.errors import NotFound
from community.i18n import lazy
from community.permissions import RULE, STAFF_ROLES, is_staff, require_role
from community.prepared import PLACEHOLDER_IDS, Prepared
from community.roster.scope import ScopeKind
from community.tables import Community, Person
from votes import privacy
from votes import settings as vote_settings
from votes.agenda import title_columns
from votes.ballot_store import voted_entities
from votes.lifecycle import can_edit, window_state
from votes.matters import CHOICE_LABELS
from votes.regimes import poll_option_keys
from votes.settings import VoteKind, VoteSettings
from votes.tables import Vote

SCOPE_LABELS: Final[dict[str, str]] = {
    "compound": lazy("Compound %(name)s"),
    "building": lazy("Building %(name)s"),
    "stairwell_unit": lazy("Stairwell unit %(name)s"),
    "flats": lazy("Flats %(name)s"),
}

FACILITATOR: Final = tuple(sorted(RULE["run_votes"].roles))  # the roles page shows the same set
STAFF: Final = tuple(sorted(STAFF_ROLES))

_VOTE_COLUMNS = (
    Vote.id,
    Vote.community,
    Vote.community.slug,
    Vote.community.name,
    Vote.community.settings,  # the community's vote defaults, read with the vote (no second query)
    Vote.agenda_item,
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
    agenda_item_title: str  # "" without one (or without deliberation's port, votes.agenda)
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
        agenda_item_title=row.get("agenda_item_title") or "",
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


# Built once (community.prepared): every vote page reads it, and building its joins cost more than running it.
_VOTE = Prepared(lambda vote_id: Vote.select(*_VOTE_COLUMNS, *title_columns()).where(Vote.id == vote_id).output(
    load_json=True), PLACEHOLDER_IDS[0])  # fmt: skip


async def _fetch(vote_id: int) -> VoteInfo:
    rows = await _VOTE.run(vote_id, key=len(title_columns()))  # with the agenda item's title once deliberation is wired in
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(lazy("This vote does not exist."))
    return _vote_info(row, _vote_defaults(row.pop("community.settings")))


async def get_votes(vote_ids: Sequence[int]) -> dict[int, VoteInfo]:
    """{id: the vote as stored} for many votes in one statement (lists of projects and their rounds)."""
    if not vote_ids:
        return {}
    rows = await Vote.select(*_VOTE_COLUMNS, *title_columns()).where(Vote.id.is_in(list(vote_ids))).output(load_json=True)
    return {int(row["id"]): _vote_info(row, _vote_defaults(row.pop("community.settings"))) for row in rows}


async def get_vote(vote_id: int) -> VoteInfo:
    """The vote as stored. A read never writes: opening and closing on time is the vote clock's job
    (`bring_up_to_date`), and pages judge the window by the clock (`VoteInfo.window`)."""
    return await _fetch(vote_id)


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
    return await privacy.vote_view(user, vote.community_id, vote.id, privacy.draft_scope(vote))


def opaque_id(prefix: str, vote_id: int, subject: int | str) -> str:
    """The id the published record shows for a person or proxy: keyed per vote, so records cannot be linked."""
    return opaque_ids(prefix, vote_id)(subject)


def opaque_ids(prefix: str, vote_id: int) -> Callable[[int | str], str]:
    """opaque_id for many subjects of one vote (an opening's 100,000 owners): key and message prefix made once."""
    key = get_config().secret_key.encode()
    head = f"yishi-vote:{vote_id}:{prefix}:"
    digest = hmac.digest
    return lambda subject: prefix + digest(key, f"{head}{subject}".encode(), "sha256").hex()[:12]


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
