"""What the live backends share when their connection is lost: retry with backoff, say so once, catch up after."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("yishi.live")

FIRST_DELAY = 0.5  # seconds before the second attempt; each failure doubles it…
MAX_DELAY = 30.0  # …up to this


def delays(first: float = FIRST_DELAY, most: float = MAX_DELAY) -> Callable[[], float]:
    """0.5, 1, 2, 4 … 30, 30 …: the wait before each further attempt."""
    state = {"next": first}

    def step() -> float:
        delay = state["next"]
        state["next"] = min(delay * 2, most)
        return delay

    return step


class Healing:
    """One live backend's connection: lost and found again, each logged once, listeners told to catch up.

    `on_recovered` is called once the backend listens again on every channel: what was published meanwhile
    reached nobody, so every open stream must send its page the current state (community.live)."""

    def __init__(self, what: str, on_recovered: Callable[[], None] | None = None) -> None:
        self.what = what
        self.on_recovered = on_recovered
        self.reconnects = 0
        self.lost_at: float | None = None

    @property
    def lost(self) -> bool:
        return self.lost_at is not None

    def lose(self, reason: BaseException | str) -> None:
        if self.lost_at is None:
            self.lost_at = time.monotonic()
            log.warning("live updates: lost the %s connection (%s); reconnecting", self.what, _short(reason))

    def found(self) -> None:
        away = time.monotonic() - (self.lost_at or time.monotonic())
        self.lost_at = None
        self.reconnects += 1
        log.warning("live updates: listening again after %.1f s without the %s connection; pages catch up",
                    away, self.what)
        if self.on_recovered is not None:
            self.on_recovered()

    async def until_connected(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Call `attempt` until it succeeds, waiting 0.5 s, then 1 s … up to 30 s between tries; each failure
        is logged at debug level only (the loss was logged once, the recovery will be)."""
        wait = delays()
        while True:
            try:
                await attempt()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # still away: try again later
                log.debug("live updates: the %s is not reachable yet: %s", self.what, _short(exc))
                await asyncio.sleep(wait())
                continue
            return


def _short(reason: BaseException | str) -> str:
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}".strip().rstrip(":")
    return reason
