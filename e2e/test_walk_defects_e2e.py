"""Defects found walking the whole story (issue 19), checked in Chromium: the join slips print eight to an A4 page
as the page says, and no button's content overflows its box on a phone in English."""

from __future__ import annotations

import math
import re

from conftest import PHONE, PROJECTOR, Server, signin
from playwright.sync_api import Browser, expect
from test_deliberation_e2e import new_page, setup_meeting

# A button's content overflows when it is wider than the box (scrollWidth) or reaches into the box's padding: a
# flex row squeezes its radio first and lets the words touch the border, which scrollWidth alone does not see.
OVERFLOWING = """() => [...document.querySelectorAll('button, .button, label.position-choice')]
  .filter(e => e.offsetParent !== null)
  .filter(e => {
    const box = e.getBoundingClientRect(), style = getComputedStyle(e);
    const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft) - 0.5;
    const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight) + 0.5;
    const range = document.createRange(); range.selectNodeContents(e);
    const content = range.getBoundingClientRect();
    const squeezed = [...e.querySelectorAll('input')].some(r => r.getBoundingClientRect().width + 0.5 < r.scrollWidth);
    return e.scrollWidth > e.clientWidth + 1 || content.left < left || content.right > right || squeezed;
  })
  .map(e => e.textContent.trim())"""


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_join_slips_print_eight_to_an_a4_page_as_the_page_says(browser: Browser, base_url: str, shot):
    page = new_page(browser, PROJECTOR)
    signin(page, base_url, "13800000001")
    page.goto(f"{base_url}/c/demo/roster/slips")
    boxes = page.locator("input[name=building]")
    expect(boxes.first).not_to_be_checked()  # nothing is chosen for the user
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.check("input[name=include_unverified]")
    page.click("form.slips-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/roster/slips/[^/]+$"))
    expect(page.locator(".slips-toolbar")).to_contain_text("每页 8 张")
    slips = page.locator("li.slip").count()
    assert slips > 16
    # Chromium prints what the page promises: the A4 page of the stylesheet, eight slips to a sheet.
    assert pdf_pages(page.pdf(prefer_css_page_size=True)) == math.ceil(slips / 8)
    shot(page, "roster-slips-projector")
    page.context.close()


def test_no_button_overflows_its_box_on_a_phone_in_english(browser: Browser, server: Server, base_url: str, shot):
    meeting = setup_meeting(server, "Overflow check en390")
    phone = new_page(browser, PHONE, locale="en")
    phone.context.add_cookies([{"name": "yishi_lang", "value": "en", "url": base_url}])
    signin(phone, base_url, "13900000001", next_path=f"/m/{meeting['id']}")
    phone.locator("#agenda a").first.click()
    expect(phone.locator("label.position-choice", has_text="Suggestion")).to_be_visible()
    assert phone.evaluate(OVERFLOWING) == []
    shot(phone, "deliberation-item-positions-phone-en")
    phone.context.close()
