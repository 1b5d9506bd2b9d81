"""The meeting room in real browsers (issue 19): a neighbour's comment reaches a phone reading the item without a
reload; a hide reason being typed on the control page survives new comments; closing the meeting is asked
first; the projector shows Markdown, whole comments only, and the QR code's own address beside it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import PHONE, PROJECTOR, Server, signin
from playwright.sync_api import Browser, Page, expect
from test_deliberation_e2e import LAPTOP, LIVE, REFETCH, new_page, setup_meeting, wait_live

EDIT = "修改"


def comment(page: Page, base_url: str, meeting_id: int, body: str, position: str = "提问") -> None:
    """Post a comment on the meeting's first item from a phone (with htmx, as a phone does)."""
    page.goto(f"{base_url}/m/{meeting_id}")
    page.locator("#agenda a").first.click()
    page.locator("label.position-choice", has_text=position).click()
    page.fill("textarea[name=body]", body)
    page.get_by_role("button", name="发表意见").click()
    expect(page.locator(".comments .comment-body", has_text=body)).to_have_count(1)


def test_a_neighbours_comment_appears_on_a_phone_reading_the_item(browser: Browser, server: Server, base_url: str, shot):
    meeting = setup_meeting(server, "邻居的意见 live11", scope="community")
    mid = meeting["id"]
    readers = {}
    for login, locale in (("13900000001", "zh-CN"), ("13900000003", "en")):  # an owner; a tenant reading in English
        reader = new_page(browser, PHONE, locale=locale)
        signin(reader, base_url, login, next_path=f"/m/{mid}")
        reader.locator("#agenda a").first.click()
        wait_live(reader)
        reader.evaluate("window.__sameDocument = true")
        readers[locale] = reader
    writer = new_page(browser, PHONE)
    signin(writer, base_url, "13900000002", next_path=f"/m/{mid}")
    comment(writer, base_url, mid, "一楼的采光怎么保证？")
    for reader in readers.values():
        # Polled: it arrives through the live feed, no reload.
        expect(reader.locator(".comments .comment-body").first).to_have_text("一楼的采光怎么保证？", timeout=LIVE)
        expect(reader.locator(".thread h2 .count")).to_have_text("1", timeout=LIVE)
        assert reader.evaluate("window.__sameDocument") is True
    expect(readers["en"].locator(".comments .comment").first).to_contain_text("Question")
    # The author's page had it twice (its own answer and the live feed): it shows once, with its edit link.
    own = writer.locator(".comments .comment", has_text="一楼的采光怎么保证？")
    expect(own).to_have_count(1)
    expect(own.locator("a.action", has_text=EDIT)).to_have_count(1)
    # A second one goes on top; the first stays once.
    comment(writer, base_url, mid, "北侧井道会挡住二楼的窗户吗？")
    reader = readers["zh-CN"]
    expect(reader.locator(".comments .comment-body").first).to_have_text("北侧井道会挡住二楼的窗户吗？", timeout=LIVE)
    expect(reader.locator(".comments .comment-body")).to_have_count(2)
    shot(reader, "deliberation-item-live-phone-zh")
    shot(readers["en"], "deliberation-item-live-phone-en")
    for page in (*readers.values(), writer):
        page.context.close()


def test_a_reply_being_written_survives_a_live_update_of_its_comment(browser: Browser, server: Server, base_url: str, shot):
    meeting = setup_meeting(server, "回复不丢 live15", scope="community")
    mid = meeting["id"]
    writer = new_page(browser, PHONE)
    signin(writer, base_url, "13900000002", next_path=f"/m/{mid}")
    comment(writer, base_url, mid, "电梯井能不能往东移一米？")
    pages = {}
    for login, locale in (("13900000001", "zh-CN"), ("13900000003", "en")):
        page = new_page(browser, PHONE, locale=locale)
        signin(page, base_url, login, next_path=f"/m/{mid}")
        page.locator("#agenda a").first.click()
        wait_live(page)
        pages[locale] = page
    reader, watcher = pages["zh-CN"], pages["en"]
    target = reader.locator(".comments .comment", has_text="电梯井能不能往东移一米？")
    target.locator("a.action", has_text="回复").click()
    reply = reader.locator("form.reply-form textarea[name=body]")
    reply.press_sequentially("往东移会挡住")  # half written
    control = new_page(browser, LAPTOP)
    signin(control, base_url, "13800000001", next_path=f"/m/{mid}/control")
    control.locator("#control-comments .moderation", has_text="电梯井").get_by_role("button", name="置顶").click()
    # The same live update reached the other phone: the comment is pinned there ...
    expect(watcher.locator(".comments .comment", has_text="电梯井").locator(".tag")).to_have_text("Pinned", timeout=LIVE)
    # ... and on the phone writing a reply under it, the reply is still there, still being written.
    expect(reply).to_have_value("往东移会挡住")
    reply.press_sequentially("一楼的窗户。")
    reader.get_by_role("button", name="发表回复").click()
    expect(reader.locator(".replies .comment-body")).to_have_text("往东移会挡住一楼的窗户。")
    expect(watcher.locator(".replies .comment-body")).to_have_text("往东移会挡住一楼的窗户。", timeout=LIVE)
    for page in (writer, reader, watcher, control):
        page.context.close()


def test_a_hide_reason_being_typed_survives_new_comments(browser: Browser, server: Server, base_url: str, shot):
    meeting = setup_meeting(server, "隐藏理由 live12", scope="community")
    mid = meeting["id"]
    control = new_page(browser, LAPTOP)
    signin(control, base_url, "13800000001", next_path=f"/m/{mid}/control")
    wait_live(control)
    phone = new_page(browser, PHONE)
    signin(phone, base_url, "13900000002", next_path=f"/m/{mid}")
    comment(phone, base_url, mid, "三楼的电话是 139 1234 5678，有事找他。", position="建议")
    first = control.locator("#control-comments .moderation", has_text="139 1234 5678")
    expect(first).to_have_count(1, timeout=REFETCH)
    reason = first.locator("input[name=reason]")
    reason.click()
    reason.press_sequentially("含有个人电话")  # half typed: the facilitator is still writing
    # A neighbour comments meanwhile: the region fetches itself again.
    comment(phone, base_url, mid, "同意加装电梯。", position="赞成")
    expect(control.locator("#control-comments .moderation").first).to_contain_text("同意加装电梯", timeout=REFETCH)
    expect(reason).to_have_value("含有个人电话")
    expect(reason).to_be_focused()
    reason.press_sequentially("号码")
    first.get_by_role("button", name="隐藏").click()
    expect(control.locator("#control-comments .is-hidden")).to_contain_text("含有个人电话号码")
    expect(phone.locator(".comments")).not_to_contain_text("139 1234 5678", timeout=LIVE)
    shot(control, "deliberation-control-hidden-laptop-zh")
    for page in (control, phone):
        page.context.close()


COUNT_REFETCHES = """() => {
  window.__refetched = 0;
  document.addEventListener('htmx:beforeSwap', (event) => {
    if (event.detail.elt.id === 'control-items') { window.__refetched += 1; }
  });
}"""


def test_a_status_being_chosen_survives_a_live_update(browser: Browser, server: Server, base_url: str):
    meeting = setup_meeting(server, "状态不丢 live16")
    mid = meeting["id"]
    first = new_page(browser, LAPTOP)
    signin(first, base_url, "13800000001", next_path=f"/m/{mid}/control")
    first.get_by_role("button", name="开始会议").click()
    expect(first.get_by_role("button", name="开始第一个议题")).to_be_visible()
    wait_live(first)
    # The same facilitator on a second laptop moves the agenda on; the first laptop follows live.
    other = new_page(browser, LAPTOP)
    signin(other, base_url, "13800000001", next_path=f"/m/{mid}/control")
    wait_live(other)
    other.get_by_role("button", name="开始第一个议题").click()
    expect(first.locator("#control-items .control-item.current")).to_contain_text(meeting["items"][0], timeout=REFETCH)
    status = first.locator("#control-items select[name=status]").nth(2)
    status.select_option("deferred")  # chosen on the first laptop, not yet set
    first.evaluate(COUNT_REFETCHES)
    other.goto(f"{base_url}/m/{mid}/control")
    other.locator("#control-items .control-item").nth(1).get_by_role("button", name="现在讨论").click()
    # The live event reached the first laptop and its region fetched itself again (polled) ...
    deadline = time.monotonic() + REFETCH / 1000
    while not first.evaluate("window.__refetched"):
        assert time.monotonic() < deadline, "the control page was not told"
        first.wait_for_timeout(50)
    # ... but waited: the choice is still there to be set.
    expect(status).to_have_value("deferred")
    first.locator("#control-items .control-item").nth(2).get_by_role("button", name="设定").click()
    expect(first.locator("#control-items .control-item").nth(2)).to_contain_text("暂缓")
    # Once nothing is being chosen, the region follows the live feed again.
    expect(first.locator("#control-items .control-item.current")).to_contain_text(meeting["items"][1], timeout=REFETCH)
    first.context.close()
    other.context.close()


def test_the_projectors_clock_ticks_in_the_communitys_time_on_a_laptop_set_elsewhere(browser: Browser, server: Server, base_url: str):
    meeting = setup_meeting(server, "投影时钟 live14")
    context = browser.new_context(viewport=PROJECTOR, timezone_id="America/Los_Angeles")
    projector = context.new_page()
    projector.goto(f"{base_url}/m/{meeting['id']}/projector?key={meeting['key']}")
    expect(projector.locator("[data-clock][data-seen]")).to_have_count(1, timeout=LIVE)  # the script has ticked
    shown = projector.locator("[data-clock]").inner_text()
    hall = [datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=m) for m in (-1, 0, 1)]
    assert shown in {t.strftime("%H:%M") for t in hall}, shown
    context.close()


def test_closing_the_meeting_is_asked_first(browser: Browser, server: Server, base_url: str, shot):
    meeting = setup_meeting(server, "结束确认 live13")
    mid = meeting["id"]
    projector = new_page(browser, PROJECTOR)
    projector.goto(f"{base_url}/m/{mid}/projector?key={meeting['key']}")
    wait_live(projector)
    control = new_page(browser, PHONE)
    signin(control, base_url, "13800000001", next_path=f"/m/{mid}/control")
    control.get_by_role("button", name="开始会议").click()
    expect(projector.locator(".p-item-title")).to_have_text("欢迎参会，会议马上开始。", timeout=LIVE)
    control.get_by_role("link", name="结束会议…").click()
    control.wait_for_url(f"{base_url}/m/{mid}/close")
    expect(control.locator("h1")).to_have_text("结束会议吗？")
    assert control.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(control, "deliberation-close-confirm-phone-zh")
    control.get_by_role("link", name="不结束，返回主持页").click()
    control.wait_for_url(f"{base_url}/m/{mid}/control")
    expect(projector.locator(".p-label")).not_to_contain_text("已结束")
    control.get_by_role("link", name="结束会议…").click()
    control.get_by_role("button", name="确认结束会议").click()
    control.wait_for_url(f"{base_url}/m/{mid}/manage")
    expect(projector.locator(".p-item-title")).to_contain_text("会议已经结束", timeout=LIVE)
    english = new_page(browser, PROJECTOR, locale="en")
    signin(english, base_url, "13800000001", next_path=f"/m/{mid}/manage")
    assert english.get_by_role("link", name="Close the meeting…").count() == 0  # closed: nothing to close
    for page in (projector, control, english):
        page.context.close()


LONG = [
    "施工期间噪声怎么控制？晚上和周末能不能不施工？楼里有刚出生的孩子，也有上夜班的住户，希望施工单位提前公布时间表。",
    "费用分摊比例希望再公示一次，尤其是二楼和三楼的系数。二楼的住户其实很少会用电梯，系数是不是偏高了？",
    "一楼采光会不会受影响？请设计单位说明北侧井道的遮挡范围，以及施工期间楼道的通行安排和消防通道。",
    "建议把电梯井放在北侧，这样不挡南面的阳台，也方便以后维护。",
    "电梯以后的电费和维保费用怎么分摊？希望在表决前就写清楚。",
    "同意加装电梯，希望明年春节前完工，老人上下楼实在太辛苦了。",
    "施工队的资质和保险请在公告栏公示。",
]


# The comments' section clips what overflows it (overflow: hidden): a comment is seen whole, or not at all.
CUT_COMMENTS = """() => {
  const box = document.querySelector('.p-comments').getBoundingClientRect();
  const found = {shown: 0, cut: []};
  for (const item of document.querySelectorAll('.p-comment')) {
    const r = item.getBoundingClientRect();
    const inside = r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5;
    const outside = r.top >= box.bottom || r.left >= box.right;
    if (inside) { found.shown += 1; } else if (!outside) { found.cut.push([r.top, r.bottom, box.bottom]); }
  }
  return found;
}"""


def test_the_projector_shows_markdown_whole_comments_and_its_own_address(
    browser: Browser, server: Server, base_url: str, shot
):
    meeting = setup_meeting(server, "投影检查 live14", scope="community")
    mid = meeting["id"]
    control = new_page(browser, LAPTOP)
    signin(control, base_url, "13800000001", next_path=f"/m/{mid}/control")
    control.get_by_role("button", name="开始会议").click()
    control.get_by_role("button", name="开始第一个议题").click()
    phones = []
    for login in ("13900000002", "13900000003"):  # two neighbours: one person's comments are rate-limited
        phones.append(new_page(browser, PHONE))
        signin(phones[-1], base_url, login, next_path=f"/m/{mid}")
    for number, body in enumerate(LONG):
        comment(phones[number % 2], base_url, mid, body)
    for size, language in ((PROJECTOR, "zh-CN"), ({"width": 1280, "height": 720}, "en")):
        projector = new_page(browser, size, locale=language)
        projector.goto(f"{base_url}/m/{mid}/projector?key={meeting['key']}")
        # The item's description as written: bold and a list, no Markdown marks.
        text = projector.locator(".p-item-text")
        expect(text.locator("strong")).to_have_text("方案一")
        expect(text.locator("li")).to_have_count(2)
        assert "**" not in text.inner_text()
        # Every comment is either wholly inside the box or wholly out of view, never cut (measured at once: the
        # live feed's snapshot on connect replaces the section).
        wait_live(projector)
        rects = projector.evaluate(CUT_COMMENTS)
        assert rects["cut"] == [], f"comments cut: {rects}"
        assert 1 <= rects["shown"] < len(LONG)
        # The caption is the address in the QR code, and no part of it breaks inside.
        url = projector.locator(".p-url")
        assert url.inner_text().replace("\n", "") == f"{base_url}/m/{mid}/checkin"
        for part in url.locator("span").all():
            assert part.evaluate("e => e.getClientRects().length") == 1, part.inner_text()
        join = projector.locator(".p-join").bounding_box()
        caption = url.bounding_box()
        assert caption["x"] + caption["width"] <= join["x"] + join["width"]
        shot(projector, f"deliberation-projector-whole-{size['width']}-{'zh' if language == 'zh-CN' else 'en'}")
        projector.context.close()
    for page in (control, *phones):
        page.context.close()
