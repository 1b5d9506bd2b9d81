"""What the deliberation package adds to a running Yishi: its routes and its live channels (and those of its
concerns sub-context)."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers."""
    from community import chain_port, events, posting_store
    from community.admin.web import register_community_objects
    from community.roster.upcoming import register_upcoming_source
    from deliberation import feed, posting_targets, works_notices
    from deliberation.concerns import wiring as concerns
    from deliberation.contributions import register_notice_source
    from deliberation.controllers import ROUTES
    from deliberation.minutes import chain
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES
    from deliberation.minutes.tables import Minutes
    from deliberation.notice_controllers import ROUTES as NOTICE_ROUTES
    from deliberation.procedure.controllers import ROUTES as PROCEDURE_ROUTES
    from deliberation.tables import Meeting
    from deliberation.upcoming import noticed_meetings
    from deliberation.vote_outcomes import on_vote_closed
    from votes.events import VoteClosed

    feed.register()
    chain_port.register_chain(chain.append)  # works, running costs and proofs of posting publish through it
    posting_store.register_target("meeting_notice", posting_targets.meeting_notice)
    register_notice_source("works", works_notices.notice_entries)  # milestones and running-cost ledgers
    events.subscribe(VoteClosed, on_vote_closed)  # the item of a closed vote is decided
    register_upcoming_source("meetings", noticed_meetings)  # on "my flats"
    # An archived community refuses changes at these addresses too.
    register_community_objects("m", Meeting)
    register_community_objects("minutes", Minutes)
    return [*ROUTES, *NOTICE_ROUTES, *PROCEDURE_ROUTES, *MINUTES_ROUTES, *concerns.register()]
