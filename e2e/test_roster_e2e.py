"""The roster in a real browser: a facilitator imports a register (fixing an error first), verifies an owner and
prints join slips; a phone claims a code and sees its flat. Both languages, phone and projector sizes.

Runs against a server of its own (its own SQLite file), because importing changes the demo register."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from conftest import PHONE, PROJECTOR, SCREENSHOTS, Server, signin
from playwright.sync_api import Browser, Page, expect

A4 = {"width": 794, "height": 1123}  # A4 at 96 dpi, for the print preview screenshot
NEW_ROWS = [
    ["阳光花园", "5", "1", "1", "101", "88.20", "登记", "住宅", "周文华", "2211", "13712340001", "", "否", ""],
    ["阳光花园", "5", "1", "1", "102", "63.75", "登记", "住宅", "钱秀兰、吴国平", "3301;4402", "13712340002;", "钱秀兰", "否", "郑小红"],
    ["阳光花园", "5", "1", "2", "201", "88.20", "实测", "住宅", "冯建设", "5503", "", "", "否", ""],
    ["阳光花园", "5", "1", "2", "202", "63.75", "登记", "住宅", "", "", "", "", "是", ""],
]


@pytest.fixture(scope="module")
def roster_server() -> Iterator[Server]:
    srv = Server()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def url(roster_server: Server) -> str:
    return roster_server.url


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def no_horizontal_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def upload(page: Page, url: str, name: str, data: bytes) -> None:
    page.goto(f"{url}/c/demo/roster/import")
    page.set_input_files("#f-register", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.click("form.form button[type=submit]")


def test_facilitator_imports_verifies_and_prints_then_a_phone_joins(browser: Browser, url: str, shot):
    failed: list[str] = []
    staff = browser.new_context(viewport=PROJECTOR, locale="zh-CN", accept_downloads=True)
    page = staff.new_page()
    page.on("requestfailed", lambda r: failed.append(r.url))
    signin(page, url, "13800000001", next_path="/c/demo/roster")
    expect(page.locator("h1")).to_have_text("房屋与业主名册")
    expect(page.locator(".roster-stats")).to_contain_text("168")
    shot(page, "roster-overview-projector-zh")

    # The current register, as the facilitator would download it, plus a new building with one mistake.
    exported = page.request.get(f"{url}/c/demo/roster/export/csv")
    assert exported.ok
    rows = list(csv.reader(io.StringIO(exported.body().decode("utf-8-sig"))))
    wrong = [list(r) for r in NEW_ROWS]
    wrong[2][5] = "88,2"  # a comma for a decimal point
    upload(page, url, "登记表-有错.csv", csv_bytes(rows + wrong))
    problems = page.locator("ol.problems")
    expect(problems).to_contain_text(f"第 {len(rows) + 3} 行")
    expect(problems).to_contain_text("面积“88,2”不是有效的平方米数")
    expect(page.locator(".alert-error")).to_contain_text("名册没有任何改动")
    shot(page, "roster-import-error-projector-zh")

    # Corrected: the preview shows the new flats, then applying shows progress and the result.
    upload(page, url, "登记表.csv", csv_bytes(rows + NEW_ROWS))
    expect(page.locator("h1")).to_have_text("应用前核对")
    expect(page.locator(".diff-added")).to_contain_text("钱秀兰")
    expect(page.locator(".roster-stats")).to_contain_text("4")
    shot(page, "roster-import-preview-projector-zh")
    page.click(".apply-form button[type=submit]")
    expect(page.locator("#import-progress")).to_contain_text("登记表已导入：新增 4 户", timeout=20000)
    shot(page, "roster-import-done-projector-zh")

    # The new building: verify 周文华 with the property certificate (htmx swaps the people in place).
    page.goto(f"{url}/c/demo/roster/search?q=周文华")
    page.click(".flat-room")
    expect(page.locator("h1")).to_contain_text("5号楼")
    form = page.locator(".verify-form").first
    form.locator("select").select_option("certificate")
    form.locator("input[name=note]").fill("证书尾号 0815")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flat-people .alert-ok")).to_contain_text("核实已记录")
    expect(page.locator("#flat-people")).to_contain_text("已核实")
    shot(page, "roster-flat-verified-projector-zh")
    page.goto(f"{url}/c/demo/roster")
    building_link = page.locator(".building-card a.card-link", has_text="5号楼")
    building_href = building_link.get_attribute("href")
    assert building_href
    building_id = building_href.rsplit("/", 1)[1]

    # Join slips for building 5, unverified people included: printable A4 page.
    page.goto(f"{url}/c/demo/roster/slips?building={building_id}")
    page.check("input[name=include_unverified]")
    shot(page, "roster-slips-form-projector-zh")
    page.click("form.slips-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("加入条")
    slips = page.locator(".slip")
    assert slips.count() == 5  # 周文华, 钱秀兰, 吴国平, 冯建设 and the tenant 郑小红
    expect(page.locator("[data-print]")).to_be_visible()  # shown by roster.js
    shot(page, "join-slips-projector-zh")
    codes = [c.replace("-", "") for c in page.locator(".slip-code").all_inner_texts()]
    texts = page.locator(".slip").all_inner_texts()
    zhou_code = codes[next(i for i, t in enumerate(texts) if "周文华" in t)]
    qian_code = codes[next(i for i, t in enumerate(texts) if "钱秀兰" in t)]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "join-slips.pdf"), format="A4", print_background=True)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(SCREENSHOTS / "join-slips.pdf"),
             str(SCREENSHOTS / "join-slips-pdf")],
            check=True,
        )
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    page.screenshot(path=str(SCREENSHOTS / "join-slips-print-a4.png"), full_page=False)
    page.emulate_media(media="screen")
    assert not failed, failed
    staff.close()

    # A resident's phone: scan (open the link), create an account, see the verified flat.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    mobile = phone.new_page()
    mobile.on("requestfailed", lambda r: failed.append(r.url))
    mobile.goto(f"{url}/join/{zhou_code}")
    expect(mobile.locator("h1")).to_have_text("加入社区议事")
    expect(mobile.locator(".join-card")).to_contain_text("周*华")
    expect(mobile.locator(".join-card")).not_to_contain_text("周文华")
    expect(mobile.locator(".join-card")).to_contain_text("已核实")
    no_horizontal_scroll(mobile, PHONE["width"])
    shot(mobile, "join-phone-zh")
    mobile.fill("#f-phone", "13712340001")
    mobile.fill("#f-password", "zhou-password-1")
    mobile.fill("#f-confirm_password", "zhou-password-2")
    mobile.click("form[action$='/new'] button[type=submit]")
    expect(mobile.locator("#e-confirm_password")).to_contain_text("两次输入的密码不一致")
    shot(mobile, "join-phone-error-zh")
    mobile.fill("#f-password", "zhou-password-1")
    mobile.fill("#f-confirm_password", "zhou-password-1")
    mobile.click("form[action$='/new'] button[type=submit]")
    expect(mobile.locator("h1")).to_have_text("我的房屋")
    expect(mobile.locator(".alert-ok")).to_contain_text("欢迎")
    expect(mobile.locator(".my-flat")).to_contain_text("5号楼")
    expect(mobile.locator(".my-flat")).to_contain_text("已核实")
    no_horizontal_scroll(mobile, PHONE["width"])
    shot(mobile, "my-flats-phone-zh")
    mobile.goto(f"{url}/join/{zhou_code}")
    expect(mobile.locator(".alert-warn")).to_contain_text("已经用过")
    phone.close()

    # The same in English: 钱秀兰's slip (not verified yet) on a phone.
    english = browser.new_context(viewport=PHONE, locale="en")
    mobile = english.new_page()
    mobile.goto(f"{url}/join/{qian_code}")
    expect(mobile.locator("h1")).to_have_text("Join the council of your community")
    expect(mobile.locator(".join-card")).to_contain_text("Not verified")
    shot(mobile, "join-phone-en")
    mobile.fill("#f-phone", "13712340002")
    mobile.fill("#f-password", "qian-password-1")
    mobile.fill("#f-confirm_password", "qian-password-1")
    mobile.click("form[action$='/new'] button[type=submit]")
    expect(mobile.locator("h1")).to_have_text("My flats")
    expect(mobile.locator(".my-flat")).to_contain_text("Building 5")
    shot(mobile, "my-flats-phone-en")
    english.close()
    assert not failed, failed


@pytest.mark.parametrize("size_name,size", [("phone", PHONE), ("projector", PROJECTOR)])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_roster_pages_at_both_sizes(browser: Browser, url: str, shot, size_name, size, language):
    context = browser.new_context(viewport=size, locale=language)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    signin(page, url, "13800000001", next_path="/c/demo/roster")
    shot(page, f"roster-overview-{size_name}-{language}")
    no_horizontal_scroll(page, size["width"])
    page.locator(".building-card a.card-link").first.click()
    expect(page.locator(".flat-grid").first).to_be_visible()
    shot(page, f"roster-building-{size_name}-{language}")
    no_horizontal_scroll(page, size["width"])
    page.locator(".flat-room").nth(4).click()
    expect(page.locator("#flat-people")).to_be_visible()
    shot(page, f"roster-flat-{size_name}-{language}")
    no_horizontal_scroll(page, size["width"])
    page.goto(f"{url}/c/demo/roster/not-joined")
    shot(page, f"roster-not-joined-{size_name}-{language}")
    no_horizontal_scroll(page, size["width"])
    page.goto(f"{url}/c/demo/roster/import")
    shot(page, f"roster-import-{size_name}-{language}")
    no_horizontal_scroll(page, size["width"])
    # Tap targets of the roster pages are at least 40 px high.
    for selector in (".roster-actions a", ".flat-room", "form.form button"):
        for i in range(page.locator(selector).count()):
            box = page.locator(selector).nth(i).bounding_box()
            assert box is None or box["height"] >= 40, selector
    assert not failed, failed
    context.close()


def test_search_updates_as_you_type_and_works_without_javascript(browser: Browser, url: str):
    for javascript in (True, False):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=javascript)
        page = context.new_page()
        signin(page, url, "13800000003", next_path="/c/demo/roster/search")
        page.fill("#roster-q", "赵淑芬")
        if javascript:
            expect(page.locator("#search-results")).to_contain_text("找到 1 户")  # only her flat in the grid worker's buildings
        else:
            page.click(".roster-search button[type=submit]")
            expect(page.locator("#search-results")).to_contain_text("找到 1 户")
        assert re.search(r"q=", page.url) or javascript
        context.close()
