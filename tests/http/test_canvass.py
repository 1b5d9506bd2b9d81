"""Canvassing (扫楼) and reminders (issue 11): the tracker shows every flat with its status, voted ones from the
ballots and never a choice; staff note a status (CSRF, audit, translated errors, nothing changed on bad input);
who to visit first; the door-to-door sheet; reminders only to flats that have not voted, once a day; the owner's
notice; the public share page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_votes_casting import cast_online, make_world, open_vote

from community.clock import frozen_at
from community.tables import AuditLog
from votes import services
from votes.tables import CanvassStatus, Notice, Reminder, VoteFlat
from votes.testing import let_voting_period_run

FACILITATOR = "13800000009"


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def flat_id(vote_id: int, unit: str) -> int:
    row = await VoteFlat.select(VoteFlat.id).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == unit)).first()
    return int(row["id"])


async def paper_vote(client, world) -> int:
    return await open_vote(client, world, channels=["online", "paper"])


async def test_the_tracker_shows_every_flat_and_whether_it_voted_never_how(client, world, assert_translated):
    vote_id = await paper_vote(client, world)
    await client.signin("13900000101")
    assert (await cast_online(client, vote_id, "3-2-101", "oppose")).status_code == 200
    await client.post_form("/signout")
    await client.signin(FACILITATOR)
    manage = await client.get(f"/v/{vote_id}/manage")
    assert f'href="/v/{vote_id}/canvass"' in manage.text
    page = await client.get(f"/v/{vote_id}/canvass")
    assert page.status_code == 200
    for unit in ("3-2-101", "3-2-102", "3-2-201", "3-2-202", "3-2-301", "3-2-302"):
        assert f">{unit}<" in page.text
    assert "3-1-101" not in page.text  # not in the electorate
    flats = page.text.split('id="flats"')[1]
    # 3-2-101 and 3-2-301 are one voting entity: both voted online; the choice is nowhere.
    assert flats.count("已在线投票") == 2 and "反对" not in page.text and "未联系" in flats
    assert "王二" in flats  # the owners' names, as staff may see them
    assert_translated(page.text, "zh", data={"3号楼2单元加装电梯", "王一", "王二", "李甲", "李乙", "赵"})


async def test_staff_note_a_status_with_csrf_and_audit_and_voted_wins(client, world):
    vote_id = await paper_vote(client, world)
    flat = await flat_id(vote_id, "3-2-201")
    await client.signin(FACILITATOR)
    tomorrow = (services.now() + timedelta(days=1)).date().isoformat()
    no_csrf = await client.post(f"/v/{vote_id}/canvass/{flat}", data={"status": "promised"})
    assert no_csrf.status_code == 403 and await CanvassStatus.count() == 0
    saved = await client.post_form(f"/v/{vote_id}/canvass/{flat}", {"status": "promised", "note": "晚上七点后在家",
                                                                    "next_visit": tomorrow})  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith(f"#flat-{flat}")
    page = (await client.get(saved.headers["location"])).text
    card = page.split(f'id="flat-{flat}"')[1].split("</li>")[0]
    assert "答应投票" in card and "晚上七点后在家" in card and tomorrow in card and "已保存" in card
    entry = await AuditLog.select(AuditLog.action, AuditLog.detail).where(AuditLog.action == "vote_canvass_status").first()
    assert entry is not None and "3-2-201" in str(entry["detail"])
    # The owner then votes: the flat shows voted, and it stays voted; the staff status stays underneath.
    await client.post_form("/signout")
    await client.signin("13900000104")
    assert (await cast_online(client, vote_id, "3-2-201")).status_code == 200
    await client.post_form("/signout")
    await client.signin(FACILITATOR)
    card = (await client.get(f"/v/{vote_id}/canvass")).text.split(f'id="flat-{flat}"')[1].split("</li>")[0]
    assert "已在线投票" in card and "答应投票" not in card and 'action="' not in card
    assert (await CanvassStatus.select(CanvassStatus.status).first())["status"] == "promised"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"status": "voted_online"}, "status", "是否已投票来自选票"),
        ({"status": "maybe"}, "status", "请选择一个状态"),
        ({"status": "contacted", "note": "很" * 301}, "note", "备注最多 300 个字符"),
        ({"status": "contacted", "next_visit": "2020-01-01"}, "next_visit", "下次走访不能早于今天"),
        ({"status": "contacted", "next_visit": "明天"}, "next_visit", "请按日期填写下次走访"),
    ],
)
async def test_bad_input_is_refused_translated_and_nothing_changes(client, world, form, field, message):
    vote_id = await paper_vote(client, world)
    flat = await flat_id(vote_id, "3-2-202")
    await client.signin(FACILITATOR)
    refused = await client.post_form(f"/v/{vote_id}/canvass/{flat}", form)
    assert refused.status_code == 422 and message in refused.text and f'id="e-{field}-{flat}"' in refused.text
    assert await CanvassStatus.count() == 0


async def test_an_unknown_or_foreign_flat_and_a_non_staff_account(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin(FACILITATOR)
    assert (await client.post_form(f"/v/{vote_id}/canvass/999999", {"status": "contacted"})).status_code == 404
    await client.post_form("/signout")
    await client.signin("13900000101")  # an owner, not staff
    flat = await flat_id(vote_id, "3-2-202")
    assert (await client.get(f"/v/{vote_id}/canvass")).status_code == 403
    assert (await client.post_form(f"/v/{vote_id}/canvass/{flat}", {"status": "contacted"})).status_code == 403
    assert (await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})).status_code == 403
    assert (await client.get(f"/v/{vote_id}/canvass/sheet?stairwell=3-2")).status_code == 403
    assert await CanvassStatus.count() == 0 and await Reminder.count() == 0


async def test_who_to_visit_first_puts_the_largest_area_first_while_area_is_short(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin(FACILITATOR)
    page = (await client.get(f"/v/{vote_id}/canvass")).text
    order = page.split('id="visit-first"')[1].split("</ol>")[0]
    # 3-2-101 with 3-2-301 is one entity of 170.00 m², the largest; 3-2-102 (80.00 m²) the smallest.
    assert order.index("3-2-101") < order.index("3-2-201") < order.index("3-2-102")
    assert "170.00 m²" in order and "最大的房屋优先" in page


async def test_the_door_to_door_sheet_is_printable_and_has_boxes_not_choices(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "agree")
    await client.post_form("/signout")
    await client.signin(FACILITATOR)
    sheet = await client.get(f"/v/{vote_id}/canvass/sheet?stairwell=3-2")
    assert sheet.status_code == 200 and "data-print" in sheet.text and "csheet-box" in sheet.text
    assert "3-2-202" in sheet.text and "赵" in sheet.text and "已在线投票" in sheet.text and "同意" not in sheet.text
    assert (await client.get(f"/v/{vote_id}/canvass/sheet?stairwell=9-9")).status_code == 404
    first = await client.get(f"/v/{vote_id}/canvass/sheet")  # without a choice: the first stairwell unit
    assert first.status_code == 200 and "3-2 扫楼登记表" in first.text


async def test_a_reminder_goes_only_to_flats_that_have_not_voted_once_a_day(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin("13900000101")  # 王一 votes for 3-2-101 and 3-2-301
    await cast_online(client, vote_id, "3-2-101")
    await client.post_form("/signout")
    await client.signin(FACILITATOR)
    bad = await client.post_form(f"/v/{vote_id}/reminders", {"template": "whatever I like"})
    assert bad.status_code == 422 and "请选择提醒的文字" in bad.text and await Reminder.count() == 0
    sent = await client.post_form(f"/v/{vote_id}/reminders", {"template": "closing"})
    assert sent.status_code == 303
    reminded = {r["flat.unit"]: r["method"] for r in await Reminder.select(Reminder.flat.unit, Reminder.method)}
    assert "3-2-101" not in reminded and "3-2-301" not in reminded  # they voted
    assert reminded["3-2-201"] == "in_app" and reminded["3-2-202"] == "slip"
    page = (await client.get(sent.headers["location"])).text
    assert "提醒已发送" in page and "3-2-202" in page.split('id="reminders"')[1]  # the log: which flat, how, who
    slips = await client.get(f"/v/{vote_id}/reminders/slips")
    assert slips.status_code == 200 and "3-2-202" in slips.text and "<svg" in slips.text and "3-2-201" not in slips.text
    # A second one the same day reaches nobody and says so.
    again = await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})
    assert again.status_code == 409 and "今天已经" in again.text and await Reminder.count() == len(reminded)
    audit = await AuditLog.count().where(AuditLog.action == "vote_reminder_sent")
    assert audit == 1
    # The next day it may go again, still never to those who voted.
    with frozen_at(services.now() + timedelta(days=1)):
        assert (await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})).status_code == 303
    assert await Reminder.count() == 2 * len(reminded)
    assert not await Reminder.exists().where(Reminder.flat.unit.is_in(["3-2-101", "3-2-301"]))


async def test_the_owner_sees_the_notice_and_opening_marks_it_read(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin(FACILITATOR)
    await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})
    await client.post_form("/signout")
    notice = await Notice.select(Notice.id, Notice.account.phone).where(Notice.account.phone == "13900000103").first()
    assert notice is not None
    await client.signin("13900000103")  # 李甲, co-owner of 3-2-201
    mine = (await client.get("/votes")).text
    assert 'id="notices"' in mine and f'href="/votes/notices/{notice["id"]}"' in mine and "新" in mine
    opened = await client.get(f"/votes/notices/{notice['id']}")
    assert opened.status_code == 200 and "3号楼2单元加装电梯" in opened.text and "还没有投票" in opened.text
    assert (await Notice.select(Notice.read_at).where(Notice.id == notice["id"]).first())["read_at"] is not None
    await client.post_form("/signout")
    await client.signin("13900000101")  # somebody else's notice is not found
    assert (await client.get(f"/votes/notices/{notice['id']}")).status_code == 404
    await client.post_form("/signout")
    anonymous = await client.get(f"/votes/notices/{notice['id']}")
    assert anonymous.status_code in (302, 303, 401) and "3号楼2单元加装电梯" not in anonymous.text


async def test_the_share_page_opens_without_signing_in_and_shows_nothing_personal(client, world):
    vote_id = await paper_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "agree")
    await client.post_form("/signout")
    page = await client.get(f"/v/{vote_id}/share")
    assert page.status_code == 200
    assert "3号楼2单元加装电梯" in page.text and "是否同意加装电梯？" in page.text and "/join" in page.text
    assert "纸质" in page.text and 'id="participation-' in page.text
    assert not any(name in page.text for name in ("王一", "王二", "李甲", "赵", "3-2-101"))


async def test_a_closed_vote_has_no_tracker(client, world):
    vote_id = await open_vote(client, world)
    await let_voting_period_run(vote_id)
    await client.signin(FACILITATOR)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code in (200, 303)
    assert (await client.get(f"/v/{vote_id}/canvass")).status_code == 409
    assert (await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})).status_code == 409
    assert (await client.get(f"/v/{vote_id}/share")).status_code == 200


async def test_the_demo_shows_canvass_statuses_and_yesterdays_reminder(client):
    from app.demo import DEMO_PASSWORD, load_demo
    from votes.tables import Vote

    await load_demo()
    vote_id = int((await Vote.select(Vote.id).where(Vote.status == "open").order_by(Vote.id).first())["id"])
    await client.signin("13800000001", DEMO_PASSWORD)
    page = (await client.get(f"/v/{vote_id}/canvass")).text
    flats = page.split('id="flats"')[1]
    assert "已联系" in flats and "答应投票" in flats and "空置或在外" in flats and "已纸质投票" in flats
    assert "站内通知" in page.split('id="reminders"')[1]  # yesterday's reminder in the log
    assert await Notice.count() >= 1
    # Today nobody was reminded yet: staff can send one now.
    assert (await client.post_form(f"/v/{vote_id}/reminders", {"template": "friendly"})).status_code == 303


async def test_the_database_holds_one_reminder_a_day_per_flat(client, world):
    from community.db import is_unique_violation

    vote_id = await paper_vote(client, world)
    flat = await flat_id(vote_id, "3-2-202")
    day = services.now().date()
    await Reminder.insert(Reminder(vote=vote_id, flat=flat, day=day, method="slip", template="friendly"))
    with pytest.raises(Exception) as raised:
        await Reminder.insert(Reminder(vote=vote_id, flat=flat, day=day, method="slip", template="closing"))
    assert is_unique_violation(raised.value)
    await Reminder.insert(Reminder(vote=vote_id, flat=flat, day=day + timedelta(days=1), method="slip", template="closing"))
    assert await Reminder.count() == 2


async def test_the_tracker_lists_flats_a_page_at_a_time_and_a_saved_flat_returns_to_its_page(client, world, monkeypatch):
    from votes import canvass_controllers

    monkeypatch.setattr(canvass_controllers, "FLATS_PER_PAGE", 2)
    vote_id = await paper_vote(client, world)
    await client.signin(FACILITATOR)
    first = (await client.get(f"/v/{vote_id}/canvass")).text
    second = (await client.get(f"/v/{vote_id}/canvass?page=2")).text
    cards = lambda html: set(re.findall(r'id="flat-(\d+)"', html))  # noqa: E731
    assert len(cards(first)) == 2 and len(cards(second)) == 2 and not cards(first) & cards(second)
    assert 'href="?page=2#flats"' in first and "第 1 页" in first
    flat = int(sorted(cards(second))[0])
    saved = await client.post_form(f"/v/{vote_id}/canvass/{flat}", {"status": "promised", "page": "2"})
    assert saved.status_code == 303 and f"page=2#flat-{flat}" in saved.headers["location"]
    assert f'id="flat-{flat}"' in (await client.get(saved.headers["location"])).text


async def test_owners_are_named_on_every_page_of_the_tracker(client, world, monkeypatch):
    from votes import canvass_controllers

    vote_id = await paper_vote(client, world)
    await client.signin(FACILITATOR)

    def flats_section(html: str) -> str:
        return html.split('id="flats"', 1)[1].split("</section>", 1)[0]

    whole = flats_section((await client.get(f"/v/{vote_id}/canvass")).text)
    monkeypatch.setattr(canvass_controllers, "FLATS_PER_PAGE", 2)
    pages = [flats_section((await client.get(f"/v/{vote_id}/canvass?page={n}")).text) for n in (1, 2, 3, 4)]
    named = {name for name in ("王一", "王二", "李甲", "李乙", "赵", "钱外") if name in whole}
    assert named and all(any(name in page for page in pages) for name in named)
