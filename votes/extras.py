"""What other packages add to a voter's ballot (e.g. a project's cost share, shown next to each voting entity).

What they do when a vote opens or closes is an event subscription (`votes.events`), not a hook here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from votes.casting import Standing, VoterView
    from votes.services import VoteInfo

# An extra renders HTML (from its own autoescaped template) for one entity the voter may vote for, or "".
BallotExtra = Callable[["VoteInfo", "Standing"], Awaitable[str]]
_extras: list[BallotExtra] = []
# A paper extra gives lines to print on each paper ballot, for many voting entities at once:
# {entity id: [(label msgid, text)]}, e.g. the project's cost share of each flat of the entity, to the fen.
PaperExtra = Callable[["VoteInfo", Sequence[int]], Awaitable[dict[int, list[tuple[str, str]]]]]
_paper_extras: list[PaperExtra] = []


def register_ballot_extra(extra: BallotExtra) -> None:
    """E.g. the elevator project registers one showing the owner's cost share for the vote's project."""
    if extra not in _extras:
        _extras.append(extra)


async def ballot_extras(vote: VoteInfo, view: VoterView) -> dict[str, list[Markup]]:
    """{entity key: the extras' HTML} for every entity on the voter's page."""
    shown: dict[str, list[Markup]] = {}
    for standing in view.standings:
        for extra in _extras:
            html = await extra(vote, standing)
            if html:
                shown.setdefault(standing.right.entity_key, []).append(Markup(html))  # noqa: S704 - extras render autoescaped templates
    return shown


def register_paper_extra(extra: PaperExtra) -> None:
    """E.g. the elevator project registers one printing each flat's cost share on its paper ballot."""
    if extra not in _paper_extras:
        _paper_extras.append(extra)


async def paper_extras(vote: VoteInfo, entity_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """{entity id: lines to print on its paper ballot} from every registered paper extra."""
    printed: dict[int, list[tuple[str, str]]] = {}
    for extra in _paper_extras:
        for entity_id, lines in (await extra(vote, entity_ids)).items():
            printed.setdefault(entity_id, []).extend(lines)
    return printed
