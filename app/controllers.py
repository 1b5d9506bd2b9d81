"""Controllers for the landing page, sign-in and sign-out, the account page and the language switcher."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Response, Template

from community import accounts, i18n
from community.errors import FormErrors, TooManyAttempts
from community.web import (
    TEXT_SIZE_COOKIE,
    client_address,
    current_user,
    form_values,
    page,
    require_user,
    safe_next,
    see_other,
    session_cookie,
)


@get("/", name="landing")
async def landing(request: Request[Any, Any, Any]) -> Template:
    communities = await accounts.list_communities()
    return page(request, "app/landing.html", communities=communities)


@get("/healthz", name="healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", name="readyz", include_in_schema=False)
async def readyz() -> Response[Any]:
    """Ready to serve: the database answers (for a load balancer or monitoring; /healthz only says the process runs)."""
    from community.tables import Community

    try:
        await Community.count()
    except Exception:  # any failure means not ready
        return Response(content={"status": "database unavailable"}, status_code=503)
    return Response(content={"status": "ok"})


@get("/signin", name="signin")
async def signin_page(request: Request[Any, Any, Any]) -> Template | Redirect:
    target = safe_next(request.query_params.get("next"))
    if current_user(request) is not None:
        return Redirect(path=target, status_code=303)
    return page(request, "app/signin.html", next=target, values={}, errors={})


@post("/signin", name="signin_submit")
async def signin_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await request.form()
    values = form_values(form, "identifier", "next")
    password = str(form.get("password", ""))
    target = safe_next(values["next"])
    errors: dict[str, str] = {}
    if not values["identifier"]:
        errors["identifier"] = i18n.lazy("Please enter your phone number or username.")
    if not password:
        errors["password"] = i18n.lazy("Please enter your password.")
    if not errors:
        try:
            account_id = await accounts.authenticate(values["identifier"], password, client_address(request))
        except FormErrors as exc:
            errors = exc.errors
        except TooManyAttempts as exc:
            errors = {"identifier": exc.message}
            return page(request, "app/signin.html", next=target, values=values, errors=errors, status_code=429)
        else:
            token = await accounts.start_session(
                account_id, request.headers.get("user-agent", ""), request.cookies.get(accounts.SESSION_COOKIE)
            )
            return Redirect(path=target, status_code=303, cookies=[session_cookie(token)])
    return page(request, "app/signin.html", next=target, values=values, errors=errors, status_code=422)


@post("/signout", name="signout")
async def signout(request: Request[Any, Any, Any]) -> Redirect:
    await accounts.end_session(request.cookies.get(accounts.SESSION_COOKIE))
    return Redirect(path="/", status_code=303, cookies=[session_cookie(None)])


@get("/account", name="account")
async def account_page(request: Request[Any, Any, Any]) -> Template:
    user = require_user(request)
    roles = await accounts.memberships(user.id)
    return page(
        request,
        "app/account.html",
        roles=roles,
        role_labels=accounts.ROLE_LABELS,
        masked_phone=accounts.mask_phone(user.phone),
        errors={},
        saved=request.query_params.get("saved") == "1",
        activated=request.query_params.get("activated") == "1",
        street_staff=await accounts.is_street_staff(user.id),
    )


@post("/account/password", name="change_password")
async def change_password(request: Request[Any, Any, Any]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    try:
        await accounts.change_password(
            user,
            str(form.get("current_password", "")),
            str(form.get("new_password", "")),
            str(form.get("confirm_password", "")),
            client_address(request),
        )
    except (FormErrors, TooManyAttempts) as exc:
        limited = isinstance(exc, TooManyAttempts)
        errors = exc.errors if isinstance(exc, FormErrors) else {"current_password": exc.message}
        roles = await accounts.memberships(user.id)
        return page(
            request,
            "app/account.html",
            fragment="app/_password_form.html",
            roles=roles,
            role_labels=accounts.ROLE_LABELS,
            masked_phone=accounts.mask_phone(user.phone),
            errors=errors,
            saved=False,
            status_code=429 if limited else 422,
        )
    return see_other(request, "/account?saved=1")


def _device_choice(key: str, value: str, target: str) -> Redirect:
    """Back to the page, with a choice this device keeps for a year (language, text size)."""
    cookie = Cookie(key=key, value=value, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return Redirect(path=target, status_code=303, cookies=[cookie])


@post("/lang", name="set_language")
async def set_language(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    language = str(form.get("language", ""))
    target = safe_next(str(form.get("next", "") or "/"))
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT_LANGUAGE
    return _device_choice(i18n.LANGUAGE_COOKIE, language, target)


@post("/text-size", name="set_text_size")
async def set_text_size(request: Request[Any, Any, Any]) -> Response[Any]:
    """大字模式 on or off: remembered on this device and, when signed in, on the account."""
    form = await request.form()
    large = str(form.get("size", "")) == "large"
    target = safe_next(str(form.get("next", "") or "/"))
    user = current_user(request)
    if user is not None:
        await accounts.remember_text_size(user.id, large)
    return _device_choice(TEXT_SIZE_COOKIE, "large" if large else "normal", target)


ROUTES = [landing, healthz, readyz, signin_page, signin_submit, signout, account_page, change_password, set_language,
          set_text_size]
