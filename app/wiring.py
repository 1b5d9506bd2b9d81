"""The composition root's one registration step: every package's routes, subscribers and contributions.

`create_app()`, the `yishi` command and scripts all call `register_all()`, so a vote closed anywhere runs
the same subscribers. Nothing registers itself on import.
"""

from __future__ import annotations

from typing import Any

_routes: list[Any] | None = None


def register_all() -> list[Any]:
    """Register every package once per process; returns all route handlers (the same list every call)."""
    global _routes
    if _routes is None:
        from app.controllers import ROUTES as APP_ROUTES
        from community.admin.web import ROUTES as ADMIN_ROUTES
        from community.admin.web_staff import ROUTES as STAFF_ROUTES
        from community.live import ROUTES as LIVE_ROUTES
        from community.posting_web import ROUTES as POSTING_ROUTES
        from community.roster.controllers import ROUTES as ROSTER_ROUTES
        from community.roster.import_pages import ROUTES as IMPORT_ROUTES
        from community.roster.resident_pages import ROUTES as RESIDENT_ROUTES
        from community.roster.slip_pages import ROUTES as SLIP_ROUTES
        from deliberation import wiring as deliberation
        from votes import wiring as votes

        _routes = [*APP_ROUTES, *ADMIN_ROUTES, *STAFF_ROUTES, *LIVE_ROUTES, *ROSTER_ROUTES, *IMPORT_ROUTES,
                   *RESIDENT_ROUTES, *SLIP_ROUTES, *POSTING_ROUTES,
                   *deliberation.register(),
                   *votes.register()]
    return _routes
