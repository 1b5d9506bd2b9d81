"""The demo: once its passed project is approved, it carries an agreement partly signed and a funding plan."""

from __future__ import annotations

from datetime import timedelta

from app.demo import load_demo
from community.tables import Community
from votes.projects import objections, rounds, service
from votes.projects.agreement_demo import _caller, load_agreement_demo
from votes.projects.tables import (
    AgreementSignature,
    FundingPayment,
    FundingSource,
    Project,
    ProjectAgreement,
    ProjectVote,
)


async def approve_demo_project(community_id: int) -> int:
    """Settle the demo's objection and let its notice run out: the passed project becomes approved."""
    user = await _caller("13800000001")
    assert user is not None
    for row in await Project.select(Project.id).where(Project.community == community_id):
        ctx = await service.project_for(user, int(row["id"]), "manage")
        info = await rounds.overview(ctx.project)
        if not info.state.passed:
            continue
        for objection in info.objections:
            await objections.add_step(ctx, int(objection["id"]), {"kind": "resolved", "note": "井道外移半米，业主同意"})
        await ProjectVote.update({ProjectVote.notice_ends_at: service.now() - timedelta(minutes=1)}).where(
            ProjectVote.id == info.current.row["id"]
        )
        assert (await rounds.overview(ctx.project)).state.status == "approved"
        return ctx.id
    raise AssertionError("the demo has no passed project")


async def test_the_demos_approved_project_has_an_agreement_partly_signed_and_a_funding_plan(client):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    assert await ProjectAgreement.count() == 0  # no demo project is approved by itself
    project_id = await approve_demo_project(community_id)
    await load_agreement_demo(community_id)
    await load_agreement_demo(community_id)  # idempotent
    assert await ProjectAgreement.count().where(ProjectAgreement.project == project_id) == 1
    signatures = await AgreementSignature.select(AgreementSignature.channel, AgreementSignature.confirmed_at)
    assert any(s["channel"] == "paper" and s["confirmed_at"] is None for s in signatures)
    assert any(s["channel"] == "paper" and s["confirmed_at"] is not None for s in signatures)
    view = (await client.get(f"/p/{project_id}/agreement")).text
    assert "agreement-progress" in view
    sources = await FundingSource.select(FundingSource.amount).where(FundingSource.project == project_id)
    assert sources and await FundingPayment.count() > 0
    page = (await client.get(f"/p/{project_id}/funding")).text
    assert "资金计划与项目总费用相符" in page
