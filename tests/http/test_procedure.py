"""Procedure the law requires (issue 19): notice periods, what a notice states, when a session may start, venue
clashes and calendars, minimum voting periods; in both languages, and nothing changes when refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_deliberation_world import build_world, make_meeting
from test_votes_casting import make_world as make_vote_world
from test_votes_casting import open_vote, stairwell_scope, vote_form

from community import i18n
from community.tables import Community
from deliberation.tables import Meeting, Notice, Venue
from votes.tables import Vote

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def owners_meeting(world, days: float, venue: int | None | str = "hall") -> int:
    """A draft owners' meeting `days` from now, at the test venue (or `venue`, None for no venue)."""
    meeting_id, _items = await make_meeting(world, status="draft")
    changes = {Meeting.kind: "owners", Meeting.starts_at: datetime.now(UTC) + timedelta(days=days)}
    if venue != "hall":
        changes[Meeting.venue] = venue
    await Meeting.update(changes).where(Meeting.id == meeting_id)
    return meeting_id


async def test_an_owners_meeting_noticed_two_days_ahead_with_no_place_is_refused_with_every_reason(client, world):
    meeting_id = await owners_meeting(world, days=2, venue=None)
    await client.signin(world.phones["facilitator"])
    refused = await client.post_form(f"/m/{meeting_id}/notice")
    assert refused.status_code == 409
    # The manage page, with both reasons and the date from which it could be held.
    assert "<h1>" in refused.text and 'id="problems"' in refused.text
    assert "会议通知必须写明地点" in refused.text and "此类会议须在召开前至少 15 日公告" in refused.text
    earliest = (datetime.now(SHANGHAI).date() + timedelta(days=15)).isoformat()
    assert earliest in refused.text
    assert await Notice.count() == 0 and (await Meeting.select(Meeting.status).first())["status"] == "draft"
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = await client.post_form(f"/m/{meeting_id}/notice")
    assert "The notice must give the place of the meeting" in english.text
    assert "must be noticed at least 15 days before it is held" in english.text


async def test_a_placeholder_venue_is_no_place(client, world):
    tbd = (await Venue.insert(Venue(community=world.community, name="待定")).returning(Venue.id))[0]["id"]
    meeting_id = await owners_meeting(world, days=20, venue=tbd)
    await client.signin(world.phones["facilitator"])
    refused = await client.post_form(f"/m/{meeting_id}/notice")
    assert refused.status_code == 409 and "不能是“待定”" in refused.text and "距今天只有" not in refused.text
    assert await Notice.count() == 0


async def test_a_notice_in_time_prints_its_period(client, world):
    meeting_id = await owners_meeting(world, days=16)
    await client.signin(world.phones["facilitator"])
    manage = await client.get(f"/m/{meeting_id}/manage")
    assert "此类会议须在召开前至少 15 日公告" in manage.text
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    notice = await Notice.select().output(load_json=True).first()
    assert notice["snapshot"]["notice_days"] == 15
    printed = await client.get(f"/notices/{notice['id']}")
    assert "公告期" in printed.text and "须在召开前至少 15 日公告" in printed.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    printed = await client.get(f"/notices/{notice['id']}")
    assert "Notice period" in printed.text and "At least 15 days before the meeting" in printed.text
    listed = await client.get(f"/m/{meeting_id}/notices")
    assert "At least 15 days before the meeting" in listed.text


async def test_an_item_added_too_late_to_an_owners_meeting_is_refused(client, world):
    meeting_id = await owners_meeting(world, days=16)
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    # Ten days before the meeting an added item would be noticed only ten days ahead.
    await Meeting.update({Meeting.starts_at: datetime.now(UTC) + timedelta(days=10)}).where(Meeting.id == meeting_id)
    refused = await client.post_form(f"/m/{meeting_id}/items", {"title": "临时加的议题"})
    assert refused.status_code == 409 and "请把它列入以后会议的议程" in refused.text
    assert 'value="临时加的议题"' in refused.text  # what was typed comes back
    assert await Notice.count() == 1


async def test_a_noticed_meeting_cannot_start_before_its_noticed_time(client, world):
    meeting_id, _items = await make_meeting(world, status="noticed")
    starts = datetime.now(UTC) + timedelta(hours=42)
    await Meeting.update({Meeting.starts_at: starts}).where(Meeting.id == meeting_id)
    await client.signin(world.phones["facilitator"])
    refused = await client.post_form(f"/m/{meeting_id}/start")
    assert refused.status_code == 409 and "会议通知的时间是" in refused.text and "不能更早" in refused.text
    assert (await Meeting.select(Meeting.status).first())["status"] == "noticed"
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    refused = await client.post_form(f"/m/{meeting_id}/start")
    assert "This meeting was noticed for" in refused.text and "not before" in refused.text
    # The grace is a setting: with 60 minutes, 50 minutes early is allowed.
    await client.post_form("/c/xfl/procedure", {"start_grace_minutes": "60"})
    await Meeting.update({Meeting.starts_at: datetime.now(UTC) + timedelta(minutes=50)}).where(Meeting.id == meeting_id)
    started = await client.post_form(f"/m/{meeting_id}/start")
    assert started.status_code == 303 and (await Meeting.select(Meeting.status).first())["status"] == "in_session"


async def test_procedure_settings_are_saved_checked_and_only_by_facilitators(client, world, assert_translated):
    await client.signin(world.phones["recorder"])
    assert (await client.get("/c/xfl/procedure")).status_code == 403
    assert (await client.post_form("/c/xfl/procedure", {"notice_days_bench": "3"})).status_code == 403
    await client.signin(world.phones["facilitator"])
    page = await client.get("/c/xfl/procedure")
    assert page.status_code == 200 and 'name="notice_days_owners" inputmode="numeric" maxlength="3" class="short" value="15"' in page.text
    assert 'value="7"' in page.text and "业主大会临时会议" in page.text
    assert_translated(page.text, "zh")
    bad = await client.post_form("/c/xfl/procedure", {"notice_days_bench": "100", "min_voting_days_matter_7": "x"})
    assert bad.status_code == 422 and "请填写 0 到 90 之间的整数天数" in bad.text and 'value="100"' in bad.text
    stored = (await Community.select(Community.settings).where(Community.id == world.community).output(load_json=True).first())
    assert "procedure" not in (stored["settings"] or {})
    saved = await client.post_form("/c/xfl/procedure", {"notice_days_bench": "3", "min_voting_days_matter_7": "10"})
    assert saved.status_code == 303
    stored = (await Community.select(Community.settings).where(Community.id == world.community).output(load_json=True).first())
    assert stored["settings"]["procedure"]["notice_days"]["bench"] == 3
    assert stored["settings"]["procedure"]["notice_days"]["owners"] == 15
    assert stored["settings"]["procedure"]["min_voting_days"]["matter_7"] == 10
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = await client.get("/c/xfl/procedure")
    assert_translated(page.text, "en", data={"幸福里社区"})
    # A bench consultation now needs three days' notice.
    meeting_id, _items = await make_meeting(world, status="draft")
    refused = await client.post_form(f"/m/{meeting_id}/notice")
    assert refused.status_code == 409 and "at least 3 days" in refused.text


async def test_venue_clashes_are_refused_unless_confirmed_and_the_calendar_shows_them(client, world):
    await client.signin(world.phones["facilitator"])
    hall = (await Venue.insert(Venue(community=world.community, name="议事厅")).returning(Venue.id))[0]["id"]
    day = datetime.now(UTC) + timedelta(days=20)
    form = {"kind": "bench", "title": "第一场", "scope_kind": "community", "starts_at": local(day),
            "ends_at": local(day + timedelta(hours=1)), "venue": str(hall), "speaking_limit": "3"}
    assert (await client.post_form("/c/xfl/meetings/new", form)).status_code == 303
    second = {**form, "title": "第二场", "starts_at": local(day + timedelta(minutes=30)), "ends_at": ""}
    refused = await client.post_form("/c/xfl/meetings/new", second)
    assert refused.status_code == 422 and "该场地在这一时间已安排了其他会议" in refused.text and "第一场" in refused.text
    assert 'name="confirm_clash"' in refused.text and await Meeting.count() == 1
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    refused = await client.post_form("/c/xfl/meetings/new", second)
    assert "This venue is booked for another meeting at that time" in refused.text
    # Touching ends do not clash; an explicit confirmation books the overlap.
    after = {**form, "title": "第三场", "starts_at": local(day + timedelta(hours=1)), "ends_at": ""}
    assert (await client.post_form("/c/xfl/meetings/new", after)).status_code == 303
    confirmed = await client.post_form("/c/xfl/meetings/new", {**second, "confirm_clash": "1"})
    assert confirmed.status_code == 303 and await Meeting.count() == 3
    calendar = await client.get(f"/c/xfl/venues/{hall}/calendar")
    assert calendar.status_code == 200 and "第一场" in calendar.text and "第二场" in calendar.text
    assert "At the same time as" in calendar.text
    # Editing the first meeting to another hour frees it; the calendar of another community's venue is not shown.
    other_venue = (await Venue.insert(Venue(community=world.other_community, name="别处")).returning(Venue.id))[0]["id"]
    assert (await client.get(f"/c/xfl/venues/{other_venue}/calendar")).status_code == 404
    await client.signin(world.phones["owner"])
    assert (await client.get(f"/c/xfl/venues/{hall}/calendar")).status_code == 403


@pytest.fixture
async def vote_world(make_account):
    return await make_vote_world(make_account)


async def test_a_vote_with_a_closing_time_must_leave_the_minimum_period(client, vote_world):
    await client.signin("13800000009")
    soon = local(datetime.now(UTC) + timedelta(days=2))
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(vote_world.community_id), closes_at=soon))
    vote_id = int(response.headers["location"].split("/")[2])
    refused = await client.post_form(f"/v/{vote_id}/publish")
    assert refused.status_code == 409 and 'id="problem"' in refused.text and "本次表决至少要开放 7 天" in refused.text
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "draft"
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    refused = await client.post_form(f"/v/{vote_id}/publish")
    assert "This vote must stay open at least 7 days" in refused.text
    later = local(datetime.now(UTC) + timedelta(days=7, hours=1))
    await client.post_form(f"/v/{vote_id}/edit", vote_form(scope=await stairwell_scope(vote_world.community_id), closes_at=later))
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"


async def test_a_facilitator_cannot_close_a_vote_before_the_minimum_period(client, vote_world):
    vote_id = await open_vote(client, vote_world)
    await client.signin("13800000009")
    refused = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert refused.status_code == 409 and "在此之前不能结束" in refused.text and "<h1>" in refused.text
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
    await Vote.update({Vote.opened_at: datetime.now(UTC) - timedelta(days=7, minutes=1)}).where(Vote.id == vote_id)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
    # A poll has no minimum unless the community sets one.
    poll = await open_vote(client, vote_world, kind="poll", options="甲\n乙", matter="")
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{poll}/close", {"confirm": "yes"})).status_code == 303
