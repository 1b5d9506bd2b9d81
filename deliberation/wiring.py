"""What the deliberation package adds to a running Yishi: its routes and its live channels (and those of its
concerns sub-context)."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers."""
    from community import events
    from community.admin.web import register_community_objects
    from community.roster.upcoming import register_upcoming_source
    from deliberation import feed
    from deliberation.concerns import wiring as concerns
    from deliberation.controllers import ROUTES
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES
    from deliberation.minutes.tables import Minutes
    from deliberation.notice_controllers import ROUTES as NOTICE_ROUTES
    from deliberation.procedure.controllers import ROUTES as PROCEDURE_ROUTES
    from deliberation.tables import Meeting
    from deliberation.upcoming import noticed_meetings
    from deliberation.vote_outcomes import on_vote_closed
    from votes.events import VoteClosed

    feed.register()
    events.subscribe(VoteClosed, on_vote_closed)  # the item of a closed vote is decided
    register_upcoming_source("meetings", noticed_meetings)  # on "my flats"
    # An archived community refuses changes at these addresses too.
    register_community_objects("m", Meeting)
    register_community_objects("minutes", Minutes)
    return [*ROUTES, *NOTICE_ROUTES, *PROCEDURE_ROUTES, *MINUTES_ROUTES, *concerns.register()]
