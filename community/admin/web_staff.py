"""Administration pages, part two: a community's staff and their scopes, who can do what, the audit log,
activation codes, and one's own phone number and sessions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import accounts
from community.accounts import CurrentUser
from community.admin import core, staffing, store
from community.admin.core import RoleScope
from community.config import get_config
from community.errors import Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.permissions import community_by_slug
from community.roles import AREAS, RULE, RULES
from community.roster import codes
from community.safetext import form_date
from community.web import client_address, form_values, page, public_url, require_user, session_cookie

STAFF = "/c/{slug:str}/staff"


def _labels(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"role_labels": core.ROLE_LABELS, "scope_labels": core.SCOPE_LABELS, "mask_phone": accounts.mask_phone,
            "format_code": codes.format_code, "activate_url": public_url(request) + "/activate"}  # fmt: skip


def parse_scope(form: Any) -> RoleScope:
    """The scope a form chose: its kind (radio) and the ticked parts of that kind (checkboxes)."""
    kind = str(form.get("scope_kind", "") or "community")
    if kind not in core.SCOPE_KINDS:
        kind = "community"
    if kind == "community":
        return RoleScope()
    raw = form.getall(kind, []) if hasattr(form, "getall") else []
    ids = frozenset(int(v) for v in raw if str(v).isascii() and str(v).isdigit())
    return RoleScope(kind, ids)  # type: ignore[arg-type]


def describe(scope: RoleScope, parts: list[store.Part]) -> list[str]:
    names = {(p.kind, p.id): p.label for p in parts}
    return [names.get((scope.kind, i), "?") for i in sorted(scope.ids, key=lambda i: names.get((scope.kind, i), ""))]


async def _staff_page(request: Request[Any, Any, Any], slug: str, **context: Any) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    standing = await staffing.require_appointer(user, int(community["id"]))
    parts = await store.register_parts(int(community["id"]))
    staff = await store.staff(int(community["id"]))
    grantable = [r for r in core.COMMUNITY_ROLES if core.RANK[r] <= standing.rank]
    defaults: dict[str, Any] = {"values": {"scope_kind": "community"}, "errors": {}, "chosen": RoleScope(),
                                "appointed": None, "reset": None, "reset_values": {}, "reset_errors": {}}  # fmt: skip
    return page(request, "admin/staff.html", community=community, staff=staff, parts=parts, grantable=grantable,
                describe=describe, **(_labels(request) | defaults | context))  # fmt: skip


@get(STAFF, name="staff_list")
async def staff_list(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    return await _staff_page(request, slug)


@post(STAFF, name="staff_appoint")
async def staff_appoint(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    values = form_values(form, "display_name", "phone", "role", "scope_kind")
    scope = parse_scope(form)
    try:
        appointed = await staffing.appoint(user, staffing.Appointment(
            community_id=int(community["id"]), role=values["role"], scope=scope,
            display_name=values["display_name"], phone=values["phone"]))  # fmt: skip
    except FormErrors as exc:
        return await _staff_page(request, slug, values=values, errors=exc.errors, chosen=scope, status_code=422)
    # The code is in this response only, never in an address: it is shown once.
    return await _staff_page(request, slug, appointed=appointed, appointed_name=values["display_name"] or values["phone"],
                             appointed_role=values["role"])  # fmt: skip


async def _scope_page(request: Request[Any, Any, Any], slug: str, membership_id: int, **context: Any) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await staffing.require_appointer(user, int(community["id"]))
    held = await store.staff(int(community["id"]), membership_id)
    if not held:
        raise NotFound(lazy("This role does not exist (any more)."))
    parts = await store.register_parts(int(community["id"]))
    defaults: dict[str, Any] = {"values": {"scope_kind": held[0].scope.kind}, "errors": {}, "chosen": held[0].scope}
    return page(request, "admin/scope.html", community=community, held=held[0], parts=parts, describe=describe,
                **(_labels(request) | defaults | context))  # fmt: skip


@get(STAFF + "/{membership_id:int}", name="staff_role")
async def staff_role(request: Request[Any, Any, Any], slug: FromPath[str], membership_id: FromPath[int]) -> Template:
    return await _scope_page(request, slug, membership_id)


@post(STAFF + "/{membership_id:int}/scope", name="staff_scope")
async def staff_scope(request: Request[Any, Any, Any], slug: FromPath[str], membership_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    scope = parse_scope(form)
    try:
        await staffing.change_scope(user, int(community["id"]), membership_id, scope)
    except FormErrors as exc:
        return await _scope_page(request, slug, membership_id, values={"scope_kind": scope.kind}, errors=exc.errors,
                                 chosen=scope, status_code=422)  # fmt: skip
    return Redirect(path=f"/c/{slug}/staff?changed={membership_id}", status_code=303)


@post(STAFF + "/{membership_id:int}/remove", name="staff_remove")
async def staff_remove(request: Request[Any, Any, Any], slug: FromPath[str], membership_id: FromPath[int]) -> Redirect:
    user = require_user(request)
    community = await community_by_slug(slug)
    await staffing.remove(user, int(community["id"]), membership_id)
    return Redirect(path=f"/c/{slug}/staff?removed=1", status_code=303)


@post(STAFF + "/reset", name="staff_reset_password")
async def staff_reset_password(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    values = form_values(form, "login")
    account = await store.account_by_login(values["login"]) if values["login"] else None
    if account is None:
        errors = {"login": lazy("No account has this phone number or username.")}
        return await _staff_page(request, slug, reset_values=values, reset_errors=errors, status_code=422)
    code = await staffing.reset_password(user, int(community["id"]), int(account["id"]))
    return await _staff_page(request, slug, reset={"code": code, "name": account["display_name"]})


# --------------------------------------------------------------------------- who can do what


@get("/c/{slug:str}/roles", name="community_roles")
async def community_roles(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    community = await community_by_slug(slug)
    roles = list(core.COMMUNITY_ROLES)
    rows = []
    for rule in RULES:
        cells = ["scoped" if r in rule.scoped else ("yes" if r in rule.roles else "no") for r in roles]
        rows.append({"rule": rule, "cells": cells, "street": "yes" if rule.street else "no", "area": AREAS[rule.area]})
    appoint = RULE["appoint_staff"]
    return page(request, "admin/roles.html", community=community, roles=roles, rows=rows, appoint=appoint,
                rank=core.RANK, whole=core.WHOLE_COMMUNITY_ROLES, **_labels(request))  # fmt: skip


# --------------------------------------------------------------------------- audit


async def audit_communities(user: CurrentUser, community: dict[str, Any]) -> None:
    if user.is_site_admin:
        return
    if community["street_ref"] is not None and community["street_ref"] in await store.street_ids_of(user.id):
        return
    if not await accounts.roles_in(user.id, int(community["id"])) & RULE["see_audit"].roles:
        raise Forbidden(core.NOT_ALLOWED)


async def _audit_page(request: Request[Any, Any, Any], communities: list[dict[str, Any]], title: str, **context: Any) -> Template:
    q = request.query_params
    values = {k: str(q.get(k, "") or "").strip() for k in ("action", "actor", "since", "until")}
    tz = ZoneInfo(get_config().timezone)
    since, until = form_date(values["since"]), form_date(values["until"])
    ids = tuple(int(c["id"]) for c in communities)
    entries = await store.audit_entries(store.AuditFilter(
        community_ids=ids, action=values["action"], actor=values["actor"],
        since=datetime.combine(since, time(), tz) if since else None,
        until=datetime.combine(until, time(), tz) + timedelta(days=1) if until else None))  # fmt: skip
    part_names: dict[tuple[str, int], str] = {}
    for community_id in ids:
        part_names |= {(p.kind, p.id): p.label for p in await store.register_parts(community_id)}
    names = await store.account_names(int(e["object_id"]) for e in entries
                                      if e["object_type"] == "account" and e["object_id"] is not None)  # fmt: skip
    return page(request, "admin/audit.html", entries=entries, values=values, title=title, names=names,
                action_labels=core.ACTION_LABELS, part_names=part_names,
                actions=await store.audit_actions(ids), many="street" in context, **(_labels(request) | context))  # fmt: skip


@get("/c/{slug:str}/audit", name="community_audit")
async def community_audit(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await audit_communities(user, community)
    return await _audit_page(request, [community], str(community["name"]), community=community)


@get("/admin/streets/{street_id:int}/audit", name="street_audit")
async def street_audit(request: Request[Any, Any, Any], street_id: FromPath[int]) -> Template:
    user = require_user(request)
    street = await store.street(street_id)
    if street is None:
        raise NotFound(lazy("This street does not exist."))
    if core.may_grant_street(user.is_site_admin, await store.street_ids_of(user.id), street_id):
        raise Forbidden(core.NOT_ALLOWED)
    return await _audit_page(request, await store.communities([street_id]), str(street["name"]), street=street)


# --------------------------------------------------------------------------- activation and reset codes


@get("/activate", name="activate")
async def activate_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "admin/activate.html", values={"code": request.query_params.get("code", "")}, errors={})


@post("/activate", name="activate_submit")
async def activate_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await request.form()
    values = form_values(form, "code")
    try:
        account_id = await staffing.redeem_code(values["code"], str(form.get("password", "")),
                                                str(form.get("confirm_password", "")), client_address(request))  # fmt: skip
    except FormErrors as exc:
        return page(request, "admin/activate.html", values=values, errors=exc.errors, status_code=422)
    except TooManyAttempts as exc:
        return page(request, "admin/activate.html", values=values, errors={"code": exc.message}, status_code=429)
    token = await accounts.start_session(account_id, request.headers.get("user-agent", ""))
    return Redirect(path="/account?activated=1", status_code=303, cookies=[session_cookie(token)])


# --------------------------------------------------------------------------- one's own phone and sessions


_BROWSERS = (("MicroMessenger", "WeChat"), ("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("HeadlessChrome", "Chrome"), ("Safari/", "Safari"))  # fmt: skip
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS", "macOS"), ("Linux", "Linux"))  # fmt: skip


def device_name(user_agent: str) -> str:
    """"Chrome · Android": enough to recognise one's own phone among the sessions, not the whole header."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), "")
    system = next((name for key, name in _SYSTEMS if key in user_agent), "")
    return " · ".join(p for p in (browser, system) if p)


async def _security_page(request: Request[Any, Any, Any], **context: Any) -> Template:
    user = require_user(request)
    defaults: dict[str, Any] = {"values": {}, "errors": {}, "saved": request.query_params.get("saved", "")}
    return page(request, "admin/security.html", sessions=await store.sessions(user.id), device_name=device_name,
                masked_phone=accounts.mask_phone(user.phone), **(defaults | context))  # fmt: skip


@get("/account/security", name="account_security")
async def account_security(request: Request[Any, Any, Any]) -> Template:
    return await _security_page(request)


@post("/account/phone", name="account_phone")
async def account_phone(request: Request[Any, Any, Any]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "phone")
    try:
        await staffing.change_phone(user, values["phone"], str(form.get("current_password", "")))
    except FormErrors as exc:
        return await _security_page(request, values=values, errors=exc.errors, status_code=422)
    return Redirect(path="/account/security?saved=phone", status_code=303)


@post("/account/sessions/{session_id:int}/end", name="account_session_end")
async def account_session_end(request: Request[Any, Any, Any], session_id: FromPath[int]) -> Redirect:
    user = require_user(request)
    await staffing.end_session(user, session_id)
    if session_id == user.session_id:
        return Redirect(path="/", status_code=303, cookies=[session_cookie(None)])
    return Redirect(path="/account/security?saved=sessions", status_code=303)


ROUTES = [
    staff_list, staff_appoint, staff_role, staff_scope, staff_remove, staff_reset_password, community_roles,
    community_audit, street_audit, activate_page, activate_submit, account_security, account_phone,
    account_session_end,
]  # fmt: skip
