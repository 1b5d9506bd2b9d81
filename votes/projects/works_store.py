"""The works, stored: milestones with their documents and photos (checked, audited, chained), complaints during
the works and their handling (as objections are handled). Callers pass a `ProjectContext` from
`votes.projects.service.project_for`, which has already checked who may see or manage the project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from community import publications
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.images import UploadRefused, clean
from community.roster.scope import attachments
from community.safetext import form_date, form_list
from community.tables import Flat
from votes.projects import kinds, lifecycle, rounds, service, store, works
from votes.projects.store import ProjectContext
from votes.projects.tables import Milestone, MilestoneFile, WorksComplaint, WorksComplaintStep


def local_day(moment: datetime) -> date:
    return moment.astimezone(store.tz()).date()


async def reached_of(project_id: int) -> dict[str, date]:
    """{milestone kind: the day it was reached}."""
    rows = await Milestone.select(Milestone.kind, Milestone.reached_on).where(Milestone.project == project_id)
    return {str(r["kind"]): local_day(r["reached_on"]) for r in rows}


async def milestones_of(project_id: int) -> list[dict[str, Any]]:
    """The milestones reached, in the works' order, each with its files (without their bytes)."""
    rows = await Milestone.select(
        Milestone.id, Milestone.kind, Milestone.reached_on, Milestone.note, Milestone.publication_seq,
        Milestone.publication_sha256, Milestone.recorded_by.display_name.as_alias("by_name"),
    ).where(Milestone.project == project_id)  # fmt: skip
    files = await MilestoneFile.select(
        MilestoneFile.id, MilestoneFile.milestone, MilestoneFile.name, MilestoneFile.content_type, MilestoneFile.sha256,
        MilestoneFile.size, MilestoneFile.width, MilestoneFile.height,
    ).where(MilestoneFile.milestone.is_in([r["id"] for r in rows] or [-1])).order_by(MilestoneFile.position)  # fmt: skip
    order = {kind: i for i, kind in enumerate(works.MILESTONES)}
    for r in rows:
        r["day"] = local_day(r["reached_on"])
        r["files"] = [f for f in files if f["milestone"] == r["id"]]
    return sorted(rows, key=lambda r: order.get(str(r["kind"]), 99))


async def record_milestone(ctx: ProjectContext, form: Mapping[str, Any], files: Sequence[tuple[str, bytes]]) -> int:
    """A facilitator records a milestone reached, with its documents and photos: checked first (all or nothing),
    then stored, audited and published in the chain in one transaction."""
    assert ctx.user is not None
    values = {name: str(form.get(name, "") or "").strip() for name in ("kind", "day", "note")}
    info = await rounds.overview(ctx.project)
    reached = await reached_of(ctx.id)
    day = form_date(values["day"]) if values["day"] else None
    today = service.now().astimezone(store.tz()).date()
    errors = works.check_milestone(values["kind"], day, values["note"], reached, today, info.state.passed,
                                   info.state.status == "approved")  # fmt: skip
    cleaned = []
    if len(files) > works.MAX_FILES:
        errors["files"] = works.TOO_MANY_FILES
    else:
        for name, data in files:
            try:
                cleaned.append((works.clean_file_name(name), clean(data, works.MAX_FILE_BYTES, documents=True,
                                                                   too_large=works.FILE_TOO_LARGE)))  # fmt: skip
            except UploadRefused as refused:
                errors["files"] = refused.message
                break
    if errors or day is None:
        raise FormErrors(errors, values)
    facts = [works.FileFacts(name, c.content_type, c.sha256, len(c.body)) for name, c in cleaned]
    content = works.milestone_content(ctx.id, str(ctx.project["title"]), str(ctx.project["scope_label"]),
                                      values["kind"], day, values["note"], facts)  # fmt: skip
    label = lazy_label(values["kind"])
    for _attempt in range(3):
        try:
            async with write_transaction():
                rows = await Milestone.insert(
                    Milestone(project=ctx.id, kind=values["kind"], reached_on=store.day_start(day),
                              note=values["note"], recorded_by=ctx.user.id)  # fmt: skip
                ).returning(Milestone.id)
                milestone_id = int(rows[0]["id"])
                for position, (name, c) in enumerate(cleaned, start=1):
                    await MilestoneFile.insert(
                        MilestoneFile(milestone=milestone_id, position=position, name=name, content_type=c.content_type,
                                      sha256=c.sha256, width=c.width, height=c.height, size=len(c.body), data=c.body,
                                      thumb=c.thumb)  # fmt: skip
                    )
                seq, digest = await publications.append(
                    ctx.community_id, works.PUBLICATION_KIND, content, published_at=service.now(),
                    published_by=ctx.user.id, title=f"{ctx.project['title']}: {label}",
                    summary=values["note"][:200], buildings=[str(ctx.project["building_name"])],
                )  # fmt: skip
                await Milestone.update({Milestone.publication_seq: seq, Milestone.publication_sha256: digest}).where(
                    Milestone.id == milestone_id
                )
                await store.audit(ctx.community_id, ctx.user.id, "project_milestone_recorded", ctx.id,
                                    {"milestone": values["kind"], "day": day.isoformat(), "publication": seq,
                                     "files": [f.sha256 for f in facts]})  # fmt: skip
            return milestone_id
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            if values["kind"] in await reached_of(ctx.id):
                raise FormErrors({"kind": works.ALREADY}, values) from exc
    raise Conflict(lazy("Several publications arrived at once. Please send the form again."))


def lazy_label(kind: str) -> str:
    """The milestone's name as the chain's listing shows it: in the community's language (Chinese)."""
    from community import i18n

    with i18n.language(i18n.DEFAULT_LANGUAGE):
        return i18n.gettext(works.MILESTONE_LABELS[kind])


async def milestone_file(project_id: int, file_id: int, thumb: bool) -> tuple[str, str, bytes]:
    """(content type, file name, bytes) of a milestone's document or photo of this project."""
    row = await MilestoneFile.select(
        MilestoneFile.content_type, MilestoneFile.name, MilestoneFile.thumb if thumb else MilestoneFile.data,
    ).where((MilestoneFile.id == file_id) & (MilestoneFile.milestone.project == project_id)).first()  # fmt: skip
    if row is None or (thumb and not row["thumb"]):
        raise NotFound(lazy("This file does not exist."))
    return str(row["content_type"]), str(row["name"]), bytes(row["thumb" if thumb else "data"])


# --- Complaints during the works ---------------------------------------------------------------------------------


async def complaints_of(project_id: int) -> list[dict[str, Any]]:
    rows = await WorksComplaint.select(
        *WorksComplaint.all_columns(),
        WorksComplaint.flat.room.as_alias("room"),
        WorksComplaint.flat.stairwell_unit.name.as_alias("unit_name"),
        WorksComplaint.flat.stairwell_unit.building.name.as_alias("building_name"),
    ).where(WorksComplaint.project == project_id).order_by(WorksComplaint.number).output(load_json=True)
    steps = await WorksComplaintStep.select(
        *WorksComplaintStep.all_columns(), WorksComplaintStep.by.display_name.as_alias("by_name")
    ).where(WorksComplaintStep.complaint.is_in([r["id"] for r in rows] or [-1])).order_by(
        WorksComplaintStep.at
    ).order_by(WorksComplaintStep.id)  # fmt: skip
    for r in rows:
        r["unit"] = f"{r['building_name']}-{r['unit_name']}-{r['room']}" if r["room"] else ""
        r["steps"] = [s for s in steps if s["complaint"] == r["id"]]
        r["open"] = lifecycle.blocks_approval(str(r["status"]))
    return rows


def _complaint_values(form: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    values = {name: str(form.get(name, "") or "").strip() for name in ("text", "flat", "channel", "received_on", "complainant")}
    affects = [a for a in form_list(form, "affects") if a in works.COMPLAINT_AFFECTS]
    return values, affects


async def _insert_complaint(ctx: ProjectContext, columns: dict[str, Any]) -> int:
    """Number complaints 1, 2, … per project; a clash of two at once retries with the next number."""
    assert ctx.user is not None
    for _attempt in range(3):
        try:
            async with write_transaction():
                last = await WorksComplaint.select(WorksComplaint.number).where(WorksComplaint.project == ctx.id).order_by(
                    WorksComplaint.number, ascending=False
                ).first()
                number = int(last["number"]) + 1 if last else 1
                rows = await WorksComplaint.insert(WorksComplaint(project=ctx.id, number=number, **columns)).returning(
                    WorksComplaint.id
                )
                await store.audit(ctx.community_id, ctx.user.id, "project_complaint_lodged", ctx.id,
                                    {"number": number, "channel": columns["channel"]})  # fmt: skip
            return int(rows[0]["id"])
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
    raise Conflict(lazy("Many complaints arrived at once. Please submit yours again."))


async def lodge_complaint(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """A resident of the community complains from a phone while the works run (noise, access…)."""
    assert ctx.user is not None
    if not works.works_running(await reached_of(ctx.id)):
        raise Conflict(lazy("Complaints about the works can be lodged online only while construction runs."))
    values, affects = _complaint_values(form)
    errors = works.check_complaint(values["text"], affects)
    mine = {a.flat_id for a in await attachments(ctx.user.id, ctx.community_id)}
    if not mine:
        raise Forbidden(store.NOT_ALLOWED)
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    if flat_id is not None and flat_id not in mine:
        errors["flat"] = lazy("Please choose one of your flats, or none.")
    if errors:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    return await _insert_complaint(ctx, {"channel": "online", "account": ctx.user.id, "flat": flat_id,
                                         "affects": affects, "text": values["text"], "received_at": service.now()})  # fmt: skip


async def record_complaint(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """Staff record a complaint received on paper or spoken, with the day it reached them (from the start of
    construction to today)."""
    assert ctx.user is not None
    reached = await reached_of(ctx.id)
    if "construction_start" not in reached:
        raise Conflict(lazy("Complaints about the works are recorded once construction has started."))
    values, affects = _complaint_values(form)
    errors = works.check_complaint(values["text"], affects)
    if values["channel"] not in ("paper", "spoken"):
        errors["channel"] = lazy("Please say how the complaint reached you.")
    today = service.now().astimezone(store.tz()).date()
    day = form_date(values["received_on"]) if values["received_on"] else today
    if day is None:
        errors["received_on"] = works.DAY_WRONG
    elif day > today:
        errors["received_on"] = works.IN_FUTURE
    elif day < reached["construction_start"]:
        errors["received_on"] = lazy("Only complaints received since construction started can be recorded.")
    if len(values["complainant"]) > 100:
        errors["complainant"] = lazy("The name is too long (at most 100 characters).")
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    if flat_id is not None and not await Flat.exists().where(
        (Flat.id == flat_id) & (Flat.stairwell_unit.building.compound.community == ctx.community_id)
    ):
        errors["flat"] = lazy("Please choose a flat of this community, or none.")
    if errors or day is None:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    received = service.now() if day == today else store.day_start(day)
    return await _insert_complaint(ctx, {"channel": values["channel"], "flat": flat_id, "complainant": values["complainant"],
                                         "affects": affects, "text": values["text"], "received_at": received,
                                         "recorded_by": ctx.user.id})  # fmt: skip


async def _complaint(ctx: ProjectContext, complaint_id: int) -> dict[str, Any]:
    row = await WorksComplaint.select().where((WorksComplaint.id == complaint_id) & (WorksComplaint.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This complaint does not exist."))
    return row


async def _add_step(ctx: ProjectContext, complaint_id: int, kind: str, note: str) -> None:
    assert ctx.user is not None
    async with write_transaction():
        await WorksComplaintStep.insert(WorksComplaintStep(complaint=complaint_id, kind=kind, note=note, by=ctx.user.id))
        so_far = [
            r["kind"]
            for r in await WorksComplaintStep.select(WorksComplaintStep.kind).where(
                WorksComplaintStep.complaint == complaint_id
            ).order_by(WorksComplaintStep.at).order_by(WorksComplaintStep.id)
        ]
        await WorksComplaint.update({WorksComplaint.status: lifecycle.objection_status(so_far)}).where(
            WorksComplaint.id == complaint_id
        )
        await store.audit(ctx.community_id, ctx.user.id, "project_complaint_step", ctx.id,
                            {"complaint": complaint_id, "kind": kind})  # fmt: skip


async def add_complaint_step(ctx: ProjectContext, complaint_id: int, form: Mapping[str, Any]) -> None:
    """Staff log how a complaint was handled, with the objections' steps."""
    await _complaint(ctx, complaint_id)
    kind = str(form.get("kind", "") or "").strip()
    note = str(form.get("note", "") or "").strip()
    prefix = f"w{complaint_id}-"
    errors: dict[str, str] = {}
    if kind not in kinds.STEP_KINDS:
        errors[prefix + "kind"] = lazy("Please choose one of the offered values.")
    if not note:
        errors[prefix + "note"] = lazy("Please note what was done or agreed, and with whom.")
    elif len(note) > kinds.STEP_NOTE_MAX_LENGTH:
        errors[prefix + "note"] = lazy("This text is too long (at most 2000 characters).")
    if errors:
        raise FormErrors(errors, {prefix + "kind": kind, prefix + "note": note})
    await _add_step(ctx, complaint_id, kind, note)


async def withdraw_complaint(ctx: ProjectContext, complaint_id: int) -> None:
    """The resident who lodged a complaint online withdraws it."""
    assert ctx.user is not None
    row = await _complaint(ctx, complaint_id)
    if row["account"] != ctx.user.id:
        raise Forbidden(store.NOT_ALLOWED)
    if row["status"] in ("withdrawn", "resolved"):
        raise Conflict(lazy("This complaint is already settled."))
    await _add_step(ctx, complaint_id, "withdrawn", kinds.WITHDRAWN_ONLINE)
