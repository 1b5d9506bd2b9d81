"""The concerns service: intake, dispatch, the handling log and answers, escalation, settings. Typed commands in
(frozen dataclasses), domain errors out; every write in one transaction with its audit entry. Ratings and the
clock that closes unrated answers are in `rating.py`, topics in `topics.py`, figures in `reports.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from community.accounts import CurrentUser
from community.audit import audit
from community.db import is_postgres, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.tables import Account
from deliberation.concerns import core, photos, store
from deliberation.concerns.standing import Place, Standing
from deliberation.concerns.tables import Concern, ConcernPhoto
from deliberation.rules import SAME_AGAIN_WINDOW
from deliberation.uploads import UploadRefused

NOT_FOUND = lazy("This concern does not exist, or it is not open to you.")
NOT_ALLOWED = lazy("You are not allowed to see or do this.")
NOT_RESIDENT = lazy("Only residents of this community (owners and tenants) can raise a concern here.")
OUTSIDE_SCOPE = lazy("This place is outside your scope.")
NO_STREET = lazy("This community belongs to no street, so nothing can be escalated.")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """A concern with its community and the acting account's standing there."""

    row: dict[str, Any]
    community: dict[str, Any]
    standing: Standing

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def community_id(self) -> int:
        return int(self.community["id"])

    @property
    def place(self) -> Place:
        return store.place_of(self.row)


async def context(user: CurrentUser, concern_id: int) -> Context:
    """The concern if the user may see it; 404 otherwise (its existence is not revealed)."""
    row = await store.concern(concern_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    community = await store.community_by_id(int(row["community"]))
    assert community is not None
    standing = await store.standing(user, community)
    if not standing.sees(store.place_of(row)):
        raise NotFound(NOT_FOUND)
    return Context(row, community, standing)


async def community_context(user: CurrentUser, slug: str) -> tuple[dict[str, Any], Standing]:
    community = await store.community(slug)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    return community, await store.standing(user, community)


def _refused(problem: ValueError) -> Conflict:
    return Conflict(str(problem))


# --- Intake ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """A concern raised by a resident from the phone, or recorded by staff on someone's behalf (`on_behalf`)."""

    community_id: int
    kind: str
    place: str  # "flat:ID" (the resident's own), "unit:ID" (staff) or "common:ID" (a compound's common area)
    text: str
    place_note: str = ""
    public_text: bool = False
    photos: tuple[bytes, ...] = ()
    on_behalf: bool = False
    channel: str = "app"
    reporter_name: str = ""
    reporter_phone: str = ""


@dataclass(frozen=True)
class Where:
    flat: int | None = None
    unit: int | None = None
    building: int | None = None
    compound: int | None = None


def _split(place: str) -> tuple[str, int | None]:
    kind, _colon, number = place.partition(":")
    return kind, int(number) if number.isascii() and number.isdigit() and len(number) <= 10 else None


async def resolve_place(cmd: Intake, user: CurrentUser) -> Where | None:
    """The place a form names, if it is one this person may name in this community."""
    kind, number = _split(cmd.place)
    if number is None:
        return None
    if kind == "flat" and not cmd.on_behalf:
        for flat in await store.resident_flats(user.id, cmd.community_id):
            if int(flat["id"]) == number:
                return Where(number, int(flat["stairwell_unit.id"]), int(flat["stairwell_unit.building.id"]),
                             int(flat["stairwell_unit.building.compound.id"]))  # fmt: skip
        return None
    if kind == "unit" and cmd.on_behalf:
        for unit in await store.units(cmd.community_id):
            if int(unit["id"]) == number:
                return Where(None, number, int(unit["building.id"]), int(unit["building.compound.id"]))
        return None
    if kind == "common":
        if any(int(c["id"]) == number for c in await store.compounds(cmd.community_id)):
            return Where(compound=number)
    return None


async def intake(user: CurrentUser, cmd: Intake, at: datetime | None = None) -> int:
    at = at or now()
    community = await store.community_by_id(cmd.community_id)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    standing = await store.standing(user, community)
    if cmd.on_behalf and not standing.staff:
        raise Forbidden(NOT_ALLOWED)
    if not cmd.on_behalf and not await store.resident_flats(user.id, cmd.community_id):
        raise Forbidden(NOT_RESIDENT)
    where = await resolve_place(cmd, user)
    errors = core.validate_intake(cmd.kind, where is not None, cmd.place_note, cmd.text, len(cmd.photos))
    phone = core.clean_phone(cmd.reporter_phone)
    if cmd.on_behalf:
        errors.update(core.validate_on_behalf(cmd.channel, cmd.reporter_name.strip(), phone))
        if where is not None and "place" not in errors and not standing.may_record_at(where.building, where.compound):
            errors["place"] = OUTSIDE_SCOPE
    if "photos" not in errors:
        for data in cmd.photos:
            try:
                photos.check(data)
            except UploadRefused as refused:
                errors["photos"] = refused.message
                break
    if errors:
        raise FormErrors(errors)
    assert where is not None
    stored: list[photos.Stored] = []
    try:
        for data in cmd.photos:
            stored.append(photos.store(data))
    except UploadRefused as refused:
        for s in stored:
            photos.remove(s.stored_name)
        raise FormErrors({"photos": refused.message}) from refused
    try:
        async with write_transaction():
            if not cmd.on_behalf:
                already = await _sent_again(user.id, cmd, where, at)
                if already is not None:
                    for s in stored:
                        photos.remove(s.stored_name)
                    return already
            rows = await Concern.insert(
                Concern(
                    community=cmd.community_id, kind=cmd.kind, channel=cmd.channel if cmd.on_behalf else "app",
                    compound=where.compound, building=where.building, stairwell_unit=where.unit, flat=where.flat,
                    place_note=cmd.place_note.strip(), text=cmd.text.strip(), public_text=cmd.public_text,
                    reporter=None if cmd.on_behalf else user.id,
                    reporter_name=cmd.reporter_name.strip() if cmd.on_behalf else "",
                    reporter_phone=phone if cmd.on_behalf else "", recorded_by=user.id if cmd.on_behalf else None,
                    status="received", opened_at=at, updated_at=now(),
                )  # fmt: skip
            ).returning(Concern.id)
            concern_id = int(rows[0]["id"])
            for s in stored:
                await ConcernPhoto.insert(ConcernPhoto(concern=concern_id, stored_name=s.stored_name, size=s.size,
                                                       content_type=s.content_type, width=s.width, height=s.height))  # fmt: skip
            await store.add_step(concern_id, at, user.id, "received", channel=cmd.channel if cmd.on_behalf else "app")
            await audit("concern_received", actor=user.id, community=cmd.community_id, object_type="concern",
                        object_id=concern_id, channel=cmd.channel if cmd.on_behalf else "app")  # fmt: skip
    except BaseException:
        for s in stored:
            photos.remove(s.stored_name)
        raise
    return concern_id


async def _sent_again(account_id: int, cmd: Intake, where: Where, at: datetime) -> int | None:
    """Inside the intake's transaction: the resident's own concern with the same kind, place and words raised a
    moment ago (the form sent twice: a double tap without JavaScript, a page sent again), which the second
    sending answers with. On PostgreSQL the account is locked first, so two sendings at once see each other."""
    if is_postgres():
        await Account.raw("SELECT id FROM account WHERE id = {} FOR UPDATE", account_id)
    same = (Concern.reporter == account_id) & (Concern.community == cmd.community_id) & (Concern.kind == cmd.kind) & (
        Concern.text == cmd.text.strip()) & (Concern.place_note == cmd.place_note.strip()) & (
        Concern.opened_at > at - SAME_AGAIN_WINDOW)  # fmt: skip
    for column, value in ((Concern.flat, where.flat), (Concern.stairwell_unit, where.unit),
                          (Concern.building, where.building), (Concern.compound, where.compound)):  # fmt: skip
        same &= column.is_null() if value is None else column == value
    row = await Concern.select(Concern.id).where(same).order_by(Concern.id).first()
    return int(row["id"]) if row is not None else None


# --- Dispatch, progress, answers, escalation ------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    concern_id: int
    handler: str  # "account:ID" for community staff, else a kind of outside body
    due_on: date | None
    handler_name: str = ""


def due_at(due_on: date, zone: Any) -> datetime:
    """The end of the due day in the community's time zone (exclusive: midnight at the start of the next day)."""
    return datetime.combine(due_on + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)


async def _for_update(ctx: Context) -> dict[str, Any]:
    row = await store.concern_for_update(ctx.id, ctx.community_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _responded(row: dict[str, Any], at: datetime) -> dict[Any, Any]:
    """A step the reporter can see: the first one is the first response; every one is progress."""
    changes: dict[Any, Any] = {Concern.last_progress_at: at}
    if row["first_response_at"] is None:
        changes[Concern.first_response_at] = at
    return changes


async def dispatch(user: CurrentUser, cmd: Dispatch, at: datetime | None = None) -> None:
    at = at or now()
    ctx = await context(user, cmd.concern_id)
    if not ctx.standing.dispatcher:
        raise Forbidden(NOT_ALLOWED)
    kind, number = _split(cmd.handler)
    handler_kind, account, name = (("staff", number, "") if kind == "account" else (cmd.handler, None, cmd.handler_name.strip()))
    members = {m["id"]: m for m in await store.staff_members(ctx.community_id)}
    zone = store.zone(ctx.community)
    errors = core.validate_dispatch(handler_kind, account in members, name, cmd.due_on, at.astimezone(zone).date())
    if errors:
        raise FormErrors(errors)
    assert cmd.due_on is not None
    async with write_transaction():
        row = await _for_update(ctx)
        try:
            status = core.require_transition(str(row["status"]), "assign")
        except ValueError as problem:
            raise _refused(problem) from problem
        await store.update(ctx.id, {
            Concern.status: status, Concern.handler_kind: handler_kind, Concern.handler_account: account,
            Concern.handler_name: name, Concern.due_at: due_at(cmd.due_on, zone), **_responded(row, at),
        })  # fmt: skip
        shown = str(members[account]["name"]) if account is not None else name
        await store.add_step(ctx.id, at, user.id, "assigned", handler_kind=handler_kind, handler=shown,
                             roles=members[account]["roles"] if account is not None else [], due_on=cmd.due_on.isoformat())  # fmt: skip
        await audit("concern_dispatched", actor=user.id, community=ctx.community_id, object_type="concern",
                    object_id=ctx.id, handler_kind=handler_kind, handler_account=account, due_on=cmd.due_on.isoformat())  # fmt: skip


@dataclass(frozen=True)
class LogStep:
    """Progress the reporter reads, or an internal note (`internal`) only staff see."""

    concern_id: int
    text: str
    internal: bool = False


async def log_step(user: CurrentUser, cmd: LogStep, at: datetime | None = None) -> None:
    at = at or now()
    ctx = await context(user, cmd.concern_id)
    if not ctx.standing.handles(ctx.place):
        raise Forbidden(NOT_ALLOWED)
    problem = core.check_text(cmd.text, core.NO_STEP_TEXT)
    if problem:
        raise FormErrors({"step_text": problem})
    async with write_transaction():
        row = await _for_update(ctx)
        if cmd.internal:
            if row["status"] == "closed":
                raise Conflict(core.CLOSED)
            await store.add_step(ctx.id, at, user.id, "note", cmd.text.strip(), visible=False)
            return
        try:
            status = core.require_transition(str(row["status"]), "progress")
        except ValueError as problem_:
            raise _refused(problem_) from problem_
        await store.update(ctx.id, {Concern.status: status, **_responded(row, at)})
        await store.add_step(ctx.id, at, user.id, "progress", cmd.text.strip())


@dataclass(frozen=True)
class Answer:
    concern_id: int
    text: str


async def answer(user: CurrentUser, cmd: Answer, at: datetime | None = None) -> None:
    at = at or now()
    ctx = await context(user, cmd.concern_id)
    if not ctx.standing.handles(ctx.place):
        raise Forbidden(NOT_ALLOWED)
    problem = core.check_text(cmd.text, core.NO_ANSWER)
    if problem:
        raise FormErrors({"answer_text": problem})
    async with write_transaction():
        row = await _for_update(ctx)
        try:
            status = core.require_transition(str(row["status"]), "answer")
        except ValueError as problem_:
            raise _refused(problem_) from problem_
        changes = {Concern.status: status, Concern.answers: int(row["answers"]) + 1, Concern.answered_at: at,
                   **_responded(row, at)}  # fmt: skip
        if row["first_answer_at"] is None:
            changes[Concern.first_answer_at] = at
        await store.update(ctx.id, changes)
        await store.add_step(ctx.id, at, user.id, "answered", cmd.text.strip(), answer=int(row["answers"]) + 1)
        await audit("concern_answered", actor=user.id, community=ctx.community_id, object_type="concern", object_id=ctx.id)


@dataclass(frozen=True)
class Escalate:
    concern_id: int
    reason: str


async def escalate(user: CurrentUser, cmd: Escalate, at: datetime | None = None) -> None:
    """Hand a concern the community cannot handle (or an overdue one) to its street's staff."""
    at = at or now()
    ctx = await context(user, cmd.concern_id)
    if not ctx.standing.dispatcher:
        raise Forbidden(NOT_ALLOWED)
    if ctx.community.get("street_ref") is None:
        raise Conflict(NO_STREET)
    problem = core.check_text(cmd.reason, core.NO_REASON)
    if problem:
        raise FormErrors({"reason": problem})
    async with write_transaction():
        row = await _for_update(ctx)
        refused = core.may_escalate(str(row["status"]), row["escalated_at"] is not None)
        if refused:
            raise Conflict(refused)
        await store.update(ctx.id, {Concern.escalated_at: at, **_responded(row, at)})
        await store.add_step(ctx.id, at, user.id, "escalated", cmd.reason.strip())
        await audit("concern_escalated", actor=user.id, community=ctx.community_id, object_type="concern", object_id=ctx.id)


# --- Settings -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveSettings:
    community_id: int
    values: dict[str, str] = field(default_factory=dict)  # auto_close_days, red_hours, yellow_days, escalate_after


async def save_settings(user: CurrentUser, cmd: SaveSettings) -> core.Settings:
    community = await store.community_by_id(cmd.community_id)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    if not (await store.standing(user, community)).dispatcher:
        raise Forbidden(NOT_ALLOWED)
    settings, errors = core.parse_settings(cmd.values)
    missing = {k: core.SETTING_ERRORS[k] for k in core.SETTING_RANGES if not str(cmd.values.get(k, "")).strip()}
    errors = {**missing, **errors}
    if errors:
        raise FormErrors(errors, dict(cmd.values))
    async with write_transaction():
        await store.save_settings(cmd.community_id, settings)
        await audit("concern_settings_changed", actor=user.id, community=cmd.community_id, object_type="community",
                    object_id=cmd.community_id, details=core.settings_to_json(settings))  # fmt: skip
    return settings
