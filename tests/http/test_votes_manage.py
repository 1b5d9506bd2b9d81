"""Running a vote: the form, settings, publishing, participation for facilitator and notice board, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_votes_casting import cast_online, make_world, open_vote, stairwell_scope, vote_form

from community import accounts
from community.tables import Community
from votes import live, services
from votes.tables import Vote, VoteEntity, VoteFlat
from votes.testing import let_voting_period_run

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # a close already past, on any day

DATA = {"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区", "3-2", "3-1", "幸福里", "3"}


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def test_new_vote_form_in_both_languages(client, world, assert_translated):
    await client.signin("13800000009")
    page = await client.get("/c/test/votes/new")
    assert page.status_code == 200
    assert "改建、重建建筑物及其附属设施" in page.text and "须四分之三以上同意" in page.text
    assert_translated(page.text, "zh", data=DATA)
    client.cookies.set("yishi_lang", "en")
    page = await client.get("/c/test/votes/new")
    assert "Rebuild or alter buildings" in page.text
    assert_translated(page.text, "en", data=DATA)


async def test_matter_help_explains_the_chosen_item(client, world):
    await client.signin("13800000009")
    help_ = await client.get("/c/test/votes/matter", params={"kind": "owners", "matter": "7"}, headers={"HX-Request": "true"})
    assert help_.text.lstrip().startswith('<div id="matter-help"')
    assert "加装电梯" in help_.text and "四分之三" in help_.text
    poll = await client.get("/c/test/votes/matter", params={"kind": "poll"}, headers={"HX-Request": "true"})
    assert "不适用法定比例" in poll.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "请填写标题"),
        ({"question": ""}, "请写明要表决的问题"),
        ({"matter": ""}, "第二百七十八条的哪一项"),
        ({"kind": "poll", "options": "只有一个"}, "至少需要两个选项"),
        ({"scope": "nonsense"}, "参加表决的范围"),
        ({"scope": "flats", "flats": "3-2-101\n9-9-909"}, "9-9-909"),
        ({"closes_at": YESTERDAY}, "结束时间必须晚于现在"),
        ({"closes_at": "not a date"}, "请填写日期和时间"),
        ({"channels": ""}, "至少选择一种表决方式"),
        ({"s_proxy_limit": "abc"}, "0（不限）到 99"),
    ],
)
async def test_bad_vote_forms_keep_what_was_typed(client, world, changes, message):
    await client.signin("13800000009")
    form = vote_form(scope=await stairwell_scope(world.community_id), title="加装电梯")
    form.update(changes)
    if not form["channels"]:
        del form["channels"]
    response = await client.post_form("/c/test/votes", form)
    assert response.status_code == 422
    assert message in response.text
    if changes.get("title") != "":
        assert 'value="加装电梯"' in response.text
    assert await Vote.count() == 0


async def test_htmx_form_error_returns_the_fragment(client, world):
    await client.signin("13800000009")
    token = await client.csrf()
    response = await client.post(
        "/c/test/votes", data={"title": "", "_csrf_token": token}, headers={"HX-Request": "true", "x-csrftoken": token}
    )
    assert response.status_code == 422 and response.text.lstrip().startswith('<div id="vote-form"')


async def test_hand_picked_flats_and_editing_a_draft(client, world):
    await client.signin("13800000009")
    response = await client.post_form(
        "/c/test/votes", vote_form(scope="flats", flats="3-2-101\n3-2-202", title="两户的事")
    )
    assert response.status_code == 303
    vote_id = int(response.headers["location"].split("/")[2])
    edit = await client.get(f"/v/{vote_id}/edit")
    assert "3-2-101\n3-2-202" in edit.text
    saved = await client.post_form(f"/v/{vote_id}/edit", vote_form(scope="flats", flats="3-2-101", title="一户的事"))
    assert saved.status_code == 303
    await client.post_form(f"/v/{vote_id}/publish")
    assert await VoteFlat.count().where(VoteFlat.vote == vote_id) == 1
    assert (await Vote.select(Vote.title).where(Vote.id == vote_id).first())["title"] == "一户的事"


async def test_scheduled_vote_opens_at_its_time_with_the_roster_of_then(client, world):
    await client.signin("13800000009")
    opens = (services.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id), opens_at=opens))
    vote_id = int(response.headers["location"].split("/")[2])
    await client.post_form(f"/v/{vote_id}/publish")
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "scheduled"
    assert await VoteEntity.count() == 0  # nothing frozen yet
    await Vote.update({Vote.opens_at: services.now() - timedelta(seconds=1)}).where(Vote.id == vote_id)
    from votes import clock

    await clock.tick()  # opening on time is the clock's job; a page view never writes
    page = await client.get(f"/v/{vote_id}/manage")
    assert page.status_code == 200
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
    assert await VoteEntity.count() == 5


async def test_the_vote_clock_opens_and_closes_votes_nobody_visits(client, world):
    from votes import clock

    await client.signin("13800000009")
    opens = (services.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    closes = (services.now() + timedelta(days=10)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    form = vote_form(scope=await stairwell_scope(world.community_id), opens_at=opens, closes_at=closes)
    vote_id = int((await client.post_form("/c/test/votes", form)).headers["location"].split("/")[2])
    await client.post_form(f"/v/{vote_id}/publish")
    await client.post_form("/signout")
    status = Vote.select(Vote.status).where(Vote.id == vote_id).first

    assert await clock.tick() == [] and (await status())["status"] == "scheduled"  # not yet
    await Vote.update({Vote.opens_at: services.now() - timedelta(seconds=1)}).where(Vote.id == vote_id)
    assert await clock.tick() == [vote_id]
    assert (await status())["status"] == "open" and await VoteEntity.count() == 5
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")

    await Vote.update({Vote.closes_at: services.now() - timedelta(seconds=1)}).where(Vote.id == vote_id)
    assert await clock.tick() == [vote_id]
    closed = await Vote.select(Vote.status, Vote.result, Vote.closed_by).where(Vote.id == vote_id).first()
    assert closed["status"] == "closed" and closed["closed_by"] is None  # closed by its window, not a person
    assert "outcome" in closed["result"]
    assert await clock.tick() == []  # nothing left to do


async def test_the_vote_clock_runs_with_the_application(client, world):
    """The lifespan starts the clock; here with a short interval, and the test waits for its effect."""
    import asyncio

    from votes import clock

    vote_id = await open_vote(client, world)
    await Vote.update({Vote.closes_at: services.now() - timedelta(seconds=1)}).where(Vote.id == vote_id)
    async with clock.running(0.05):
        for _ in range(200):
            if (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "closed":
                break
            await asyncio.sleep(0.05)
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "closed"


async def test_delete_only_drafts(client, world):
    await client.signin("13800000009")
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id)))
    draft = int(response.headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{draft}/delete")).status_code == 303
    assert await Vote.count() == 0
    await client.post_form("/signout")
    opened = await open_vote(client, world)
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{opened}/delete")).status_code == 409


async def test_manage_page_shows_participation_breakdown_and_who_has_not_voted(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")
    await client.post_form("/signout")
    await client.signin("13800000009")
    page = await client.get(f"/v/{vote_id}/manage")
    assert page.status_code == 200
    # 1 of 5 entities, 170.00 of 530.00 m²: still needs 3 owners and 183.34 m² (2/3 of 530 = 353.33…).
    assert "还差 3 名业主、183.34 平方米才达到三分之二" in page.text
    assert "尚未投票" in page.text and "王二" in page.text and "赵" in page.text
    not_voted = page.text.split('id="non-voters"', 1)[1].split("</section>", 1)[0]
    assert "王一" not in not_voted  # voted
    assert 'sse-connect="/live/vote-' in page.text
    assert_translated(page.text, "zh", data=DATA | {"王二", "李乙、李甲", "赵", "王一"})
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{vote_id}/manage")
    assert "Needs 3 more owners and 183.34 m² to reach two thirds." in page.text
    assert_translated(page.text, "en", data=DATA | {"王二", "李乙、李甲", "赵", "王一"})


async def test_board_is_public_and_hides_choices_unless_live(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "oppose")
    await client.post_form("/signout")
    board = await client.get(f"/v/{vote_id}/board")
    assert board.status_code == 200 and "1</strong> / 5" in board.text
    assert "反对" not in board.text.split('id="participation-', 1)[1].split("</div>\n</div>", 1)[0]
    assert_translated(board.text, "zh", data=DATA)
    live_vote = await open_vote(client, world, s_show_live="1", title="公开计数")
    await client.signin("13900000101")
    await cast_online(client, live_vote, "3-2-101", "oppose")
    await client.post_form("/signout")
    board = await client.get(f"/v/{live_vote}/board")
    assert "反对" in board.text


async def test_secret_by_default_staff_still_see_who_has_not_voted(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    page = await client.get(f"/v/{vote_id}/manage")
    assert 'id="non-voters"' in page.text and "无记名投票" in page.text
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{vote_id}/manage")
    assert "Secret ballot: nobody sees how a flat voted" in page.text


async def test_another_communitys_facilitator_gets_nothing(client, world, make_account):
    vote_id = await open_vote(client, world)
    rows = await Community.insert(Community(slug="other", name="别的社区")).returning(Community.id)
    stranger = await make_account(phone="13700000001")
    await accounts.grant_role(stranger, rows[0]["id"], "facilitator")
    await client.signin("13700000001")
    for path in (f"/v/{vote_id}/manage", f"/v/{vote_id}/edit", f"/v/{vote_id}/proxies", f"/v/{vote_id}/paper", "/c/test/votes/new", "/c/test/votes/settings"):
        assert (await client.get(path)).status_code == 403, path
    for path in (f"/v/{vote_id}/close", f"/v/{vote_id}/publish", f"/v/{vote_id}/delete", f"/v/{vote_id}/deliveries"):
        assert (await client.post_form(path, {"stairwell": "3-2"})).status_code == 403, path
    assert (await Vote.select(Vote.status).first())["status"] == "open"


async def test_drafts_are_hidden_from_the_public(client, world):
    await client.signin("13800000009")
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id)))
    draft = int(response.headers["location"].split("/")[2])
    await client.post_form("/signout")
    assert (await client.get(f"/v/{draft}")).status_code == 404
    assert (await client.get(f"/v/{draft}/board")).status_code == 404
    listing = await client.get("/c/test/votes")
    assert "3号楼2单元加装电梯" not in listing.text


async def test_community_default_settings_apply_to_new_votes(client, world, assert_translated):
    await client.signin("13800000009")
    page = await client.get("/c/test/votes/settings")
    assert_translated(page.text, "zh", data=DATA)
    bad = await client.post_form("/c/test/votes/settings", {"spoiled_ballots": "exclude", "proxy_limit": "-1"})
    assert bad.status_code == 422 and "0（不限）到 99" in bad.text
    saved = await client.post_form(
        "/c/test/votes/settings",
        {"spoiled_ballots": "exclude", "silent_majority": "0", "allow_change": "1", "proxy_limit": "5",
         "show_live": "0", "disclosure": "open", "conflict": "spoil", "parking": "exclude"},
    )
    assert saved.status_code == 303
    await client.post_form("/signout")
    vote_id = await open_vote(client, world, s_proxy_limit="2")
    stored = await Vote.select(Vote.settings).where(Vote.id == vote_id).output(load_json=True).first()
    assert stored["settings"] == {
        "spoiled_ballots": "exclude", "silent_majority": False, "allow_change": True, "proxy_limit": 2,
        "show_live": False, "disclosure": "open", "conflict": "spoil", "parking": "exclude", "poll_audience": "residents",
    }
    page = await client.get(f"/v/{vote_id}")
    assert "无法辨认的选票不计入参与表决" in page.text and "最多接受 2 份委托" in page.text


async def test_lists_of_votes(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    mine = await client.get("/votes")
    assert f'href="/v/{vote_id}"' in mine.text
    assert_translated(mine.text, "zh", data=DATA)
    listing = await client.get("/c/test/votes")
    assert "3号楼2单元加装电梯" in listing.text and "投票中" in listing.text
    # Both lists lead on to the community's elevator and renovation projects.
    assert 'href="/c/test/projects"' in mine.text and 'href="/c/test/projects"' in listing.text
    assert (await client.get("/c/test/projects")).status_code == 200
    await client.post_form("/signout")
    assert 'href="/c/test/projects"' not in (await client.get("/c/test/votes")).text  # sign-in needed there
    await client.signin("13800000009")
    mine = await client.get("/votes")
    assert f'href="/v/{vote_id}/manage"' in mine.text


async def test_live_channel_is_public_for_published_votes(client, world):
    vote_id = await open_vote(client, world)
    assert await live._authorize(None, f"vote-{vote_id}")  # type: ignore[arg-type]
    assert not await live._authorize(None, "vote-999999")  # type: ignore[arg-type]
    assert not await live._authorize(None, "vote-abc")  # type: ignore[arg-type]
    html = await live.render_participation(vote_id, "en")
    assert html.startswith(f'<div id="participation-{vote_id}"') and "Voting entities that took part" in html


async def test_projector_panel_shows_votes_of_the_meetings_agenda(client, world):
    from deliberation.panels import projector_panels
    from deliberation.tables import AgendaItem, Meeting

    meeting = await Meeting.insert(Meeting(community=world.community_id, kind="owners", title="业主大会")).returning(Meeting.id)
    item = await AgendaItem.insert(AgendaItem(meeting=meeting[0]["id"], title="加装电梯")).returning(AgendaItem.id)
    vote_id = await open_vote(client, world, agenda_item=str(item[0]["id"]))
    assert (await Vote.select(Vote.agenda_item).where(Vote.id == vote_id).first())["agenda_item"] == item[0]["id"]
    panels = await projector_panels(meeting[0]["id"])
    assert any(f'id="vote-panel-{vote_id}"' in panel for panel in panels)
    assert await projector_panels(meeting[0]["id"] + 1) == [] or all("vote-panel" not in p for p in await projector_panels(meeting[0]["id"] + 1))


async def test_demo_votes_load_once_and_tolerate_an_empty_roster(client):
    from app.demo import load_demo
    from votes.demo import load_votes_demo

    rows = await Community.insert(Community(slug="empty", name="空社区")).returning(Community.id)
    await load_votes_demo(rows[0]["id"])
    assert await Vote.count() == 0
    await load_demo()
    first = await Vote.select(Vote.id, Vote.title).order_by(Vote.id)
    await load_demo()
    assert await Vote.select(Vote.id, Vote.title).order_by(Vote.id) == first  # loading again changes nothing
    if first:  # the demo roster exists: the first stairwell unit has an open elevator vote with some ballots
        mine = await Vote.select(Vote.status, Vote.kind, Vote.matter, Vote.title).where(Vote.id == first[0]["id"]).first()
        assert mine["status"] == "open" and mine["matter"] == 7 and mine["title"].endswith("加装电梯")
        from votes.tables import Ballot

        assert 0 < await Ballot.count().where(Ballot.vote == first[0]["id"]) < await VoteEntity.count().where(
            VoteEntity.vote == first[0]["id"]
        )


async def test_the_meeting_leads_from_an_item_to_its_vote_and_then_to_the_result(client, world):
    """At an owners' meeting the phones' "now" box, the item page and the control page link to the vote."""
    from deliberation.tables import AgendaItem, Meeting

    rows = await Meeting.insert(
        Meeting(community=world.community_id, kind="owners", title="业主大会", status="in_session", scope_kind="community",
                projector_key="projector-key-for-tests-0123456789", speaking_limit=120)  # fmt: skip
    ).returning(Meeting.id)
    meeting_id = int(rows[0]["id"])
    item_id = int((await AgendaItem.insert(AgendaItem(meeting=meeting_id, title="加装电梯")).returning(AgendaItem.id))[0]["id"])
    await Meeting.update({Meeting.current_item: item_id}).where(Meeting.id == meeting_id)
    vote_id = await open_vote(client, world, agenda_item=str(item_id))

    from deliberation import feed

    # What the phones are sent live when the vote opens (deliberation.feed.on_vote_opened_or_closed announces "now").
    sent = dict(feed.phone_events(await feed.gather(meeting_id, ("now",)), ("now",), "en"))
    assert f'href="/v/{vote_id}"' in sent["now"] and "Vote on this item" in sent["now"]

    await client.signin("13900000101")  # an owner in the room
    now = (await client.get(f"/m/{meeting_id}")).text
    assert f'href="/v/{vote_id}"' in now and "对本议题投票" in now
    item = (await client.get(f"/m/{meeting_id}/items/{item_id}")).text
    assert f'href="/v/{vote_id}"' in item and f"/v/{vote_id}/manage" not in item  # residents do not manage it
    await client.post_form("/signout")

    await client.signin("13800000009")
    assert f'href="/v/{vote_id}/manage"' in (await client.get(f"/m/{meeting_id}/items/{item_id}")).text
    control = (await client.get(f"/m/{meeting_id}/control")).text
    assert f'href="/v/{vote_id}/manage"' in control and "管理表决" in control
    await let_voting_period_run(vote_id)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code in (200, 303)
    await client.post_form("/signout")

    await client.signin("13900000101")
    now = (await client.get(f"/m/{meeting_id}")).text
    assert f'href="/v/{vote_id}/result"' in now and "查看表决结果" in now and "对本议题投票" not in now


async def test_a_failing_close_subscriber_does_not_keep_the_others_from_running(monkeypatch):
    from community import events
    from votes.events import VoteClosed

    seen: list[int] = []

    async def broken(event: VoteClosed) -> None:
        raise RuntimeError("the project's notice could not start")

    async def recorded(event: VoteClosed) -> None:
        seen.append(event.vote_id)

    monkeypatch.setattr(events, "_subscribers", {VoteClosed: [broken, recorded]})
    await events.publish(VoteClosed(7))
    assert seen == [7]


async def test_a_drafts_public_pages_answer_staff_without_an_error(client, world):
    await client.signin("13800000009")
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id)))
    vote_id = int(response.headers["location"].split("/")[2])
    for who in ("13800000009", "13800000008"):  # facilitator, recorder
        await client.signin(who)
        board = await client.get(f"/v/{vote_id}/board")
        assert board.status_code == 200 and "草稿" in board.text, who
        for path in (f"/v/{vote_id}", f"/v/{vote_id}/participation", f"/v/{vote_id}/receipt",
                     f"/v/{vote_id}/manage", f"/v/{vote_id}/result", f"/v/{vote_id}/record.json"):  # fmt: skip
            assert (await client.get(path)).status_code < 500, (who, path)
    await client.post_form("/signout")
    assert (await client.get(f"/v/{vote_id}/board")).status_code == 404
