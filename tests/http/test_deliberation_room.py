"""The meeting itself over HTTP: who may see, comment, check in and control; comments, hands, attendance, notes,
the projector."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from test_deliberation_world import DATA_NAMES, build_world, make_meeting

from community import clock, i18n
from community.tables import AuditLog
from deliberation import rules
from deliberation.tables import AgendaItem, Attendance, Comment, ItemNote, Meeting, SpeakerRequest

ITEM_TEXT = {"三号楼板凳会", "加装电梯方案", "楼道堆物清理", "加装电梯方案的说明", "楼道堆物清理的说明", "的说明"}


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


def htmx(client) -> dict[str, str]:
    return {"HX-Request": "true", "x-csrftoken": client.cookies["csrftoken"]}


async def post_comment(client, meeting_id, item_id, body="我支持加装电梯", position="support", **extra):
    return await client.post_form(
        f"/m/{meeting_id}/items/{item_id}/comments", {"position": position, "body": body, **extra}
    )


async def test_who_sees_a_published_meeting(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    for who in ("owner", "unverified", "tenant", "facilitator", "recorder", "grid_worker"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{meeting_id}")).status_code == 200, who
        assert (await client.get(f"/m/{meeting_id}/items/{items[0]}")).status_code == 200, who
    for who in ("outsider", "other_facilitator"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{meeting_id}")).status_code == 404, who
        assert (await client.get(f"/m/{meeting_id}/items/{items[0]}")).status_code == 404, who
    await client.post_form("/signout")
    assert (await client.get(f"/m/{meeting_id}")).status_code == 303  # sign in first


async def test_drafts_are_for_staff_and_scope_decides_who_is_invited(client, world):
    draft_id, _ = await make_meeting(world, status="draft")
    unit2_id, _ = await make_meeting(world, status="noticed", scope_kind="stairwell_unit", scope_ids=[world.units[1]])
    await client.signin(world.phones["owner"])  # lives in unit 1
    assert (await client.get(f"/m/{draft_id}")).status_code == 404
    assert (await client.get(f"/m/{unit2_id}")).status_code == 404
    listing = await client.get("/c/xfl/meetings")
    assert f"/m/{draft_id}\"" not in listing.text and f"/m/{unit2_id}\"" not in listing.text
    await client.signin(world.phones["tenant"])  # lives in unit 2: tenants are invited too
    assert (await client.get(f"/m/{unit2_id}")).status_code == 200
    assert f"/m/{unit2_id}\"" in (await client.get("/meetings")).text
    await client.signin(world.phones["grid_worker"])
    listing = await client.get("/c/xfl/meetings")
    assert f"/m/{draft_id}\"" in listing.text and f"/m/{unit2_id}\"" in listing.text


async def test_comments_from_inside_the_scope_only(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["outsider"])
    assert (await post_comment(client, meeting_id, items[0])).status_code == 404
    await client.signin(world.phones["other_facilitator"])
    assert (await post_comment(client, meeting_id, items[0])).status_code == 404
    # Tenants and owners not yet verified may comment.
    for who in ("tenant", "unverified", "owner"):
        await client.signin(world.phones[who])
        response = await post_comment(client, meeting_id, items[0], body=f"{who} 的意见")
        assert response.status_code == 303, who
    assert await Comment.count() == 3
    # A draft is not open to comments; neither is a closed meeting.
    await Meeting.update({Meeting.status: "closed"}).where(Meeting.id == meeting_id)
    assert (await post_comment(client, meeting_id, items[0])).status_code == 403


async def test_a_comment_sent_twice_is_kept_once_and_the_same_words_later_are_a_new_comment(client, world):
    """A double tap without JavaScript (or a page sent again) posts the form twice: the second answers with the
    first. The same words a few minutes later, or under another comment, are a comment of their own."""
    import asyncio

    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    with clock.frozen_at(datetime(2026, 12, 5, 2, 0, tzinfo=UTC)):
        first, second = [await post_comment(client, meeting_id, items[0], body="同意加装") for _ in range(2)]
        assert first.status_code == second.status_code == 303 and first.headers["location"] == second.headers["location"]
        assert await Comment.count() == 1
        sent = await asyncio.gather(*[post_comment(client, meeting_id, items[0], body="一楼怎么补偿？") for _ in range(4)])
        assert [r.status_code for r in sent] == [303] * 4 and await Comment.count() == 2
        parent = int((await Comment.select(Comment.id).order_by(Comment.id).first())["id"])
        assert (await post_comment(client, meeting_id, items[0], body="同意加装", parent=str(parent))).status_code == 303
        assert await Comment.count() == 3  # a reply with the same words is a reply
        clock.advance(timedelta(minutes=3))
        assert (await post_comment(client, meeting_id, items[0], body="同意加装")).status_code == 303
        assert await Comment.count() == 4


async def test_comment_without_javascript_and_with_htmx(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    response = await post_comment(client, meeting_id, items[0], body="电梯要考虑一楼住户")
    assert response.status_code == 303
    comment = await Comment.select().first()
    assert response.headers["location"] == f"/m/{meeting_id}/items/{items[0]}#comment-{comment['id']}"
    page = await client.get(f"/m/{meeting_id}/items/{items[0]}")
    assert "电梯要考虑一楼住户" in page.text and "赞成" in page.text and "修改" in page.text
    # htmx: the form comes back empty with the new comment inserted out of band, no reload.
    await client.csrf()
    fragment = await client.post(
        f"/m/{meeting_id}/items/{items[0]}/comments",
        data={"position": "question", "body": "费用怎么分摊？"},
        headers=htmx(client),
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith(f'<form id="comment-form-{items[0]}"')
    assert f'hx-swap-oob="afterbegin:#comments-{items[0]}"' in fragment.text
    assert "费用怎么分摊？" in fragment.text and "您的意见已发表" in fragment.text
    # Errors: 422, messages in place, what was typed kept, nothing saved.
    bad = await client.post(
        f"/m/{meeting_id}/items/{items[0]}/comments", data={"position": "", "body": "没有选择态度"}, headers=htmx(client)
    )
    assert bad.status_code == 422 and "请选择赞成、反对、提问或建议" in bad.text and "没有选择态度" in bad.text
    nojs = await post_comment(client, meeting_id, items[0], body="", position="oppose")
    assert nojs.status_code == 422 and "请写下您的意见" in nojs.text and 'value="oppose" checked' in nojs.text
    assert await Comment.count() == 2


async def test_one_level_of_replies(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    await post_comment(client, meeting_id, items[0], body="第一条")
    parent = (await Comment.select().first())["id"]
    await client.signin(world.phones["tenant"])
    form = await client.get(f"/m/{meeting_id}/comments/{parent}/reply", headers={"HX-Request": "true"})
    assert f'name="parent" value="{parent}"' in form.text
    reply = await client.post(
        f"/m/{meeting_id}/items/{items[0]}/comments", data={"parent": str(parent), "body": "我同意"}, headers=htmx(client)
    )
    assert reply.status_code == 200 and f'hx-swap-oob="beforeend:#replies-{parent}"' in reply.text
    first_reply = (await Comment.select().where(Comment.parent == parent).first())["id"]
    # A reply to a reply joins the same thread: replies are one level deep.
    await post_comment(client, meeting_id, items[0], body="回复的回复", position="", parent=str(first_reply))
    rows = await Comment.select(Comment.parent).where(Comment.parent.is_not_null())
    assert [r["parent"] for r in rows] == [parent, parent]
    # A parent from another item is refused.
    assert (await post_comment(client, meeting_id, items[1], body="错位", parent=str(parent))).status_code == 404


async def test_edit_own_comment_for_ten_minutes(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    await post_comment(client, meeting_id, items[0], body="原来的话")
    comment_id = (await Comment.select().first())["id"]
    edited = await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/edit", {"position": "oppose", "body": "改过的话"})
    assert edited.status_code == 303
    row = await Comment.select().first()
    assert row["body"] == "改过的话" and row["position"] == "oppose" and row["edited_at"] is not None
    # Somebody else cannot.
    await client.signin(world.phones["tenant"])
    assert (await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/edit", {"position": "support", "body": "x"})).status_code == 403
    # After ten minutes the author cannot either.
    await Comment.update({Comment.created_at: datetime.now(UTC) - timedelta(minutes=11)}).where(Comment.id == comment_id)
    await client.signin(world.phones["owner"])
    late = await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/edit", {"position": "support", "body": "再改"})
    assert late.status_code == 403 and "10 分钟内" in late.text
    assert (await Comment.select(Comment.body).first())["body"] == "改过的话"


async def test_posting_is_limited_per_account(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    for n in range(rules.COMMENT_LIMIT):
        assert (await post_comment(client, meeting_id, items[0], body=f"第{n}条")).status_code == 303
    over = await post_comment(client, meeting_id, items[0], body="第十一条，请保留")
    assert over.status_code == 429 and "请等一分钟再发" in over.text and "第十一条，请保留" in over.text
    # The limit is the account's, not the room's: a neighbour on the same network still posts.
    await client.signin(world.phones["tenant"])
    assert (await post_comment(client, meeting_id, items[0], body="邻居的意见")).status_code == 303
    # A minute later the first account may post again (the count is in the database, shared by processes).
    await Comment.update({Comment.created_at: datetime.now(UTC) - timedelta(minutes=2)}).where(
        Comment.author == world.people["owner"]
    )
    await client.signin(world.phones["owner"])
    assert (await post_comment(client, meeting_id, items[0], body="又可以了")).status_code == 303


async def test_facilitator_hides_with_a_visible_reason_and_it_is_logged(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["owner"])
    await post_comment(client, meeting_id, items[0], body="某某某是骗子，电话 13912345678")
    comment_id = (await Comment.select().first())["id"]
    # Only the facilitator may hide.
    for who in ("owner", "recorder", "grid_worker"):
        await client.signin(world.phones[who])
        assert (await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/hide", {"reason": "x"})).status_code == 403, who
    await client.signin(world.phones["facilitator"])
    empty = await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/hide", {"reason": "  "})
    assert empty.status_code == 422 and "请填写隐藏这条意见的理由" in empty.text
    response = await client.post_form(f"/m/{meeting_id}/comments/{comment_id}/hide", {"reason": "含有他人隐私信息"})
    assert response.status_code == 303
    page = await client.get(f"/m/{meeting_id}/items/{items[0]}")
    assert "已被主持人隐藏：含有他人隐私信息" in page.text and "13912345678" not in page.text
    log = await AuditLog.select().where(AuditLog.action == "comment_hidden").first()
    assert log["actor"] == world.people["facilitator"] and log["object_id"] == comment_id
    detail = json.loads(log["detail"]) if isinstance(log["detail"], str) else log["detail"]
    assert detail["reason"] == "含有他人隐私信息" and detail["author"] == world.people["owner"]
    projector = await client.get(f"/m/{meeting_id}/projector")
    assert "13912345678" not in projector.text


async def test_long_threads_are_paged(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    now = datetime.now(UTC) - timedelta(hours=1)
    await Comment.insert(*[
        Comment(meeting=meeting_id, item=items[0], author=world.people["owner"], position="support", body=f"意见{n:03d}",
                created_at=now)
        for n in range(45)
    ])
    await client.signin(world.phones["tenant"])
    page = await client.get(f"/m/{meeting_id}/items/{items[0]}")
    assert "意见044" in page.text and "意见025" in page.text and "意见024" not in page.text
    assert ">45<" in page.text  # the count of all comments
    older = await client.get(f"/m/{meeting_id}/items/{items[0]}?before=", follow_redirects=False)
    assert older.status_code in (200, 400)
    first_older = int(page.text.split("?before=")[1].split('"')[0].split("#")[0])
    more = await client.get(f"/m/{meeting_id}/items/{items[0]}?before={first_older}", headers={"HX-Request": "true"})
    assert "意见024" in more.text and "意见005" in more.text and "意见044" not in more.text
    assert f'hx-swap-oob="beforeend:#comments-{items[0]}"' in more.text


async def test_check_in_needs_a_verified_link_in_scope(client, world):
    meeting_id, _items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["unverified"])
    page = await client.get(f"/m/{meeting_id}/checkin")
    assert page.status_code == 200 and "需要居委会或网格员先核实" in page.text
    assert (await client.post_form(f"/m/{meeting_id}/checkin")).status_code == 403
    await client.signin(world.phones["outsider"])
    assert (await client.post_form(f"/m/{meeting_id}/checkin")).status_code == 404
    await client.signin(world.phones["owner"])
    page = await client.get(f"/m/{meeting_id}/checkin")
    assert "1单元 101" in page.text
    response = await client.post_form(f"/m/{meeting_id}/checkin")
    assert response.headers["location"] == f"/m/{meeting_id}?checked_in=1"
    assert "签到成功" in (await client.get(response.headers["location"])).text
    # Checking in twice changes nothing.
    await client.post_form(f"/m/{meeting_id}/checkin")
    rows = await Attendance.select()
    assert len(rows) == 1 and rows[0]["flat"] == world.flats["1-101"] and rows[0]["method"] == "qr"
    await client.signin(world.phones["tenant"])
    await client.post_form(f"/m/{meeting_id}/checkin")
    assert await Attendance.count() == 2


async def test_paper_attendance_and_counts_per_unit(client, world):
    meeting_id, _items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["owner"])
    await client.post_form(f"/m/{meeting_id}/checkin")
    await client.signin(world.phones["facilitator"])
    await client.post_form(f"/m/{meeting_id}/attendance", {"flat": str(world.flats["1-301"]), "attendee_name": "老周"})
    await client.post_form(f"/m/{meeting_id}/attendance", {"flat": str(world.flats["2-201"])})
    page = await client.get(f"/m/{meeting_id}/attendance")
    assert "纸质签到 · 老周" in page.text and "手机签到 · 赵业主" in page.text
    # 3 of 5 households; unit 1: 2 of 3, unit 2: 1 of 2.
    assert "<strong>3</strong> / 5" in page.text
    assert "2 / 3" in page.text and "1 / 2" in page.text
    # Areas in hundredths: 1-101 85.50+100 = 86.50, 1-301 88.50, 2-201 87.50.
    assert "262.50" in page.text
    # A flat outside the meeting's scope is refused.
    other_scope_id, _ = await make_meeting(world, status="in_session", scope_kind="stairwell_unit", scope_ids=[world.units[1]])
    bad = await client.post_form(f"/m/{other_scope_id}/attendance", {"flat": str(world.flats["1-101"])})
    assert bad.status_code == 422 and "不在本次会议的参会范围内" in bad.text
    await client.post_form(f"/m/{meeting_id}/attendance", {"flat": str(world.flats["1-301"]), "action": "remove"})
    assert await Attendance.count().where(Attendance.meeting == meeting_id) == 2
    # Only the facilitator takes attendance.
    await client.signin(world.phones["recorder"])
    assert (await client.post_form(f"/m/{meeting_id}/attendance", {"flat": str(world.flats["1-201"])})).status_code == 403


async def test_hands_queue_timer_and_control(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    # Nobody raises a hand before the session… (a noticed meeting)
    noticed_id, _ = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    assert (await client.post_form(f"/m/{noticed_id}/hand", {"action": "raise"})).status_code == 403
    for who in ("owner", "tenant", "unit2_owner"):
        await client.signin(world.phones[who])
        response = await client.post_form(f"/m/{meeting_id}/hand", {"action": "raise"})
        assert response.status_code == 303, who
    # A double tap changes nothing.
    await client.post_form(f"/m/{meeting_id}/hand", {"action": "raise"})
    assert await SpeakerRequest.count() == 3
    page = await client.get(f"/m/{meeting_id}")
    assert "排在第 3 位" in page.text
    requests = {r["account"]: r["id"] for r in await SpeakerRequest.select()}
    # Residents cannot run the queue.
    assert (await client.post_form(f"/m/{meeting_id}/queue/{requests[world.people['owner']]}", {"action": "call"})).status_code == 403
    await client.signin(world.phones["facilitator"])
    await client.post_form(f"/m/{meeting_id}/queue/{requests[world.people['unit2_owner']]}", {"action": "up"})
    order = [r["account"] for r in await SpeakerRequest.select().order_by(SpeakerRequest.position)]
    assert order == [world.people["owner"], world.people["unit2_owner"], world.people["tenant"]]
    await client.post_form(f"/m/{meeting_id}/queue/{requests[world.people['owner']]}", {"action": "call"})
    speaking = await SpeakerRequest.select().where(SpeakerRequest.status == "speaking").first()
    assert speaking["account"] == world.people["owner"] and speaking["timer_started_at"] is not None
    await client.post_form(f"/m/{meeting_id}/queue/{speaking['id']}", {"action": "stop"})
    assert (await SpeakerRequest.select().where(SpeakerRequest.id == speaking["id"]).first())["timer_started_at"] is None
    # Calling the next one ends the current speaker.
    await client.post_form(f"/m/{meeting_id}/queue/{requests[world.people['unit2_owner']]}", {"action": "call"})
    statuses = {r["account"]: r["status"] for r in await SpeakerRequest.select()}
    assert statuses[world.people["owner"]] == "done" and statuses[world.people["unit2_owner"]] == "speaking"
    await client.post_form(f"/m/{meeting_id}/queue/{requests[world.people['tenant']]}", {"action": "remove"})
    control = await client.get(f"/m/{meeting_id}/control")
    assert "吴业主" in control.text and "暂停计时" in control.text
    # The tenant, removed, may raise the hand again; the owner lowers nothing (no longer waiting).
    await client.signin(world.phones["tenant"])
    await client.post_form(f"/m/{meeting_id}/hand", {"action": "raise"})
    await client.post_form(f"/m/{meeting_id}/hand", {"action": "lower"})
    assert await SpeakerRequest.count().where(SpeakerRequest.status == "withdrawn") == 1


async def test_only_the_facilitator_moves_through_the_agenda(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    for who in ("owner", "recorder", "grid_worker"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{meeting_id}/control")).status_code == 403, who
        assert (await client.post_form(f"/m/{meeting_id}/current", {"next": "1"})).status_code == 403, who
        assert (await client.post_form(f"/m/{meeting_id}/items/{items[0]}/status", {"status": "decided"})).status_code == 403, who
        assert (await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})).status_code == 403, who
    await client.signin(world.phones["other_facilitator"])
    for path in (f"/m/{meeting_id}/control", f"/m/{meeting_id}/attendance", f"/m/{meeting_id}/manage",
                 f"/m/{meeting_id}/notes", f"/m/{meeting_id}/projector"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.post_form(f"/m/{meeting_id}/current", {"next": "1"})).status_code == 404
    await client.signin(world.phones["facilitator"])
    await client.post_form(f"/m/{meeting_id}/current", {"next": "1"})
    assert (await Meeting.select(Meeting.current_item).first())["current_item"] == items[0]
    assert (await AgendaItem.select(AgendaItem.status).where(AgendaItem.id == items[0]).first())["status"] == "discussing"
    fragment = await client.post(f"/m/{meeting_id}/current", data={"next": "1"}, headers=htmx(client))
    assert fragment.text.lstrip().startswith('<div id="control-items"')
    assert (await Meeting.select(Meeting.current_item).first())["current_item"] == items[1]
    last = await client.post_form(f"/m/{meeting_id}/current", {"next": "1"})
    assert last.status_code == 409 and "最后一个议题" in last.text
    await client.post_form(f"/m/{meeting_id}/items/{items[0]}/status", {"status": "decided"})
    assert (await AgendaItem.select(AgendaItem.status).where(AgendaItem.id == items[0]).first())["status"] == "decided"
    phone = await client.get(f"/m/{meeting_id}")
    assert "正在讨论" in phone.text and "楼道堆物清理" in phone.text
    # The meeting's own facilitator (not a community facilitator) runs it too.
    other_id, _ = await make_meeting(world, status="in_session", facilitator="grid_worker")
    await client.signin(world.phones["grid_worker"])
    assert (await client.post_form(f"/m/{other_id}/current", {"next": "1"})).status_code == 303


async def test_recorder_notes_one_row_per_item(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    for who in ("owner", "grid_worker"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{meeting_id}/notes")).status_code == 403, who
    await client.signin(world.phones["recorder"])
    page = await client.get(f"/m/{meeting_id}/notes")
    assert "各方意见" in page.text and "达成共识" in page.text
    data = {"positions_heard": "多数赞成", "objections": "一楼担心采光", "agreed_points": "先做方案", "open_points": "费用分摊"}
    assert (await client.post_form(f"/m/{meeting_id}/items/{items[0]}/notes", data)).status_code == 303
    await client.post_form(f"/m/{meeting_id}/items/{items[0]}/notes", {**data, "open_points": "费用分摊；施工时间"})
    rows = await ItemNote.select()
    assert len(rows) == 1 and rows[0]["open_points"] == "费用分摊；施工时间" and rows[0]["updated_by"] == world.people["recorder"]
    too_long = await client.post(f"/m/{meeting_id}/items/{items[1]}/notes", data={"objections": "长" * 20001}, headers=htmx(client))
    assert too_long.status_code == 422 and "最多 20000 个字" in too_long.text
    assert await ItemNote.count() == 1


async def test_projector_opens_with_the_key_or_for_people_who_see_the_meeting(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    key = "projector-key-for-tests-0123456789"
    anonymous = await client.get(f"/m/{meeting_id}/projector?key={key}")
    assert anonymous.status_code == 200
    html = anonymous.text
    assert f'sse-connect="/live/meeting-{meeting_id}?key={key}"' in html
    assert "<svg" in html and f"/m/{meeting_id}" in html  # QR code and short address to join
    assert "<form" not in html and "<button" not in html  # no controls on the projector
    assert 'sse-swap="vote-zh"' in html
    assert (await client.get(f"/m/{meeting_id}/projector?key=wrong")).status_code == 303  # sign in
    await client.signin(world.phones["outsider"])
    assert (await client.get(f"/m/{meeting_id}/projector?key=wrong")).status_code == 404
    await client.signin(world.phones["facilitator"])
    before = (await Meeting.select(Meeting.projector_key).first())["projector_key"]
    await client.post_form(f"/m/{meeting_id}/projector-key")
    assert (await Meeting.select(Meeting.projector_key).first())["projector_key"] != before
    await client.post_form("/signout")
    assert (await client.get(f"/m/{meeting_id}/projector?key={key}")).status_code == 303


async def test_the_projectors_clock_shows_the_communitys_time_not_the_laptops(client, world):
    """A laptop set to another zone (or a wrong clock) still shows the hall's time: the page carries the
    community's seconds since midnight, and the script counts on from when the page arrived."""
    meeting_id, _items = await make_meeting(world, status="in_session")
    with clock.frozen_at(datetime(2026, 12, 4, 23, 58, 30, tzinfo=UTC)):  # 07:58:30 in Shanghai, the next day
        html = (await client.get(f"/m/{meeting_id}/projector?key=projector-key-for-tests-0123456789")).text
    assert f'data-clock="{7 * 3600 + 58 * 60 + 30}">07:58</p>' in html


async def test_projector_shows_pinned_first_and_never_hidden_or_kept_off(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["owner"])
    for body in ("第一条意见", "第二条意见", "不上屏的意见", "要隐藏的意见"):
        await post_comment(client, meeting_id, items[0], body=body)
    ids = {r["body"]: r["id"] for r in await Comment.select()}
    await client.signin(world.phones["facilitator"])
    await client.post_form(f"/m/{meeting_id}/comments/{ids['第一条意见']}/projector", {"action": "pin"})
    await client.post_form(f"/m/{meeting_id}/comments/{ids['不上屏的意见']}/projector", {"action": "off"})
    await client.post_form(f"/m/{meeting_id}/comments/{ids['要隐藏的意见']}/hide", {"reason": "与议题无关", "from": "control"})
    html = (await client.get(f"/m/{meeting_id}/projector")).text
    assert html.index("第一条意见") < html.index("第二条意见")
    assert "不上屏的意见" not in html and "要隐藏的意见" not in html
    phone = (await client.get(f"/m/{meeting_id}/items/{items[0]}")).text
    assert "不上屏的意见" in phone  # still on phones


async def test_live_channels_are_authorised_like_the_meeting(client, world):
    from deliberation import feed

    meeting_id, _items = await make_meeting(world, status="in_session")

    class FakeRequest:
        def __init__(self, key=None, user=None):
            self.query_params = {"key": key} if key else {}
            self.state = type("State", (), {"user": user})()

    key = "projector-key-for-tests-0123456789"
    assert await feed.authorize_projector(FakeRequest(key=key), f"meeting-{meeting_id}")
    assert not await feed.authorize_projector(FakeRequest(key="nope"), f"meeting-{meeting_id}")
    assert not await feed.authorize_phones(FakeRequest(key=key), f"phones-{meeting_id}-zh")
    response = await client.get(f"/live/phones-{meeting_id}-zh")
    assert response.status_code in (303, 403)
    await client.signin(world.phones["outsider"])
    assert (await client.get(f"/live/phones-{meeting_id}-zh")).status_code in (403, 404)
    assert (await client.get(f"/live/meeting-{meeting_id}")).status_code in (403, 404)


async def test_snapshot_completes_a_reconnecting_projector(world):
    from deliberation import feed

    meeting_id, items = await make_meeting(world, status="in_session")
    await Meeting.update({Meeting.current_item: items[1]}).where(Meeting.id == meeting_id)
    events = dict(await feed.snapshot_projector(None, f"meeting-{meeting_id}"))
    assert {"now-zh", "now-en", "queue-zh", "attendance-en", "comments-zh", "vote-zh", "vote-en"} <= set(events)
    assert "楼道堆物清理" in events["now-zh"] and "正在讨论" in events["now-zh"]
    assert "Now discussing" in events["now-en"]


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_meeting_pages_are_translated(client, world, assert_translated, language):
    meeting_id, items = await make_meeting(world, status="in_session")
    await Meeting.update({Meeting.current_item: items[0]}).where(Meeting.id == meeting_id)
    await client.signin(world.phones["owner"])
    await post_comment(client, meeting_id, items[0], body="赞成")
    await client.post_form(f"/m/{meeting_id}/hand", {"action": "raise"})
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    data = DATA_NAMES | ITEM_TEXT | {"赞成"}
    for path in (f"/m/{meeting_id}", f"/m/{meeting_id}/items/{items[0]}", f"/m/{meeting_id}/checkin"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_translated(response.text, language, data=data)
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    comment_id = (await Comment.select().first())["id"]
    for path in (f"/m/{meeting_id}/control", f"/m/{meeting_id}/attendance", f"/m/{meeting_id}/notes",
                 f"/m/{meeting_id}/projector", f"/m/{meeting_id}/comments/{comment_id}", f"/m/{meeting_id}/manage"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_translated(response.text, language, data=data | {"1单元", "2单元", "101", "201", "301"})


async def test_a_reconnecting_phone_fetches_the_comments_it_missed(client, world):
    from community.accounts import CurrentUser
    from deliberation import feed

    meeting_id, items = await make_meeting(world, status="in_session")
    before = int(datetime.now(UTC).timestamp()) - 60
    await client.signin(world.phones["owner"])
    await post_comment(client, meeting_id, items[0], body="断线时发的意见")
    user = CurrentUser(world.people["owner"], "赵业主", None, world.phones["owner"], False, 0)

    class Reconnecting:
        def __init__(self, since: int):
            self.query_params = {"since": str(since)}
            self.state = type("State", (), {"user": user})()

    events = dict(await feed.snapshot_phones(Reconnecting(before), f"phones-{meeting_id}-zh"))
    assert "resync" in events and {"now", "agenda", "queue", f"hand-{world.people['owner']}"} <= set(events)
    later = dict(await feed.snapshot_phones(Reconnecting(before + 3600), f"phones-{meeting_id}-zh"))
    assert "resync" not in later
    fresh = await client.get(f"/m/{meeting_id}/items/{items[0]}/comments", headers={"HX-Request": "true"})
    assert fresh.text.lstrip().startswith(f'<div id="comment-list-{items[0]}"') and "断线时发的意见" in fresh.text
    assert (await client.get(f"/m/{meeting_id}/items/{items[0]}/comments")).status_code == 303
