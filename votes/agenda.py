"""The agenda items a vote may be taken on, as votes sees them: a port that deliberation fills at start-up.

Meetings and their agendas live in deliberation, the floor above votes. A vote stores only its item's id
(`Vote.agenda_item`); which items the vote form offers, and what the chosen item is called on the vote's
pages, come from here, filled by `deliberation.wiring` with `deliberation.vote_links`. Without it a process
offers no item and shows none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AgendaChoice:
    """An agenda item a vote may be attached to (of a meeting that is not closed)."""

    id: int
    title: str
    meeting_title: str


Choices = Callable[[int], Awaitable[list[AgendaChoice]]]  # community id → its open meetings' items

_choices: Choices | None = None
_title: Callable[[], Any] | None = None
_title_column: Any = None


def register_agenda(choices: Choices, title: Callable[[], Any]) -> None:
    """`title()`: the item's title as a column selected with the vote through `Vote.agenda_item` (so a vote's
    page reads it in the same statement as the vote). Asked for at the first read, not at start-up: building
    the join loads the database configuration, which a command refused before touching the database must not."""
    global _choices, _title, _title_column
    _choices, _title, _title_column = choices, title, None


async def agenda_choices(community_id: int) -> list[AgendaChoice]:
    """Agenda items of the community's meetings that are not closed, to attach a vote to."""
    return [] if _choices is None else await _choices(community_id)


def title_columns() -> tuple[Any, ...]:
    """What to select with a vote for its agenda item's title (as "agenda_item_title"), if deliberation is there."""
    global _title_column
    if _title is None:
        return ()
    if _title_column is None:
        _title_column = _title().as_alias("agenda_item_title")
    return (_title_column,)
