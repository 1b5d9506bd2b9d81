"""One rule for the ballots of one voting entity (a household): which may be stored, and what it chose.

Every channel (online, paper, meeting, proxy) asks `admit` before storing a ballot and every count asks
`entity_choice`, so co-owners are counted the same way whichever channel each of them used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

from votes.settings import ConflictRule

SPOILED: Final = "spoiled"

# new: the entity's first ballot · beside: a co-owner's ballot stored next to another's ("spoil" rule)
# replace: the voter changes their own ballot (changes allowed) · own_again: the voter's own second ballot
# when changes are not allowed · first_counts: a co-owner after the entity's first ballot ("first" rule)
Admission = Literal["new", "beside", "replace", "own_again", "first_counts"]


def entity_choice(choices: Iterable[str]) -> str | None:
    """What an entity chose from its stored ballots (one per voter): the common choice if all agree,
    "spoiled" if any differ, None without a ballot. Under the "first" rule only one ballot is ever stored."""
    result: str | None = None
    for choice in choices:
        if result is None:
            result = choice
        elif result != choice:
            return SPOILED
    return result


def admit(existing: Mapping[str, str], voter: str, rule: ConflictRule, allow_change: bool) -> Admission:
    """May `voter` store a ballot for an entity that already holds `existing` ({voter: choice})?

    The voter's own earlier ballot: replaced when changes are allowed, else it stands (`own_again`).
    Another owner's ballot: stored beside it under "spoil" (differing choices spoil the entity), refused
    under "first" (only the earliest ballot of the entity counts).
    """
    if voter in existing:
        return "replace" if allow_change else "own_again"
    if not existing:
        return "new"
    return "beside" if rule == "spoil" else "first_counts"


def others_voted(existing: Mapping[str, object], voter: str) -> bool:
    """Whether another owner of the entity already has a ballot (the warning before confirming)."""
    return any(other != voter for other in existing)
