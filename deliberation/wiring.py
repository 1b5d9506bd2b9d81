"""What the deliberation package adds to a running Yishi: its routes and its live channels (and those of its
concerns sub-context)."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers."""
    from community.admin.web import register_community_objects
    from deliberation import feed
    from deliberation.concerns import wiring as concerns
    from deliberation.controllers import ROUTES
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES
    from deliberation.minutes.tables import Minutes
    from deliberation.notice_controllers import ROUTES as NOTICE_ROUTES
    from deliberation.procedure.controllers import ROUTES as PROCEDURE_ROUTES
    from deliberation.tables import Meeting

    feed.register()
    # An archived community refuses changes at these addresses too.
    register_community_objects("m", Meeting)
    register_community_objects("minutes", Minutes)
    return [*ROUTES, *NOTICE_ROUTES, *PROCEDURE_ROUTES, *MINUTES_ROUTES, *concerns.register()]
