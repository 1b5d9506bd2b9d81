"""Refusals of the votes package; app.web shows them as translated error pages, controllers in place."""

from __future__ import annotations

from app.errors import Conflict, Forbidden
from app.i18n import lazy


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
