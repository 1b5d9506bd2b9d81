"""A project's life after its vote: the public notice period, objections, occupied-flat consents, "approved"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from community.i18n import lazy

ProjectStatus = Literal["draft", "voting", "counted", "no_decision", "rejected", "notice", "pending", "approved"]
STATUS_LABELS: Final[dict[str, str]] = {
    "draft": lazy("Being prepared"),
    "voting": lazy("Owners are voting"),
    "counted": lazy("Counted — preliminary result, open to queries"),
    "no_decision": lazy("No valid decision: too few owners took part"),
    "rejected": lazy("Rejected by the owners"),
    "notice": lazy("Passed — public notice"),
    "pending": lazy("Passed — notice over, approval pending"),
    "approved": lazy("Approved"),
}

ObjectionStatus = Literal["open", "in_progress", "resolved", "withdrawn", "unresolved"]
# Handling steps that settle an objection; "unresolved" records a failed attempt and keeps it blocking.
_SETTLING: Final = frozenset({"resolved", "withdrawn"})
_ENDING: Final = frozenset({"resolved", "withdrawn", "unresolved"})


# --- Public notice period -----------------------------------------------------------------------------------------


def notice_end(published_at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """When a notice of `days` days published at `published_at` ends (exclusive).

    Civil Code Art. 201: the day it starts is not counted; Art. 203: the last day ends at 24:00. So a 15-day
    notice published on 22 November runs from 23 November to the end of 7 December, in the community's time.
    """
    if days < 1:
        raise ValueError("a notice period lasts at least one day")
    start_day = published_at.astimezone(tz).date()
    return datetime.combine(start_day + timedelta(days=days + 1), time(0), tzinfo=tz)


def last_day(ends_at: datetime, tz: ZoneInfo) -> date:
    """The last whole day of a period ending (exclusively) at `ends_at`: the date a page says "until"."""
    return (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()


def in_notice(ends_at: datetime | None, now: datetime) -> bool:
    return ends_at is not None and now < ends_at


def days_left(ends_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Whole days left after today (15 on the day of publication, 0 on the last day and after)."""
    if now >= ends_at:
        return 0
    return (last_day(ends_at, tz) - now.astimezone(tz).date()).days


def received_in_time(received: date, published_at: datetime, ends_at: datetime, tz: ZoneInfo) -> bool:
    """A written objection counts if it reached the committee from the day of publication to the last day."""
    return published_at.astimezone(tz).date() <= received <= last_day(ends_at, tz)


# --- Objections -----------------------------------------------------------------------------------------------------


def objection_status(steps: Sequence[str]) -> ObjectionStatus:
    """Where an objection stands after its handling steps (oldest first): the last step decides."""
    if not steps:
        return "open"
    last = steps[-1]
    if last in _ENDING:
        return last  # type: ignore[return-value]  # one of resolved, withdrawn, unresolved
    return "in_progress"


def blocks_approval(status: str) -> bool:
    """Open, being handled, or handled without agreement: the project cannot be approved yet."""
    return status not in _SETTLING


# --- The project's status -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundFacts:
    """The project's current vote as the lifecycle needs it."""

    vote_status: str  # draft / scheduled / open / closed
    outcome: str | None  # passed / rejected / no_quorum, once closed
    notice_ends_at: datetime | None = None  # set when the pass was published
    final: bool = True  # the result is final (votes.queries): until then the project waits for it


@dataclass(frozen=True, slots=True)
class ObjectionFact:
    number: int
    status: str


@dataclass(frozen=True, slots=True)
class ConsentFact:
    """An occupied flat (by its unit label) and where its owner's consent stands."""

    unit: str
    consent: str  # pending / given / refused


PendingKind = Literal["notice_period", "objection", "consent_missing", "consent_refused"]


@dataclass(frozen=True, slots=True)
class Pending:
    """One thing that still stands between a passed vote and "approved"."""

    kind: PendingKind
    unit: str = ""
    number: int = 0
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProjectState:
    status: ProjectStatus
    notice_ends_at: datetime | None
    pending: tuple[Pending, ...]

    @property
    def passed(self) -> bool:
        return self.status in ("notice", "pending", "approved")


def consents_missing(consents: Sequence[ConsentFact]) -> tuple[Pending, ...]:
    """Every occupied flat whose owner has not consented: the works cannot start without each of them."""
    return tuple(
        Pending("consent_refused" if c.consent == "refused" else "consent_missing", unit=c.unit)
        for c in consents
        if c.consent != "given"
    )


def project_state(
    current: RoundFacts | None,
    objections: Sequence[ObjectionFact],
    consents: Sequence[ConsentFact],
    now: datetime,
) -> ProjectState:
    """Draft, voting, counted (a preliminary result in its query window), no decision, rejected; after a final
    pass: notice, pending, or approved.

    Approved only when the notice period has ended, no objection blocks, and every occupied flat's owner has
    consented; otherwise `pending` says exactly what is missing (a refusal is shown as such).
    """
    if current is None or current.vote_status == "draft":
        return ProjectState("draft", None, consents_missing(consents))
    if current.vote_status != "closed" or current.outcome is None:
        return ProjectState("voting", None, consents_missing(consents))
    if not current.final:  # the preliminary count stands open to queries: nothing follows from it yet
        return ProjectState("counted", None, consents_missing(consents))
    if current.outcome == "no_quorum":
        return ProjectState("no_decision", None, ())
    if current.outcome != "passed":
        return ProjectState("rejected", None, ())
    ends = current.notice_ends_at
    pending: list[Pending] = []
    if ends is None or now < ends:
        pending.append(Pending("notice_period", until=ends))
    pending += [
        Pending("objection", number=o.number) for o in sorted(objections, key=lambda o: o.number) if blocks_approval(o.status)
    ]
    pending += consents_missing(consents)
    if ends is None or now < ends:
        return ProjectState("notice", ends, tuple(pending))
    if pending:
        return ProjectState("pending", ends, tuple(pending))
    return ProjectState("approved", ends, ())


def terms_locked(vote_statuses: Sequence[str]) -> bool:
    """The budget and scheme are frozen once the current vote has opened: a new vote is needed to change them."""
    return bool(vote_statuses) and vote_statuses[-1] in ("open", "closed")


def may_start_new_round(vote_statuses: Sequence[str]) -> bool:
    """A new vote (with new terms) may be prepared once the current one is closed."""
    return bool(vote_statuses) and vote_statuses[-1] == "closed"


def may_lodge_online(state: ProjectState, now: datetime) -> bool:
    """Residents lodge objections from a phone while the notice runs."""
    return state.status == "notice" and in_notice(state.notice_ends_at, now)
