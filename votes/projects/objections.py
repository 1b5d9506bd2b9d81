"""Objections during a passed project's public notice: lodged online or recorded from paper, and the steps of their handling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.roster.scope import attachments
from community.safetext import form_date, form_list
from community.tables import Flat
from votes.projects import kinds, lifecycle
from votes.projects.rounds import overview
from votes.projects.store import NOT_ALLOWED, ProjectContext, audit, day_start, tz
from votes.projects.tables import Objection, ObjectionStep


def _objection_values(form: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    values = {name: str(form.get(name, "") or "").strip() for name in ("text", "flat", "channel", "received_on", "objector")}
    affects = [a for a in form_list(form, "affects") if a in kinds.AFFECTS]
    return values, affects


def _check_objection(values: dict[str, str], affects: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["text"]:
        errors["text"] = lazy("Please write your objection: what worries you, and what you ask for.")
    elif len(values["text"]) > kinds.OBJECTION_MAX_LENGTH:
        errors["text"] = lazy("The objection is too long (at most 4000 characters).")
    if not affects:
        errors["affects"] = lazy("Please tick what the works would affect.")
    return errors


async def _insert_objection(ctx: ProjectContext, round_id: int | None, columns: dict[str, Any]) -> int:
    """Number objections 1, 2, … per project; a clash of two at once retries with the next number."""
    for _attempt in range(3):
        try:
            async with write_transaction():
                last = await Objection.select(Objection.number).where(Objection.project == ctx.id).order_by(
                    Objection.number, ascending=False
                ).first()
                number = int(last["number"]) + 1 if last else 1
                rows = await Objection.insert(
                    Objection(project=ctx.id, project_vote=round_id, number=number, **columns)
                ).returning(Objection.id)
                await audit(ctx.community_id, ctx.user.id if ctx.user else None, "project_objection_lodged", ctx.id,
                            {"number": number, "channel": columns["channel"]})  # fmt: skip
            return int(rows[0]["id"])
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
    raise Conflict(lazy("Many objections arrived at once. Please submit yours again."))


async def lodge_objection(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """A resident of the community lodges a written objection from a phone while the notice runs."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if not lifecycle.may_lodge_online(info.state, now()):
        raise Conflict(lazy("Objections can be lodged online only while the public notice runs."))
    values, affects = _objection_values(form)
    errors = _check_objection(values, affects)
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    mine = {a.flat_id for a in await attachments(ctx.user.id, ctx.community_id)}
    if flat_id is not None and flat_id not in mine:
        errors["flat"] = lazy("Please choose one of your flats, or none.")
    if errors:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    assert info.current is not None
    return await _insert_objection(
        ctx, int(info.current.row["id"]),
        {"channel": "online", "account": ctx.user.id, "flat": flat_id, "affects": affects, "text": values["text"],
         "received_at": now()},
    )  # fmt: skip


async def record_objection(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """Staff record an objection received on paper or spoken, with the day it reached them."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if not info.state.passed or info.current is None or info.current.row["notice_starts_at"] is None:
        raise Conflict(lazy("Objections are recorded once the vote has passed and its public notice has started."))
    values, affects = _objection_values(form)
    errors = _check_objection(values, affects)
    if values["channel"] not in ("paper", "spoken"):
        errors["channel"] = lazy("Please say how the objection reached you.")
    day = form_date(values["received_on"]) if values["received_on"] else now().astimezone(tz()).date()
    starts, ends = info.current.row["notice_starts_at"], info.current.row["notice_ends_at"]
    if day is None:
        errors["received_on"] = lazy("Enter a date, such as 2026-12-01.")
    elif day > now().astimezone(tz()).date():
        errors["received_on"] = lazy("The date cannot be in the future.")
    elif not lifecycle.received_in_time(day, starts, ends, tz()):
        errors["received_on"] = lazy("Only objections received during the public notice can be recorded.")
    if len(values["objector"]) > 100:
        errors["objector"] = lazy("The name is too long (at most 100 characters).")
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    if flat_id is not None and not await Flat.exists().where(
        (Flat.id == flat_id) & (Flat.stairwell_unit.building.compound.community == ctx.community_id)
    ):
        errors["flat"] = lazy("Please choose a flat of this community, or none.")
    if errors:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    assert day is not None
    received = now() if day == now().astimezone(tz()).date() else day_start(day)
    return await _insert_objection(
        ctx, int(info.current.row["id"]),
        {"channel": values["channel"], "flat": flat_id, "objector": values["objector"], "affects": affects,
         "text": values["text"], "received_at": received, "recorded_by": ctx.user.id},
    )  # fmt: skip


async def _objection(ctx: ProjectContext, objection_id: int) -> dict[str, Any]:
    row = await Objection.select().where((Objection.id == objection_id) & (Objection.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This objection does not exist."))
    return row


async def _add_step(ctx: ProjectContext, objection_id: int, kind: str, note: str) -> None:
    assert ctx.user is not None
    async with write_transaction():
        await ObjectionStep.insert(ObjectionStep(objection=objection_id, kind=kind, note=note, by=ctx.user.id))
        kinds_so_far = [
            r["kind"]
            for r in await ObjectionStep.select(ObjectionStep.kind).where(ObjectionStep.objection == objection_id).order_by(
                ObjectionStep.at
            ).order_by(ObjectionStep.id)
        ]
        await Objection.update({Objection.status: lifecycle.objection_status(kinds_so_far)}).where(
            Objection.id == objection_id
        )
        await audit(ctx.community_id, ctx.user.id, "project_objection_step", ctx.id, {"objection": objection_id, "kind": kind})


async def add_step(ctx: ProjectContext, objection_id: int, form: Mapping[str, Any]) -> None:
    """Staff log how an objection was handled: talks, mediation, resolved, withdrawn, unresolved."""
    await _objection(ctx, objection_id)
    kind = str(form.get("kind", "") or "").strip()
    note = str(form.get("note", "") or "").strip()
    prefix = f"o{objection_id}-"
    errors: dict[str, str] = {}
    if kind not in kinds.STEP_KINDS:
        errors[prefix + "kind"] = lazy("Please choose one of the offered values.")
    if not note:
        errors[prefix + "note"] = lazy("Please note what was done or agreed, and with whom.")
    elif len(note) > kinds.STEP_NOTE_MAX_LENGTH:
        errors[prefix + "note"] = lazy("This text is too long (at most 2000 characters).")
    if errors:
        raise FormErrors(errors, {prefix + "kind": kind, prefix + "note": note})
    await _add_step(ctx, objection_id, kind, note)


async def withdraw_objection(ctx: ProjectContext, objection_id: int) -> None:
    """The resident who lodged an objection online withdraws it."""
    assert ctx.user is not None
    row = await _objection(ctx, objection_id)
    if row["account"] != ctx.user.id:
        raise Forbidden(NOT_ALLOWED)
    if row["status"] in ("withdrawn", "resolved"):
        raise Conflict(lazy("This objection is already settled."))
    await _add_step(ctx, objection_id, "withdrawn", kinds.WITHDRAWN_ONLINE)
