"""Residents' concerns in a real browser: a resident raises one on a phone with a photo, the facilitator
dispatches it from a laptop, the grid worker answers on a phone, the resident is not satisfied, it is reopened,
answered again and rated satisfied; the figures and the street page count it."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import PHONE, PROJECTOR, signin
from playwright.sync_api import Browser, Page, expect

RESIDENT = "13900000001"  # 赵淑芬: owns 阳光花园 1-1-301, in the grid worker's scope
FACILITATOR = "13800000001"
GRID_WORKER = "13800000003"  # 张建国: 阳光花园 buildings 1 and 2


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def tile(page: Page, label: str) -> tuple[str, str]:
    """(value, "n of d" line) of a figures tile."""
    item = page.locator(".cn-tile", has=page.locator(".cn-tile-label", has_text=re.compile(f"^{label}$"))).first
    sub = item.locator(".cn-tile-sub")
    return item.locator(".cn-tile-value").inner_text(), sub.inner_text() if sub.count() else ""


def counted(sub: str) -> tuple[int, int]:
    """(n, d) from a tile's "d 件中 n 件"; (0, 0) when there is nothing to count yet."""
    match = re.search(r"(\d+) 件中 (\d+) 件", sub)
    return (int(match.group(2)), int(match.group(1))) if match else (0, 0)


def street_count(page: Page) -> int:
    card = page.locator(".cn-side", has=page.locator("h3", has_text="幸福里社区"))
    return int(card.locator("dd").first.inner_text())


def test_a_concern_from_a_phone_to_a_satisfied_resident(browser: Browser, base_url: str, shot):
    laptop = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    staff = laptop.new_page()
    signin(staff, base_url, FACILITATOR, next_path="/c/demo/concerns/figures")
    received_before = int(tile(staff, "收到")[0])
    rated_before = counted(tile(staff, "满意或基本满意")[1])
    staff.goto(f"{base_url}/s/changning")
    street_before = street_count(staff)

    # The resident raises a concern from the phone: their flat is already chosen.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident = phone.new_page()
    signin(resident, base_url, RESIDENT, next_path="/c/demo/concerns")
    resident.click("text=反映诉求")
    expect(resident.locator("h1")).to_have_text("反映诉求")
    expect(resident.locator("input[name=place]").first).to_be_checked()
    resident.click("label.cn-choice:has-text('维修')")
    resident.fill("#f-text", "1号楼1单元三楼楼道灯不亮了，晚上看不清台阶。")
    resident.set_input_files("#f-photos", files=[{"name": "light.png", "mimeType": "image/png", "buffer": png()}])
    no_sideways_scrolling(resident)
    shot(resident, "concerns-new-phone-zh")
    resident.click("form.form button[type=submit]")
    resident.wait_for_url(re.compile(r"/concerns/\d+\?raised=1"))
    concern_url = resident.url.split("?")[0]
    expect(resident.locator(".alert-ok")).to_be_visible()
    expect(resident.locator("p .tag").first).to_have_text("待分办")
    expect(resident.locator(".cn-photos img")).to_have_count(1)

    # The facilitator dispatches it to the grid worker from the laptop.
    staff.goto(concern_url)
    expect(staff.locator(".cn-reporter")).to_contain_text("赵淑芬")
    staff.select_option("#f-handler", staff.locator("#f-handler option", has_text="张建国").get_attribute("value"))
    due = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)).isoformat()
    staff.fill("#f-due_on", due)
    staff.click("#dispatch button[type=submit]")
    expect(staff.locator(".cn-log")).to_contain_text("已分办")
    expect(staff.locator("p .tag").first).to_have_text("已分派")
    shot(staff, "concerns-dispatched-projector-zh")

    # The grid worker answers on a phone.
    grid_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    grid = grid_context.new_page()
    signin(grid, base_url, GRID_WORKER, next_path="/c/demo/concerns")
    grid.goto(concern_url)
    grid.fill("#f-answer_text", "已更换为感应灯，请晚上试一试。")
    grid.click("#answer button[type=submit]")
    expect(grid.locator("p .tag").first).to_have_text("已答复")

    # The resident reads the answer and is not satisfied: reopened.
    resident.goto(concern_url)
    expect(resident.locator(".cn-log")).to_contain_text("已更换为感应灯")
    resident.click("#rate label.cn-choice:has-text('不满意')")
    resident.fill("#f-comment", "二楼的灯也不亮。")
    shot(resident, "concerns-rate-phone-zh")
    resident.click("#rate button[type=submit]")
    expect(resident.locator("p .tag").first).to_have_text("重新办理")
    expect(resident.locator("#rate")).to_have_count(0)

    # Answered again, rated satisfied: closed.
    grid.goto(concern_url)
    grid.fill("#f-answer_text", "二楼的灯也已更换。")
    grid.click("#answer button[type=submit]")
    expect(grid.locator("p .tag").first).to_have_text("已答复")
    resident.goto(concern_url)
    resident.click("#rate label.cn-choice:has-text('满意') >> nth=0")
    resident.click("#rate button[type=submit]")
    expect(resident.locator("p .tag").first).to_have_text("已办结")
    expect(resident.locator(".cn-log li")).to_have_count(8)  # received … closed, as the resident sees it
    no_sideways_scrolling(resident)
    shot(resident, "concerns-closed-phone-zh")

    # The figures and the street page count it.
    staff.goto(f"{base_url}/c/demo/concerns/figures")
    assert int(tile(staff, "收到")[0]) == received_before + 1
    satisfied, rated = counted(tile(staff, "满意或基本满意")[1])
    assert (satisfied, rated) == (rated_before[0] + 1, rated_before[1] + 1)
    shot(staff, "concerns-figures-projector-zh")
    staff.goto(f"{base_url}/s/changning")
    assert street_count(staff) == street_before + 1
    shot(staff, "concerns-street-projector-zh")
    for context in (laptop, phone, grid_context):
        context.close()


def test_a_concern_sent_twice_in_a_hurry_is_filed_once(browser: Browser, server, base_url: str):
    """A double tap on "submit" on a slow phone: the page sends the form once (static/js/yishi.js)."""
    import sqlite3
    from pathlib import Path

    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident = phone.new_page()
    signin(resident, base_url, RESIDENT, next_path="/c/demo/concerns/new")
    resident.click("label.cn-choice:has-text('环境卫生')")
    text = "楼下垃圾桶的盖子坏了 e2e-twice"
    resident.fill("#f-text", text)
    # A slow connection: the answer takes a second, and the second tap comes while the page waits for it.
    phone.new_cdp_session(resident).send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 1000, "downloadThroughput": -1, "uploadThroughput": -1})
    resident.evaluate("() => { const f = document.querySelector('form.form'); f.requestSubmit(); setTimeout(() => f.requestSubmit(), 300); }")
    resident.wait_for_url(re.compile(r"/concerns/\d+\?raised=1"))
    with sqlite3.connect(Path(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///"))) as db:
        assert db.execute("SELECT COUNT(*) FROM concern WHERE text = ?", (text,)).fetchone()[0] == 1
    phone.close()
