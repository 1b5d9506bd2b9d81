"""Meeting notices are publications: chained like minutes, public and printable at /notices/{id}, audited."""

from __future__ import annotations

import pytest
from test_deliberation_world import DATA_NAMES, NAMES, build_world, make_meeting

from community import i18n
from community.canonical import GENESIS, fingerprint
from deliberation.minutes import audit
from deliberation.minutes.tables import Publication
from deliberation.tables import MeetingGuest, Notice


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def noticed_meeting(client, world) -> int:
    """A draft meeting with two items and a guest, noticed through the form; then a supplementary notice."""
    meeting_id, _items = await make_meeting(world, status="draft")
    await MeetingGuest.insert(MeetingGuest(meeting=meeting_id, name="陈工程师", role="expert", organisation="电梯公司"))
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    await client.post_form(f"/m/{meeting_id}/items", {"title": "临时增加：车棚照明", "description": "**晚上**太暗。"})
    await client.post_form("/signout")
    return meeting_id


async def test_each_notice_is_the_next_link_of_the_communitys_chain(client, world):
    meeting_id = await noticed_meeting(client, world)
    notices = await Notice.select(Notice.id, Notice.number).where(Notice.meeting == meeting_id).order_by(Notice.number)
    rows = await Publication.select().where(Publication.community == world.community).order_by(Publication.seq)
    assert [(r["seq"], r["kind"], r["notice"]) for r in rows] == [
        (1, "meeting_notice", notices[0]["id"]),
        (2, "meeting_notice", notices[1]["id"]),
    ]
    assert rows[0]["previous"] == GENESIS and rows[1]["previous"] == rows[0]["sha256"]
    assert rows[1]["title"] == "三号楼板凳会" and "临时增加：车棚照明" in rows[1]["summary"]
    report = await audit.verify("xfl")
    assert report.intact and report.publications == 2


async def test_the_printable_notice_is_public_and_names_nobody(client, world):
    meeting_id = await noticed_meeting(client, world)
    second = (await Notice.select(Notice.id).where((Notice.meeting == meeting_id) & (Notice.number == 2)).first())["id"]
    sha = (await Publication.select(Publication.sha256).where(Publication.notice == second).first())["sha256"]
    page = await client.get(f"/notices/{second}")  # nobody signed in
    assert page.status_code == 200
    html = page.text
    assert "三号楼板凳会" in html and "第 1 号补充通知" in html
    assert "临时增加：车棚照明" in html and "<strong>晚上</strong>" in html  # the agenda with its Markdown
    assert fingerprint(sha) in html and sha in html and 'class="qr"' in html
    assert f"http://testserver.local/notices/{second}" in html  # the QR code's and the printout's address
    assert "专家" in html and "电梯公司" in html and "陈工程师" not in html  # guests by role, never by name
    assert NAMES["facilitator"] not in html and NAMES["recorder"] not in html
    assert '<meta property="og:title" content="三号楼板凳会' in html
    css = await client.get(f"/notices/{second}/print.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert fingerprint(sha) in css.text and "幸福里社区" in css.text
    assert (await client.get("/notices/999999")).status_code == 404
    assert (await client.get("/notices/999999/print.css")).status_code == 404


async def test_the_board_and_the_meeting_lead_to_the_printable_notice(client, world):
    meeting_id = await noticed_meeting(client, world)
    second = (await Notice.select(Notice.id).where((Notice.meeting == meeting_id) & (Notice.number == 2)).first())["id"]
    sha = (await Publication.select(Publication.sha256).where(Publication.notice == second).first())["sha256"]
    board = (await client.get("/c/xfl")).text
    assert f'href="/notices/{second}"' in board and fingerprint(sha) in board
    feed = (await client.get("/c/xfl/feed.atom")).text
    assert f"/notices/{second}" in feed and feed.count("三号楼板凳会") == 2  # one entry per notice, not two
    await client.signin(world.phones["facilitator"])
    staff = (await client.get(f"/m/{meeting_id}/notices")).text
    assert f'href="/notices/{second}"' in staff and fingerprint(sha) in staff


async def test_a_changed_notice_text_is_named_by_the_audit(client, world):
    meeting_id = await noticed_meeting(client, world)
    first = (await Notice.select(Notice.id).where((Notice.meeting == meeting_id) & (Notice.number == 1)).first())["id"]
    row = await Publication.select(Publication.content).where(Publication.notice == first).first()
    await Publication.update({Publication.content: row["content"].replace("加装电梯方案", "拆除电梯方案")}).where(
        Publication.notice == first
    )
    report = await audit.verify("xfl")
    assert not report.intact
    assert any(f"publication 1 (/notices/{first})" in line and "SHA-256" in line for line in report.findings)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_printable_notice_is_translated(client, world, assert_translated, language):
    meeting_id = await noticed_meeting(client, world)
    first = (await Notice.select(Notice.id).where(Notice.meeting == meeting_id).first())["id"]
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    page = await client.get(f"/notices/{first}")
    assert_translated(
        page.text, language, data=DATA_NAMES | {"三号楼板凳会", "加装电梯方案", "楼道堆物清理", "电梯公司", "的说明", "yishi audit verify"}
    )
    if language == "en":
        assert "Notice of meeting" in page.text and "Fingerprint" in page.text
