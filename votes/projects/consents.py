"""Flats whose own space the works occupy, and their owners' individual consent (recorded by staff or given online)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.roster.scope import attachments
from community.safetext import form_date
from votes.projects import kinds
from votes.projects.rounds import Overview
from votes.projects.store import NOTE_MAX, OCCUPIES_MAX, ProjectContext, audit, day_start, tz
from votes.projects.tables import OccupiedFlat


async def mark_occupied(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    assert ctx.user is not None
    values = {name: str(form.get(name, "") or "").strip() for name in ("flat", "occupies")}
    errors: dict[str, str] = {}
    flat_id = int(values["flat"]) if values["flat"].isdigit() else 0
    if flat_id not in ctx.flat_ids:
        errors["flat"] = lazy("Please choose a flat of this project.")
    if not values["occupies"]:
        errors["occupies"] = lazy("Describe what of the flat the works occupy, such as part of the balcony.")
    elif len(values["occupies"]) > OCCUPIES_MAX:
        errors["occupies"] = lazy("This text is too long (at most 300 characters).")
    if errors:
        raise FormErrors(errors, values)
    try:
        async with write_transaction():
            await OccupiedFlat.insert(
                OccupiedFlat(project=ctx.id, flat=flat_id, occupies=values["occupies"], marked_by=ctx.user.id)
            )
            await audit(ctx.community_id, ctx.user.id, "project_flat_occupied", ctx.id, {"flat": flat_id})
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"flat": lazy("This flat is already on the list.")}, values) from exc
        raise


async def _occupied(ctx: ProjectContext, occupied_id: int) -> dict[str, Any]:
    row = await OccupiedFlat.select().where((OccupiedFlat.id == occupied_id) & (OccupiedFlat.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This entry does not exist."))
    return row


async def unmark_occupied(ctx: ProjectContext, occupied_id: int) -> None:
    assert ctx.user is not None
    row = await _occupied(ctx, occupied_id)
    async with write_transaction():
        await OccupiedFlat.delete().where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_flat_unoccupied", ctx.id,
                    {"flat": row["flat"], "consent": row["consent"]})  # fmt: skip


async def record_consent(ctx: ProjectContext, occupied_id: int, form: Mapping[str, Any]) -> None:
    """Staff record a consent or refusal given on paper or in person, with its date."""
    assert ctx.user is not None
    await _occupied(ctx, occupied_id)
    values = {name: str(form.get(name, "") or "").strip() for name in ("consent", "method", "decided_on", "note")}
    prefix = f"c{occupied_id}-"
    errors: dict[str, str] = {}
    if values["consent"] not in kinds.CONSENT_STATES:
        errors[prefix + "consent"] = lazy("Please choose one of the offered values.")
    if values["consent"] != "pending" and values["method"] not in kinds.CONSENT_METHODS:
        errors[prefix + "method"] = lazy("Please say how the owner gave their answer.")
    day = form_date(values["decided_on"]) if values["decided_on"] else now().astimezone(tz()).date()
    if day is None:
        errors[prefix + "decided_on"] = lazy("Enter a date, such as 2026-12-01.")
    elif day > now().astimezone(tz()).date():
        errors[prefix + "decided_on"] = lazy("The date cannot be in the future.")
    if len(values["note"]) > NOTE_MAX:
        errors[prefix + "note"] = lazy("This text is too long (at most 300 characters).")
    if errors:
        raise FormErrors(errors, {prefix + k: v for k, v in values.items()})
    pending = values["consent"] == "pending"
    async with write_transaction():
        await OccupiedFlat.update(
            {
                OccupiedFlat.consent: values["consent"],
                OccupiedFlat.method: "" if pending else values["method"],
                OccupiedFlat.decided_on: None if pending or day is None else day_start(day),
                OccupiedFlat.note: values["note"],
                OccupiedFlat.recorded_by: ctx.user.id,
                OccupiedFlat.decided_by: None,
            }
        ).where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_consent_recorded", ctx.id,
                    {"occupied": occupied_id, "consent": values["consent"], "method": values["method"]})  # fmt: skip


async def owner_consent(ctx: ProjectContext, occupied_id: int, form: Mapping[str, Any]) -> None:
    """The owner of an occupied flat consents (or refuses) online; only a verified owner of that flat may."""
    assert ctx.user is not None
    row = await _occupied(ctx, occupied_id)
    decision = str(form.get("decision", "") or "")
    if decision not in ("given", "refused"):
        raise FormErrors({"decision": lazy("Please choose one of the offered values.")})
    if str(form.get("confirm", "")) != "yes":
        raise FormErrors({"confirm": lazy("Please tick the box to confirm that you are the owner and mean it.")})
    links = await attachments(ctx.user.id, ctx.community_id)
    if not any(a.flat_id == row["flat"] and a.relation == "owner" and a.verified for a in links):
        raise Forbidden(lazy("Only a verified owner of this flat can answer for it. Ask the residents' committee to verify your link to the flat."))
    async with write_transaction():
        await OccupiedFlat.update(
            {
                OccupiedFlat.consent: decision,
                OccupiedFlat.method: "online",
                OccupiedFlat.decided_on: now(),
                OccupiedFlat.decided_by: ctx.user.id,
                OccupiedFlat.recorded_by: None,
                OccupiedFlat.note: "",
            }
        ).where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_consent_online", ctx.id,
                    {"occupied": occupied_id, "consent": decision})  # fmt: skip


async def owners_of_occupied(info: Overview, account_id: int, community_id: int) -> set[int]:
    """Occupied-flat entries the account may answer for: it is a verified owner of the flat."""
    links = await attachments(account_id, community_id)
    owned = {a.flat_id for a in links if a.relation == "owner" and a.verified}
    return {int(o["id"]) for o in info.occupied if int(o["flat"]) in owned}
