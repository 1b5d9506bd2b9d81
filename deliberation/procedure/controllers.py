"""Pages of the community's procedure: its settings (notice periods, start grace, minimum voting periods, query
windows after a vote), its
venues and a calendar per venue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import i18n
from community.config import get_config
from community.errors import FormErrors
from community.permissions import STAFF_ROLES, community_by_slug, require_role
from community.roles import holds
from community.web import is_htmx, require_user
from deliberation import meetings, rules
from deliberation import venues as venue_service
from deliberation.procedure import store
from deliberation.procedure.rules import MAX_NOTICE_DAYS, MAX_START_GRACE, NOTICE_DAYS_DEFAULTS
from deliberation.views import show
from votes.matters import MATTERS
from votes.periods import MAX_DAYS, PERIOD_KEYS
from votes.queries import FORM_PREFIX, QueryWindows

# --- Settings -----------------------------------------------------------------------------------------------------


def _values(procedure: Any, periods: Any, windows: QueryWindows) -> dict[str, str]:
    values = {f"notice_days_{kind}": str(procedure.days_for(kind)) for kind in NOTICE_DAYS_DEFAULTS}
    values["start_grace_minutes"] = str(procedure.start_grace_minutes)
    values.update({f"min_voting_days_{key}": str(periods.days.get(key, 0)) for key in PERIOD_KEYS})
    values.update({FORM_PREFIX + key: str(days) for key, days in windows.days.items()})
    return values


async def _settings_page(request: Request[Any, Any, Any], community: dict[str, Any], values: dict[str, str],
                         errors: dict[str, str], saved: bool = False, status_code: int = 200) -> Template:  # fmt: skip
    return show(
        request, "deliberation/procedure.html", fragment="deliberation/_procedure_form.html", community=community,
        values=values, errors=errors, saved=saved, status_code=status_code, kinds=NOTICE_DAYS_DEFAULTS,
        matters=MATTERS, max_notice_days=MAX_NOTICE_DAYS, max_grace=MAX_START_GRACE, max_voting_days=MAX_DAYS,
    )  # fmt: skip


@get("/c/{slug:str}/procedure", name="procedure_settings")
async def procedure_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    procedure, periods = await store.procedure_of(int(community["id"]))
    return await _settings_page(request, community, _values(procedure, periods, await store.query_windows_of(int(community["id"]))), {},
                                saved=request.query_params.get("saved") == "1")  # fmt: skip


@post("/c/{slug:str}/procedure", name="procedure_settings_save")
async def procedure_save(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    try:
        await store.save_procedure(user, int(community["id"]), await request.form())
    except FormErrors as exc:
        return await _settings_page(request, community, exc.values, exc.errors, status_code=422)
    if is_htmx(request):
        procedure, periods = await store.procedure_of(int(community["id"]))
        return await _settings_page(request, community, _values(procedure, periods, await store.query_windows_of(int(community["id"]))), {}, saved=True)
    return Redirect(path=f"/c/{slug}/procedure?saved=1", status_code=303)


# --- Venues ---------------------------------------------------------------------------------------------------------


async def _venues_page(request: Request[Any, Any, Any], community: dict[str, Any], errors: dict[str, str] | None = None,
                       values: dict[str, str] | None = None, status_code: int = 200, saved: bool = False) -> Template:  # fmt: skip
    return show(
        request,
        "deliberation/venues.html",
        fragment="deliberation/_venues.html",
        community=community,
        venues=await venue_service.venues(int(community["id"])),
        errors=errors or {},
        values=values or {},
        saved=saved,
        status_code=status_code,
    )


@get("/c/{slug:str}/venues", name="venues")
async def venues_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    return await _venues_page(request, community)


@post("/c/{slug:str}/venues", name="venue_add")
async def venue_add(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    form = await request.form()
    try:
        await venue_service.add_venue(user, int(community["id"]), form)
    except FormErrors as exc:
        return await _venues_page(request, community, exc.errors, exc.values, status_code=422)
    return await _venues_page(request, community, saved=True)


@post("/c/{slug:str}/venues/{venue_id:int}", name="venue_edit")
async def venue_edit(request: Request[Any, Any, Any], slug: FromPath[str], venue_id: FromPath[int]) -> Template:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    form = await request.form()
    try:
        await venue_service.update_venue(user, int(community["id"]), venue_id, form)
    except FormErrors as exc:
        return await _venues_page(request, community, {f"{venue_id}-{k}": v for k, v in exc.errors.items()},
                                  {f"{venue_id}-{k}": v for k, v in exc.values.items()}, status_code=422)  # fmt: skip
    return await _venues_page(request, community, saved=True)


@get("/c/{slug:str}/venues/{venue_id:int}/calendar", name="venue_calendar")
async def venue_calendar(request: Request[Any, Any, Any], slug: FromPath[str], venue_id: FromPath[int]) -> Template:
    """What is booked at one venue from today on: every meeting not closed, by day, clashes marked. Staff only."""
    user = require_user(request)
    community = await community_by_slug(slug)
    roles = await require_role(user, int(community["id"]), *STAFF_ROLES)
    since = datetime.now(UTC) - timedelta(hours=12)
    venue, booked = await venue_service.calendar(int(community["id"]), venue_id, since)
    for row in booked:
        row["day"] = i18n.format_date(row["starts_at"], get_config().timezone, "full")
    return show(request, "deliberation/venue_calendar.html", community=community, venue=venue, booked=booked,
                organiser=user.is_site_admin or holds("organise_meetings", roles), kinds=rules.MEETING_KINDS)  # fmt: skip


ROUTES = [procedure_page, procedure_save, venues_page, venue_add, venue_edit, venue_calendar]
