"""A demo project in its query window (询异期): its owners' vote closed two days ago, the preliminary result stands,
and an owner's query on the count was answered in public. Built through the services; idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from community.accounts import CurrentUser
from community.clock import frozen_at
from community.roster.scope import attachments
from community.tables import Account, Flat
from votes.projects import rounds, service, voting
from votes.projects.tables import Project

log = logging.getLogger("yishi.projects")

# The demo owner who lodges the query (赵淑芬, community/roster_demo.py): her second flat's stairwell is free.
OWNER = "13900000001"
QUERY = "我家的表决票是纸质票，投进了单元门口的票箱。初步结果里能确认已经计入了吗？"
ANSWER = (
    "两名计票人员核对了纸质票登记和原件：该户的纸质表决票已在表决期内登记、复核并计入，"
    "初步统计结果无需更正。"
)


async def _owner() -> CurrentUser | None:
    row = await Account.select(Account.id, Account.display_name, Account.phone).where(Account.phone == OWNER).first()
    return CurrentUser(int(row["id"]), str(row["display_name"]), None, row["phone"], False, 0) if row else None


async def _unit(owner: CurrentUser | None, community_id: int, free: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first of the free units where the demo owner owns a verified flat (so she may query its count)."""
    if owner is None:
        return None
    flats = [a.flat_id for a in await attachments(owner.id, community_id) if a.verified and a.relation == "owner"]
    owned = {int(r["stairwell_unit"]) for r in await Flat.select(Flat.stairwell_unit).where(Flat.id.is_in(flats or [-1]))}
    return next((u for u in free if int(u["id"]) in owned), None)


async def load_query_demo(user: CurrentUser, community_id: int, free: list[dict[str, Any]], make_project: Any,
                          ballots: Any) -> None:  # fmt: skip
    """On one of `free` (stairwells no other demo votes on): a project whose vote passed and is in its query window."""
    from votes import counting, opening, query_store
    from votes import services as vote_services

    owner = await _owner()
    unit = await _unit(owner, community_id, free)
    if owner is None or unit is None:
        return
    if await Project.exists().where((Project.community == community_id) & (Project.stairwell_unit == int(unit["id"]))):
        return
    closed = service.now() - timedelta(days=2)
    with frozen_at(closed - timedelta(days=10)):
        ctx = await make_project(user, community_id, unit)
        vote_id = await voting.create_round(ctx, {})
        await opening.open_vote_as(await vote_services.get_vote(vote_id), actor=None)
        await ballots(vote_id)
    with frozen_at(closed):
        await counting.close_vote_as(await vote_services.get_vote(vote_id), actor=None)
    # The next evening the owner asks whether her paper ballot was counted; staff answer the morning after.
    with frozen_at(closed + timedelta(hours=30)):
        number = await query_store.lodge(owner, vote_id, {"kind": "missing_ballot", "text": QUERY})
    with frozen_at(closed + timedelta(hours=44)):
        await query_store.answer(user, vote_id, number, {"answer": ANSWER})
    status = (await rounds.overview((await service.project_for(user, ctx.id, "manage")).project)).state.status
    if status != "counted":
        log.warning("demo projects: the project meant for its query window is %s", status)
