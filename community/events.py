"""The in-process event bus: services publish domain events after commit; other packages subscribe.

A service never imports the web layer or another package's reactions: it states what happened
(`BallotCast`, `VoteClosed`, …) and the subscribers registered at start-up (`app.wiring`) do the rest —
live updates to screens, a project's public notice, a meeting's phones. Fan-out across processes stays in
the channels layer (`community.live`), which the live-update subscribers publish to.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger("yishi.events")

E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]

_subscribers: dict[type, list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
    """Run `handler` for every published event of this type (registering the same handler twice is a no-op)."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


async def publish(event: object) -> None:
    """Run the event's subscribers in registration order. Call after the change is committed: a failing
    subscriber is logged and never undoes or hides the change that caused it (a ballot stays cast)."""
    for handler in _subscribers.get(type(event), ()):
        try:
            await handler(event)
        except Exception:
            log.exception("%s failed on %r", getattr(handler, "__qualname__", handler), event)


def subscribers(event_type: type) -> tuple[Handler, ...]:
    """What reacts to an event type (for the architecture tests and the docs)."""
    return tuple(_subscribers.get(event_type, ()))
