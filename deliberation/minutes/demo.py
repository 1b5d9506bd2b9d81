"""Demo minutes: a closed elevator vote whose meeting minutes are published, and a passed vote in its notice period.

Built through the meetings, votes and minutes services, on stairwell units the other demos leave free;
idempotent, and does nothing while the roster or the other packages' services are missing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from community import objects
from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import DomainError
from community.tables import Account, Community, Flat, StairwellUnit
from deliberation.minutes.tables import Minutes

log = logging.getLogger("yishi.minutes")

ELEVATOR_QUESTION = (
    "是否同意在本单元加装一部电梯？电梯井设在单元北侧，由有资质的公司设计和施工，预计工期四个月；"
    "费用扣除政府补贴后按楼层系数分摊，一楼、二楼不分摊。"
)
ROOF_QUESTION = "是否同意使用专项维修资金维修本单元屋面防水层？预算约八万六千元，由维修资金列支。"
ELEVATOR_SUMMARY = (
    "本次业主会议由居委会主持，按公告议程审议了加装电梯方案，并进行了表决。"
    "与会业主对电梯井位置、施工期间出入和费用分摊进行了充分讨论。\n\n"
    "表决结果已在单元门口和社区公告栏同步公示。"
)
ITEM_ACCOUNT = "主持人说明了方案比选过程，设计单位代表现场答复了采光和噪声问题。表决在会上以纸质选票进行，会后当场计票。"
HOW_TO_OBJECT = (
    "对表决结果有异议的业主，请在公示期内向居委会提交书面意见（社区服务中心一楼窗口，工作日 9:00–17:00），"
    "写明房号、异议内容和理由。居委会将逐条登记，并在公示期满后公布处理情况。"
)


def _person(account: dict[str, Any]) -> CurrentUser:
    """A service caller for the demo: the demo account itself, as if it had signed in."""
    return CurrentUser(int(account["id"]), str(account["display_name"]), None, account["phone"], False, 0)


UPCOMING_AGENDA = (
    ("楼道堆物清理", "清理各层楼道里的杂物和废旧家具，消除**消防隐患**。确需保留的物品请提前贴上户号。"),
    ("电动自行车充电", "讨论在车棚安装充电桩，禁止在楼道和家中充电。"),
)


def _unit_title(building: str, unit: str, what: str) -> str:
    building_part = building if building.endswith(("楼", "栋", "幢")) else f"{building}号楼"
    unit_part = unit if unit.endswith("单元") else f"{unit}单元"
    return f"{building_part}{unit_part}{what}"


async def _free_units(community_id: int, count: int) -> list[dict[str, Any]]:
    """Stairwell units with owners and no vote yet, after the first one (the votes demo's)."""
    from votes.tables import Vote

    rows = await Flat.select(Flat.stairwell_unit).where(
        Flat.stairwell_unit.building.compound.community == community_id
    ).order_by(Flat.stairwell_unit).distinct()
    ids = [int(r["stairwell_unit"]) for r in rows][1:]
    taken: set[int] = set()
    for vote in await Vote.select(Vote.scope_kind, Vote.scope_ids).where(Vote.community == community_id).output(load_json=True):
        if vote["scope_kind"] == "stairwell_unit":
            taken.update(int(i) for i in vote["scope_ids"] or [])
    units = []
    for unit_id in ids:
        if unit_id in taken:
            continue
        unit = await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.name).where(
            StairwellUnit.id == unit_id
        ).first()
        if unit is not None:
            units.append(unit)
        if len(units) == count:
            break
    return units


async def _vote(community_id: int, title: str, question: str, matter: int, unit: dict[str, Any],
                agenda_item: int | None, created_by: int) -> int | None:  # fmt: skip
    """A published, opened vote through the votes service; None if the roster cannot give an electorate."""
    from votes import opening, services
    from votes.tables import Vote

    async with write_transaction():
        rows = await Vote.insert(
            Vote(
                community=community_id, agenda_item=agenda_item, title=title, question=question, kind="owners",
                matter=matter, scope_kind="stairwell_unit", scope_ids=[int(unit["id"])],
                scope_label=f"{unit['building.name']}-{unit['name']}", channels=["online", "paper"], status="draft",
                created_by=created_by,
            )  # fmt: skip
        ).returning(Vote.id)
    vote_id = int(rows[0]["id"])
    try:
        await opening.open_vote_as(await services.get_vote(vote_id), actor=None)
    except DomainError as problem:
        log.warning("demo minutes: vote not opened: %s", problem.message)
        async with write_transaction():
            await Vote.delete().where(Vote.id == vote_id)
            objects.forget("v", vote_id)  # the id may come back on SQLite
        return None
    return vote_id


async def _paper_ballots(vote_id: int, counter: int, scrutineer: int, oppose_every: int) -> None:
    """Paper ballots from most households (every `oppose_every`-th opposes), entered and confirmed by staff."""
    from votes import services
    from votes.codes import paper_serial
    from votes.tables import Ballot, PaperBallot, VoteEntity, VoteFlat

    flats = await VoteFlat.select(
        VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.designated_voter, VoteFlat.developer_unsold
    ).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True)
    numbers = {
        int(e["id"]): int(e["number"])
        for e in await VoteEntity.select(VoteEntity.id, VoteEntity.number).where(VoteEntity.vote == vote_id)
    }
    chosen: dict[int, tuple[str, str]] = {}
    for f in flats:
        if f["developer_unsold"] or int(f["entity"]) in chosen:
            continue
        chosen[int(f["entity"])] = (str(f["unit"]), str(f["designated_voter"] or sorted(f["owners"])[0]))
    entities = list(chosen)
    voting = entities[: max(1, (len(entities) * 9 + 9) // 10)]  # nine in ten take part
    moment = services.now()
    async with write_transaction():
        for index, entity in enumerate(voting, start=1):
            unit, voter = chosen[entity]
            choice = "oppose" if index % oppose_every == 0 else "agree"
            paper = await PaperBallot.insert(
                PaperBallot(vote=vote_id, entity=entity, serial=paper_serial(vote_id, numbers[entity]), choice=choice,
                            signer=voter, status="confirmed", outcome="counted", entered_by=counter,
                            confirmed_by=scrutineer, confirmed_at=moment)  # fmt: skip
            ).returning(PaperBallot.id)
            await Ballot.insert(
                Ballot(vote=vote_id, entity=entity, unit=unit, voter=voter, choice=choice, channel="paper",
                       paper=paper[0]["id"], cast_by=counter, cast_at=moment, updated_at=moment)  # fmt: skip
            )


async def _close(vote_id: int, opened: datetime, closed: datetime) -> None:
    """Close (and count) through the votes service, then date the window back to when the demo says it ran."""
    from votes import counting, services
    from votes.tables import Vote

    await counting.close_vote_as(await services.get_vote(vote_id), actor=None)
    async with write_transaction():
        await Vote.update({Vote.published_at: opened, Vote.opened_at: opened, Vote.closed_at: closed}).where(
            Vote.id == vote_id
        )


async def _meeting(community_id: int, unit: dict[str, Any], title: str, facilitator: int, recorder: int,
                   held: datetime) -> tuple[int, int]:  # fmt: skip
    """An owners' meeting of the unit, noticed, held and closed through the meetings service; (meeting, item)."""
    from deliberation import lifecycle, meetings
    from deliberation.access import NO_ACCESS, MeetingContext
    from deliberation.tables import AgendaItem, Attendance, ItemNote, Meeting, Venue

    venue = await Venue.select(Venue.id).where(Venue.community == community_id).first()
    async with write_transaction():
        if venue is None:
            venue = (
                await Venue.insert(Venue(community=community_id, name="社区议事厅", address="社区服务中心二楼")).returning(Venue.id)
            )[0]
        meeting_id = int(
            (
                await Meeting.insert(
                    Meeting(community=community_id, kind="owners", title=title, scope_kind="stairwell_unit",
                            scope_ids=[int(unit["id"])], starts_at=held, ends_at=held + timedelta(hours=2),
                            facilitator=facilitator, recorder=recorder, status="draft", venue=venue["id"],
                            created_by=facilitator, projector_key=meetings.new_key())  # fmt: skip
                ).returning(Meeting.id)
            )[0]["id"]
        )
        item_id = int(
            (
                await AgendaItem.insert(
                    AgendaItem(meeting=meeting_id, position=1, title="加装电梯方案说明及表决",
                               description="方案图纸和费用分摊表已在单元门口张贴。")  # fmt: skip
                ).returning(AgendaItem.id)
            )[0]["id"]
        )
        await AgendaItem.insert(
            AgendaItem(meeting=meeting_id, position=2, title="施工期间出入和停车安排", description="")
        )
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert row is not None
    ctx = MeetingContext(row, NO_ACCESS, None)
    await lifecycle.publish_notice(ctx, at=held - timedelta(days=16))  # noticed sixteen days before it was held
    await lifecycle.change_status(ctx, "start")
    await lifecycle.change_status(ctx, "close")
    flats = await Flat.select(Flat.id).where(Flat.stairwell_unit == unit["id"]).order_by(Flat.floor).order_by(Flat.room)
    async with write_transaction():
        # The meeting took place weeks ago: the services stamped "now", the demo dates it back.
        await Meeting.update({Meeting.started_at: held, Meeting.closed_at: held + timedelta(minutes=110)}).where(
            Meeting.id == meeting_id
        )
        for index, flat in enumerate(flats):
            if index % 5 != 4:
                await Attendance.insert(
                    Attendance(meeting=meeting_id, flat=flat["id"], method="paper" if index % 3 else "qr",
                               marked_by=facilitator, at=held)  # fmt: skip
                )
        await AgendaItem.update({AgendaItem.status: "decided"}).where(AgendaItem.meeting == meeting_id)
        await ItemNote.insert(
            ItemNote(item=item_id, positions_heard="多数业主支持加装，认为老人上下楼困难。",
                     objections="一楼、二楼住户担心采光和噪声。", agreed_points="电梯井设在北侧，不占用消防通道。",
                     open_points="施工期间的临时出入口和电动车停放。", updated_by=recorder)  # fmt: skip
        )
    return meeting_id, item_id


async def _upcoming_meeting(community_id: int, unit: dict[str, Any], facilitator: int, recorder: int) -> None:
    """A bench consultation of the unit in four days, noticed yesterday: the board's upcoming meeting."""
    from deliberation import lifecycle, meetings
    from deliberation.access import NO_ACCESS, MeetingContext
    from deliberation.tables import AgendaItem, Meeting, Venue

    venue = await Venue.select(Venue.id).where(Venue.community == community_id).first()
    starts = datetime.now(UTC).replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(days=4)  # 19:00 in Beijing
    title = _unit_title(str(unit["building.name"]), str(unit["name"]), "楼道板凳协商会")
    async with write_transaction():
        meeting_id = int(
            (
                await Meeting.insert(
                    Meeting(community=community_id, kind="bench", title=title, scope_kind="stairwell_unit",
                            scope_ids=[int(unit["id"])], starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=30),
                            facilitator=facilitator, recorder=recorder, status="draft",
                            venue=venue["id"] if venue else None, created_by=facilitator,
                            projector_key=meetings.new_key())  # fmt: skip
                ).returning(Meeting.id)
            )[0]["id"]
        )
        for position, (item, description) in enumerate(UPCOMING_AGENDA, start=1):
            await AgendaItem.insert(AgendaItem(meeting=meeting_id, position=position, title=item, description=description))
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert row is not None
    await lifecycle.publish_notice(MeetingContext(row, NO_ACCESS, None), at=datetime.now(UTC) - timedelta(days=1))


async def load_minutes_demo(community_id: int) -> None:
    """Published minutes of a closed elevator vote, and a passed vote with its result notice in the notice period."""
    try:
        from deliberation import meetings  # noqa: F401 - the meetings and votes services must exist
        from deliberation.minutes import drafts, service
        from votes import services  # noqa: F401
    except ImportError:
        return
    if await Minutes.exists().where(Minutes.community == community_id):
        return
    accounts = {
        r["phone"]: r
        for r in await Account.select(Account.id, Account.display_name, Account.phone).where(
            Account.phone.is_in(["13800000001", "13800000002", "13800000003", "13800000004"])
        )
    }
    if len(accounts) < 4:
        return
    facilitator, recorder = accounts["13800000001"], accounts["13800000002"]
    counter, scrutineer = int(accounts["13800000003"]["id"]), int(accounts["13800000004"]["id"])
    community = await Community.select(Community.slug).where(Community.id == community_id).first()
    units = await _free_units(community_id, 3)
    if community is None or len(units) < 2:
        return
    slug = str(community["slug"])
    try:
        # 1. An owners' meeting three weeks ago voted on an elevator; its minutes are published.
        held = service.now().replace(hour=11, minute=0, second=0, microsecond=0) - timedelta(days=21)
        elevator = units[0]
        title = _unit_title(str(elevator["building.name"]), str(elevator["name"]), "加装电梯")
        meeting_id, item_id = await _meeting(
            community_id, elevator, title + "业主会议", int(facilitator["id"]), int(recorder["id"]), held
        )
        vote_id = await _vote(community_id, title, ELEVATOR_QUESTION, 7, elevator, item_id, int(facilitator["id"]))
        if vote_id is None:
            return
        await _paper_ballots(vote_id, counter, scrutineer, oppose_every=8)
        await _close(vote_id, held + timedelta(minutes=30), held + timedelta(minutes=100))
        minutes_id = await drafts.start_for_meeting(_person(facilitator), slug, meeting_id)
        await drafts.save_part(_person(facilitator), minutes_id, "summary", ELEVATOR_SUMMARY)
        await drafts.save_part(_person(facilitator), minutes_id, f"item-{item_id}", ITEM_ACCOUNT)
        await _sign_and_publish(service, minutes_id, facilitator, recorder)

        # 2. A written consultation on the roof passed yesterday: its result notice runs for 15 days, and its
        #    minutes are still to be written (the staff's list shows it).
        roof = units[1]
        roof_title = _unit_title(str(roof["building.name"]), str(roof["name"]), "屋面防水维修")
        roof_vote = await _vote(community_id, roof_title, ROOF_QUESTION, 5, roof, None, int(facilitator["id"]))
        if roof_vote is None:
            return
        await _paper_ballots(roof_vote, counter, scrutineer, oppose_every=5)
        yesterday = service.now().replace(microsecond=0) - timedelta(days=1)
        await _close(roof_vote, yesterday - timedelta(days=14), yesterday)
        notice_id = await drafts.start_notice(_person(facilitator), slug, roof_vote)
        await drafts.save_part(_person(facilitator), notice_id, "how_to_object", HOW_TO_OBJECT)
        await _sign_and_publish(service, notice_id, facilitator, None)

        # 3. A bench consultation next week, noticed yesterday: on the board with its printable notice.
        await _upcoming_meeting(community_id, units[-1], int(facilitator["id"]), int(recorder["id"]))
    except DomainError as problem:
        # The demo must never stop `yishi demo`; a service refusing is logged and the rest is skipped.
        log.warning("demo minutes skipped: %s", problem.message)


async def _sign_and_publish(service: Any, minutes_id: int, facilitator: dict[str, Any], recorder: dict[str, Any] | None) -> None:
    content_hash = (await service.draft(_person(facilitator), minutes_id)).hash
    if recorder is not None:
        await service.sign(_person(recorder), minutes_id, "recorder", content_hash)
    await service.sign(_person(facilitator), minutes_id, "facilitator", content_hash)
    await service.publish(_person(facilitator), minutes_id)
