"""Meetings service: lists, creating and editing meetings, guests, the agenda, notices, the lifecycle."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.audit import audit as audit_log
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import community_by_slug, require_rule
from community.roles import holds
from community.tables import Building, Community, Compound, Membership, StairwellUnit
from deliberation import rules, uploads
from deliberation.access import MeetingContext, item_of, links_of, scope_ids
from deliberation.procedure import store as procedure
from deliberation.rules import FlatPlace
from deliberation.tables import AgendaItem, Attachment, Meeting, MeetingGuest, Notice
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
            starts_at=rules.parse_local_datetime(values["starts_at"], tz),
            ends_at=rules.parse_local_datetime(values["ends_at"], tz),
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


def _item_values(form: Any) -> dict[str, str]:
    return {
        "title": str(form.get("title", "") or "").strip(),
        "description": str(form.get("description", "") or "").replace("\r\n", "\n").strip(),
        "origin": str(form.get("origin", "") or "").strip(),
    }


async def add_item(ctx: MeetingContext, form: Any) -> int:
    """Add an item: freely while a draft; once noticed, only with a new, dated notice (both stay on record)."""
    status = str(ctx.meeting["status"])
    values = _item_values(form)
    if not (rules.agenda_editable(status) or rules.item_needs_new_notice(status)):
        raise Conflict(lazy("The agenda of a closed meeting cannot change."))
    errors = rules.validate_item(values["title"], values["description"], values["origin"])
    if errors:
        raise FormErrors(errors, values)
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        last = await AgendaItem.select(AgendaItem.position).where(AgendaItem.meeting == ctx.id).order_by(
            AgendaItem.position, ascending=False
        ).first()
        rows = await AgendaItem.insert(
            AgendaItem(
                meeting=ctx.id,
                position=(int(last["position"]) + 1) if last else 1,
                title=values["title"],
                description=values["description"],
                origin=values["origin"],
            )
        ).returning(AgendaItem.id)
        item_id = int(rows[0]["id"])
        if rules.item_needs_new_notice(status):
            await _publish_notice(ctx, actor)
    return item_id


def _require_editable_agenda(ctx: MeetingContext) -> None:
    if not rules.agenda_editable(str(ctx.meeting["status"])):
        raise Conflict(
            lazy("The agenda is locked since the notice was published. Add an item with a new notice instead.")
        )


async def update_item(ctx: MeetingContext, item_id: int, form: Any) -> None:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    values = _item_values(form)
    errors = rules.validate_item(values["title"], values["description"], values["origin"])
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await AgendaItem.update(
            {AgendaItem.title: values["title"], AgendaItem.description: values["description"],
             AgendaItem.origin: values["origin"]}  # fmt: skip
        ).where((AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id))


async def move_item(ctx: MeetingContext, item_id: int, direction: str) -> None:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    async with write_transaction():
        order = [int(r["id"]) for r in await agenda(ctx.id)]
        for position, moved_id in enumerate(rules.moved(order, item_id, direction), start=1):
            await AgendaItem.update({AgendaItem.position: position}).where(
                (AgendaItem.id == moved_id) & (AgendaItem.meeting == ctx.id)
            )


def _in_meeting(ctx: MeetingContext) -> Any:
    """Where-clause: attachments of this meeting's items, in this meeting's community (never by id alone)."""
    return (Attachment.item.meeting == ctx.id) & (Attachment.item.meeting.community == ctx.community_id)


async def delete_item(ctx: MeetingContext, item_id: int) -> None:
    """Delete one of this meeting's items and the files of its attachments; 404 for any other item id."""
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    async with write_transaction():
        names = [
            r["stored_name"]
            for r in await Attachment.select(Attachment.stored_name).where((Attachment.item == item_id) & _in_meeting(ctx))
        ]
        deleted = await AgendaItem.delete().where(
            (AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id)
        ).returning(AgendaItem.id)
    if not deleted:
        raise NotFound(lazy("This agenda item does not exist."))
    for name in names:
        uploads.remove(name)


# --- Attachments -----------------------------------------------------------------------------------------------


async def attachments_of(item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in item_ids}
    if not item_ids:
        return result
    rows = await Attachment.select().where(Attachment.item.is_in(item_ids)).order_by(Attachment.id)
    for r in rows:
        result[int(r["item"])].append(r)
    return result


async def add_attachment(ctx: MeetingContext, item_id: int, filename: str, data: bytes) -> int:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    try:
        stored = await asyncio.to_thread(uploads.store, data)  # image work must not block the event loop
    except uploads.UploadRefused as exc:
        raise FormErrors({"file": exc.message}) from exc
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or stored.stored_name
    try:
        async with write_transaction():
            rows = await Attachment.insert(
                Attachment(
                    item=item_id,
                    original_name=name,
                    stored_name=stored.stored_name,
                    content_type=stored.content_type,
                    size=stored.size,
                    width=stored.width,
                    height=stored.height,
                    uploaded_by=ctx.user.id if ctx.user else None,
                )
            ).returning(Attachment.id)
    except Exception:
        uploads.remove(stored.stored_name)
        raise
    return int(rows[0]["id"])


async def get_attachment(ctx: MeetingContext, attachment_id: int) -> dict[str, Any]:
    row = await Attachment.select(*Attachment.all_columns(), Attachment.item.meeting).where(
        (Attachment.id == attachment_id) & _in_meeting(ctx)
    ).first()
    if row is None:
        raise NotFound(lazy("This attachment does not exist."))
    return row


async def public_attachment(meeting_id: int, attachment_id: int) -> dict[str, Any] | None:
    """The attachment if it is public: its meeting's notice is published on the notice board, which anyone may
    read, and attachments can only be added while the meeting is a draft, so every one of them was announced
    with that notice. None otherwise (then only people who may see the meeting get it)."""
    from deliberation.minutes.tables import Publication

    published = await Publication.exists().where(
        (Publication.kind == "meeting_notice") & (Publication.notice.meeting == meeting_id)
    )
    if not published:
        return None
    return await Attachment.select(*Attachment.all_columns(), Attachment.item.meeting).where(
        (Attachment.id == attachment_id) & (Attachment.item.meeting == meeting_id)
    ).first()


async def delete_attachment(ctx: MeetingContext, attachment_id: int) -> None:
    _require_editable_agenda(ctx)
    row = await get_attachment(ctx, attachment_id)
    async with write_transaction():
        await Attachment.delete().where((Attachment.id == attachment_id) & (Attachment.item == row["item"]))
    uploads.remove(str(row["stored_name"]))


# --- Notices and lifecycle -------------------------------------------------------------------------------------


async def notices(meeting_id: int) -> list[dict[str, Any]]:
    """The meeting's notices, each with the fingerprint of its publication on the notice board."""
    from deliberation.minutes.notices import fingerprints

    rows = await Notice.select().where(Notice.meeting == meeting_id).order_by(Notice.number)
    prints = await fingerprints([int(r["id"]) for r in rows])
    for r in rows:
        r["fingerprint"] = prints.get(int(r["id"]), "")
        if isinstance(r["snapshot"], str):
            r["snapshot"] = json.loads(r["snapshot"])
        for key in ("starts_at", "ends_at"):
            value = r["snapshot"].get(key)
            r[key] = datetime.fromisoformat(value) if value else None
    return rows


async def _snapshot(meeting_id: int) -> dict[str, Any]:
    """The meeting as announced: details and the agenda exactly as it stands now."""
    meeting = await Meeting.select(
        *Meeting.all_columns(), Meeting.venue.name, Meeting.venue.address, Meeting.facilitator.display_name,
        Meeting.recorder.display_name,
    ).where(Meeting.id == meeting_id).first()  # fmt: skip
    assert meeting is not None
    options = await scope_options(int(meeting["community"]))
    scope_kind, places = scope_label(meeting, options)
    rules_in_force, _periods = await procedure.procedure_of(int(meeting["community"]))
    return {
        "notice_days": rules_in_force.days_for(str(meeting["kind"])),  # printed on the notice
        "title": meeting["title"],
        "kind": meeting["kind"],
        "starts_at": meeting["starts_at"].isoformat() if meeting["starts_at"] else None,
        "ends_at": meeting["ends_at"].isoformat() if meeting["ends_at"] else None,
        "venue": meeting["venue.name"] or "",
        "venue_address": meeting["venue.address"] or "",
        "scope_kind": meeting["scope_kind"],
        "scope_places": places,
        "facilitator": meeting["facilitator.display_name"] or "",
        "recorder": meeting["recorder.display_name"] or "",
        "guests": [
            {"name": g["name"], "role": g["role"], "organisation": g["organisation"]} for g in await guests(meeting_id)
        ],
        "items": [
            {"position": n, "title": i["title"], "description": i["description"], "origin": i["origin"]}
            for n, i in enumerate(await agenda(meeting_id), start=1)
        ],
    }


async def _publish_notice(ctx: MeetingContext, actor: int | None, at: datetime | None = None) -> int:
    """Inside a write transaction: the next numbered notice with today's agenda, dated `at` (default: now). The
    first notice must state time, place and topics; every notice leaves the community's notice period."""
    last = await Notice.select(Notice.number).where(Notice.meeting == ctx.id).order_by(
        Notice.number, ascending=False
    ).first()
    number = int(last["number"]) + 1 if last else 1
    await procedure.check_notice(ctx.id, at or now(), supplementary=number > 1)
    from deliberation.minutes.notices import chain_notice

    try:
        rows = await Notice.insert(
            Notice(meeting=ctx.id, number=number, published_by=actor, published_at=(at or now()).replace(microsecond=0),
                   snapshot=await _snapshot(ctx.id))  # fmt: skip
        ).returning(Notice.id)
        # On the community's notice board, so in its publication chain like minutes and result notices.
        await chain_notice(int(rows[0]["id"]), actor)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("Someone else has just published a notice. Please reload the page.")) from exc
        raise
    await audit(ctx.community_id, actor, "notice_published", "meeting", ctx.id, {"number": number})
    return number


async def publish_notice(ctx: MeetingContext, at: datetime | None = None) -> None:
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        fresh = await Meeting.select(Meeting.status).where(Meeting.id == ctx.id).first()
        try:  # then time, place, topics and the notice period (procedure.check_notice), every problem at once
            rules.next_status(str(fresh["status"] if fresh else ""), "publish_notice")
        except rules.RuleError as exc:
            raise Conflict(exc.message) from exc
        await Meeting.update({Meeting.status: "noticed"}).where(Meeting.id == ctx.id)
        await _publish_notice(ctx, actor, at)


async def change_status(ctx: MeetingContext, action: str) -> str:
    """Start the session or close the meeting; the status is re-read inside the transaction."""
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        fresh = await Meeting.select(Meeting.status, Meeting.starts_at, Meeting.community).where(Meeting.id == ctx.id).first()
        try:
            status = rules.next_status(str(fresh["status"] if fresh else ""), action)
        except rules.RuleError as exc:
            raise Conflict(exc.message) from exc
        if action == "start" and fresh is not None:
            await procedure.check_start(fresh, now())  # not before the noticed time (less the grace)
        columns: dict[Any, Any] = {Meeting.status: status}
        if action == "start":
            columns[Meeting.started_at] = now()
        elif action == "close":
            columns[Meeting.closed_at] = now()
        await Meeting.update(columns).where(Meeting.id == ctx.id)
        if action == "close":
            # Hands still up when the meeting closes are not left waiting for ever.
            from deliberation.tables import SpeakerRequest

            await SpeakerRequest.update({SpeakerRequest.status: "withdrawn", SpeakerRequest.finished_at: now()}).where(
                (SpeakerRequest.meeting == ctx.id) & SpeakerRequest.status.is_in(["waiting", "speaking"])
            )
        await audit(ctx.community_id, actor, f"meeting_{status}", "meeting", ctx.id)
    return status


async def meeting_details(meeting_id: int) -> dict[str, Any]:
    """The meeting with the names of its venue, facilitator, recorder and community, for pages."""
    from deliberation.access import get_meeting

    return await get_meeting(meeting_id)
