"""What the deliberation package adds to a running Yishi: its routes and its live channels (and those of its
concerns sub-context), and how votes appear at meetings.

Deliberation sits above votes: it reads votes' service API and subscribes to their events, and plugs votes'
and projects' contributions into its own pages here (agenda links, the projector's vote section, notice board
entries, minutes sections). Votes import nothing from deliberation; what they need from it — the agenda items a
vote may be taken on, and the publication chain a project's notice joins — they reach through ports this
registration fills (`votes.agenda`, `community.publications`).
"""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers."""
    from community import events, posting_store, publications
    from community.admin.web import register_community_objects
    from community.roster.upcoming import register_upcoming_source
    from deliberation import feed, meeting_votes, posting_targets, works_notices
    from deliberation.concerns import wiring as concerns
    from deliberation.contributions import (
        NoticeRead,
        register_item_link_source,
        register_minutes_source,
        register_notice_source,
    )
    from deliberation.controllers import ROUTES
    from deliberation.minutes import chain
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES
    from deliberation.minutes.tables import Minutes
    from deliberation.notice_controllers import ROUTES as NOTICE_ROUTES
    from deliberation.procedure.controllers import ROUTES as PROCEDURE_ROUTES
    from deliberation.tables import Meeting
    from deliberation.upcoming import noticed_meetings
    from deliberation.vote_outcomes import on_vote_closed
    from votes.agenda import register_agenda
    from votes.events import ParticipationChanged, VoteClosed, VoteOpened
    from votes.projects import board as project_board
    from votes.projects import public as projects

    feed.register()
    publications.register_chain(chain.append)  # a project's public notice joins the community's chain
    register_agenda(meeting_votes.agenda_choices, meeting_votes.agenda_title)
    posting_store.register_target("meeting_notice", posting_targets.meeting_notice)  # proofs of posting
    events.subscribe(VoteClosed, on_vote_closed)  # the item of a closed vote is decided
    # Then the meeting's phones show the way to the result, and its projector the vote's figures.
    events.subscribe(VoteOpened, feed.on_vote_opened_or_closed)
    events.subscribe(VoteClosed, feed.on_vote_opened_or_closed)
    events.subscribe(ParticipationChanged, feed.on_vote_changed)
    register_upcoming_source("meetings", noticed_meetings)  # on "my flats"
    # An archived community refuses changes at these addresses too.
    register_community_objects("m", Meeting)
    register_community_objects("minutes", Minutes)
    routes = [*ROUTES, *NOTICE_ROUTES, *PROCEDURE_ROUTES, *MINUTES_ROUTES, *concerns.register()]
    # After the concerns': an item's links list its concerns first, then its vote.
    register_item_link_source("votes", meeting_votes.item_links, meeting_votes.ITEM_LINK_READ)
    register_notice_source("projects", project_board.notice_entries, NoticeRead(project_board.board_reads, project_board.board_entries))
    # Milestones and running-cost ledgers.
    register_notice_source("works", works_notices.notice_entries, works_notices.NOTICE_READ)
    register_minutes_source("projects", projects.minutes_sections)
    return routes
