"""What a resident (or the counting desk) is told when the database fails around a cast: recorded (with its
receipt code), not recorded, or not known; never "try again" for a ballot that is stored."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.response import Template

from community.db import failed_while_committing
from community.web import database_unavailable, page
from votes.casting import CastResult

log = logging.getLogger("yishi.votes")


def recorded(request: Request[Any, Any, Any], vote_id: int, result: CastResult, exc: Exception) -> Template:
    """The ballot's transaction committed, then the page could not be built: say it counts, from what the cast
    returned (no further reading of the database)."""
    log.warning("vote %s: ballot recorded, receipt page failed: %s", vote_id, exc, exc_info=not database_unavailable(exc))
    return page(request, "votes/cast_outcome.html", vote_id=vote_id, outcome="recorded", result=result,
                choice=result.vote.choice_text(result.choice) if result.vote is not None else None)


def entered(request: Request[Any, Any, Any], vote_id: int, notice: str, exc: Exception) -> Template:
    """A paper ballot was entered or confirmed (committed), then the desk could not be shown: say what was stored."""
    log.warning("vote %s: paper ballot stored, desk page failed: %s", vote_id, exc, exc_info=not database_unavailable(exc))
    return page(request, "votes/cast_outcome.html", vote_id=vote_id, outcome="entered", result=None, choice=None,
                notice=notice)


def not_recorded(request: Request[Any, Any, Any], vote_id: int, exc: Exception) -> Template:
    """Casting failed before its commit (or during it, when nobody can know): say so, and that sending the same
    form again is safe (the repeat token counts it once and shows the same receipt). Any other error is not
    this module's to explain: it is raised again."""
    if failed_while_committing(exc):
        outcome = "unknown"
    elif database_unavailable(exc):
        outcome = "not_recorded"
    else:
        raise exc
    log.warning("vote %s: ballot %s: %s", vote_id, outcome.replace("_", " "), exc)
    return page(request, "votes/cast_outcome.html", status_code=503, vote_id=vote_id, outcome=outcome, result=None,
                choice=None, headers={"Retry-After": "30"})

