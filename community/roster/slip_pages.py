"""Join-slip pages: choosing the buildings, printing, withdrawing one code.

Slips are made per building: nothing is chosen for the user, and earlier unused slips stay valid unless the
user explicitly asks to void them, sees how many that withdraws and confirms (`community/roster/slips.py`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import paging
from community.errors import Forbidden, FormErrors
from community.i18n import lazy
from community.permissions import RosterAccess
from community.roster import codes
from community.roster.controllers import ROSTER, _int_or_none, _labels, _staff
from community.roster.slips import (
    batch_page,
    create_slips,
    old_slip_count,
    qr_svg,
    recent_batches,
    revoke_code,
    slip_buildings,
)
from community.web import page, public_url

# Five A4 sheets of eight slips (about 90 KB and 150 ms of CPU); the next ones are on ?page=2 and on.
SLIPS_PER_PAGE = 40
NOT_ALLOWED = lazy("Only the facilitator or the grid worker of this building may do this.")


async def _slips_form(
    request: Request[Any, Any, Any],
    community: dict[str, Any],
    access: RosterAccess,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    chosen: set[int] | None = None,
    confirm_void: int | None = None,
) -> Template:
    buildings = await slip_buildings(access)
    batches = await recent_batches(access)
    if chosen is None:  # only the building the user came from; never every building at once
        wanted = _int_or_none(request.query_params.get("building"))
        chosen = {wanted} if wanted is not None else set()
    return page(
        request,
        "roster/slips_form.html",
        status_code=status_code,
        community=community,
        access=access,
        buildings=buildings,
        batches=batches,
        chosen=chosen,
        errors=errors or {},
        confirm_void=confirm_void,
        values=values or {"mode": "person", "days": str(codes.DEFAULT_VALIDITY.days), "include_unverified": ""},
    )


@get(ROSTER + "/slips", name="roster_slips_form")
async def roster_slips_form(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    if not access.can_verify_somewhere:
        raise Forbidden(NOT_ALLOWED)
    return await _slips_form(request, community, access)


@post(ROSTER + "/slips", name="roster_slips_create")
async def roster_slips_create(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    if not access.can_verify_somewhere:
        raise Forbidden(NOT_ALLOWED)
    form = await request.form()
    chosen = [b for b in (_int_or_none(v) for v in form.getall("building", [])) if b is not None]
    mode = str(form.get("mode", "person") or "person")
    include_unverified = bool(form.get("include_unverified"))
    days = _int_or_none(form.get("days")) or 0
    void_old = bool(form.get("void_old"))
    values = {"mode": mode, "days": str(days), "include_unverified": "1" if include_unverified else "",
              "void_old": "1" if void_old else ""}  # fmt: skip
    try:
        if void_old and not form.get("confirm_void"):  # say how many slips would stop working, and ask again
            count = await old_slip_count(access, chosen, mode, include_unverified, days)
            if count:  # with nothing to void there is nothing to confirm
                return await _slips_form(request, community, access, values=values, chosen=set(chosen), confirm_void=count)
        batch = await create_slips(access, user, chosen, mode, include_unverified, days, void_old=void_old)
    except FormErrors as exc:
        return await _slips_form(request, community, access, status_code=422, errors=exc.errors,
                                 values={**values, **exc.values}, chosen=set(chosen))  # fmt: skip
    return Redirect(path=f"/c/{slug}/roster/slips/{batch}", status_code=303)


@get(ROSTER + "/slips/{batch:str}", name="roster_slips")
async def roster_slips(request: Request[Any, Any, Any], slug: FromPath[str], batch: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    # A page of slips at a time: each carries a QR code (2 KB, 3 ms to draw), and a grid worker's whole scope
    # is thousands of slips (6 MB, 10 s over 100,000 flats).
    found = await batch_page(access, batch, paging.number(request), SLIPS_PER_PAGE)
    base = public_url(request)
    printable = [
        {"slip": slip, "url": f"{base}/join/{slip.code}", "qr": qr_svg(f"{base}/join/{slip.code}")}
        for slip in found.slips
    ]
    return page(
        request,
        "roster/slips.html",
        community=community,
        access=access,
        printable=printable,
        printable_total=found.printable,
        skipped=found.skipped,
        pager=paging.Paged(printable, found.page, found.pages),
        join_url=f"{base}/join",
        **_labels(),
    )


@post(ROSTER + "/codes/{code_id:int}/revoke", name="roster_revoke_code")
async def roster_revoke_code(request: Request[Any, Any, Any], slug: FromPath[str], code_id: FromPath[int]) -> Redirect:
    user, _community, access = await _staff(request, slug)
    form = await request.form()
    back_flat = _int_or_none(form.get("flat"))
    flat_id = await revoke_code(access, user, code_id)
    target = back_flat if back_flat is not None else flat_id
    if target is not None:
        return Redirect(path=f"/c/{slug}/roster/flats/{target}?done=code-revoked", status_code=303)
    return Redirect(path=f"/c/{slug}/roster/slips", status_code=303)


ROUTES = [roster_slips_form, roster_slips_create, roster_slips, roster_revoke_code]
