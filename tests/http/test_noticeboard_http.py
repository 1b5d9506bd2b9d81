"""The public notice board /c/{slug} and its Atom feed: no sign-in, no names, participation only, filters, search."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

from test_minutes_world import PASSWORD, RESIDENT_NAMES, build_world

from community import i18n
from community.accounts import CurrentUser
from community.contributions import NoticeEntry
from deliberation import contributions
from deliberation.minutes import drafts, service
from deliberation.minutes.tables import Publication
from deliberation.tables import Meeting, Notice
from votes.tables import Vote

ATOM = "{http://www.w3.org/2005/Atom}"


def as_user(account_id: int) -> CurrentUser:
    return CurrentUser(account_id, "", None, None, False, 0)


async def publish(world, minutes_id: int, with_recorder: bool = True) -> None:
    facilitator = as_user(world.facilitator)
    current = (await service.draft(facilitator, minutes_id)).hash
    if with_recorder:
        await service.sign(as_user(world.recorder), minutes_id, "recorder", current)
    await service.sign(facilitator, minutes_id, "facilitator", current)
    await service.publish(facilitator, minutes_id)


async def board_world():
    """The known world plus an upcoming noticed meeting, an open vote, published minutes and a result notice."""
    world = await build_world()
    now = service.now()
    upcoming = (
        await Meeting.insert(
            Meeting(community=world.community_id, kind="bench", title="5号楼楼道板凳会", scope_kind="community",
                    starts_at=now + timedelta(days=3), status="noticed", facilitator=world.facilitator)  # fmt: skip
        ).returning(Meeting.id)
    )[0]["id"]
    await Notice.insert(
        Notice(meeting=upcoming, number=1, published_at=now - timedelta(days=12),
               snapshot={"title": "5号楼楼道板凳会", "kind": "bench", "starts_at": (now + timedelta(days=3)).isoformat(),
                         "venue": "5号楼架空层", "venue_address": "", "scope_places": [], "facilitator": "主持人甲",
                         "items": [{"position": 1, "title": "楼道堆物清理", "description": "**周六**上午集中清理。"}]})  # fmt: skip
    )
    # The consultation counts as a vote in progress: open, with its ballots so far.
    await Vote.update({Vote.status: "open", Vote.result: None, Vote.closes_at: now + timedelta(days=5)}).where(
        Vote.id == world.consultation_id
    )
    minutes_id = await drafts.start_for_meeting(as_user(world.facilitator), world.slug, world.meeting_id)
    await drafts.save_part(as_user(world.facilitator), minutes_id, "summary", "业主同意在北侧加装电梯。")
    await publish(world, minutes_id)
    notice_id = await drafts.start_notice(as_user(world.facilitator), world.slug, world.vote_id)
    await drafts.save_part(as_user(world.facilitator), notice_id, "how_to_object", "请向居委会提交**书面**意见。")
    await publish(world, notice_id, with_recorder=False)
    return world, minutes_id, notice_id


async def test_the_board_shows_meetings_votes_results_and_minutes_without_names(client, assert_translated):
    world, minutes_id, notice_id = await board_world()
    data = {"幸福里社区", "长宁街道", "5号楼楼道板凳会", "5号楼架空层", "楼道堆物清理", "周六", "上午集中清理。",
            "3号楼2单元外墙保温", "3-2", "3号楼2单元加装电梯", "3号楼2单元加装电梯业主会议", "3号楼",
            "业主同意在北侧加装电梯。", "请向居委会提交", "书面", "意见。", "阳光花园"}  # fmt: skip
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        response = await client.get(f"/c/{world.slug}")
        assert response.status_code == 200
        # No YISHI_PUBLIC_URL here: its links come from the Host header, so no shared cache may keep it.
        assert response.headers["cache-control"] == "private, no-cache"
        html = response.text
        assert 'id="meeting-' in html and "楼道堆物清理" in html and "<strong>周六</strong>" in html
        # The vote in progress shows participation (8 of 11 entities took part), never the choices.
        assert "3号楼2单元外墙保温" in html and "72.73%" in html
        assert f'href="/v/{world.consultation_id}"' in html
        assert "反对" not in html.split('id="votes"')[1].split("</section>")[0]
        assert "Oppose" not in html.split('id="votes"')[1].split("</section>")[0]
        assert f'href="/minutes/{notice_id}"' in html and "<strong>书面</strong>" in html
        assert f'href="/minutes/{minutes_id}"' in html
        assert '<meta property="og:title"' in html and 'type="application/atom+xml"' in html
        for name in (*RESIDENT_NAMES, "主持人甲", "记录员乙"):
            assert name not in html, name
        assert_translated(html, language, data=data)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "zh")
    html = (await client.get(f"/c/{world.slug}")).text
    assert "还剩 1" in html  # a countdown of 15 days and some hours
    assert "公示期内的结果" in html


async def test_minutes_are_filtered_by_building_and_year_and_searched(client):
    world, minutes_id, _notice = await board_world()
    # The year the board files the minutes under: the publication's own (in the community's time zone), not
    # today's in UTC, which differs on New Year's Eve evening.
    year = (await Publication.select(Publication.year).where(Publication.minutes == minutes_id).first())["year"]
    found = (await client.get(f"/c/{world.slug}?building=3号楼&year={year}")).text
    assert f'href="/minutes/{minutes_id}"' in found
    assert f'<option value="{year}" selected>' in found
    assert f'href="/minutes/{minutes_id}"' not in (await client.get(f"/c/{world.slug}?building=5号楼")).text
    assert f'href="/minutes/{minutes_id}"' not in (await client.get(f"/c/{world.slug}?year={year - 1}")).text
    assert f'href="/minutes/{minutes_id}"' in (await client.get(f"/c/{world.slug}?q=北侧")).text
    assert f'href="/minutes/{minutes_id}"' in (await client.get(f"/c/{world.slug}?q=采光")).text  # the recorder's notes
    assert f'href="/minutes/{minutes_id}"' not in (await client.get(f"/c/{world.slug}?q=游泳池")).text
    # Wildcards typed in the box are not wildcards; nonsense is ignored.
    assert (await client.get(f"/c/{world.slug}?q=%25%25&year=abc&page=-3")).status_code == 200
    # With htmx only the list is sent back.
    fragment = await client.get(f"/c/{world.slug}?q=北侧", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="minutes-list"')
    assert "<html" not in fragment.text


async def test_a_signed_in_visitor_gets_a_private_page_and_staff_a_way_to_the_drafts(client):
    world, _minutes, _notice = await board_world()
    await client.signin("13900000101", PASSWORD)
    response = await client.get(f"/c/{world.slug}")
    assert response.headers["cache-control"] == "private, no-store"
    assert f'href="/c/{world.slug}/minutes"' not in response.text
    client.cookies.clear()
    await client.signin("13800000103", PASSWORD)
    assert f'href="/c/{world.slug}/minutes"' in (await client.get(f"/c/{world.slug}")).text


async def test_contributed_entries_appear_with_their_countdown(client):
    world, _minutes, _notice = await board_world()

    async def source(community_id: int) -> list[NoticeEntry]:
        if community_id != world.community_id:
            return []
        now = service.now()
        return [
            NoticeEntry(kind="result", title="3号楼2单元电梯项目公示", url="/p/1", published_at=now,
                        ends_at=now + timedelta(days=2, hours=3), how_to_object="向居委会书面提出。"),  # fmt: skip
            NoticeEntry(kind="project", title="2号楼屋面维修进度", url="/p/2", published_at=now - timedelta(days=1)),
        ]

    contributions.register_notice_source("test-board", source)
    try:
        html = (await client.get(f"/c/{world.slug}")).text
        feed = (await client.get(f"/c/{world.slug}/feed.atom")).text
    finally:
        contributions._notice_sources.pop("test-board", None)
    assert "3号楼2单元电梯项目公示" in html and "还剩 2 天 " in html and "向居委会书面提出。" in html
    assert "2号楼屋面维修进度" in html
    assert "http://testserver.local/p/1" in feed


async def test_an_unknown_community_has_no_board(client):
    assert (await client.get("/c/nowhere")).status_code == 404
    assert (await client.get("/c/nowhere/feed.atom")).status_code == 404


async def test_the_atom_feed_lists_everything_published(client):
    world, minutes_id, notice_id = await board_world()
    response = await client.get(f"/c/{world.slug}/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text == f"http://testserver.local/c/{world.slug}"
    assert root.find(f"{ATOM}updated").text
    assert root.find(f"{ATOM}title").text.startswith("幸福里社区")
    entries = root.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert f"http://testserver.local/minutes/{minutes_id}" in links
    assert f"http://testserver.local/minutes/{notice_id}" in links
    assert any("#meeting-" in link for link in links)  # the meeting notices
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    for entry in entries:
        assert entry.find(f"{ATOM}title").text and entry.find(f"{ATOM}updated").text
    # Entry ids stay the same from one fetch to the next.
    again = ET.fromstring((await client.get(f"/c/{world.slug}/feed.atom")).content)
    assert [e.find(f"{ATOM}id").text for e in again.findall(f"{ATOM}entry")] == ids
    for name in RESIDENT_NAMES:
        assert name not in response.text


async def test_result_notices_need_only_the_facilitator_and_end_after_their_period(client):
    world, _minutes, notice_id = await board_world()
    publication = await Publication.select().where(Publication.minutes == notice_id).first()
    assert publication["kind"] == "notice" and publication["seq"] == 2
    ends = publication["ends_at"].astimezone(ZoneInfo("Asia/Shanghai"))
    assert (ends.hour, ends.minute) == (0, 0)
    assert 15 <= (publication["ends_at"] - publication["published_at"]).days <= 16
    page = (await client.get(f"/minutes/{notice_id}")).text
    assert "请向居委会提交" in page and "公示 15 天" in page
    await Publication.update({Publication.ends_at: service.now() - timedelta(seconds=1)}).where(Publication.minutes == notice_id)
    board = (await client.get(f"/c/{world.slug}")).text
    assert f'<a href="/minutes/{notice_id}">' not in board.split('id="results"')[1].split("</section>")[0]


async def test_the_staff_list_and_a_result_notice_are_translated(client, assert_translated):
    world, minutes_id, notice_id = await board_world()
    await client.signin("13800000101", PASSWORD)
    data = {"幸福里社区", "长宁街道", "3号楼2单元加装电梯业主会议", "3号楼2单元加装电梯", "3号楼2单元外墙保温", "请向居委会提交",
            "书面", "意见。", "3-2", "是否同意在本单元加装一部电梯？", "签名与登记不符", "yishi recount", "yishi audit verify"}  # fmt: skip
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        workspace = (await client.get(f"/c/{world.slug}/minutes")).text
        assert f'href="/minutes/{minutes_id}"' in workspace and f'href="/minutes/{notice_id}"' in workspace
        assert_translated(workspace, language, data=data)
        notice = (await client.get(f"/minutes/{notice_id}")).text
        assert_translated(notice, language, data=data)
