"""Minutes in a real browser: written, signed off by the recorder and the facilitator from their own accounts,
published, printed on A4 by Chromium, and checked through the board, its feed and the JSON vote record."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from conftest import PHONE, PROJECTOR, SCREENSHOTS, signin
from playwright.sync_api import Browser, Locator, Page, expect

from votes.tally_cli import recount_main

DEMO_BENCH = "楼道板凳协商会"  # the title of the demo's upcoming meeting ends so (deliberation/minutes/demo.py)
SUMMARY = "业主以书面方式对屋面防水维修进行了表决。\n\n- 维修资金列支\n- **施工期间**注意安全"


def _start_roof_minutes(page: Page, base_url: str) -> int:
    """The facilitator starts the minutes of the demo's written consultation (the roof) and names the recorder."""
    page.goto(f"{base_url}/c/demo/minutes")
    card = page.locator(".mn-card", has_text="屋面防水维修").filter(has=page.locator('button[value^="vote-"]'))
    expect(card).to_have_count(1)
    card.locator('button[value^="vote-"]').click()
    page.wait_for_url(re.compile(r".*/minutes/\d+/edit$"))
    minutes_id = int(page.url.rsplit("/", 2)[1])
    page.select_option("#f-recorder", label="李文静")
    page.click("#minutes-edit form.form button[type=submit]")
    expect(page.locator(".alert-ok")).to_be_visible()
    return minutes_id


def _demo_bench_notice(page: Page) -> Locator:
    """The link to the printable notice of the demo's upcoming bench consultation, found by its title: other
    modules add meetings of their own to the same board, on dates of their own, so it need not be the first card."""
    card = page.locator("#meetings .nb-card").filter(has=page.locator("h3", has_text=DEMO_BENCH))
    expect(card).to_have_count(1)
    return card.locator(".nb-more a[href^='/notices/']")


def _sign(page: Page, role_text: str) -> None:
    page.get_by_role("button", name=re.compile(role_text)).click()
    expect(page.locator(".alert-ok")).to_contain_text("签字确认已记录")


@pytest.fixture(scope="module")
def published(browser: Browser, base_url: str, tmp_path_factory) -> dict:
    """Everything the later tests look at: written, signed twice, published once for the module."""
    shots: dict = {}
    facilitator = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    page = facilitator.new_page()
    signin(page, base_url, "13800000001", next_path="/c/demo/minutes")
    minutes_id = _start_roof_minutes(page, base_url)

    # The live preview follows the typing (htmx, 500 ms after the last key).
    page.fill("#t-summary", "")
    page.locator("#t-summary").press_sequentially(SUMMARY[:12], delay=20)
    expect(page.locator("#preview-summary")).to_contain_text(SUMMARY[:12])
    page.fill("#t-summary", SUMMARY)
    page.locator("#t-summary").press("End")
    expect(page.locator("#preview-summary strong")).to_have_text("施工期间")
    page.locator("#part-summary button[value=save]").click()
    expect(page.locator(".alert-ok")).to_be_visible()
    expect(page.locator("#t-summary")).to_have_value(SUMMARY)
    shots["edit"] = page.screenshot(path=str(SCREENSHOTS / "minutes-edit-projector-zh.png"), full_page=True)
    # Publishing is not possible yet: nobody has signed.
    expect(page.get_by_role("button", name="在公告栏公布")).to_be_disabled()

    # The recorder signs from her own account …
    recorder = browser.new_context(viewport=PHONE, locale="zh-CN")
    rpage = recorder.new_page()
    signin(rpage, base_url, "13800000002", next_path=f"/minutes/{minutes_id}/edit")
    expect(rpage.get_by_role("button", name=re.compile("以主持人身份"))).to_have_count(0)
    _sign(rpage, "以记录员身份签字确认")
    rpage.screenshot(path=str(SCREENSHOTS / "minutes-signed-recorder-phone-zh.png"), full_page=True)
    recorder.close()

    # … then the facilitator signs and publishes.
    page.goto(f"{base_url}/minutes/{minutes_id}/edit")
    _sign(page, "以主持人身份签字确认")
    page.get_by_role("button", name="在公告栏公布").click()
    page.wait_for_url(f"{base_url}/minutes/{minutes_id}")
    expect(page.locator(".mn-fp")).to_have_text(re.compile(r"^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$"))
    facilitator.close()
    return {"id": minutes_id, "tmp": tmp_path_factory.mktemp("minutes")}


@pytest.mark.parametrize("size_name,size", [("phone", PHONE), ("projector", PROJECTOR)])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_published_minutes_read_well_without_signing_in(browser: Browser, base_url: str, shot, published, size_name, size, language):
    context = browser.new_context(viewport=size, locale=language)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{base_url}/minutes/{published['id']}")
    expect(page.locator("h1")).to_contain_text("屋面防水维修")
    expect(page.locator(".mn-md strong").first).to_have_text("施工期间")
    expect(page.locator(".mn-vote .vx-checks").first).to_be_visible()
    expect(page.locator("svg.qr")).to_be_visible()
    remedy = "一年内" if language == "zh-CN" else "within one year"
    expect(page.locator(".mn-remedy")).to_contain_text(remedy)
    # No resident's name, and no household's choice, on the public page.
    assert "李文静" not in page.content() and "王秀兰" not in page.content()
    assert page.locator(".mn-households").count() == 0
    og = page.locator('meta[property="og:title"]').get_attribute("content")
    assert og and "屋面防水维修" in og
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, f"minutes-{size_name}-{language}")
    page.goto(f"{base_url}/c/demo")
    expect(page.locator("#minutes-list")).to_contain_text("屋面防水维修")
    expect(page.locator(".nb-result").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, f"noticeboard-{size_name}-{language}")
    # The upcoming meeting's notice, as published in the chain: printable, with its fingerprint and QR code.
    _demo_bench_notice(page).click()
    expect(page.locator("#meeting-notice h1")).to_contain_text("楼道板凳协商会")
    expect(page.locator("#meeting-notice svg.qr")).to_be_visible()
    expect(page.locator("#meeting-notice .nt-agenda strong").first).to_have_text("楼道堆物清理")
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, f"meeting-notice-{size_name}-{language}")
    assert not failed
    context.close()


def test_the_minutes_print_on_a4_with_page_numbers_fingerprint_and_qr(browser: Browser, base_url: str, published):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base_url}/minutes/{published['id']}")
    fingerprint = page.locator(".mn-fp").inner_text()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden() and page.locator(".mn-tools").is_hidden()
    expect(page.locator("svg.qr")).to_be_visible()
    pdf = SCREENSHOTS / "minutes-print-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    context.close()
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+|Page size:\s+595\.\d+ x 842\.\d+", info), info
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages >= 1
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "第 1 页" in text and fingerprint.replace(" ", "") in text.replace(" ", "")
        assert "yishi-demo" not in text
    if shutil.which("pdftoppm"):
        # Look at these pictures: they are the sheets that go on the notice board.
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(SCREENSHOTS / "minutes-print-a4")], check=True)
        assert list(SCREENSHOTS.glob("minutes-print-a4-*.png"))


def test_a_meeting_notice_prints_on_one_a4_sheet_with_its_fingerprint(browser: Browser, base_url: str):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base_url}/c/demo")
    _demo_bench_notice(page).click()
    fingerprint = page.locator(".mn-fp").inner_text()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden() and page.locator(".mn-tools").is_hidden()
    pdf = SCREENSHOTS / "meeting-notice-print-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    context.close()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "楼道堆物清理" in text and fingerprint.replace(" ", "") in text.replace(" ", "")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(SCREENSHOTS / "meeting-notice-print-a4")], check=True)


def test_the_feed_and_the_json_record(browser: Browser, base_url: str, published):
    context = browser.new_context()
    response = context.request.get(f"{base_url}/c/demo/feed.atom")
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body())
    atom = "{http://www.w3.org/2005/Atom}"
    links = [e.find(f"{atom}link").get("href") for e in feed.findall(f"{atom}entry")]
    assert f"{base_url}/minutes/{published['id']}" in links
    records = context.request.get(f"{base_url}/minutes/{published['id']}.json").json()
    assert records["schema"] == "yishi.minutes-records/1" and records["records"]
    url = records["records"][0]["url"]
    record = context.request.get(url).json()
    assert record["schema"] == "yishi.vote-record/1" and record["result"]["outcome"] == "passed"
    path = published["tmp"] / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert recount_main([str(path)]) == 0
    # The public copy names no real unit: units and owners are pseudonyms, the count is the same.
    assert all(re.fullmatch(r"U\d{3,}", flat["unit"]) for flat in record["electorate"])
    context.close()


def test_editing_works_without_javascript(browser: Browser, base_url: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    signin(page, base_url, "13800000001", next_path="/c/demo/minutes")
    # A new draft: a result notice cannot be written twice, so the board's meeting minutes are corrected instead.
    page.goto(f"{base_url}/c/demo")
    page.locator("#minutes-list a.nb-minute-title", has_text="加装电梯").first.click()
    page.get_by_role("button", name="发布补正").click()
    page.wait_for_url(re.compile(r".*/minutes/\d+/edit$"))
    page.fill("#t-correction", "第二项的*时间*应为 20:40。")
    page.locator("#part-correction button[value=preview]").click()
    expect(page.locator("#preview-correction em")).to_have_text("时间")
    expect(page.locator("#t-correction")).to_have_value("第二项的*时间*应为 20:40。")
    # A refused form shows the reason next to the field and keeps what was chosen.
    page.fill("#f-title", "更正：1号楼2单元加装电梯业主会议")
    page.select_option("#f-recorder", label="王秀兰")
    page.locator("#minutes-edit form.form button[type=submit]").click()
    expect(page.locator("#e-recorder")).to_contain_text("两个不同的人")
    expect(page.locator("#f-title")).to_have_value("更正：1号楼2单元加装电梯业主会议")
    page.screenshot(path=str(SCREENSHOTS / "minutes-edit-error-phone-zh.png"), full_page=True)
    page.locator(".mn-discard summary").click()
    page.locator(".mn-discard button").click()
    page.wait_for_url(f"{base_url}/c/demo/minutes")
    context.close()
