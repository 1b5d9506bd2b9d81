"""Demo concerns: about five weeks of them in every state, in the demo community and in a second, smaller
community of the demo street, made through the concerns services with dates relative to now. Includes
answered, rated, reopened, overdue, escalated, unanswered ones, one closed without a rating, two that became an
agenda item of the upcoming bench consultation, and last month's published summary. Deterministic and
idempotent: nothing happens in a community that already has concerns."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from community import i18n
from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import DomainError
from community.tables import Account, Building, Community, Compound, StairwellUnit
from deliberation.concerns import figures, rating, reports, services, store, topics
from deliberation.concerns.tables import Concern

log = logging.getLogger("yishi.concerns")

SECOND_SLUG = "hemu"
SECOND_NAME = "和睦社区"
Step = tuple[Any, ...]


@dataclass(frozen=True)
class Story:
    days_ago: float
    kind: str
    text: str
    who: str  # a resident's phone (raised on Yishi), else the channel staff received it on
    place: str  # "home", "common" or "compound/building/unit"
    steps: tuple[Step, ...] = ()
    public: bool = True
    note: str = ""


def _user(row: dict[str, Any]) -> CurrentUser:
    return CurrentUser(int(row["id"]), str(row["display_name"]), row.get("username"), row.get("phone"),
                       bool(row.get("is_site_admin")), 0)  # fmt: skip


# ("dispatch", handler, due in days after intake, hours after intake) · ("progress"|"answer", text, hours)
# · ("rate", rating, hours[, comment]) · ("escalate", reason, hours). Steps later than now are left out.
ZHAO, LIU, SUN = "13900000001", "13900000002", "13900000003"
STORIES: tuple[Story, ...] = (
    Story(26, "repair", "1号楼1单元三楼楼道灯坏了一个多星期，晚上上下楼看不清。", ZHAO, "home", (
        ("dispatch", "grid", 3, 2), ("progress", "已联系物业电工，明天上午更换。", 20),
        ("answer", "楼道灯已更换为感应灯，请您晚上试一试。", 40), ("rate", "satisfied", 60, "修得很快，谢谢。"))),
    Story(21, "parking", "小区东门晚上经常有外来车辆停在消防通道上，救护车进不来。", LIU, "common", (
        ("dispatch", ("property", "阳光物业"), 5, 3), ("answer", "已在消防通道画黄线并张贴告示。", 50),
        ("rate", "not_satisfied", 70, "告示贴了，晚上还是有人停。"), ("progress", "物业安排保安晚上九点后巡查东门。", 80),
        ("answer", "保安每晚巡查两次，连续一周未再发现占道车辆。", 160), ("rate", "basically_satisfied", 170))),
    Story(12, "environment", "2单元门口的垃圾桶满了没人清，气味很大。", SUN, "home", (
        ("dispatch", "grid", 2, 4), ("answer", "已通知保洁公司增加清运次数，每天早晚各一次。", 26))),
    Story(19, "parking", "建议在东门旁边划一块非机动车停放区，电动车现在停得到处都是。", ZHAO, "common",
          (("dispatch", "fac", 14, 5),)),
    Story(16, "parking", "东门附近电动车乱停，老人推轮椅过不去，能不能统一规划？", "box", "common",
          (("dispatch", "fac", 14, 30),)),
    Story(9, "safety", "和平新村3号楼的消防栓箱门坏了，里面的水带不见了。", "phone", "和平新村/3/1",
          (("dispatch", ("property", "和平物业"), 4, 6), ("progress", "物业已登记，等待采购水带。", 30))),
    Story(1.6, "repair", "单元门禁坏了，门一直关不上。", "phone", "阳光花园/4/2"),
    Story(6, "elderly", "楼里独居的老人行动不便，希望有人定期上门看看。", "visit", "阳光花园/2/2",
          (("dispatch", "grid", 10, 3),)),
    Story(14, "neighbour_dispute", "楼上装修噪音从早到晚，沟通多次没有结果。", "visit", "阳光花园/2/1", (
        ("dispatch", "fac", 7, 5), ("progress", "已分别约两户面谈，下周一起协商装修时间。", 48)), False),
    Story(24, "repair", "4号楼楼顶漏水，顶楼住户家里墙面发霉。", "phone", "阳光花园/4/1", (
        ("dispatch", ("property", "阳光物业"), 5, 4), ("answer", "已用防水涂料修补漏点。", 60),
        ("rate", "not_satisfied", 90, "下雨还是漏。"), ("answer", "重新做了一遍防水，请雨后再看。", 150),
        ("rate", "not_satisfied", 200, "还是漏，需要大修。"))),
    Story(2.2, "environment", "绿化带里有人种菜施肥，味道很重。", SUN, "common", (
        ("dispatch", "grid", 5, 3), ("answer", "已和种菜的居民沟通，本周内清理。", 30))),
    Story(33, "other", "小区公告栏的通知太小，老人看不清，能不能放大打印？", "meeting", "common", (
        ("dispatch", "fac", 7, 20), ("answer", "以后通知用大号字打印，并在单元门口同步张贴。", 70),
        ("rate", "satisfied", 100))),
)

TEXTS: dict[str, tuple[str, ...]] = {
    "repair": ("单元门口的台阶松动了，容易绊倒。", "楼道窗户玻璃碎了。", "电梯按钮不灵，要按好几次。", "楼下水管漏水。"),
    "environment": ("楼道里有人堆放旧家具。", "小区里流浪猫太多，晚上叫得厉害。", "草坪很久没修剪了。"),
    "safety": ("车棚里有人给电动车飞线充电。", "楼道里堆了很多纸箱，有消防隐患。", "路灯坏了，晚上很黑。"),
    "parking": ("有人用地锁占用公共车位。", "快递车经常堵在单元门口。"),
    "neighbour_dispute": ("邻居家的狗经常在楼道里大小便。", "楼上空调外机滴水到我家阳台。"),
    "proposal": ("希望我们单元也能加装电梯。", "建议外墙做保温，冬天太冷。"),
    "elderly": ("希望社区食堂能给老人送餐。", "小区里能不能多放几张休息的长椅？"),
    "other": ("希望周末也能在社区办事。", "建议建一个业主群方便通知。"),
}
KIND_WEIGHTS = (("repair", 5), ("environment", 4), ("safety", 3), ("parking", 3), ("neighbour_dispute", 1),
                ("proposal", 1), ("elderly", 2), ("other", 1))  # fmt: skip
ANSWERS = ("已安排维修人员处理完毕。", "已与相关住户沟通，问题已解决。", "已通知物业处理，并在现场确认。")


def filler(rng: random.Random, count: int, places: Sequence[str], days: int) -> list[Story]:
    """More concerns recorded by staff, spread over `days`, most handled and rated."""
    kinds = [k for k, w in KIND_WEIGHTS for _ in range(w)]
    stories = []
    for _n in range(count):
        kind = rng.choice(kinds)
        ago = rng.uniform(0.5, days)
        handler: Any = rng.choice(("fac", ("property", "物业公司"), ("utility", "自来水公司"), "grid"))
        fate = rng.random()
        steps: list[Step] = [("dispatch", handler, rng.choice((2, 3, 5, 7)), rng.uniform(1, 30))]
        if fate < 0.8 or (ago > 8 and fate < 0.95):  # older ones are mostly answered by now
            steps.append(("answer", rng.choice(ANSWERS), rng.uniform(20, 100)))
        if fate < 0.55:
            steps.append(("rate", "satisfied", rng.uniform(110, 150)))
        elif fate < 0.68:
            steps.append(("rate", "basically_satisfied", rng.uniform(110, 150)))
        elif fate < 0.74:
            steps += [("rate", "not_satisfied", 120.0), ("answer", rng.choice(ANSWERS), 170.0), ("rate", "satisfied", 190.0)]
        stories.append(Story(ago, kind, rng.choice(TEXTS[kind]), rng.choice(("phone", "visit", "box", "meeting")),
                             rng.choice(places), tuple(steps), rng.random() < 0.5))  # fmt: skip
    return stories


async def _units(community_id: int) -> dict[str, int]:
    return {f"{u['building.compound.name']}/{u['building.name']}/{u['name']}": int(u["id"]) for u in await store.units(community_id)}


async def _tell(community_id: int, story: Story, users: dict[str, CurrentUser], units: dict[str, int],
                compound: int, now: datetime) -> int | None:  # fmt: skip
    """Raise one story's concern and take its steps, each at its own moment."""
    opened = now - timedelta(days=story.days_ago)
    facilitator = users["fac"]
    if story.who.isdigit():
        author = users[story.who]
        flats = await store.resident_flats(author.id, community_id)
        place = f"flat:{flats[0]['id']}" if story.place == "home" and flats else f"common:{compound}"
        cmd = services.Intake(community_id, story.kind, place, story.text, public_text=story.public)
    else:
        author = facilitator
        place = f"unit:{units[story.place]}" if story.place in units else f"common:{compound}"
        cmd = services.Intake(community_id, story.kind, place, story.text, public_text=story.public, on_behalf=True,
                              channel=story.who)  # fmt: skip
    concern_id = await services.intake(author, cmd, at=opened)
    handler_user = facilitator
    for step in story.steps:
        at = opened + timedelta(hours=float(step[-1] if step[0] != "rate" else step[2]))
        if at >= now:
            break
        if step[0] == "dispatch":
            handler = step[1]
            value, name = (handler, "") if isinstance(handler, str) else handler
            spec = f"account:{users[value].id}" if value in users else value
            handler_user = users.get(value, facilitator) if value != "lead" else facilitator
            due = (opened + timedelta(days=int(step[2]))).astimezone(store.zone()).date()
            await services.dispatch(facilitator, services.Dispatch(concern_id, spec, max(due, at.astimezone(store.zone()).date()),
                                                                   name), at=at)  # fmt: skip
        elif step[0] == "progress":
            await services.log_step(handler_user, services.LogStep(concern_id, step[1]), at=at)
        elif step[0] == "answer":
            await services.answer(handler_user, services.Answer(concern_id, step[1]), at=at)
        elif step[0] == "rate":
            comment = step[3] if len(step) > 3 else ""
            if story.who.isdigit():
                await rating.rate(users[story.who], rating.Rate(concern_id, step[1], comment), at=at)
            else:
                await rating.rate(facilitator, rating.Rate(concern_id, step[1], comment, True, "phone"), at=at)
        elif step[0] == "escalate":
            await services.escalate(facilitator, services.Escalate(concern_id, step[1]), at=at)
    return concern_id


async def _accounts(phones: Sequence[str]) -> dict[str, dict[str, Any]]:
    rows = await Account.select(Account.id, Account.display_name, Account.username, Account.phone,
                                Account.is_site_admin).where(Account.phone.is_in(list(phones)))  # fmt: skip
    return {str(r["phone"]): r for r in rows}


async def load_concerns_demo(community_id: int) -> None:
    """The demo community's concerns, then a second community of the street with its own."""
    try:
        with i18n.language("zh"):  # what the demo publishes is written in the demo community's language
            await _main_community(community_id)
            await _second_community(community_id)
    except DomainError as problem:
        # The demo must never stop `yishi demo`; a service refusing is logged and the rest is skipped.
        log.warning("demo concerns skipped: %s", problem.message)


async def _main_community(community_id: int) -> None:
    if await Concern.exists().where(Concern.community == community_id):
        return
    found = await _accounts(["13800000001", "13800000003", "13800000004", ZHAO, LIU, SUN])
    if len(found) < 6:
        return
    users = {phone: _user(row) for phone, row in found.items()}
    users |= {"fac": users["13800000001"], "grid": users["13800000003"], "lead": users["13800000004"]}
    units = await _units(community_id)
    compounds = await store.compounds(community_id)
    if not units or not compounds:
        return
    sunny = next((int(c["id"]) for c in compounds if c["name"] == "阳光花园"), int(compounds[0]["id"]))
    now = services.now()
    ids = [await _tell(community_id, s, users, units, sunny, now) for s in STORIES]
    rng = random.Random(2026)
    for story in filler(rng, 30, [u for u in units if not u.startswith("阳光花园/1/")], 38):
        await _tell(community_id, story, users, units, sunny, now)
    await rating.close_unrated(now)
    # The two parking concerns at the east gate become one item of the upcoming bench consultation.
    meetings = await topics.bench_meetings(community_id)
    if meetings and ids[3] and ids[4]:
        await topics.make_topic(users["fac"], topics.Topic(community_id, int(meetings[0]["id"]), (ids[3], ids[4]),
                                                            "东门非机动车停放区"), at=now - timedelta(days=3))  # fmt: skip
    await _publish_last_month(users["fac"], community_id, now)


async def _publish_last_month(user: CurrentUser, community_id: int, now: datetime) -> None:
    row = await Community.select(Community.slug).where(Community.id == community_id).first()
    if row is None:
        return
    year, month = figures.previous_month(*figures.month_of(now, store.zone()))
    await reports.publish_month(user, str(row["slug"]), f"{year:04d}-{month:02d}", at=now - timedelta(hours=1))


async def _second_community(demo_id: int) -> None:
    """和睦社区: one compound of three buildings, concerns recorded by the site administrator."""
    street = await Community.select(Community.street_ref, Community.street).where(Community.id == demo_id).first()
    if street is None or street["street_ref"] is None:
        return
    second = await Community.select(Community.id).where(Community.slug == SECOND_SLUG).first()
    if second is None:
        async with write_transaction():
            second_id = int((await Community.insert(Community(
                slug=SECOND_SLUG, name=SECOND_NAME, street=street["street"], street_ref=street["street_ref"],
            )).returning(Community.id))[0]["id"])  # fmt: skip
            compound = int((await Compound.insert(Compound(community=second_id, name="和睦家园")).returning(Compound.id))[0]["id"])
            for building in ("1", "2", "3"):
                bid = int((await Building.insert(Building(compound=compound, name=building)).returning(Building.id))[0]["id"])
                await StairwellUnit.insert(StairwellUnit(building=bid, name="1"), StairwellUnit(building=bid, name="2"))
    else:
        second_id = int(second["id"])
    if await Concern.exists().where(Concern.community == second_id):
        return
    admin = await Account.select(Account.id, Account.display_name, Account.username, Account.phone,
                                 Account.is_site_admin).where(Account.is_site_admin.eq(True)).first()  # fmt: skip
    if admin is None:
        return
    users = {"fac": _user(admin)}
    units = await _units(second_id)
    compound = int((await store.compounds(second_id))[0]["id"])
    now = services.now()
    for story in filler(random.Random(7), 14, list(units), 36):
        plain = Story(story.days_ago, story.kind, story.text, story.who, story.place,
                      tuple(("dispatch", ("property", "和睦物业"), *s[2:]) if s[0] == "dispatch" else s for s in story.steps))  # fmt: skip
        await _tell(second_id, plain, users, units, compound, now)
    await rating.close_unrated(now)
