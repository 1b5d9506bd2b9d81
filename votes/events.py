"""Domain events of the votes package, published by its services after commit (see `community.events`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BallotCast:
    """A ballot was stored, changed or confirmed from paper: participation changed."""

    vote_id: int


@dataclass(frozen=True, slots=True)
class VoteOpened:
    vote_id: int


@dataclass(frozen=True, slots=True)
class VoteClosed:
    """The vote is closed and counted; its result and record are stored. `actor`: who closed it (None: the
    vote clock)."""

    vote_id: int
    actor: int | None = None


@dataclass(frozen=True, slots=True)
class VoteResultFinal:
    """The vote's final result is published (after its query window, or at the close without one): only now
    does a passed decision take effect. `actor`: who published it (None: the vote clock or the close)."""

    vote_id: int
    actor: int | None = None


@dataclass(frozen=True, slots=True)
class ParticipationChanged:
    """A vote's participation or status changed and its own screens were just sent the new figure (`votes.live`:
    ballots are coalesced, so at most a few a second per vote); other screens showing the vote follow."""

    vote_id: int
