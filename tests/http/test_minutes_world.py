"""A known closed owners' meeting with a closed elevator vote, built in the real tables (used by the minutes tests).

Nothing here is collected as a test: the other test_minutes_* / test_noticeboard_* modules import `build_world`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from community import accounts
from community.db import write_transaction
from community.tables import (
    Building,
    Community,
    Compound,
    Flat,
    Ownership,
    Person,
    StairwellUnit,
    Verification,
)
from deliberation.tables import AgendaItem, Attendance, ItemNote, Meeting, MeetingGuest, Notice, Venue
from votes.record import VoteRecord, record_to_json, result_to_json, tally_record
from votes.rules import Ballot as RuleBallot
from votes.rules import Flat as RuleFlat
from votes.rules import Settings
from votes.settings import VoteSettings, to_json
from votes.tables import Ballot, PaperBallot, Vote, VoteEntity, VoteFlat, VoteRecordFile
from votes.testing import scope_staff

PASSWORD = "correct-horse"
# The meeting was held a month ago and noticed three weeks before that, dated from today (never on a calendar
# date, so the world is the same on any day): 19:00 to 21:00 in Shanghai, the notice at 10:00 there.
_MIDNIGHT_UTC = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
STARTS_AT = _MIDNIGHT_UTC - timedelta(days=32) + timedelta(hours=11)  # 19:00 in Shanghai
ENDS_AT = STARTS_AT + timedelta(hours=2)
OPENED_AT = STARTS_AT + timedelta(minutes=30)
CLOSED_AT = STARTS_AT + timedelta(minutes=110)
NOTICED_AT = STARTS_AT - timedelta(days=22, hours=9)  # 10:00 in Shanghai
# Names that must never appear on a public page or in a published record.
RESIDENT_NAMES = ("钱大爷", "孙阿姨", "周先生", "吴女士", "郑老师", "冯师傅", "陈奶奶", "褚先生", "卫女士", "蒋先生", "沈女士", "韩先生")

# Stairwell unit 3-2: (room, floor, area in hundredths, owners by index into RESIDENT_NAMES).
FLATS = (
    ("101", 1, 7000, (0,)),
    ("102", 1, 9000, (0,)),  # the same owner as 101: one voting entity
    ("201", 2, 7000, (1,)),
    ("202", 2, 9000, (2,)),
    ("301", 3, 7000, (3,)),  # the owner with an account
    ("302", 3, 9000, (4,)),
    ("401", 4, 7000, (5,)),
    ("402", 4, 9000, (6,)),
    ("501", 5, 7000, (7,)),
    ("502", 5, 9000, (8,)),
    ("601", 6, 7000, (9, 10)),  # co-owned, 9 is the designated voter
    ("602", 6, 9000, ()),  # unsold: the developer
)
# Entity (by its first room) → choice; 101 and 402 and 502 vote on paper.
CHOICES = {
    "101": "agree",
    "201": "agree",
    "202": "agree",
    "301": "agree",
    "302": "oppose",
    "401": "agree",
    "402": "agree",
    "502": "abstain",
    "601": "agree",
}
PAPER = {"101", "402", "502"}
PRESENT = {"101": "paper", "201": "qr", "202": "qr", "301": "qr", "302": "qr", "401": "paper", "402": "qr", "601": "paper"}


@dataclass
class World:
    community_id: int
    slug: str
    facilitator: int
    recorder: int
    counter: int
    scrutineer: int
    owner: int
    stranger_owner: int
    resident: int
    other_facilitator: int
    other_slug: str
    meeting_id: int
    item_ids: list[int]
    vote_id: int
    consultation_id: int
    building_names: tuple[str, ...]


async def _account(phone: str, name: str) -> int:
    return await accounts.create_account(display_name=name, password=PASSWORD, phone=phone)


# The disclosure the world's votes are held under (votes.disclosure); a test may set "open" before build_world().
DISCLOSURE: dict[str, str] = {"value": "secret"}


def _opaque(person: int) -> str:
    return f"o{person:04d}"


async def _vote(community_id: int, title: str, agenda_item: int | None, stairwell: int, flats: list[dict],
                counter: int, scrutineer: int, choices: dict[str, str], paper: set[str]) -> int:  # fmt: skip
    """A closed owners' vote (Art. 278 item 7) on the given flats, counted as the votes package counts."""
    settings = VoteSettings(disclosure=DISCLOSURE["value"])
    async with write_transaction():
        vote_id = (
            await Vote.insert(
                Vote(
                    community=community_id, agenda_item=agenda_item, title=title, question="是否同意在本单元加装一部电梯？",
                    kind="owners", matter=7, scope_kind="stairwell_unit", scope_ids=[stairwell], scope_label="3-2",
                    status="closed", settings=to_json(settings), channels=["online", "paper"], opens_at=OPENED_AT,
                    closes_at=CLOSED_AT, opened_at=OPENED_AT, closed_at=CLOSED_AT, published_at=NOTICED_AT,
                )
            ).returning(Vote.id)
        )[0]["id"]
        entities: dict[str, int] = {}
        rule_flats = []
        number = 0
        for position, f in enumerate(flats):
            key = "developer" if f["developer"] else "owners:" + ",".join(sorted(_opaque(p) for p in f["persons"]))
            if key not in entities:
                number += 1
                entities[key] = (
                    await VoteEntity.insert(
                        VoteEntity(vote=vote_id, key=key, number=number, label=f["unit"], area=0, developer=f["developer"])
                    ).returning(VoteEntity.id)
                )[0]["id"]
            owners = [] if f["developer"] else sorted(_opaque(p) for p in f["persons"])
            designated = _opaque(f["persons"][0]) if len(f["persons"]) > 1 else None
            await VoteFlat.insert(
                VoteFlat(
                    vote=vote_id, entity=entities[key], position=position, unit=f["unit"], stairwell="3-2",
                    floor=f["floor"], area=f["area"], developer_unsold=f["developer"], owners=owners,
                    owner_persons={_opaque(p): p for p in f["persons"]}, designated_voter=designated,
                    flat_id=f["flat_id"],
                )
            )
            await VoteEntity.update({VoteEntity.area: VoteEntity.area + f["area"]}).where(VoteEntity.id == entities[key])
            rule_flats.append(RuleFlat(f["unit"], f["area"], frozenset(owners), designated, f["developer"]))
        rule_ballots = []
        for f in flats:
            room = f["unit"].rsplit("-", 1)[1]
            if room not in choices:
                continue
            key = "owners:" + ",".join(sorted(_opaque(p) for p in f["persons"]))
            voter = _opaque(f["persons"][0])
            channel = "paper" if room in paper else "online"
            paper_id = None
            if channel == "paper":
                paper_id = (
                    await PaperBallot.insert(
                        PaperBallot(vote=vote_id, entity=entities[key], serial=f"S-{room}", choice=choices[room],
                                    signer=voter, status="confirmed", outcome="counted", entered_by=counter,
                                    confirmed_by=scrutineer, confirmed_at=CLOSED_AT)  # fmt: skip
                    ).returning(PaperBallot.id)
                )[0]["id"]
            await Ballot.insert(
                Ballot(vote=vote_id, entity=entities[key], unit=f["unit"], voter=voter, choice=choices[room],
                       channel=channel, paper=paper_id, cast_at=CLOSED_AT, updated_at=CLOSED_AT)  # fmt: skip
            )
            rule_ballots.append(RuleBallot(f["unit"], voter, choices[room], channel, None))
        if paper:
            # A refused paper ballot, with the scrutineer's reason.
            await PaperBallot.insert(
                PaperBallot(vote=vote_id, entity=entities["developer"] if "developer" in entities else next(iter(entities.values())),
                            serial="S-X", choice="agree", signer="x", status="rejected", note="签名与登记不符",
                            entered_by=counter, confirmed_by=scrutineer)  # fmt: skip
            )
        record = VoteRecord(7, Settings(), tuple(rule_flats), tuple(rule_ballots), frozenset(), f"v-{vote_id}", title)
        result = tally_record(record)
        stored = result_to_json(result)
        body = record_to_json(record)
        body["result"] = stored
        detail = {
            "ballots": len(rule_ballots),
            "opposing": {"headcount": result.opposing.headcount, "area": f"{result.opposing.area // 100}.{result.opposing.area % 100:02d}"},
            "abstaining": {"headcount": result.abstaining.headcount, "area": f"{result.abstaining.area // 100}.{result.abstaining.area % 100:02d}"},
        }
        await Vote.update(
            {Vote.result: stored, Vote.result_detail: detail, Vote.entities: len(entities),
             Vote.total_area: sum(f["area"] for f in flats), Vote.electorate_hash: "ab" * 32}  # fmt: skip
        ).where(Vote.id == vote_id)
        await VoteRecordFile.insert(VoteRecordFile(vote=vote_id, body=json.dumps(body, ensure_ascii=False)))
    return int(vote_id)


async def build_world() -> World:
    facilitator = await _account("13800000101", "主持人甲")
    recorder = await _account("13800000102", "记录员乙")
    counter = await _account("13800000103", "网格员丙")
    scrutineer = await _account("13800000104", "楼栋长丁")
    owner = await _account("13900000101", RESIDENT_NAMES[3])
    stranger_owner = await _account("13900000102", "外单元业主")
    resident = await _account("13900000103", "普通居民")
    other_facilitator = await _account("13800000105", "别的社区主持人")
    async with write_transaction():
        community_id = (
            await Community.insert(Community(slug="xingfu", name="幸福里社区", street="长宁街道")).returning(Community.id)
        )[0]["id"]
        await Community.insert(Community(slug="other", name="别的社区"))
    other_id = (await Community.select(Community.id).where(Community.slug == "other").first())["id"]
    await accounts.grant_role(facilitator, community_id, "facilitator")
    await accounts.grant_role(recorder, community_id, "recorder")
    await accounts.grant_role(counter, community_id, "grid_worker")
    await accounts.grant_role(scrutineer, community_id, "building_lead")
    await scope_staff(counter, community_id, "grid_worker")
    await scope_staff(scrutineer, community_id, "building_lead")
    await accounts.grant_role(other_facilitator, other_id, "facilitator")
    async with write_transaction():
        compound = (await Compound.insert(Compound(community=community_id, name="阳光花园")).returning(Compound.id))[0]["id"]
        building = (await Building.insert(Building(compound=compound, name="3号楼")).returning(Building.id))[0]["id"]
        building_b = (await Building.insert(Building(compound=compound, name="5号楼")).returning(Building.id))[0]["id"]
        unit2 = (await StairwellUnit.insert(StairwellUnit(building=building, name="2单元")).returning(StairwellUnit.id))[0]["id"]
        unit_b = (await StairwellUnit.insert(StairwellUnit(building=building_b, name="1单元")).returning(StairwellUnit.id))[0]["id"]
        persons = []
        for index, name in enumerate(RESIDENT_NAMES):
            persons.append(
                (
                    await Person.insert(
                        Person(community=community_id, name=name, identity_key=f"{name}|{index}",
                               account=owner if index == 3 else None)  # fmt: skip
                    ).returning(Person.id)
                )[0]["id"]
            )
        stranger = (
            await Person.insert(Person(community=community_id, name="外单元业主", identity_key="外单元业主|x", account=stranger_owner)).returning(Person.id)
        )[0]["id"]
        flats = []
        for room, floor, area, owners in FLATS:
            flat_id = (
                await Flat.insert(
                    Flat(stairwell_unit=unit2, floor=floor, room=room, area=area, developer_unsold=not owners)
                ).returning(Flat.id)
            )[0]["id"]
            for person_index in owners:
                await Ownership.insert(Ownership(flat=flat_id, person=persons[person_index]))
            if room == "301":
                await Verification.insert(Verification(flat=flat_id, person=persons[3], method="certificate"))
            flats.append(
                {"flat_id": flat_id, "room": room, "unit": f"3-2-{room}", "floor": floor, "area": area,
                 "persons": [persons[i] for i in owners], "developer": not owners}  # fmt: skip
            )
        other_flat = (await Flat.insert(Flat(stairwell_unit=unit_b, floor=1, room="101", area=8000)).returning(Flat.id))[0]["id"]
        await Ownership.insert(Ownership(flat=other_flat, person=stranger))
        await Verification.insert(Verification(flat=other_flat, person=stranger, method="certificate"))
        venue = (await Venue.insert(Venue(community=community_id, name="社区议事厅", address="幸福里12号")).returning(Venue.id))[0]["id"]
        meeting_id = (
            await Meeting.insert(
                Meeting(community=community_id, kind="owners", title="3号楼2单元加装电梯业主会议", scope_kind="stairwell_unit",
                        scope_ids=[unit2], starts_at=STARTS_AT, ends_at=ENDS_AT, facilitator=facilitator,
                        recorder=recorder, status="closed", venue=venue, started_at=STARTS_AT, closed_at=ENDS_AT)  # fmt: skip
            ).returning(Meeting.id)
        )[0]["id"]
        await MeetingGuest.insert(MeetingGuest(meeting=meeting_id, name="刘工", role="expert", organisation="市电梯协会"))
        item_ids = []
        for position, (title, description) in enumerate(
            (("加装电梯方案及表决", "方案见单元门口公示。"), ("费用分摊办法说明", "按楼层系数分摊。")), start=1
        ):
            item_ids.append(
                (
                    await AgendaItem.insert(
                        AgendaItem(meeting=meeting_id, position=position, title=title, description=description, status="decided")
                    ).returning(AgendaItem.id)
                )[0]["id"]
            )
        await Notice.insert(
            Notice(
                meeting=meeting_id, number=1, published_at=NOTICED_AT, published_by=facilitator,
                snapshot={"title": "3号楼2单元加装电梯业主会议", "kind": "owners", "starts_at": STARTS_AT.isoformat(),
                          "ends_at": ENDS_AT.isoformat(), "venue": "社区议事厅", "venue_address": "幸福里12号",
                          "scope_kind": "stairwell_unit", "scope_places": ["3号楼 2单元"], "facilitator": "主持人甲",
                          "recorder": "记录员乙", "guests": [],
                          "items": [{"position": 1, "title": "加装电梯方案及表决", "description": "方案见单元门口公示。", "origin": ""},
                                    {"position": 2, "title": "费用分摊办法说明", "description": "按楼层系数分摊。", "origin": ""}]},
            )  # fmt: skip
        )
        await ItemNote.insert(
            ItemNote(item=item_ids[0], positions_heard="多数业主支持加装。", objections="一楼住户担心采光。",
                     agreed_points="电梯井位置放在北侧。", open_points="施工期间的出入安排。", updated_by=recorder)  # fmt: skip
        )
        by_room = {f["room"]: f for f in flats}
        for room, method in PRESENT.items():
            await Attendance.insert(
                Attendance(meeting=meeting_id, flat=by_room[room]["flat_id"], method=method,
                           attendee_name=RESIDENT_NAMES[0] if method == "paper" else "", at=STARTS_AT)  # fmt: skip
            )
    vote_id = await _vote(community_id, "3号楼2单元加装电梯", item_ids[0], unit2, flats, counter, scrutineer, CHOICES, PAPER)
    # A written consultation without a meeting: the same flats, all online, rejected.
    consultation_id = await _vote(
        community_id, "3号楼2单元外墙保温", None, unit2, flats, counter, scrutineer,
        {"101": "oppose", "201": "oppose", "202": "agree", "301": "oppose", "302": "oppose", "401": "agree", "402": "oppose", "601": "oppose"},
        set(),
    )  # fmt: skip
    return World(
        community_id=int(community_id), slug="xingfu", facilitator=facilitator, recorder=recorder, counter=counter,
        scrutineer=scrutineer, owner=owner, stranger_owner=stranger_owner, resident=resident,
        other_facilitator=other_facilitator, other_slug="other", meeting_id=int(meeting_id),
        item_ids=[int(i) for i in item_ids], vote_id=vote_id, consultation_id=consultation_id,
        building_names=("3号楼",),
    )  # fmt: skip
