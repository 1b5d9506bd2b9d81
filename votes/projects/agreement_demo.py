"""Demo agreements and funding: an approved demo project gets its agreement, partly signed online and on paper,
and a funding plan that adds up, with some shares paid. Idempotent; does nothing while no project is approved."""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageDraw

from community.accounts import CurrentUser
from community.errors import DomainError
from community.roster.scope import attachments
from community.tables import Account
from votes.projects import agreement_service, agreements, funding_service, rounds, service, store
from votes.projects.tables import FundingSource, Milestone, Project, ProjectAgreement

log = logging.getLogger("yishi.projects")


def _scan() -> bytes:
    """A plain page with a line of writing: what a scan of a signed paper agreement stands for in the demo."""
    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 560, 760), outline="black", width=3)
    draw.line((80, 680, 320, 650), fill="navy", width=4)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def _caller(phone: str) -> CurrentUser | None:
    row = await Account.select(Account.id, Account.display_name, Account.phone).where(Account.phone == phone).first()
    return CurrentUser(int(row["id"]), str(row["display_name"]), None, row["phone"], False, 0) if row else None


async def load_agreement_demo(community_id: int) -> None:
    """For every approved project of the community without an agreement whose works have not begun: generate it,
    let the demo owners sign online, enter paper signatures for a few more flats (recorder enters, grid worker
    confirms), plan the money."""
    facilitator = await _caller("13800000001")
    recorder = await _caller("13800000002")
    grid = await _caller("13800000003")
    if facilitator is None or recorder is None or grid is None:
        return
    for row in await Project.select(Project.id).where(Project.community == community_id).order_by(Project.id):
        try:
            ctx = await service.project_for(facilitator, int(row["id"]), "manage")
            info = await rounds.overview(ctx.project)
            if info.state.status != "approved" or await ProjectAgreement.exists().where(ProjectAgreement.project == ctx.id):
                continue
            if await Milestone.exists().where(Milestone.project == ctx.id):
                continue  # the lift under construction (works_demo, loaded after us): a later run adds nothing to it
            await agreement_service.generate(ctx, {})
            await _sign(ctx, recorder, grid)
            await _fund(ctx, grid)
        except DomainError as problem:
            log.warning("demo agreements: %s", problem.message)


async def _sign(ctx: store.ProjectContext, recorder: CurrentUser, grid: CurrentUser) -> None:
    view = await agreement_service.agreement_view(ctx)
    signed: set[int] = set()
    for phone in ("13900000001", "13900000002"):
        owner = await _caller(phone)
        if owner is None:
            continue
        for link in await attachments(owner.id, ctx.community_id):
            sharer = view.sharer(link.flat_id)
            if sharer is None or not link.verified or link.relation != "owner" or not agreements.may_sign(sharer, link.person_id):
                continue
            owner_ctx = await service.project_for(owner, ctx.id)
            text = view.texts[sharer.document]["zh"]
            await agreement_service.sign_online(owner_ctx, {"flat": str(sharer.flat_id), "language": "zh", "confirm": "yes",
                                                            "text_sha256": agreements.fingerprint(text)})  # fmt: skip
            signed.add(sharer.flat_id)
    # Paper for half of the rest: the top floors first, as a building lead collects them door to door.
    rest = [s for s in reversed(view.sharers) if s.flat_id not in signed and s.owners]
    entered = await service.project_for(recorder, ctx.id, "staff")
    for sharer in rest[: len(rest) // 2]:
        await agreement_service.enter_paper(entered, {"owner": f"{sharer.flat_id}:{sharer.owners[0]}"}, _scan())
    checker = await service.project_for(grid, ctx.id, "staff")
    pending = [s for s in (await agreement_service.agreement_view(checker)).signatures
               if s["channel"] == "paper" and s["confirmed_at"] is None]  # fmt: skip
    for signature in pending[:-1]:  # one left for the grid worker to confirm
        await agreement_service.review_paper(checker, int(signature["id"]), {"decision": "confirm"})


async def _fund(ctx: store.ProjectContext, grid: CurrentUser) -> None:
    """Sources adding up to the cost (the city's part paid after the inspection), some shares paid."""
    if await FundingSource.exists().where(FundingSource.project == ctx.id):
        return
    view = await funding_service.funding_view(ctx)
    room = view.room
    city = room * 3 // 5
    plan = [("city", city, "取得特种设备检验合格证后拨付"), ("district", room - city, "竣工验收后拨付")]
    for kind, amount, condition in plan:
        if amount > 0:
            await funding_service.add_source(ctx, {"kind": kind, "amount": f"{amount // 100}.{amount % 100:02d}", "condition": condition})
    staff = await service.project_for(grid, ctx.id, "staff")
    for payment in view.payments[: len(view.payments) // 2]:
        await funding_service.record_payment(staff, int(payment["flat"]), {"paid": "yes"})
