"""The one clock of a process. Every service asks it for the time; a test (or a replay) sets it with
`frozen_at` instead of moving rows back in time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, `now()` answers `moment` (which `advance` may move on)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware moment")
    before, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = before


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock on (e.g. past a vote's closing time); the new moment."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock (use frozen_at)")
    _frozen = _frozen + delta
    return _frozen
