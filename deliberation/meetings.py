"""Meetings service: lists, creating and editing meetings, guests, reading the agenda.

Editing the agenda and its attachments is `agenda.py`; notices, starting and closing a meeting `lifecycle.py`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.audit import audit as audit_log
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import community_by_slug, require_rule
from community.roles import holds
from community.safetext import form_datetime
from community.tables import Building, Community, Compound, Membership, StairwellUnit
from deliberation import rules
from deliberation.access import MeetingContext, links_of, scope_ids
from deliberation.attendance_rules import FlatPlace
from deliberation.procedure import store as procedure
from deliberation.tables import AgendaItem, Meeting, MeetingGuest
from deliberation.text import place_title
from deliberation.venues import venues


async def audit(ctx_community: int, actor: int | None, action: str, object_type: str, object_id: int,
                detail: dict[str, Any] | None = None) -> None:  # fmt: skip
    await audit_log(action, actor=actor, community=ctx_community, object_type=object_type, object_id=object_id, details=detail or {})


# --- Lists ------------------------------------------------------------------------------------------------------


MEETING_LIST_COLUMNS = (
    Meeting.id,
    Meeting.kind,
    Meeting.title,
    Meeting.status,
    Meeting.starts_at,
    Meeting.scope_kind,
    Meeting.scope_ids,
    Meeting.community,
    Meeting.venue.name,
)


async def visible_meetings(user: CurrentUser, community_id: int) -> tuple[list[dict[str, Any]], bool]:
    """Meetings of the community the user may see, newest first, and whether the user may create meetings.

    Staff see every meeting, drafts included; residents see published meetings whose scope covers them."""
    roles = await roles_in(user.id, community_id)
    staff = user.is_site_admin or bool(roles & rules.STAFF_ROLES)
    organiser = user.is_site_admin or holds("organise_meetings", roles)
    query = Meeting.select(*MEETING_LIST_COLUMNS).where(Meeting.community == community_id)
    if not staff:
        query = query.where(Meeting.status != "draft")
    rows = await query.order_by(Meeting.starts_at, ascending=False).order_by(Meeting.id, ascending=False)
    if not staff:
        links = await links_of(user.id, community_id)
        rows = [r for r in rows if links.in_meeting(r)[0]]
    return rows, organiser


async def my_communities(user: CurrentUser) -> list[dict[str, Any]]:
    """Communities where the user has a role, or owns or lives in a flat (site admins: all)."""
    if user.is_site_admin:
        return await Community.select(Community.id, Community.slug, Community.name).order_by(Community.name)
    ids = {int(r["community"]) for r in await Membership.select(Membership.community).where(Membership.account == user.id)}
    from community.tables import Person

    ids |= {int(r["community"]) for r in await Person.select(Person.community).where(Person.account == user.id)}
    if not ids:
        return []
    return await Community.select(Community.id, Community.slug, Community.name).where(
        Community.id.is_in(sorted(ids))
    ).order_by(Community.name)


async def organiser_community(user: CurrentUser, slug: str) -> dict[str, Any]:
    """The community if the user may create meetings and manage venues in it (facilitators, site admins)."""
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "organise_meetings")
    return community


# --- Meeting form ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeOption:
    id: int
    kind: str  # compound / building / stairwell_unit
    label: str


async def scope_options(community_id: int) -> dict[str, list[ScopeOption]]:
    """The community's compounds, buildings and stairwell units, labelled for people."""
    compounds = await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id).order_by(
        Compound.name
    )
    buildings = await Building.select(Building.id, Building.name, Building.compound.name).where(
        Building.compound.community == community_id
    ).order_by(Building.compound.name).order_by(Building.name)
    units = await StairwellUnit.select(
        StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.name, StairwellUnit.building.compound.name
    ).where(StairwellUnit.building.compound.community == community_id).order_by(
        StairwellUnit.building.compound.name
    ).order_by(StairwellUnit.building.name).order_by(StairwellUnit.name)
    several = len(compounds) > 1

    def building(compound: str, name: str) -> str:
        return place_title(FlatPlace(0, 0, 0, 0, 0, compound_name=compound if several else "", building_name=name))

    return {
        "compound": [ScopeOption(int(c["id"]), "compound", c["name"]) for c in compounds],
        "building": [
            ScopeOption(int(b["id"]), "building", building(b["compound.name"], b["name"])) for b in buildings
        ],
        "stairwell_unit": [
            ScopeOption(
                int(u["id"]),
                "stairwell_unit",
                place_title(
                    FlatPlace(0, 0, 0, 0, 0, compound_name=u["building.compound.name"] if several else "",
                              building_name=u["building.name"], unit_name=u["name"])  # fmt: skip
                ),
            )
            for u in units
        ],
    }


def scope_label(meeting: dict[str, Any], options: dict[str, list[ScopeOption]]) -> tuple[str, list[str]]:
    """(the scope kind's msgid, the names of the places) for pages and notices."""
    kind = str(meeting["scope_kind"])
    label = rules.MEETING_SCOPE_KINDS.get(kind, kind)
    if kind == "community":
        return label, []
    wanted = set(scope_ids(meeting))
    return label, [o.label for o in options.get(kind, []) if o.id in wanted]


async def staff_accounts(community_id: int) -> list[dict[str, Any]]:
    """Accounts holding a role in the community: who can be facilitator or recorder."""
    rows = await Membership.select(Membership.account.id, Membership.account.display_name).where(
        Membership.community == community_id
    ).order_by(Membership.account.display_name)
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(int(r["account.id"]), {"id": int(r["account.id"]), "name": r["account.display_name"]})
    return list(seen.values())


MEETING_FIELDS = ("kind", "title", "scope_kind", "starts_at", "ends_at", "venue", "facilitator", "recorder",
                  "speaking_limit")  # fmt: skip


def meeting_values(meeting: dict[str, Any]) -> dict[str, Any]:
    tz = get_config().timezone
    return {
        "kind": meeting["kind"],
        "title": meeting["title"],
        "scope_kind": meeting["scope_kind"],
        "scope_ids": [str(i) for i in scope_ids(meeting)],
        "starts_at": rules.local_input_value(meeting["starts_at"], tz),
        "ends_at": rules.local_input_value(meeting["ends_at"], tz),
        "venue": str(meeting["venue"] or ""),
        "facilitator": str(meeting["facilitator"] or ""),
        "recorder": str(meeting["recorder"] or ""),
        "speaking_limit": str(int(meeting["speaking_limit"]) // 60),
    }


async def _parse_meeting_form(community_id: int, form: Any, details: bool,
                              meeting_id: int | None = None) -> tuple[dict[str, Any], dict[Any, Any]]:  # fmt: skip
    """(values to show again, columns to save); FormErrors with what was typed if anything is wrong, and when
    the venue is booked for another meeting at that time unless the clash is confirmed (`confirm_clash`)."""
    tz = get_config().timezone
    values: dict[str, Any] = {name: str(form.get(name, "") or "").strip() for name in MEETING_FIELDS}
    kind_key = {"compound": "scope_compound", "building": "scope_building", "stairwell_unit": "scope_unit"}
    chosen = kind_key.get(values["scope_kind"], "")
    raw_ids = [str(v) for v in form.getall(chosen, [])] if chosen and hasattr(form, "getall") else []
    values["scope_ids"] = raw_ids
    errors: dict[str, str] = {}
    staff_ids = {a["id"] for a in await staff_accounts(community_id)}
    people: dict[str, int | None] = {}
    for role in ("facilitator", "recorder"):
        value = values[role]
        if not value:
            people[role] = None
        elif value.isdigit() and int(value) in staff_ids:
            people[role] = int(value)
        else:
            errors[role] = lazy("Please choose someone with a role in this community.")
    columns: dict[Any, Any] = {Meeting.facilitator: people.get("facilitator"), Meeting.recorder: people.get("recorder")}
    if details:
        ids = tuple(int(i) for i in raw_ids if i.isdigit())
        options = await scope_options(community_id)
        known = frozenset(o.id for o in options.get(values["scope_kind"], []))
        limit = values["speaking_limit"]
        meeting_form = rules.MeetingForm(
            kind=values["kind"],
            title=values["title"],
            scope_kind=values["scope_kind"],
            scope_ids=ids if len(ids) == len(raw_ids) else (*ids, -1),
            starts_at=form_datetime(values["starts_at"], tz),
            ends_at=form_datetime(values["ends_at"], tz),
            speaking_limit_minutes=int(limit) if limit.isdigit() else None,
        )
        errors.update(rules.validate_meeting(meeting_form, known))
        if values["ends_at"] and meeting_form.ends_at is None:
            errors["ends_at"] = lazy("Please enter a date and time, or leave it empty.")
        venue_id = None
        if values["venue"]:
            active = {int(v["id"]) for v in await venues(community_id, active_only=True)}
            if values["venue"].isdigit() and int(values["venue"]) in active:
                venue_id = int(values["venue"])
            else:
                errors["venue"] = lazy("Please choose one of the community's venues.")
        clashing = [] if errors or form.get("confirm_clash") == "1" else await procedure.venue_clashes(
            community_id, venue_id, meeting_form.starts_at, meeting_form.ends_at, meeting_id)
        if clashing:
            errors["venue"] = lazy("This venue is booked for another meeting at that time. Choose another venue or "
                                   "time, or confirm that both meetings share it.")
            values["clashes"] = clashing
        if not errors:
            columns.update(
                {
                    Meeting.kind: meeting_form.kind,
                    Meeting.title: meeting_form.title.strip(),
                    Meeting.scope_kind: meeting_form.scope_kind,
                    Meeting.scope_ids: json.dumps(sorted(ids) if meeting_form.scope_kind != "community" else []),
                    Meeting.starts_at: meeting_form.starts_at,
                    Meeting.ends_at: meeting_form.ends_at,
                    Meeting.venue: venue_id,
                    Meeting.speaking_limit: int(limit) * 60,
                }
            )
    if errors:
        raise FormErrors(errors, values)
    return values, columns


async def create_meeting(user: CurrentUser, community_id: int, form: Any) -> int:
    _values, columns = await _parse_meeting_form(community_id, form, details=True)
    meeting = Meeting(community=community_id, created_by=user.id, status="draft", projector_key=new_key())
    for column, value in columns.items():
        setattr(meeting, column._meta.name, value)  # the same columns an update would set
    async with write_transaction():
        rows = await Meeting.insert(meeting).returning(Meeting.id)
        meeting_id = int(rows[0]["id"])
        await audit(community_id, user.id, "meeting_created", "meeting", meeting_id)
    return meeting_id


async def update_meeting(ctx: MeetingContext, form: Any) -> None:
    if not rules.people_editable(str(ctx.meeting["status"])):
        raise Conflict(lazy("This meeting is closed and can no longer be changed."))
    details = rules.details_editable(str(ctx.meeting["status"]))
    _values, columns = await _parse_meeting_form(ctx.community_id, form, details=details, meeting_id=ctx.id)
    async with write_transaction():
        await Meeting.update(columns).where(Meeting.id == ctx.id)
        await audit(ctx.community_id, ctx.user.id if ctx.user else None, "meeting_edited", "meeting", ctx.id)


def new_key() -> str:
    return secrets.token_urlsafe(24)


async def rotate_projector_key(ctx: MeetingContext) -> None:
    async with write_transaction():
        await Meeting.update({Meeting.projector_key: new_key()}).where(Meeting.id == ctx.id)
        await audit(ctx.community_id, ctx.user.id if ctx.user else None, "projector_link_replaced", "meeting", ctx.id)


# --- Guests -------------------------------------------------------------------------------------------------------


async def guests(meeting_id: int) -> list[dict[str, Any]]:
    return await MeetingGuest.select().where(MeetingGuest.meeting == meeting_id).order_by(MeetingGuest.id)


async def add_guest(ctx: MeetingContext, form: Any) -> None:
    values = {k: str(form.get(k, "") or "").strip() for k in ("guest_name", "guest_role", "guest_organisation")}
    errors: dict[str, str] = {}
    if not rules.people_editable(str(ctx.meeting["status"])):
        raise Conflict(lazy("This meeting is closed and can no longer be changed."))
    if not values["guest_name"]:
        errors["guest_name"] = lazy("Please enter the guest's name.")
    elif len(values["guest_name"]) > 100:
        errors["guest_name"] = lazy("The name can have at most 100 characters.")
    if values["guest_role"] not in rules.GUEST_ROLES:
        errors["guest_role"] = lazy("Please choose the guest's role.")
    if len(values["guest_organisation"]) > 200:
        errors["guest_organisation"] = lazy("The organisation can have at most 200 characters.")
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await MeetingGuest.insert(
            MeetingGuest(
                meeting=ctx.id,
                name=values["guest_name"],
                role=values["guest_role"],
                organisation=values["guest_organisation"],
            )
        )


async def remove_guest(ctx: MeetingContext, guest_id: int) -> None:
    if not rules.people_editable(str(ctx.meeting["status"])):
        raise Conflict(lazy("This meeting is closed and can no longer be changed."))
    async with write_transaction():
        removed = await MeetingGuest.delete().where(
            (MeetingGuest.id == guest_id) & (MeetingGuest.meeting == ctx.id)
        ).returning(MeetingGuest.id)
        if not removed:
            raise NotFound(lazy("This guest does not exist."))



# --- Agenda -----------------------------------------------------------------------------------------------------


async def agenda(meeting_id: int) -> list[dict[str, Any]]:
    return await AgendaItem.select().where(AgendaItem.meeting == meeting_id).order_by(AgendaItem.position).order_by(
        AgendaItem.id
    )



async def meeting_details(meeting_id: int) -> dict[str, Any]:
    """The meeting with the names of its venue, facilitator, recorder and community, for pages."""
    from deliberation.access import get_meeting

    return await get_meeting(meeting_id)
