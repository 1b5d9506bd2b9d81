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
    for row in await Project.select(Project.id).where(Project.community == community_id).order_by(Project.id):
        ctx = await service.project_for(user, int(row["id"]), "manage")
        info = await rounds.overview(ctx.project)
        if not info.state.passed or info.state.status == "approved":
            continue  # not passed, or the lift already under construction (works_demo)
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


async def test_the_demo_shows_a_project_in_its_query_window_and_loading_it_again_adds_nothing(client):
    from community.tables import NoticePosting
    from deliberation.minutes import audit
    from deliberation.minutes.tables import Publication
    from votes.tables import Vote, VoteQuery, VoteStage

    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    user = await _caller("13800000001")
    assert user is not None
    statuses = {}
    for row in await Project.select(Project.id).where(Project.community == community_id):
        ctx = await service.project_for(user, int(row["id"]), "manage")
        statuses[ctx.id] = (await rounds.overview(ctx.project)).state.status
    counted = [project_id for project_id, status in statuses.items() if status == "counted"]
    assert len(counted) == 1 and "approved" in statuses.values()  # one in its query window, one under construction
    vote_id = int((await ProjectVote.select(ProjectVote.vote).where(ProjectVote.project == counted[0]).first())["vote"])
    assert (await VoteStage.select(VoteStage.stage).where(VoteStage.vote == vote_id).first())["stage"] == "preliminary"
    queries = await VoteQuery.select(VoteQuery.status, VoteQuery.lodged_by).where(VoteQuery.vote == vote_id)
    assert [q["status"] for q in queries] == ["answered"]
    result = (await client.get(f"/v/{vote_id}/result")).text  # public: the stage, the query and its answer
    assert "初步统计结果" in result and "已答复" in result and "初步统计结果无需更正" in result
    # The lift under construction: its notice was photographed where it was posted (after it was published).
    assert await NoticePosting.count() >= 1

    def counts() -> list:
        return [Project.count(), Vote.count(), VoteQuery.count(), Publication.count(), NoticePosting.count(),
                ProjectAgreement.count()]  # fmt: skip

    before = [await c for c in counts()]
    await load_demo()
    assert [await c for c in counts()] == before
    report = await audit.verify("demo")
    assert report.intact, report.findings
