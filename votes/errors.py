"""Refusals of the votes package; community.web shows them as translated error pages, controllers in place."""

from __future__ import annotations

from community.errors import Conflict, Forbidden
from community.i18n import lazy


class NotEligible(Forbidden):
    """This account may not cast this ballot (not an owner, a tenant, unverified, outside the scope, not open,
    closed); nothing is stored."""


class AlreadyVoted(Conflict):
    """The voting entity's ballot is already recorded and the vote does not allow changing it."""

    def __init__(self, unit: str = "") -> None:
        super().__init__(
            lazy(
                "A ballot for {unit} is already recorded. Each voting entity has one ballot, and this vote does "
                "not allow changing it."
            ),
            unit=unit,
        )


class FirstBallotCounts(Conflict):
    """Another owner of the voting entity voted first and the vote's rule counts only the first ballot."""

    def __init__(self, staff: bool = False) -> None:
        super().__init__(STAFF_FIRST_COUNTS if staff else FIRST_COUNTS)


class PaperPending(Conflict):
    """The vote cannot close: entered paper ballots still wait for a scrutineer (the manage page lists them)."""

    def __init__(self, n: int) -> None:
        super().__init__(
            lazy("{n} paper ballots still wait for a scrutineer. Confirm or reject them before closing."), n=n
        )


# The same words on every channel: the resident before confirming, staff at the paper desk.
FIRST_COUNTS = lazy(
    "Another owner of this flat has already voted. Under this vote's rule only the first ballot counts, so yours "
    "will not be counted."
)
STAFF_FIRST_COUNTS = lazy(
    "Another owner of this flat has already voted. Under this vote's rule only the first ballot counts, so this "
    "ballot will not be counted."
)
SPOIL_WARNING = lazy(
    "Another owner of this flat has already voted. Under this vote's rule, if your choices differ, your "
    "household's ballot will be spoiled."
)
STAFF_SPOIL_WARNING = lazy(
    "Another owner of this flat has already voted. Under this vote's rule, if the choices differ, the "
    "household's ballot will be spoiled."
)
