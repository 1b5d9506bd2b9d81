"""A demo project already under construction: its vote passed four months ago, its notice is over, the works
reached construction start (with a site photo), a neighbour's complaint about noise was answered, and the notice
was photographed where it was posted. Built through the services; idempotent."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

from PIL import Image, ImageDraw

from community import posting_store
from community.accounts import CurrentUser
from community.clock import advance, frozen_at
from votes.projects import budget, rounds, service, store, voting, works_store
from votes.projects.tables import Milestone, Project

log = logging.getLogger("yishi.projects")

MILESTONES = (
    ("design", 110, "施工图设计完成，井道位于单元北侧，采用钢结构。"),
    ("pipeline_survey", 104, "燃气公司和自来水公司现场踏勘：需迁移一根燃气立管，其他管线不受影响。"),
    ("joint_review", 90, "规划、住建、消防联合审查通过，取得施工许可。"),
    ("contract_signed", 70, "与电梯公司签订设计、供货、安装一体化合同。"),
    ("construction_start", 30, "基础开挖，施工时间为每天 8:00 至 18:00。"),
)
COMPLAINT = "早上七点不到就开始打桩，噪音很大，老人休息不好。"
ANSWER = "与施工队约定每天 8:00 以后才开始有噪音的作业，网格员每天早上查看。"


def picture(colour: tuple[int, int, int], sign: tuple[int, int, int]) -> bytes:
    """A plain drawing standing in for a photo (a wall with a sheet of paper on it)."""
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((250, 120, 550, 520), fill=sign, outline=(60, 60, 60), width=4)
    for y in range(170, 480, 40):
        draw.line((280, y, 520, y), fill=(120, 120, 120), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def load_works_demo(user: CurrentUser, community_id: int, unit: dict[str, Any], make_project: Any,
                          ballots: Any) -> None:  # fmt: skip
    """On `unit` (a stairwell no other demo votes on): the whole road up to construction start."""
    from votes import counting, opening
    from votes import services as vote_services
    from votes.result_final import finalise_due

    if await Project.exists().where((Project.community == community_id) & (Project.stairwell_unit == int(unit["id"]))):
        return
    started = service.now() - timedelta(days=140)
    # Open for two weeks, the ballots in the first days; counted 126 days ago.
    with frozen_at(started):
        ctx = await make_project(user, community_id, unit)
        vote_id = await voting.create_round(ctx, {})
        await opening.open_vote_as(await vote_services.get_vote(vote_id), actor=None)
        advance(timedelta(days=3))
        await ballots(vote_id)
        advance(timedelta(days=11))
        await counting.close_vote_as(await vote_services.get_vote(vote_id), actor=None)
    # The query window (votes.queries, 7 days) ran out with no query: the final result, and the notice starts then.
    with frozen_at(started + timedelta(days=22)):
        await finalise_due()
        await rounds.overview((await service.project_for(user, ctx.id, "manage")).project)
    ctx = await service.project_for(user, ctx.id, "manage")
    if (await rounds.overview(ctx.project)).state.status != "approved":
        log.warning("demo projects: the project under construction is not approved")
        return
    today = service.now().astimezone(store.tz()).date()
    for kind, days_ago, note in MILESTONES:
        if await Milestone.exists().where((Milestone.project == ctx.id) & (Milestone.kind == kind)):
            continue
        files = [("工地照片.png", picture((170, 160, 150), (235, 235, 225)))] if kind == "construction_start" else []
        await works_store.record_milestone(ctx, {"kind": kind, "day": (today - timedelta(days=days_ago)).isoformat(),
                                                 "note": note}, files)  # fmt: skip
    flats = {f.unit.rsplit("-", 1)[-1]: f.flat_id for f in await budget.roster_flats(ctx.project)}
    complaint = await works_store.record_complaint(ctx, {
        "channel": "spoken", "complainant": "二楼住户", "flat": str(flats.get("201", "")), "text": COMPLAINT,
        "affects": ["noise"], "received_on": (today - timedelta(days=12)).isoformat(),
    })  # fmt: skip
    await works_store.add_complaint_step(ctx, complaint, {"kind": "resolved", "note": ANSWER})
    await posting_store.add_posting(
        user, "project_notice", ctx.id, f"{ctx.project['scope_label']} 单元门口公告栏",
        (today - timedelta(days=116)).isoformat(), "09:00", [picture((200, 205, 210), (250, 250, 240))],
    )  # fmt: skip
