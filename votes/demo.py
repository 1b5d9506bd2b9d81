"""Demo data of the votes package: an open written consultation on adding an elevator, with some ballots."""

from __future__ import annotations

import logging
from datetime import timedelta

from community import objects
from community.db import write_transaction
from community.errors import Conflict
from community.tables import Account, Flat, Person, StairwellUnit
from votes import opening, services
from votes.codes import paper_serial
from votes.tables import Ballot, PaperBallot, Vote, VoteEntity, VoteFlat

log = logging.getLogger("yishi.votes")

QUESTION = (
    "是否同意在本单元加装一部电梯？电梯由有资质的公司设计和施工，预计工期四个月；"
    "费用扣除政府补贴后按楼层系数分摊，一楼、二楼不分摊，具体方案已在单元门口公示。"
)
CHOICES = ("agree", "agree", "agree", "oppose", "agree", "abstain", "agree", "oppose")


def _title(building: str, unit: str) -> str:
    building_part = building if building.endswith(("楼", "栋", "幢")) else f"{building}号楼"
    unit_part = unit if unit.endswith("单元") else f"{unit}单元"
    return f"{building_part}{unit_part}加装电梯"


async def load_votes_demo(community_id: int) -> None:
    """On the demo community's first stairwell unit: an open vote (Art. 278 item 7) with some ballots.

    Idempotent, and does nothing while the community has no roster yet.
    """
    first = await Flat.select(Flat.stairwell_unit).where(
        Flat.stairwell_unit.building.compound.community == community_id
    ).order_by(Flat.stairwell_unit).first()
    if first is None:
        return
    stairwell_id = int(first["stairwell_unit"])
    unit = await StairwellUnit.select(StairwellUnit.name, StairwellUnit.building.name).where(
        StairwellUnit.id == stairwell_id
    ).first()
    assert unit is not None
    title = _title(str(unit["building.name"]), str(unit["name"]))
    if await Vote.exists().where((Vote.community == community_id) & (Vote.title == title)):
        return
    facilitator = await Account.select(Account.id).where(Account.phone == "13800000001").first()
    recorder = await Account.select(Account.id).where(Account.phone == "13800000002").first()
    async with write_transaction():
        rows = await Vote.insert(
            Vote(
                community=community_id,
                title=title,
                question=QUESTION,
                kind="owners",
                matter=7,
                scope_kind="stairwell_unit",
                scope_ids=[stairwell_id],
                scope_label=f"{unit['building.name']}-{unit['name']}",
                closes_at=services.now() + timedelta(days=14),
                channels=["online", "paper"],
                status="draft",
                created_by=facilitator["id"] if facilitator else None,
            )
        ).returning(Vote.id)
    vote_id = int(rows[0]["id"])
    try:
        await opening.open_vote_as(await services.get_vote(vote_id), actor=None)
    except Conflict as problem:
        log.warning("demo vote not opened: %s", problem.message)
        async with write_transaction():
            await Vote.delete().where(Vote.id == vote_id)
            objects.forget("v", vote_id)  # the id may come back on SQLite
        return
    await _demo_ballots(vote_id, facilitator["id"] if facilitator else None, recorder["id"] if recorder else None)
    await load_canvass_demo(vote_id)


async def _demo_ballots(vote_id: int, counter: int | None, scrutineer: int | None) -> None:
    """Paper ballots returned by owners who have no account, so the demo accounts can still vote."""
    with_accounts = {
        int(r["id"]) for r in await Person.select(Person.id).where(Person.account.is_not_null())
    }
    flats = await VoteFlat.select(
        VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.owner_persons, VoteFlat.designated_voter,
        VoteFlat.developer_unsold,
    ).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True)
    numbers = {
        e["id"]: e["number"] for e in await VoteEntity.select(VoteEntity.id, VoteEntity.number).where(VoteEntity.vote == vote_id)
    }
    chosen: dict[int, tuple[str, str]] = {}
    skipped: set[int] = set()
    for f in flats:
        if f["developer_unsold"] or set((f["owner_persons"] or {}).values()) & with_accounts:
            skipped.add(f["entity"])
        elif f["entity"] not in chosen:
            chosen[f["entity"]] = (f["unit"], f["designated_voter"] or sorted(f["owners"])[0])
    voting = [entity for entity in chosen if entity not in skipped]
    voting = voting[: max(1, len(voting) * 3 // 5)]
    moment = services.now()
    async with write_transaction():
        for index, entity in enumerate(voting):
            unit, voter = chosen[entity]
            choice = CHOICES[index % len(CHOICES)]
            serial = paper_serial(vote_id, numbers[entity])
            paper = await PaperBallot.insert(
                PaperBallot(
                    vote=vote_id, entity=entity, serial=serial, choice=choice, signer=voter, status="confirmed",
                    outcome="counted", entered_by=counter, confirmed_by=scrutineer, confirmed_at=moment,
                )
            ).returning(PaperBallot.id)
            await Ballot.insert(
                Ballot(vote=vote_id, entity=entity, unit=unit, voter=voter, choice=choice, channel="paper",
                       paper=paper[0]["id"], cast_by=counter, cast_at=moment, updated_at=moment)
            )


DEMO_CANVASS = (
    ("contacted", "白天上班，晚上七点后在家", 1),
    ("promised", "说周末网上投票", 2),
    ("unreachable", "敲门两次无人应答", 1),
    ("vacant", "房屋出租，业主在外地", None),
)


async def load_canvass_demo(vote_id: int) -> None:
    """A few doors already knocked on (扫楼) and yesterday's reminder to one flat, so a first run shows them."""
    from votes.canvass_store import today as local_today
    from votes.canvass_store import voted_by_entity
    from votes.tables import CanvassStatus, Notice, Reminder

    worker = await Account.select(Account.id).where(Account.phone == "13800000003").first()
    facilitator = await Account.select(Account.id).where(Account.phone == "13800000001").first()
    staff = (worker or facilitator or {}).get("id")
    voted = set(await voted_by_entity(vote_id))
    flats = [f for f in await VoteFlat.select(VoteFlat.id, VoteFlat.entity, VoteFlat.owner_persons).where(
        VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True) if f["entity"] not in voted]  # fmt: skip
    accounts = {int(r["id"]): int(r["account"]) for r in await Person.select(Person.id, Person.account).where(
        Person.account.is_not_null())}  # fmt: skip
    moment = services.now()
    today = local_today()
    async with write_transaction():
        for flat, (status, note, days) in zip(reversed(flats), DEMO_CANVASS, strict=False):
            await CanvassStatus.insert(CanvassStatus(vote=vote_id, flat=flat["id"], status=status, note=note,
                                                     next_visit=today + timedelta(days=days) if days else None,
                                                     updated_by=staff, updated_at=moment))  # fmt: skip
        reached = next((f for f in flats if any(int(p) in accounts for p in (f["owner_persons"] or {}).values())), None)
        if reached is not None:
            yesterday = moment - timedelta(days=1)
            await Reminder.insert(Reminder(vote=vote_id, flat=reached["id"], day=today - timedelta(days=1), method="in_app",
                                           template="friendly", sent_by=(facilitator or {}).get("id"), sent_at=yesterday))  # fmt: skip
            for person in sorted({int(p) for p in (reached["owner_persons"] or {}).values() if int(p) in accounts}):
                await Notice.insert(Notice(account=accounts[person], vote=vote_id, template="friendly", created_at=yesterday))
