"""Printed for the stairwell's notice board: a meeting notice fits one A4 sheet and leads with when and where in
large type; published minutes print on A4 in legible type, with the proof for checkers left to the screen."""

from __future__ import annotations

import re

from conftest import Server
from playwright.sync_api import Browser
from test_accessibility_e2e import SMALLEST_TEXT


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_meeting_notice_prints_on_one_a4_sheet_leading_with_time_and_place(browser: Browser, server: Server) -> None:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{server.url}/notices/1")
    page.emulate_media(media="print")
    assert _pages(page.pdf(format="A4")) == 1
    time_and_place = page.locator(".mn-key")
    assert time_and_place.count() == 2
    # 16 pt on paper: readable from a step away; everything else at least 9 pt (12 px).
    assert float(time_and_place.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 21
    assert page.evaluate(SMALLEST_TEXT)[0] >= 12
    assert not page.locator(".mn-checkers").is_visible()  # the proof for checkers stays on the screen
    page.context.close()


def test_published_minutes_print_on_a4_in_legible_type(browser: Browser, server: Server) -> None:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{server.url}/c/demo")  # the public notice board
    link = page.locator("a[href^='/minutes/']").first.get_attribute("href") or ""
    page.goto(server.url + link)
    page.emulate_media(media="print")
    assert 1 <= _pages(page.pdf(format="A4")) <= 12
    assert page.evaluate(SMALLEST_TEXT)[0] >= 12
    page.context.close()
