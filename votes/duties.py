"""Vote duties beyond the staff pages (community.roles): the paper desk of counters and scrutineers, canvassing
and reminders of volunteers; each sees only the flats of a vote in the buildings of their role's scope."""

from __future__ import annotations

from dataclasses import dataclass

from community.accounts import CurrentUser, roles_in
from community.permissions import require_rule
from community.roles import PAPER_DESK, holds
from votes import privacy
from votes.services import VoteInfo

CANVASS = ("canvass",)


async def duty_view(user: CurrentUser, vote: VoteInfo, duties: tuple[str, ...]) -> privacy.VoteView:
    """The part of the vote the user may act on under one of these rules; Forbidden if no role of theirs grants
    one, or if the vote concerns none of their buildings."""
    return await privacy.vote_view(user, vote.community_id, vote.id, privacy.draft_scope(vote), duties)


async def desk_view(user: CurrentUser, vote: VoteInfo) -> privacy.VoteView:
    """The paper desk: whoever may enter or may check paper ballots."""
    return await duty_view(user, vote, PAPER_DESK)


async def canvass_view(user: CurrentUser, vote: VoteInfo) -> privacy.VoteView:
    return await duty_view(user, vote, CANVASS)


async def require_duty(user: CurrentUser, vote: VoteInfo, key: str) -> None:
    """Forbidden unless one of the user's roles in the vote's community grants the rule."""
    await require_rule(user, vote.community_id, key)


@dataclass(frozen=True)
class Desk:
    """What the paper desk offers this user (the forms; the server checks each again)."""

    enter: bool
    check: bool
    staff: bool  # the manage page and printing ballots


async def offer(user: CurrentUser, vote: VoteInfo) -> Desk:
    if user.is_site_admin:
        return Desk(True, True, True)
    held = await roles_in(user.id, vote.community_id)
    return Desk(holds("enter_paper", held), holds("check_paper", held), holds("see_staff_pages", held))


@dataclass(frozen=True)
class Links:
    """What the vote page links to: the manage page for staff; for a counter, a scrutineer or a volunteer who is
    not staff, their desk or the canvass tracker (staff reach those from the manage page)."""

    staff: bool = False
    desk: bool = False
    canvass: bool = False


async def links(user: CurrentUser | None, vote: VoteInfo) -> Links:
    """One read of the user's roles (the vote page counts its queries)."""
    if user is None:
        return Links()
    if user.is_site_admin:
        return Links(staff=True)
    held = await roles_in(user.id, vote.community_id)
    if holds("see_staff_pages", held):
        return Links(staff=True)
    return Links(
        desk=vote.status != "draft" and vote.has_paper and any(holds(key, held) for key in PAPER_DESK),
        canvass=vote.kind == "owners" and vote.status == "open" and holds("canvass", held),
    )
