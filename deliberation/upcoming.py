"""Meetings noticed for a resident's own flats, for "my flats" (`community/roster/upcoming.py`): published and
not yet closed, in a scope covering a flat she owns or lives in."""

from __future__ import annotations

from community.accounts import CurrentUser
from community.i18n import lazy
from community.roster.upcoming import Upcoming
from community.tables import Person
from deliberation.access import links_of
from deliberation.meetings import MEETING_LIST_COLUMNS
from deliberation.rules import MEETING_KINDS
from deliberation.tables import Meeting

STARTS = lazy("Starts %(when)s")
IN_SESSION = lazy("In session now")


async def noticed_meetings(user: CurrentUser) -> list[Upcoming]:
    communities = {int(r["community"]) for r in await Person.select(Person.community).where(Person.account == user.id)}
    found: list[Upcoming] = []
    for community_id in sorted(communities):
        rows = await Meeting.select(*MEETING_LIST_COLUMNS, Meeting.community.name).where(
            (Meeting.community == community_id) & Meeting.status.is_in(["noticed", "in_session"])
        ).order_by(Meeting.starts_at)
        if not rows:
            continue
        links = await links_of(user.id, community_id)
        for r in rows:
            if links.in_meeting(r)[0]:
                found.append(
                    Upcoming(kind=MEETING_KINDS.get(str(r["kind"]), str(r["kind"])), title=str(r["title"]),
                             href=f"/m/{r['id']}", when=r["starts_at"],
                             when_label=IN_SESSION if r["status"] == "in_session" else STARTS,
                             community=str(r["community.name"]))  # fmt: skip
                )
    return found
