"""Demo projects: an elevator on the votes demo's stairwell (Guangzhou scheme, vote open), one whose vote passed and
is in its public notice with an objection being handled, one under construction (works_demo.py) and one in the
query window after its vote (query_demo.py).

Built through the projects and votes services; idempotent, and does nothing while the roster (or, for the first
project's vote, the votes demo) is missing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from community.accounts import CurrentUser
from community.clock import advance, frozen_at
from community.db import write_transaction
from community.errors import DomainError
from community.tables import Account, Flat, StairwellUnit
from votes.projects import budget, consents, objections, rounds, service, store, voting
from votes.projects.tables import Project, ProjectVote
from votes.projects.terms import terms_to_json

log = logging.getLogger("yishi.projects")

ELEVATOR_DESCRIPTION = (
    "在单元北侧楼梯间外加建一部电梯，平层入户，停靠一至六层。由有资质的公司设计和施工，预计工期四个月。"
    "政府补贴按本市既有住宅加装电梯的标准申请，扣除补贴后的费用由业主按广州楼层系数分摊，一楼、二楼不分摊。"
)
LEGAL_TITLE = "土地为国有出让用地，房屋产权清晰；规划部门已出具加装电梯规划意见，设计图纸已通过施工图审查。"
SAFETY_NOTES = "井道采用钢结构，独立基础，不改动原有承重墙；施工期间保留一条消防通道；需迁移一根燃气立管。"
TERMS = {"total": "600000", "subsidy": "250000", "fund": "0", "scheme": "guangzhou"}
OCCUPIES = "一楼院子的一部分（电梯井道和基础）"
OBJECTION = "电梯井道离我家卧室窗户太近，挡住采光，夜间运行也有噪音。希望把井道往外移半米，并加装隔音层。"


def _caller(account: dict[str, Any]) -> CurrentUser:
    """The demo facilitator as a service caller, as if signed in."""
    return CurrentUser(int(account["id"]), str(account["display_name"]), None, account["phone"], False, 0)


def _title(building: str, unit: str) -> str:
    building_part = building if building.endswith(("楼", "栋", "幢")) else f"{building}号楼"
    unit_part = unit if unit.endswith("单元") else f"{unit}单元"
    return f"{building_part}{unit_part}加装电梯"


async def _units(community_id: int) -> list[dict[str, Any]]:
    ids = [
        int(r["stairwell_unit"])
        for r in await Flat.select(Flat.stairwell_unit).where(
            Flat.stairwell_unit.building.compound.community == community_id
        ).order_by(Flat.stairwell_unit).distinct()
    ]
    rows = await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.name).where(
        StairwellUnit.id.is_in(ids or [-1])
    )
    by_id = {int(r["id"]): r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def _project(user: CurrentUser, community_id: int, unit: dict[str, Any]) -> store.ProjectContext:
    """The elevator project of a stairwell unit, created with its terms if missing."""
    title = _title(str(unit["building.name"]), str(unit["name"]))
    row = await Project.select(Project.id).where(
        (Project.community == community_id) & (Project.stairwell_unit == int(unit["id"])) & (Project.kind == "elevator")
    ).first()
    if row is None:
        project_id = await service.create_project(
            user, community_id,
            {"title": title, "kind": "elevator", "place": f"stairwell_unit:{unit['id']}", "storeys": "6",
             "description": ELEVATOR_DESCRIPTION, "legal_title": LEGAL_TITLE, "safety_notes": SAFETY_NOTES},
        )  # fmt: skip
        ctx = await service.project_for(user, project_id, "manage")
        await voting.update_terms(ctx, TERMS)
        return await service.project_for(user, project_id, "manage")
    return await service.project_for(user, int(row["id"]), "manage")


async def _occupy(ctx: store.ProjectContext, room: str, consent: str) -> None:
    """Mark the ground-floor flat `room` as occupied by the works, with the owner's answer so far."""
    if await rounds.occupied_flats(ctx.id):
        return
    flats = {f.unit.rsplit("-", 1)[-1]: f.flat_id for f in await budget.roster_flats(ctx.project)}
    if room not in flats:
        return
    await consents.mark_occupied(ctx, {"flat": str(flats[room]), "occupies": OCCUPIES})
    if consent != "pending":
        occupied = (await rounds.occupied_flats(ctx.id))[0]
        await consents.record_consent(
            ctx, int(occupied["id"]), {"consent": consent, "method": "signed", "note": "业主签字的书面同意书已存档"}
        )


async def load_projects_demo(community_id: int) -> None:
    """Idempotent; logs and stops at anything the other demos have not provided."""
    facilitator = await Account.select(Account.id, Account.display_name, Account.phone).where(
        Account.phone == "13800000001"
    ).first()
    units = await _units(community_id)
    if facilitator is None or len(units) < 2:
        return
    user = _caller(facilitator)
    try:
        await _open_elevator(user, community_id, units[0])
        await _passed_elevator(user, community_id, units)
        from votes.projects.agreement_demo import load_agreement_demo

        await load_agreement_demo(community_id)  # an approved project's agreement and funding, if any
        free = await _free_units(community_id, units[1:])
        if len(free) > 1:  # the second free stairwell: a lift already under construction
            from votes.projects.works_demo import load_works_demo

            await load_works_demo(user, community_id, free[1], _project, _ballots)
        if len(free) > 2:  # another: a vote closed two days ago, its preliminary result open to queries
            from votes.projects.query_demo import load_query_demo

            await load_query_demo(user, community_id, free[2:], _project, _ballots)
    except DomainError as problem:
        log.warning("demo projects: %s", problem.message)


async def _open_elevator(user: CurrentUser, community_id: int, unit: dict[str, Any]) -> None:
    """The first stairwell unit: the project attached to the votes demo's open elevator vote, if there is one."""
    from votes.tables import Vote

    ctx = await _project(user, community_id, unit)
    await _occupy(ctx, "101", "pending")
    if await rounds.has_vote(ctx.id):
        return
    vote = await Vote.select(Vote.id, Vote.matter).where(
        (Vote.community == community_id) & (Vote.scope_kind == "stairwell_unit") & (Vote.status == "open")
        & (Vote.title == ctx.project["title"])
    ).output(load_json=True).first()  # fmt: skip
    if vote is None or await rounds.round_for_vote(int(vote["id"])) is not None:
        return
    async with write_transaction():
        await ProjectVote.insert(
            ProjectVote(project=ctx.id, vote=int(vote["id"]), round=1, matter=int(vote["matter"] or 7),
                        terms=terms_to_json(budget.terms_of(ctx.project)), created_by=user.id)  # fmt: skip
        )


async def _passed_elevator(user: CurrentUser, community_id: int, units: list[dict[str, Any]]) -> None:
    """A stairwell unit no other demo votes on: its elevator vote passed, its final result was published today and
    the notice runs."""
    from votes import counting, opening
    from votes import services as vote_services

    existing = await Project.select(Project.id).where(
        (Project.community == community_id) & Project.stairwell_unit.is_in([int(u["id"]) for u in units[1:]])
    ).first()
    if existing is not None:
        return
    free = await _free_units(community_id, units[1:])
    if not free:
        return
    ctx = await _project(user, community_id, free[0])
    await _occupy(ctx, "101", "given")
    vote_id = await voting.create_round(ctx, {})
    # Open for two weeks and counted nine days ago: its query window (7 days, votes.queries) is over, and its final
    # result published today.
    with frozen_at(vote_services.now() - timedelta(days=23)):
        await opening.open_vote_as(await vote_services.get_vote(vote_id), actor=None)
        advance(timedelta(days=3))
        await _ballots(vote_id)
        advance(timedelta(days=11))
        await counting.close_vote_as(await vote_services.get_vote(vote_id), actor=None)
    from votes.result_final import finalise_due

    await finalise_due()
    ctx = await service.project_for(user, ctx.id, "manage")
    info = await rounds.overview(ctx.project)
    if not info.state.passed:
        log.warning("demo projects: the demo vote did not pass (%s)", info.state.status)
        return
    flats = {f.unit.rsplit("-", 1)[-1]: f.flat_id for f in await budget.roster_flats(ctx.project)}
    await objections.record_objection(
        ctx, {"channel": "paper", "objector": "一楼住户", "flat": str(flats.get("102", "")), "text": OBJECTION,
              "affects": ["light", "noise"]},
    )  # fmt: skip
    objection = (await rounds.objections_of(ctx.id))[0]
    await objections.add_step(
        ctx, int(objection["id"]),
        {"kind": "talks", "note": "网格员上门沟通，设计单位答应研究井道外移半米的方案，一周内答复。"},
    )  # fmt: skip


async def _free_units(community_id: int, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stairwell units no demo vote was taken in before the projects demo ran (a project's own vote aside)."""
    from votes.tables import Vote

    projects = {int(r["stairwell_unit"]) for r in await Project.select(Project.stairwell_unit).where(
        (Project.community == community_id) & Project.stairwell_unit.is_not_null())}  # fmt: skip
    voted: set[int] = set()
    for v in await Vote.select(Vote.scope_kind, Vote.scope_ids, Vote.title).where(Vote.community == community_id).output(load_json=True):
        if v["scope_kind"] == "stairwell_unit":
            voted.update(int(i) for i in v["scope_ids"] or [])
    return [u for u in units if int(u["id"]) not in voted or int(u["id"]) in projects]


async def _ballots(vote_id: int) -> None:
    """Paper ballots of all but two voting entities, one of them opposed: a clear pass under item 7."""
    from votes import services as vote_services
    from votes.codes import paper_serial
    from votes.tables import Ballot, PaperBallot, VoteEntity, VoteFlat

    counter = await Account.select(Account.id).where(Account.phone == "13800000002").first()
    # A different person checks the counter's entries (votes/paper_desk.py): the grid worker.
    scrutineer = await Account.select(Account.id).where(Account.phone == "13800000003").first()
    flats = await VoteFlat.select(
        VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.designated_voter, VoteFlat.developer_unsold
    ).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True)
    numbers = {
        int(e["id"]): int(e["number"])
        for e in await VoteEntity.select(VoteEntity.id, VoteEntity.number).where(VoteEntity.vote == vote_id)
    }
    chosen: dict[int, tuple[str, str]] = {}
    for f in flats:
        if int(f["entity"]) not in chosen:
            voter = "developer" if f["developer_unsold"] else str(f["designated_voter"] or sorted(f["owners"])[0])
            chosen[int(f["entity"])] = (str(f["unit"]), voter)
    entities = list(chosen)[:-2]
    moment = vote_services.now()
    counter_id = counter["id"] if counter else None
    async with write_transaction():
        for index, entity in enumerate(entities):
            unit, voter = chosen[entity]
            choice = "oppose" if index == 1 else "agree"
            paper = await PaperBallot.insert(
                PaperBallot(vote=vote_id, entity=entity, serial=paper_serial(vote_id, numbers[entity]), choice=choice,
                            signer=voter, status="confirmed", outcome="counted", entered_by=counter_id,
                            confirmed_by=scrutineer["id"] if scrutineer else None, confirmed_at=moment)  # fmt: skip
            ).returning(PaperBallot.id)
            await Ballot.insert(
                Ballot(vote=vote_id, entity=entity, unit=unit, voter=voter, choice=choice, channel="paper",
                       paper=paper[0]["id"], cast_by=counter_id, cast_at=moment, updated_at=moment)  # fmt: skip
            )
