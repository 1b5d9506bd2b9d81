"""A vote's life: draft → scheduled → open → closed, with the voting window checked against an injected time."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from community.i18n import lazy

Status = Literal["draft", "scheduled", "open", "closed"]
Transition = Literal["open", "close"]
WindowState = Literal["draft", "not_open", "open", "closed"]

STATUSES: Final[tuple[Status, ...]] = ("draft", "scheduled", "open", "closed")


def due_transition(status: str, opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> Transition | None:
    """The transition a scheduled window makes due at `now`, if any (the facilitator makes the others)."""
    if status == "scheduled" and opens_at is not None and opens_at <= now:
        return "open"
    if status == "open" and closes_at is not None and closes_at <= now:
        return "close"
    return None


def window_state(status: str, opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> WindowState:
    """Whether ballots are taken at `now`; a window that has run out is closed even before the close is stored."""
    if status == "draft":
        return "draft"
    if status == "closed":
        return "closed"
    if status == "scheduled":
        return "not_open"
    if closes_at is not None and closes_at <= now:
        return "closed"
    return "open"


def can_edit(status: str) -> bool:
    """Question, scope, settings and window may change only before the electorate is frozen."""
    return status in ("draft", "scheduled")


def publish_target(opens_at: datetime | None, now: datetime) -> Status:
    """Publishing a draft opens it now, or schedules it for its opening time."""
    return "scheduled" if opens_at is not None and opens_at > now else "open"


def window_errors(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> dict[str, str]:
    """Problems with a voting window, as {field: English msgid}."""
    errors: dict[str, str] = {}
    if closes_at is not None and closes_at <= now:
        errors["closes_at"] = lazy("The closing time must be in the future.")
    elif opens_at is not None and closes_at is not None and closes_at <= opens_at:
        errors["closes_at"] = lazy("The vote must close after it opens.")
    return errors
