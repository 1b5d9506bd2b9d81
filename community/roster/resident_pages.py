"""Residents' roster pages: their own flats, and joining with a slip's code (/join)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import accounts
from community.errors import Conflict, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.roster import codes, joining, places
from community.roster.controllers import _labels
from community.roster.upcoming import upcoming_for
from community.web import client_address, current_user, page, require_user, session_cookie


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
    my_flats,
    join_enter,
    join_enter_submit,
    join,
    join_new_account,
    join_existing_account,
    join_claim,
]
