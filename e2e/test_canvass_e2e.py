"""Canvassing (扫楼) in a real browser (issue 11): the demo's open vote shows the doors already knocked on, a staff
member notes one on a phone, a reminder goes out and never to a flat that has voted, and the vote's share page
opens without signing in — on a phone and on a projector."""

from __future__ import annotations

import re

from conftest import PHONE, PROJECTOR, signin
from playwright.sync_api import Browser, Page, expect

FACILITATOR = "13800000001"


def demo_vote_id(page: Page, base_url: str) -> int:
    page.goto(f"{base_url}/votes")
    # The votes demo's open vote on the first stairwell, whatever other tests of the session opened since.
    href = page.locator("a.card-link[href$='/manage']", has_text="1号楼1单元加装电梯").first.get_attribute("href")
    assert href is not None
    return int(re.search(r"/v/(\d+)/manage", href).group(1))


def no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_canvass_a_reminder_and_the_share_page(browser: Browser, base_url: str, shot):
    staff = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = staff.new_page()
    signin(page, base_url, FACILITATOR, next_path="/votes")
    vote_id = demo_vote_id(page, base_url)
    page.goto(f"{base_url}/v/{vote_id}/manage")
    page.click("text=扫楼与提醒")
    expect(page.locator("h1")).to_have_text("扫楼：谁还没有投票")
    flats = page.locator("#flats")
    expect(flats).to_contain_text("已联系")
    expect(flats).to_contain_text("已纸质投票")
    expect(page.locator("#visit-first li").first).to_be_visible()
    no_sideways_scrolling(page)
    shot(page, "canvass-tracker-phone-zh")

    # Note one door: the first flat still "not contacted" promised to vote.
    card = page.locator(".cflat", has_text="未联系").first
    unit = card.locator(".cflat-unit").inner_text()
    card.locator("summary").click()
    card.locator("select[name=status]").select_option("promised")
    card.locator("textarea[name=note]").fill("周六上午再来")
    card.locator("button[type=submit]").click()
    saved = page.locator(".cflat", has_text=unit).first
    expect(saved.locator(".cstatus")).to_have_text("答应投票")
    expect(saved).to_contain_text("已保存")
    expect(saved).to_contain_text("周六上午再来")

    # A reminder: never to a flat that voted.
    voted = set(page.locator(".cflat-voted .cflat-unit").all_inner_texts())
    assert voted
    page.locator("#reminders input[name=template][value=closing]").check()
    page.click("text=发送提醒")
    expect(page.locator("#reminders .alert-ok")).to_contain_text("提醒已发送")
    logged = set(page.locator("#reminders tbody tr > :first-child").all_inner_texts())
    assert logged and not logged & voted
    page.locator("#reminders").scroll_into_view_if_needed()
    shot(page, "canvass-reminders-phone-zh")
    page.click("text=打印今天的提醒单")
    expect(page.locator("h1")).to_have_text("提醒单")
    shot(page, "canvass-slips-phone-zh")
    page.goto(f"{base_url}/v/{vote_id}/canvass/sheet")
    expect(page.locator(".csheet-table")).to_be_visible()
    shot(page, "canvass-sheet-phone-zh")
    # On paper: A4, the stairwell unit's twelve flats on one sheet, without the page's controls.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(format="A4"))) == 1
    assert not page.locator(".csheet-controls").is_visible() and not page.locator(".site-header").is_visible()
    expect(page.locator(".csheet-box").first).to_be_visible()
    shot(page, "canvass-sheet-print-zh")
    page.emulate_media(media="screen")
    page.set_viewport_size(PHONE)

    wide = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    big = wide.new_page()
    signin(big, base_url, FACILITATOR, next_path="/votes")
    big.goto(f"{base_url}/v/{vote_id}/canvass")
    expect(big.locator("#flats")).to_contain_text("答应投票")
    shot(big, "canvass-tracker-projector-zh")

    # The share page, without signing in.
    for name, viewport in (("phone", PHONE), ("projector", PROJECTOR)):
        anonymous = browser.new_context(viewport=viewport, locale="zh-CN")
        share = anonymous.new_page()
        share.goto(f"{base_url}/v/{vote_id}/share")
        expect(share.locator("h1")).to_contain_text("加装电梯")
        expect(share.locator("body")).to_contain_text("表决方式")
        expect(share.locator(f"#participation-{vote_id}")).to_be_visible()
        assert unit not in share.content()
        if name == "phone":
            no_sideways_scrolling(share)
        shot(share, f"canvass-share-{name}-zh")
        anonymous.close()
    staff.close()
    wide.close()
