"""Elevator projects in a real browser: set-up on a demo stairwell, the owner's share on the ballot, the projector
diagram filling up, and an objection lodged from a phone and resolved by the facilitator."""

from __future__ import annotations

import re

from conftest import PHONE, PROJECTOR, local_input, signin
from playwright.sync_api import Browser, Page, expect

FACILITATOR = "13800000001"
OWNER = "13900000001"  # 赵淑芬: owns 阳光花园 3-2-502 (and 1-1-301)
NEIGHBOUR = "13900000002"  # 刘志强: co-owns 阳光花园 2-1-402, next door to the demo's passed project


def english(context, base_url: str) -> None:
    context.add_cookies([{"name": "yishi_lang", "value": "en", "url": base_url}])


def no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_elevator_project_from_set_up_to_the_projector(browser: Browser, base_url: str, shot):
    facilitator = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = facilitator.new_page()
    signin(page, base_url, FACILITATOR, next_path="/c/demo/projects")
    page.click("text=新建项目")
    page.fill("#f-title", "3号楼2单元加装电梯")
    page.select_option("#f-kind", "elevator")
    page.select_option("#f-place", label="阳光花园 3-2")
    page.fill("#f-storeys", "6")
    page.fill("#f-description", "北侧加建电梯，平层入户。")
    shot(page, "projects-new-phone-zh")
    page.click("text=创建项目")

    # Budget and scheme: the Guangzhou table, ground floor 102 pays a fixed ¥500.
    expect(page.locator("h1")).to_have_text("预算与费用分摊")
    page.fill("#f-total", "580000")
    page.fill("#f-subsidy", "200000")
    page.check("input[name=scheme][value=guangzhou]")
    page.get_by_label(re.compile(r"^3-2-102")).fill("500")
    shot(page, "projects-terms-phone-zh")
    page.click("text=保存预算和方案")
    expect(page.locator("#shares")).to_contain_text("¥380,000.00")  # ¥580,000 − ¥200,000
    expect(page.locator("#shares table")).to_contain_text("3-2-601")
    project_url = page.url.split("#")[0]

    # The shaft takes part of 3-2-101's garden: its owner must consent separately (htmx, no reload).
    page.select_option("#f-m-flat", label="3-2-101")
    page.fill("#f-m-occupies", "一楼院子的一部分")
    page.click("#consents button:has-text('加入名单')")
    expect(page.locator("#consents")).to_contain_text("一楼院子的一部分")
    expect(page.locator("#pstatus")).to_contain_text("3-2-101")
    expect(page.locator("#diagram .pdiagram-svg .pd-occupied")).to_have_count(1)  # the diagram followed
    assert page.locator("#diagram").count() == 1 and page.locator("#pstatus").count() == 1
    no_sideways_scrolling(page)
    shot(page, "projects-project-facilitator-phone-zh")

    # An owners' meeting of 3-2 with an agenda item, made through the meetings pages' forms.
    token = next(c["value"] for c in facilitator.cookies() if c["name"] == "csrftoken")
    page.goto(f"{base_url}/c/demo/projects/new")
    unit_id = page.locator("#f-place option", has_text="阳光花园 3-2").get_attribute("value").split(":")[1]
    page.goto(f"{base_url}/c/demo/meetings/new")  # a notice names its place: the demo's first venue
    venue_id = page.locator("#f-venue option:not([value=''])").first.get_attribute("value")
    response = page.request.post(
        f"{base_url}/c/demo/meetings/new",
        form={"kind": "owners", "title": "3号楼2单元业主会", "scope_kind": "stairwell_unit", "scope_unit": unit_id,
              "starts_at": local_input(30, "19:00"), "ends_at": local_input(30, "21:00"), "speaking_limit": "3",
              "venue": venue_id, "confirm_clash": "1", "_csrf_token": token},
    )  # fmt: skip
    meeting_id = re.search(r"/m/(\d+)/", response.url).group(1)
    page.request.post(f"{base_url}/m/{meeting_id}/items", form={"title": "加装电梯表决", "_csrf_token": token})
    assert page.request.post(f"{base_url}/m/{meeting_id}/notice", form={"_csrf_token": token}).ok  # residents see it
    page.goto(project_url)

    # Put it to the vote, attached to that agenda item, and open the vote through the votes pages.
    page.select_option("#f-vote-agenda", label="3号楼2单元业主会 · 加装电梯表决")
    page.click("text=创建表决")
    page.wait_for_url(re.compile(r"/v/\d+/edit"))
    vote_id = re.search(r"/v/(\d+)/edit", page.url).group(1)
    page.goto(f"{base_url}/v/{vote_id}/manage")
    page.click(f"form[action='/v/{vote_id}/publish'] button")
    page.goto(project_url)
    expect(page.locator("#pstatus")).to_contain_text("业主表决中")
    expect(page.locator("#shares")).to_contain_text("不能再改")

    # The projector: the diagram of 3-2, nobody has voted yet.
    projector = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    screen = projector.new_page()
    signin(screen, base_url, FACILITATOR, next_path=project_url.replace(base_url, "") + "/screen")
    expect(screen.locator(".pdiagram-svg")).to_be_visible()
    # A projector is seen by the whole room: a secret vote shows no flat's participation on it.
    expect(screen.locator(".pdiagram-svg .pd-cell.pd-voted")).to_have_count(0)
    expect(screen.locator(".pdiagram-svg .pd-cell.pd-hidden")).to_have_count(12)
    shot(screen, "projects-screen-empty-projector-zh")

    # The meeting's own projector shows the diagram next to the vote's panel.
    room = projector.new_page()
    room.goto(f"{base_url}/m/{meeting_id}/projector")
    room_cells = room.locator(".p-vote .pdiagram-svg .pd-cell")
    expect(room_cells).to_have_count(12)
    expect(room.locator(".p-vote .pdiagram-svg .pd-cell.pd-voted")).to_have_count(0)
    # A second projector in English: live updates of the vote section reach it in English too.
    projector_en = browser.new_context(viewport=PROJECTOR, locale="en-US")
    english(projector_en, base_url)
    room_en = projector_en.new_page()
    signin(room_en, base_url, FACILITATOR, next_path=f"/m/{meeting_id}/projector")
    expect(room_en.locator(".p-vote .vfigure-label").first).to_have_text("Voting entities that took part")

    # The owner of 3-2-502 sees her share, and how it was computed, on her ballot; then votes.
    owner = browser.new_context(viewport=PHONE, locale="zh-CN")
    ballot = owner.new_page()
    # She comes from the meeting's page: its agenda item leads to the ballot.
    signin(ballot, base_url, OWNER, next_path=f"/m/{meeting_id}")
    shot(ballot, "projects-meeting-agenda-vote-phone-zh")
    ballot.locator("#agenda a.agenda-link", has_text="对本议题投票").click()
    ballot.wait_for_url(f"{base_url}/v/{vote_id}")
    share = ballot.locator(".pballot-share")
    expect(share).to_contain_text("3-2-502")
    expect(share).to_contain_text("计算过程")
    expect(share).to_contain_text("权重 = 5层系数 × 面积")
    no_sideways_scrolling(ballot)
    shot(ballot, "projects-ballot-share-phone-zh")
    ballot.click("label.vchoice-agree")
    ballot.click("form.vchoose button[type=submit]")
    ballot.click("form.vconfirm-form button[type=submit]")
    expect(ballot.locator("#receipt-code")).to_be_visible()

    # Both projectors fill up by themselves: the project screen polls, the meeting's gets the live update.
    expect(screen.locator(".pbars")).to_contain_text("1 / 12", timeout=20_000)
    expect(screen.locator(".pdiagram-svg .pd-cell.pd-voted")).to_have_count(0)  # which flat voted stays hidden
    shot(screen, "projects-screen-one-voted-projector-zh")
    expect(room.locator(".p-vote .vfigure-number").first).to_contain_text("1 /", timeout=10_000)
    expect(room.locator(".p-vote .pdiagram-svg .pd-cell.pd-voted")).to_have_count(0)
    shot(room, "projects-meeting-projector-zh")
    expect(room_en.locator(".p-vote .vfigure-number").first).to_contain_text("1 /", timeout=10_000)
    expect(room_en.locator(".p-vote .vfigure-label").first).to_have_text("Voting entities that took part")
    shot(room_en, "projects-meeting-projector-en")

    # The owner's project page shows only her own share.
    ballot.goto(project_url)
    expect(ballot.locator("#my-share")).to_contain_text("3-2-502")
    expect(ballot.locator("#shares table")).to_have_count(0)
    shot(ballot, "projects-project-owner-phone-zh")

    # The same in English, on both screens.
    english(owner, base_url)
    ballot.goto(f"{base_url}/v/{vote_id}")
    expect(ballot.locator(".pballot-share")).to_contain_text("How this was computed")
    shot(ballot, "projects-ballot-share-phone-en")
    english(projector, base_url)
    screen.reload()
    expect(screen.locator(".pbars")).to_contain_text("Taking part, by headcount")
    shot(screen, "projects-screen-one-voted-projector-en")
    screen.goto(project_url)
    shot(screen, "projects-project-facilitator-projector-en")

    # The demo's grid worker looks after buildings 1 and 2: building 3's project is not hers to see.
    grid = browser.new_context(viewport=PHONE, locale="zh-CN")
    visit = grid.new_page()
    signin(visit, base_url, "13800000003", next_path=project_url.replace(base_url, "") + "/visit")
    expect(visit.locator("main")).to_contain_text("该项目不存在")
    expect(visit.locator("main")).not_to_contain_text("3-2-101")
    # The facilitator's list of whom to visit.
    grid.clear_cookies()
    signin(visit, base_url, FACILITATOR, next_path=project_url.replace(base_url, "") + "/visit")
    expect(visit.locator("main")).to_contain_text("3-2-101")
    shot(visit, "projects-visit-phone-zh")
    for context in (facilitator, projector, projector_en, owner, grid):
        context.close()


def _passed_project(page: Page, base_url: str) -> str:
    """The demo project whose vote passed and whose public notice runs."""
    page.goto(f"{base_url}/c/demo/projects")
    page.locator(".card", has_text="已通过——公示中").first.locator("a").click()
    page.wait_for_url(re.compile(r"/p/\d+$"))
    return page.url.split("#")[0]


def test_objection_lodged_from_a_phone_and_resolved(browser: Browser, base_url: str, shot):
    neighbour = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = neighbour.new_page()
    signin(page, base_url, FACILITATOR, next_path="/c/demo/projects")
    project_url = _passed_project(page, base_url)
    page.context.clear_cookies()
    signin(page, base_url, NEIGHBOUR, next_path=project_url.replace(base_url, ""))
    expect(page.locator("#pstatus")).to_contain_text("公示至")
    form = page.locator("#objections form.form").first
    form.locator("input[name=affects][value=noise]").check()
    form.locator("textarea[name=text]").fill("施工期间请不要在早上八点前和中午施工，家里有老人午休。")
    form.locator("button[type=submit]").click()
    expect(page.locator("#objections")).to_contain_text("您的异议已登记")
    expect(page.locator("#objections")).to_contain_text("家里有老人午休")
    no_sideways_scrolling(page)
    shot(page, "projects-objection-lodged-phone-zh")

    facilitator = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    staff = facilitator.new_page()
    signin(staff, base_url, FACILITATOR, next_path=project_url.replace(base_url, ""))
    objection = staff.locator(".pobjection", has_text="家里有老人午休")
    expect(objection).to_contain_text("尚未处理")
    objection.locator("summary").click()
    objection.locator("select[name=kind]").select_option("resolved")
    objection.locator("textarea[name=note]").fill("与施工单位约定：工作日 8:30–12:00、14:00–18:00 施工，午休时间停工。")
    objection.locator("button[type=submit]").click()
    resolved = staff.locator(".pobjection", has_text="家里有老人午休")
    expect(resolved.locator(".pobjection-status")).to_have_text("已解决")
    expect(resolved).to_contain_text("午休时间停工")
    shot(staff, "projects-objection-resolved-projector-zh")

    # The resident sees the handling on the phone; the public notice lists it without names.
    page.reload()
    expect(page.locator("#objections")).to_contain_text("午休时间停工")
    notice_url = project_url + "/notice"
    public = browser.new_context(viewport=PHONE, locale="zh-CN")
    board = public.new_page()
    board.goto(notice_url)
    expect(board.locator(".pcountdown")).to_contain_text("今天之后还有")
    expect(board.locator("main")).to_contain_text("午休时间停工")
    expect(board.locator("main")).not_to_contain_text("刘志强")
    no_sideways_scrolling(board)
    shot(board, "projects-notice-phone-zh")
    english(public, base_url)
    board.reload()
    expect(board.locator("main")).to_contain_text("How to object")
    shot(board, "projects-notice-phone-en")
    wide = browser.new_context(viewport=PROJECTOR, locale="en")
    english(wide, base_url)
    wide_page = wide.new_page()
    wide_page.goto(notice_url)
    shot(wide_page, "projects-notice-projector-en")
    for context in (neighbour, facilitator, public, wide):
        context.close()
