"""Roster pages: staff views, verification, import and export, join slips; residents' flats and /join."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from community import accounts
from community.accounts import CurrentUser
from community.errors import Conflict, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.permissions import (
    STAFF_ROLES,
    RosterAccess,
    community_by_slug,
    require_manage,
    roster_access,
)
from community.roster import codes, importer, joining, places, search, service, verification
from community.roster import messages as labels
from community.roster.files import template_csv, template_xlsx, write_csv, write_xlsx
from community.roster.upcoming import upcoming_for
from community.safetext import parse_id
from community.tables import Community, Membership
from community.web import client_address, current_user, page, require_user, session_cookie

ROSTER = "/c/{slug:str}/roster"
# A 10,000-flat XLSX is about 0.6 MB; room for registers with long lists of names.
MAX_UPLOAD = 20 * 1024 * 1024
PREVIEW_ROWS = 50
# A whole street office's list would be thousands long; a building's fits on a page.
NOT_JOINED_SHOWN = 200
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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


def _download(data: bytes, fmt: str, filename: str) -> Response[bytes]:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content=data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


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
    return page(request, "roster/overview.html", community=community, access=access, compounds=compounds, total=total)


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
    people = await search.not_joined(access, building)
    compounds, _total = await service.overview(access)
    return page(
        request,
        "roster/not_joined.html",
        community=community,
        access=access,
        people=people[:NOT_JOINED_SHOWN],
        total=len(people),
        compounds=compounds,
        building=building,
        **_labels(),
    )


# --------------------------------------------------------------------------- staff: import and export


@get(ROSTER + "/template/{fmt:str}", name="roster_template")
async def roster_template(request: Request[Any, Any, Any], slug: FromPath[str], fmt: FromPath[str]) -> Response[bytes]:
    _user, _community, access = await _staff(request, slug)
    require_manage(access)
    if fmt not in MEDIA_TYPES:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    data = template_csv() if fmt == "csv" else template_xlsx()
    return _download(data, fmt, f"房屋与业主登记表.{fmt}")


@get(ROSTER + "/export/{fmt:str}", name="roster_export")
async def roster_export(request: Request[Any, Any, Any], slug: FromPath[str], fmt: FromPath[str]) -> Response[bytes]:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    if fmt not in MEDIA_TYPES:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    rows = await importer.export_rows(int(community["id"]))
    data = write_csv(rows) if fmt == "csv" else write_xlsx(rows)
    return _download(data, fmt, f"{community['name']}-{date.today().isoformat()}.{fmt}")


@get(ROSTER + "/import", name="roster_import")
async def roster_import(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    return page(
        request,
        "roster/import.html",
        community=community,
        access=access,
        problems=[],
        errors={},
        filename="",
        **_labels(),
    )


@post(ROSTER + "/import", name="roster_upload", request_max_body_size=MAX_UPLOAD)
async def roster_upload(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    require_manage(access)
    form = await request.form()
    upload = form.get("register")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    if not data:
        return page(
            request,
            "roster/import.html",
            status_code=422,
            community=community,
            access=access,
            problems=[],
            errors={"register": lazy("Choose a register file (.xlsx or .csv) to upload.")},
            filename=filename,
            **_labels(),
        )
    checked = await importer.check_file(filename, data)
    if checked.problems:
        return page(
            request,
            "roster/import.html",
            status_code=422,
            community=community,
            access=access,
            problems=labels.show_problems(checked.problems),
            errors={},
            filename=filename,
            **_labels(),
        )
    token = await importer.store_upload(int(community["id"]), user.id, filename, data)
    return Redirect(path=f"/c/{slug}/roster/import/{token}", status_code=303)


async def _preview_context(community: dict[str, Any], token: str) -> dict[str, Any]:
    upload = await importer.get_upload(int(community["id"]), token)
    context: dict[str, Any] = {"upload": upload, "progress": importer.progress_of(token)}
    if upload["status"] in ("previewed", "failed"):
        stored = await importer.get_upload(int(community["id"]), token, with_data=True)
        checked = await importer.check_file(stored["filename"], bytes(stored["data"]))
        plan, fingerprint = await importer.preview(int(community["id"]), checked.rows)
        context.update(diff=plan.diff, fingerprint=fingerprint, preview_rows=PREVIEW_ROWS)
    return context


@get(ROSTER + "/import/{token:str}", name="roster_preview")
async def roster_preview(request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    context = await _preview_context(community, token)
    return page(request, "roster/preview.html", community=community, access=access, alert=None, **context, **_labels())


@get(ROSTER + "/import/{token:str}/progress", name="roster_progress")
async def roster_progress(request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    upload = await importer.get_upload(int(community["id"]), token)
    return page(
        request,
        "roster/_import_progress.html",
        community=community,
        upload=upload,
        progress=importer.progress_of(token),
    )


@post(ROSTER + "/import/{token:str}/apply", name="roster_apply")
async def roster_apply(
    request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    require_manage(access)
    form = await request.form()
    expected = str(form.get("base", "") or "")
    # Adding and updating is the default; removing the flats the file lacks is a separate, confirmed step.
    remove = form.get("remove") == "1"
    if remove and form.get("confirm_remove") != "1":
        context = await _preview_context(community, token)
        return page(request, "roster/preview.html", status_code=422, community=community, access=access, alert=None,
                    remove_error=lazy("Tick the box to confirm that these flats are to be removed."), **context, **_labels())  # fmt: skip
    outcome = await importer.start_apply(int(community["id"]), token, user.id, expected, remove=remove)
    if outcome == "stale":
        context = await _preview_context(community, token)
        return page(
            request,
            "roster/preview.html",
            status_code=409,
            community=community,
            access=access,
            alert=importer.STALE_REGISTER,
            **context,
            **_labels(),
        )
    return Redirect(path=f"/c/{slug}/roster/import/{token}", status_code=303)


# --------------------------------------------------------------------------- residents


@get("/account/flats", name="my_flats")
async def my_flats(request: Request[Any, Any, Any]) -> Template:
    user = require_user(request)
    flats = await places.my_flats(user.id)
    return page(
        request,
        "roster/my_flats.html",
        flats=flats,
        upcoming=await upcoming_for(user) if flats else [],
        joined=request.query_params.get("joined") == "1",
        **_labels(),
    )


@get("/join", name="join_enter")
async def join_enter(request: Request[Any, Any, Any]) -> Template:
    return page(request, "roster/join_enter.html", errors={}, values={})


@post("/join", name="join_enter_submit")
async def join_enter_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await request.form()
    typed = str(form.get("code", "") or "")
    code = codes.normalise_code(typed)
    if code is None:
        return page(
            request,
            "roster/join_enter.html",
            status_code=422,
            errors={"code": lazy("A code has 8 letters and digits, for example ABCD-EFGH.")},
            values={"code": typed},
        )
    # Looked up here, not only after the redirect: every code typed counts against the client's limit.
    try:
        await joining.lookup(code, client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        return _code_refused(request, exc, typed)
    return Redirect(path=f"/join/{code}", status_code=303)


def _code_refused(request: Request[Any, Any, Any], exc: NotFound | TooManyAttempts, typed: str) -> Template:
    """The code form again: no such code (404), or too many wrong codes from this network (429)."""
    limited = isinstance(exc, TooManyAttempts)
    return page(
        request,
        "roster/join_enter.html",
        status_code=429 if limited else 404,
        errors={"code": exc.message},
        values={} if limited else {"code": typed},
    )


async def _join_page(
    request: Request[Any, Any, Any],
    code: str,
    *,
    status_code: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    form: str | None = None,
    alert: str | None = None,
) -> Template:
    try:
        info = await joining.lookup(code, client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        return _code_refused(request, exc, code)
    state_message = joining.STATE_MESSAGES.get(info.state)
    user = current_user(request)
    return page(
        request,
        "roster/join.html",
        status_code=status_code if status_code is not None else (410 if state_message else 200),
        info=info,
        state_message=state_message,
        mine=user is not None and info.person_account == user.id,
        errors=errors or {},
        values=values or {},
        form=form,
        alert=alert,
        masked_phone=accounts.mask_phone(user.phone) if user else "",
        **_labels(),
    )


@get("/join/{code:str}", name="join")
async def join(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    return await _join_page(request, code)


def _joined(token: str | None = None) -> Redirect:
    cookies = [session_cookie(token)] if token else []
    return Redirect(path="/account/flats?joined=1", status_code=303, cookies=cookies)


@post("/join/{code:str}/new", name="join_new_account")
async def join_new_account(request: Request[Any, Any, Any], code: FromPath[str]) -> Template | Redirect:
    form = await request.form()
    phone = str(form.get("phone", "") or "").strip()
    try:
        info = await joining.lookup(code, client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        return _code_refused(request, exc, code)
    try:
        account_id = await joining.claim_with_new_account(
            info, phone, str(form.get("password", "")), str(form.get("confirm_password", ""))
        )
    except FormErrors as exc:
        return await _join_page(request, code, status_code=422, errors=exc.errors, values=exc.values, form="new")
    except Conflict as exc:
        return await _join_page(request, code, status_code=409, alert=exc.message)
    except NotFound:
        return await _join_page(request, code)
    token = await accounts.start_session(
        account_id, request.headers.get("user-agent", ""), request.cookies.get(accounts.SESSION_COOKIE)
    )
    return _joined(token)


@post("/join/{code:str}/existing", name="join_existing_account")
async def join_existing_account(request: Request[Any, Any, Any], code: FromPath[str]) -> Template | Redirect:
    form = await request.form()
    identifier = str(form.get("identifier", "") or "").strip()
    password = str(form.get("existing_password", ""))
    values = {"identifier": identifier}
    if not identifier or not password:
        errors = {}
        if not identifier:
            errors["identifier"] = lazy("Please enter your phone number or username.")
        if not password:
            errors["existing_password"] = lazy("Please enter your password.")
        return await _join_page(request, code, status_code=422, errors=errors, values=values, form="existing")
    try:
        info = await joining.lookup(code, client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        return _code_refused(request, exc, code)
    try:
        account_id = await joining.claim_with_existing_account(info, identifier, password, client_address(request))
    except FormErrors as exc:
        return await _join_page(request, code, status_code=422, errors=exc.errors, values=values, form="existing")
    except TooManyAttempts as exc:
        return await _join_page(
            request, code, status_code=429, errors={"identifier": exc.message}, values=values, form="existing"
        )
    except Conflict as exc:
        return await _join_page(request, code, status_code=409, alert=exc.message)
    except NotFound:
        return await _join_page(request, code)
    token = await accounts.start_session(
        account_id, request.headers.get("user-agent", ""), request.cookies.get(accounts.SESSION_COOKIE)
    )
    return _joined(token)


@post("/join/{code:str}/claim", name="join_claim")
async def join_claim(request: Request[Any, Any, Any], code: FromPath[str]) -> Template | Redirect:
    user = require_user(request)
    try:
        info = await joining.lookup(code, client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        return _code_refused(request, exc, code)
    try:
        await joining.claim_signed_in(info, user)
    except Conflict as exc:
        return await _join_page(request, code, status_code=409, alert=exc.message)
    except NotFound:
        return await _join_page(request, code)
    return _joined()


ROUTES = [
    roster_home,
    roster_overview,
    roster_search,
    roster_building,
    roster_flat,
    roster_verify,
    roster_revoke_verification,
    roster_not_joined,
    roster_template,
    roster_export,
    roster_import,
    roster_upload,
    roster_preview,
    roster_progress,
    roster_apply,
    my_flats,
    join_enter,
    join_enter_submit,
    join,
    join_new_account,
    join_existing_account,
    join_claim,
]
