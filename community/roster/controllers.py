"""Roster pages for staff: the overview, buildings and flats, search, verification and who has not joined.

Importing and exporting the register is `import_pages.py`, join slips `slip_pages.py`, residents' pages
`resident_pages.py`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from community import accounts, paging
from community.accounts import CurrentUser
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from community.permissions import (
    STAFF_ROLES,
    RosterAccess,
    community_by_slug,
    roster_access,
)
from community.roster import codes, search, service, verification
from community.roster import messages as labels
from community.safetext import parse_id
from community.tables import Community, Membership
from community.web import page, require_user

ROSTER = "/c/{slug:str}/roster"
# A whole street office's list would be thousands long; a building's fits on a page.
NOT_JOINED_SHOWN = 200
BUILDINGS_PER_PAGE = 40


def _labels() -> dict[str, Any]:
    return {
        "method_labels": labels.METHODS,
        "relation_labels": labels.RELATIONS,
        "area_source_labels": labels.AREA_SOURCES,
        "usage_labels": labels.USAGES,
        "column_labels": labels.COLUMN_LABELS,
        "mask_phone": accounts.mask_phone,
        "mask_name": codes.mask_name,
    }


async def _staff(request: Request[Any, Any, Any], slug: str) -> tuple[CurrentUser, dict[str, Any], RosterAccess]:
    """The signed-in user, the community and what they may do with its roster (403 without a role there)."""
    user = require_user(request)
    community = await community_by_slug(slug)
    access = await roster_access(user, int(community["id"]))
    return user, community, access


# --------------------------------------------------------------------------- staff: overview and views


@get("/roster", name="roster_home")
async def roster_home(request: Request[Any, Any, Any]) -> Template | Redirect:
    """The nav's "Flats" link: staff go to their community's roster, residents to their own flats."""
    user = require_user(request)
    if user.is_site_admin:
        communities = await Community.select(Community.slug, Community.name).order_by(Community.name)
    else:
        rows = await Membership.select(Membership.community.slug, Membership.community.name).where(
            (Membership.account == user.id) & Membership.role.is_in(sorted(STAFF_ROLES))
        )
        unique = {r["community.slug"]: r["community.name"] for r in rows}
        communities = [{"slug": s, "name": n} for s, n in sorted(unique.items(), key=lambda kv: kv[1])]
    if not communities:
        return Redirect(path="/account/flats", status_code=303)
    if len(communities) == 1:
        return Redirect(path=f"/c/{communities[0]['slug']}/roster", status_code=303)
    return page(request, "roster/choose.html", communities=communities)


@get(ROSTER, name="roster_overview")
async def roster_overview(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    compounds, total = await service.overview(access)
    # A compound of 100,000 flats has hundreds of buildings, each a card with its units: a page of them at a time.
    buildings = paging.Paged.of([(c, b) for c in compounds for b in c.buildings], paging.number(request), BUILDINGS_PER_PAGE)
    shown: dict[int, service.CompoundSummary] = {}
    for compound, building in buildings.items:
        shown.setdefault(compound.id, replace(compound, buildings=[])).buildings.append(building)
    return page(request, "roster/overview.html", community=community, access=access, total=total,
                compounds=list(shown.values()) if compounds and buildings.items else compounds,
                buildings=buildings)  # fmt: skip


@get(ROSTER + "/search", name="roster_search")
async def roster_search(request: Request[Any, Any, Any], slug: FromPath[str], q: FromQuery[str] = "") -> Template:
    _user, community, access = await _staff(request, slug)
    lines, more = await search.search(access, q)
    return page(
        request,
        "roster/search.html",
        fragment="roster/_search_results.html",
        community=community,
        access=access,
        q=q,
        lines=lines,
        more=more,
        **_labels(),
    )


@get(ROSTER + "/buildings/{building_id:int}", name="roster_building")
async def roster_building(request: Request[Any, Any, Any], slug: FromPath[str], building_id: FromPath[int]) -> Template:
    _user, community, access = await _staff(request, slug)
    building = await service.building_view(access, building_id)
    return page(request, "roster/building.html", community=community, access=access, building=building, **_labels())


async def _flat_page(
    request: Request[Any, Any, Any],
    community: dict[str, Any],
    access: RosterAccess,
    flat_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    form_person: int | None = None,
    form_verification: int | None = None,
    alert: str | None = None,
    notice: str | None = None,
) -> Template:
    flat = await service.flat_view(access, flat_id)
    return page(
        request,
        "roster/flat.html",
        fragment="roster/_flat_people.html",
        status_code=status_code,
        community=community,
        access=access,
        flat=flat,
        errors=errors or {},
        values=values or {},
        form_person=form_person,
        form_verification=form_verification,
        alert=alert,
        notice=notice,
        **_labels(),
    )


@get(ROSTER + "/flats/{flat_id:int}", name="roster_flat")
async def roster_flat(request: Request[Any, Any, Any], slug: FromPath[str], flat_id: FromPath[int]) -> Template:
    _user, community, access = await _staff(request, slug)
    notice = {
        "verified": lazy("The verification was recorded."),
        "revoked": lazy("The verification was revoked."),
        "code-revoked": lazy("The code was withdrawn."),
    }.get(request.query_params.get("done", ""))
    return await _flat_page(request, community, access, flat_id, notice=notice)


def _int_or_none(text: object) -> int | None:
    return parse_id(text)


@post(ROSTER + "/flats/{flat_id:int}/verify", name="roster_verify")
async def roster_verify(
    request: Request[Any, Any, Any], slug: FromPath[str], flat_id: FromPath[int]
) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    form = await request.form()
    person_id = _int_or_none(form.get("person"))
    method = str(form.get("method", "") or "")
    note = str(form.get("note", "") or "")
    try:
        await verification.verify(access, user, flat_id, person_id, method, note)
    except FormErrors as exc:
        return await _flat_page(
            request, community, access, flat_id, status_code=422, errors=exc.errors, values=exc.values,
            form_person=person_id,
        )
    except Conflict as exc:
        return await _flat_page(request, community, access, flat_id, status_code=409, alert=exc.message)
    if request.headers.get("hx-request") == "true":
        return await _flat_page(request, community, access, flat_id, notice=lazy("The verification was recorded."))
    return Redirect(path=f"/c/{slug}/roster/flats/{flat_id}?done=verified", status_code=303)


@post(ROSTER + "/verifications/{verification_id:int}/revoke", name="roster_revoke_verification")
async def roster_revoke_verification(
    request: Request[Any, Any, Any], slug: FromPath[str], verification_id: FromPath[int]
) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    form = await request.form()
    reason = str(form.get("reason", "") or "")
    flat_id = _int_or_none(form.get("flat"))
    try:
        flat_id = await verification.revoke_verification(access, user, verification_id, reason)
    except FormErrors as exc:
        if flat_id is None:
            raise
        return await _flat_page(
            request, community, access, flat_id, status_code=422, errors=exc.errors, values=exc.values,
            form_verification=verification_id,
        )
    except Conflict as exc:
        if flat_id is None:
            raise
        return await _flat_page(request, community, access, flat_id, status_code=409, alert=exc.message)
    if request.headers.get("hx-request") == "true":
        return await _flat_page(request, community, access, flat_id, notice=lazy("The verification was revoked."))
    return Redirect(path=f"/c/{slug}/roster/flats/{flat_id}?done=revoked", status_code=303)


@get(ROSTER + "/not-joined", name="roster_not_joined")
async def roster_not_joined(
    request: Request[Any, Any, Any], slug: FromPath[str], building: FromQuery[int | None] = None
) -> Template:
    _user, community, access = await _staff(request, slug)
    people, total = await search.not_joined(access, building, limit=NOT_JOINED_SHOWN)
    compounds = await service.building_choices(access)
    return page(
        request,
        "roster/not_joined.html",
        community=community,
        access=access,
        people=people,
        total=total,
        compounds=compounds,
        building=building,
        **_labels(),
    )


ROUTES = [
    roster_home,
    roster_overview,
    roster_search,
    roster_building,
    roster_flat,
    roster_verify,
    roster_revoke_verification,
    roster_not_joined,
]
