"""What the deliberation package adds to a running Yishi: its routes and its live channels."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers."""
    from deliberation import feed
    from deliberation.controllers import ROUTES
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES

    feed.register()
    return [*ROUTES, *MINUTES_ROUTES]
