"""Owner votes in a real browser: a phone votes and gets a receipt, two people enter a paper ballot, the projector's
participation figure moves live; every votes page at phone and projector size, in Chinese and English."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator

import pytest
from conftest import PHONE, PROJECTOR, Server, signin
from playwright.sync_api import Browser, Page, expect

LANGUAGES = ("zh-CN", "en")


@pytest.fixture(scope="module")
def votes_server() -> Iterator[Server]:
    """A server of our own: these tests cast ballots and close the demo vote, which other tests must not see."""
    srv = Server()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def base(votes_server: Server) -> str:
    return votes_server.url


@pytest.fixture(scope="module")
def vote_id(votes_server: Server) -> int:
    """The demo's open elevator vote on the first stairwell unit (the votes demo creates it first)."""
    path = votes_server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT min(id) FROM vote WHERE status = 'open'").fetchone()
    assert row and row[0], "the demo has no open vote"
    return int(row[0])


def new_page(browser: Browser, size: dict[str, int], language: str = "zh-CN", base: str = "", **options) -> Page:
    context = browser.new_context(viewport=size, locale=language, **options)
    if language == "en":
        context.add_cookies([{"name": "yishi_lang", "value": "en", "url": base}])
    return context.new_page()


def readable(page: Page, size: dict[str, int]) -> None:
    """No horizontal scrolling, base type at least 18 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18


def test_a_phone_votes_and_gets_a_receipt(browser: Browser, base: str, vote_id: int, shot) -> None:
    page = new_page(browser, PHONE, base=base)
    signin(page, base, "13900000001", next_path=f"/v/{vote_id}")
    expect(page.locator("h1")).to_contain_text("加装电梯")
    expect(page.locator("#cast")).to_contain_text("您的选择")
    readable(page, PHONE)
    shot(page, "votes-ballot-phone-zh")
    page.locator("#cast label.vchoice-agree").click()
    page.click("#cast button[type=submit]")
    expect(page.locator("#cast")).to_contain_text("请核对您的选票")
    assert page.url.endswith(f"/v/{vote_id}")  # step 2 swapped in place
    shot(page, "votes-confirm-phone-zh")
    page.click("#cast .vconfirm-form button")
    expect(page.locator("#receipt-code")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    readable(page, PHONE)
    shot(page, "votes-receipt-phone-zh")
    # Later, in English: the receipt confirms the ballot as cast.
    page.click("#language-switcher button[value=en]")
    page.goto(f"{base}/v/{vote_id}/receipt")
    page.fill("#f-code", code.lower())
    page.click("#receipt-check button[type=submit]")
    expect(page.locator("#receipt-check")).to_contain_text("It is counted as cast.")
    expect(page.locator("#receipt-check")).to_contain_text("Agree")
    shot(page, "votes-receipt-check-phone-en")
    # The vote page now shows the ballot as recorded and offers no second one.
    page.goto(f"{base}/v/{vote_id}")
    expect(page.locator("#cast")).to_contain_text("Your ballot is recorded")
    assert page.locator("#cast input[name=choice]").count() == 0
    page.context.close()


def voted_flats(page: Page, vote_id: int) -> int:
    """Flats that voted, summed over the board's table per stairwell unit ("6 / 12" in each row)."""
    cells = page.locator(f"#units-{vote_id} tbody td:nth-child(2)").all_inner_texts()
    assert cells, "the board has no table per stairwell unit"
    return sum(int(text.split("/")[0].strip().replace(",", "")) for text in cells)


def test_two_people_enter_a_paper_ballot_and_the_projector_moves(browser: Browser, base: str, vote_id: int, shot) -> None:
    projector = new_page(browser, PROJECTOR, base=base)
    projector.goto(f"{base}/v/{vote_id}/board")
    figure = projector.locator(f"#participation-{vote_id} .vfigure-number strong").first
    before = int(figure.inner_text())
    units_before = voted_flats(projector, vote_id)
    readable(projector, PROJECTOR)
    shot(projector, "votes-board-projector-zh")

    counter = new_page(browser, PROJECTOR, base=base)
    signin(counter, base, "13800000001", next_path=f"/v/{vote_id}/manage")
    rows = counter.locator("#non-voters tbody tr")
    serial = ""
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        if cells.count() == 4 and cells.nth(2).inner_text().strip():
            serial = cells.nth(3).inner_text().strip()
            break
    assert serial, "no household left to vote on paper"
    shot(counter, "votes-manage-projector-zh")
    counter.goto(f"{base}/v/{vote_id}/paper")
    counter.fill("#f-serial", serial)
    counter.click("#paper-desk form button[type=submit]")
    expect(counter.locator("#paper-desk")).to_contain_text("选票内容")
    counter.locator("#paper-desk label.vchoice-agree").click()
    signers = counter.locator("#paper-desk input[name=signer]")
    if not signers.first.is_checked():
        signers.first.check()
    shot(counter, "votes-paper-entry-projector-zh")
    counter.click("#paper-desk form button[type=submit]")
    expect(counter.locator("#paper-desk .alert-ok")).to_contain_text(serial)
    # Entered but not confirmed: nothing counts yet, and the counter cannot confirm it.
    expect(counter.locator(".vwaiting-item").first).to_contain_text("须由另一人确认")
    assert int(figure.inner_text()) == before

    scrutineer = new_page(browser, PHONE, base=base)
    signin(scrutineer, base, "13800000002", next_path=f"/v/{vote_id}/paper")
    expect(scrutineer.locator(".vwaiting-item").first).to_contain_text(serial)
    readable(scrutineer, PHONE)
    shot(scrutineer, "votes-paper-confirm-phone-zh")
    scrutineer.locator(".vwaiting-item").first.locator("button.primary").click()
    expect(scrutineer.locator("#paper-desk .alert-ok")).to_contain_text("已计入")
    # The projector, which nobody touched, shows the new figure (Server-Sent Events).
    expect(figure).to_have_text(str(before + 1), timeout=10_000)
    # ... and the table per stairwell unit below it moves with it (issue 19: it stayed at page-load values).
    deadline = time.monotonic() + 10
    while voted_flats(projector, vote_id) <= units_before:
        assert time.monotonic() < deadline, "the table per stairwell unit did not move"
        projector.wait_for_timeout(100)
    shot(projector, "votes-board-projector-zh-after")
    for page in (projector, counter, scrutineer):
        page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("size_name", "size"), [("phone", PHONE), ("projector", PROJECTOR)])
def test_votes_pages_render(browser: Browser, base: str, vote_id: int, shot, language: str, size_name: str, size: dict[str, int]) -> None:
    page = new_page(browser, size, language, base=base)
    failed: list[str] = []
    # Leaving a page aborts its live stream (and a late favicon): that is not a failure.
    page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else failed.append(r.url))
    signin(page, base, "13800000001", next_path="/votes")
    suffix = f"{size_name}-{'zh' if language == 'zh-CN' else 'en'}"
    for name, path in [
        ("list", "/c/demo/votes"),
        ("new", "/c/demo/votes/new"),
        ("settings", "/c/demo/votes/settings"),
        ("manage", f"/v/{vote_id}/manage"),
        ("vote", f"/v/{vote_id}"),
        ("board", f"/v/{vote_id}/board"),
        ("paper", f"/v/{vote_id}/paper"),
        ("proxies", f"/v/{vote_id}/proxies"),
    ]:
        page.goto(base + path)
        expect(page.locator("h1")).to_be_visible()
        readable(page, size)
        shot(page, f"votes-{name}-{suffix}")
    page.goto(f"{base}/v/{vote_id}/paper/print")
    expect(page.locator(".paper-ballot").first).to_contain_text("业主表决票")
    if size_name == "projector" and language == "zh-CN":
        shot(page, "votes-print-projector-zh")
    assert not failed
    page.context.close()


def test_new_vote_form_refuses_bad_input_in_place(browser: Browser, base: str, shot) -> None:
    page = new_page(browser, PHONE, base=base)
    signin(page, base, "13800000001", next_path="/c/demo/votes/new")
    page.fill("#f-title", "测试表决")
    page.fill("#f-question", "")
    page.click("#vote-form button.primary")
    expect(page.locator("#vote-form")).to_contain_text("请写明要表决的问题")
    expect(page.locator("#f-title")).to_have_value("测试表决")
    # The form was swapped in by htmx: wait until htmx has processed the new fieldset before changing it.
    # Polled with evaluate: the CSP forbids eval, which wait_for_function uses once its first look fails.
    settled = (
        "(() => { const f = document.querySelector('#vote-form fieldset.vfieldset');"
        " return !!f && f['htmx-internal-data'] !== undefined"
        " && !document.querySelector('.htmx-settling, .htmx-swapping'); })()"
    )
    for _ in range(200):  # 10 s at most
        if page.evaluate(settled):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("htmx did not settle the swapped form")
    # Choosing another matter explains it in plain words (htmx).
    page.select_option("#f-matter", "5")
    expect(page.locator("#matter-help")).to_contain_text("维修资金")
    shot(page, "votes-form-error-phone-zh")
    # Corrected and sent (htmx): the browser goes to the new vote's manage page, nothing is nested in the form.
    page.fill("#f-question", "是否同意使用维修资金更换屋面防水？")
    page.click("#vote-form button.primary")
    page.wait_for_url(re.compile(r".*/v/\d+/manage$"))
    expect(page.locator("#vote-form")).to_have_count(0)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("测试表决")
    page.context.close()


def test_a_non_owner_is_told_why_and_forms_work_without_javascript(browser: Browser, base: str, vote_id: int, shot) -> None:
    page = new_page(browser, PHONE, base=base, java_script_enabled=False)
    signin(page, base, "13900000003", next_path=f"/v/{vote_id}")  # the demo tenant, of a flat outside this unit
    expect(page.locator("#cast")).to_contain_text("经过核实的业主才能投票")
    assert page.locator("#cast input[name=choice]").count() == 0
    shot(page, "votes-refusal-phone-zh")
    page.goto(f"{base}/v/{vote_id}/receipt")
    page.fill("#f-code", "nonsense")
    page.click("#receipt-check button[type=submit]")
    expect(page.locator("#receipt-check")).to_contain_text("回执码由 12 位字母和数字组成")
    expect(page.locator("#f-code")).to_have_value("nonsense")
    page.context.close()


def test_closing_publishes_the_result_and_the_record(browser: Browser, base: str, vote_id: int, votes_server: Server,
                                                     shot) -> None:  # fmt: skip
    # The demo vote opened when the server started: date its opening back past the 7-day minimum voting period.
    with sqlite3.connect(votes_server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///")) as db:
        db.execute("UPDATE vote SET opened_at = datetime('now', '-8 days') WHERE id = ?", (vote_id,))
    page = new_page(browser, PROJECTOR, base=base)
    signin(page, base, "13800000001", next_path=f"/v/{vote_id}/manage")
    page.click(".vclose a.button")  # asked first: what closing does, then yes or back
    page.wait_for_url(f"{base}/v/{vote_id}/close")
    readable(page, PROJECTOR)
    shot(page, "votes-close-confirm-projector-zh")
    page.get_by_role("button", name="确认结束并计票").click()
    page.wait_for_url(f"{base}/v/{vote_id}/result")
    expect(page.locator(".vx-sentence").first).to_be_visible()
    assert page.locator(".vcheck").count() == 4
    readable(page, PROJECTOR)
    shot(page, "votes-result-projector-zh")
    record = page.request.get(f"{base}/v/{vote_id}/record.json")
    assert record.ok and record.json()["schema"] == "yishi.vote-record/1"
    page.context.close()
    for language in LANGUAGES:
        phone = new_page(browser, PHONE, language, base=base)
        phone.goto(f"{base}/v/{vote_id}/result")
        readable(phone, PHONE)
        shot(phone, f"votes-result-phone-{'zh' if language == 'zh-CN' else 'en'}")
        phone.context.close()
