"""Administration pages, part one: the first-run gate and /setup, the site administrator's streets and
communities, archived communities refusing changes. Controllers parse, call one service, pick a page."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.table import Table

from community import accounts, objects, streets
from community.admin import core, services, staffing, store
from community.errors import Conflict, Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.roster import codes
from community.web import (
    client_address,
    form_values,
    handle_domain_error,
    load_user,
    page,
    public_url,
    require_user,
    session_cookie,
)

# Reachable before set-up: the page itself, static files, health checks, the language switch.
_OPEN_BEFORE_SETUP = ("/setup", "/healthz", "/readyz", "/lang", "/favicon.ico")
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
ARCHIVED = lazy("This community is archived: it can be read, but nothing in it can be changed any more.")


def is_local(request: Request[Any, Any, Any]) -> bool:
    """The request comes from the server's own machine: a loopback peer that no proxy forwarded for someone
    else (a proxy on the same machine is believed only when listed in YISHI_TRUSTED_PROXIES)."""
    from community.config import get_config

    peer = request.client.host if request.client else ""
    if peer in get_config().trusted_proxies:
        address = client_address(request)
    elif any(h in request.headers for h in _FORWARDING_HEADERS):
        return False
    else:
        address = peer
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# Objects addressed outside /c/{slug} (/m/1, /v/2, /p/3, /minutes/4) whose table has a `community` column:
# registered by the composition root (app.main), which may import every package; this one imports none.
_COMMUNITY_OBJECTS: dict[str, type[Table]] = {}


def register_community_objects(prefix: str, table: type[Table]) -> None:
    _COMMUNITY_OBJECTS[prefix] = table


async def _archived_target(path: str) -> bool:
    parts = path.split("/")
    if len(parts) < 3 or not parts[2]:
        return False
    if parts[1] == "c":
        return await services.is_archived(parts[2])
    table = _COMMUNITY_OBJECTS.get(parts[1])
    if table is None or not parts[2].isascii() or not parts[2].isdigit():
        return False
    community_id = await objects.community_of(parts[1], table, int(parts[2]))
    return community_id is not None and await services.is_archived_id(community_id)


async def before_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Every request: the language and user; before set-up, everything leads to /setup; in an archived
    community, forms are refused."""
    await load_user(request)
    path = request.url.path
    if path.startswith("/static/") or path in _OPEN_BEFORE_SETUP:
        return None
    if await services.setup_needed():
        return Redirect(path="/setup", status_code=303)
    await streets.refresh_if_stale()
    if request.method not in ("GET", "HEAD", "OPTIONS") and await _archived_target(path):
        return handle_domain_error(request, Conflict(ARCHIVED))
    return None


# --------------------------------------------------------------------------- /setup

SETUP_FIELDS = ("setup_code", "admin_username", "admin_name", "street_slug", "street_name",
                "community_slug", "community_name", "community_address", "timezone")  # fmt: skip


def _setup_page(request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status: int = 200) -> Template:
    return page(request, "admin/setup.html", values=values, errors=errors, local=is_local(request), status_code=status)


@get("/setup", name="setup")
async def setup_page(request: Request[Any, Any, Any]) -> Template:
    if not await services.setup_needed():
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    return _setup_page(request, {"timezone": "Asia/Shanghai", "admin_username": "admin"}, {})


@post("/setup", name="setup_submit")
async def setup_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    if not await services.setup_needed():
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    form = await request.form()
    values = form_values(form, *SETUP_FIELDS)
    try:
        code_ok = is_local(request) or await services.setup_code_matches(values["setup_code"], client_address(request))
    except TooManyAttempts as exc:
        return _setup_page(request, values, {"setup_code": exc.message}, 429)
    if not code_ok:
        errors = {"setup_code": lazy("This is not the set-up code from the server's log. Copy it again, or open this page on the server itself.")}
        return _setup_page(request, values, errors, 403)
    try:
        admin_id = await services.set_up(
            services.SetUp(
                admin_username=values["admin_username"], admin_name=values["admin_name"],
                password=str(form.get("password", "")), confirm=str(form.get("confirm_password", "")),
                street_slug=values["street_slug"], street_name=values["street_name"],
                community_slug=values["community_slug"], community_name=values["community_name"],
                community_address=values["community_address"], timezone=values["timezone"],
            )  # fmt: skip
        )
    except FormErrors as exc:
        return _setup_page(request, values, exc.errors, 422)
    token = await accounts.start_session(admin_id, request.headers.get("user-agent", ""))
    return Redirect(path="/admin?welcome=1", status_code=303, cookies=[session_cookie(token)])


# --------------------------------------------------------------------------- /admin: streets and communities


async def _home(request: Request[Any, Any, Any], **context: Any) -> Template:
    user = require_user(request)
    if user.is_site_admin:
        streets, communities = await store.streets(), await store.communities()
    else:
        street_ids = await store.street_ids_of(user.id)
        if not street_ids:
            raise Forbidden(core.NOT_ALLOWED)
        streets = [s for s in await store.streets() if s["id"] in street_ids]
        communities = await store.communities(street_ids)
    defaults: dict[str, Any] = {"values": {}, "errors": {}, "form": ""}
    return page(request, "admin/home.html", streets=streets, communities=communities,
                welcome=request.query_params.get("welcome") == "1", **(defaults | context))  # fmt: skip


@get("/admin", name="admin_home")
async def admin_home(request: Request[Any, Any, Any]) -> Template:
    return await _home(request)


@post("/admin/streets", name="street_create")
async def street_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "slug", "name", "address")
    try:
        street_id = await services.create_street(user, services.StreetForm(**values))
    except FormErrors as exc:
        return await _home(request, values=values, errors=exc.errors, form="street", status_code=422)
    return Redirect(path=f"/admin/streets/{street_id}", status_code=303)


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


@post("/admin/communities", name="community_create")
async def community_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "street_id", "slug", "name", "address", "timezone")
    try:
        await services.create_community(user, services.CommunityForm(
            street_id=_int(values["street_id"]), slug=values["slug"], name=values["name"],
            address=values["address"], timezone=values["timezone"]))  # fmt: skip
    except FormErrors as exc:
        return await _home(request, values=values, errors=exc.errors, form="community", status_code=422)
    return Redirect(path=f"/admin/communities/{values['slug']}?created=1", status_code=303)


async def _street_page(request: Request[Any, Any, Any], street_id: int, **context: Any) -> Template:
    user = require_user(request)
    street = await store.street(street_id)
    if street is None:
        raise NotFound(lazy("This street does not exist."))
    if core.may_grant_street(user.is_site_admin, await store.street_ids_of(user.id), street_id):
        raise Forbidden(core.NOT_ALLOWED)
    defaults: dict[str, Any] = {"values": {"name": street["name"], "address": street["address"]}, "errors": {},
                                "staff_values": {}, "staff_errors": {}, "appointed": None}  # fmt: skip
    return page(request, "admin/street.html", street=street, staff=await store.street_staff(street_id),
                communities=await store.communities([street_id]), mask_phone=accounts.mask_phone,
                format_code=codes.format_code, activate_url=public_url(request) + "/activate",
                **(defaults | context))  # fmt: skip


@get("/admin/streets/{street_id:int}", name="street_page")
async def street_page(request: Request[Any, Any, Any], street_id: FromPath[int]) -> Template:
    return await _street_page(request, street_id, saved=request.query_params.get("saved") == "1")


@post("/admin/streets/{street_id:int}", name="street_rename")
async def street_rename(request: Request[Any, Any, Any], street_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "name", "address")
    try:
        await services.rename_street(user, street_id, values["name"], values["address"])
    except FormErrors as exc:
        return await _street_page(request, street_id, values=values, errors=exc.errors, status_code=422)
    return Redirect(path=f"/admin/streets/{street_id}?saved=1", status_code=303)


@post("/admin/streets/{street_id:int}/staff", name="street_staff_appoint")
async def street_staff_appoint(request: Request[Any, Any, Any], street_id: FromPath[int]) -> Template:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "display_name", "phone")
    try:
        appointed = await staffing.appoint_street_staff(user, street_id, values["display_name"], values["phone"])
    except FormErrors as exc:
        return await _street_page(request, street_id, staff_values=values, staff_errors=exc.errors, status_code=422)
    return await _street_page(request, street_id, appointed=appointed, appointed_name=values["display_name"])


@post("/admin/streets/{street_id:int}/staff/{sm_id:int}/remove", name="street_staff_remove")
async def street_staff_remove(request: Request[Any, Any, Any], street_id: FromPath[int], sm_id: FromPath[int]) -> Redirect:
    await staffing.remove_street_staff(require_user(request), street_id, sm_id)
    return Redirect(path=f"/admin/streets/{street_id}", status_code=303)


async def _community_page(request: Request[Any, Any, Any], slug: str, **context: Any) -> Template:
    user = require_user(request)
    services.require_admin(user)
    community = await store.community(slug)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    values = {"name": community["name"], "address": community["address"], "timezone": community["timezone"],
              "street_id": str(community["street_ref"] or "")}  # fmt: skip
    defaults: dict[str, Any] = {"values": values, "errors": {}}
    return page(request, "admin/community.html", community=community, streets=await store.streets(),
                created=request.query_params.get("created") == "1",
                saved=request.query_params.get("saved") == "1", **(defaults | context))  # fmt: skip


@get("/admin/communities/{slug:str}", name="community_admin")
async def community_admin(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    return await _community_page(request, slug)


@post("/admin/communities/{slug:str}", name="community_update")
async def community_update(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "street_id", "name", "address", "timezone")
    community = await store.community(slug)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    try:
        await services.update_community(user, int(community["id"]), services.CommunityForm(
            street_id=_int(values["street_id"]), slug=slug, name=values["name"], address=values["address"],
            timezone=values["timezone"]))  # fmt: skip
    except FormErrors as exc:
        return await _community_page(request, slug, values=values, errors=exc.errors, status_code=422)
    return Redirect(path=f"/admin/communities/{slug}?saved=1", status_code=303)


@post("/admin/communities/{slug:str}/archive", name="community_archive")
async def community_archive(request: Request[Any, Any, Any], slug: FromPath[str]) -> Redirect:
    user = require_user(request)
    form = await request.form()
    community = await store.community(slug)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    await services.set_archived(user, int(community["id"]), form.get("archived") == "1")
    return Redirect(path=f"/admin/communities/{slug}?saved=1", status_code=303)


ROUTES = [
    setup_page, setup_submit, admin_home, street_create, community_create, street_page, street_rename,
    street_staff_appoint, street_staff_remove, community_admin, community_update, community_archive,
]  # fmt: skip
