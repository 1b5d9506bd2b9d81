"""Open votes a resident may take part in for her own flats, for "my flats" (`community/roster/upcoming.py`):
the vote's electorate (its snapshot) lists one of her people on a flat."""

from __future__ import annotations

from community.accounts import CurrentUser
from community.i18n import lazy
from community.roster.upcoming import Upcoming
from community.tables import Person
from votes.matters import KIND_LABELS
from votes.tables import Vote, VoteVoter

CLOSES = lazy("Open until %(when)s")
OPEN = lazy("Open now")


async def open_votes(user: CurrentUser) -> list[Upcoming]:
    people = [int(r["id"]) for r in await Person.select(Person.id).where(Person.account == user.id)]
    if not people:
        return []
    vote_ids = sorted({int(r["vote"]) for r in await VoteVoter.select(VoteVoter.vote).where(
        VoteVoter.person.is_in(people) & (VoteVoter.vote.status == "open")
    )})  # fmt: skip
    rows = await Vote.select(Vote.id, Vote.title, Vote.kind, Vote.closes_at, Vote.community.name).where(
        Vote.id.is_in(vote_ids or [-1])
    )
    return [
        Upcoming(kind=KIND_LABELS.get(r["kind"], str(r["kind"])), title=str(r["title"]), href=f"/v/{r['id']}",
                 when=r["closes_at"], when_label=CLOSES if r["closes_at"] else OPEN, community=str(r["community.name"]))  # fmt: skip
        for r in rows
    ]
