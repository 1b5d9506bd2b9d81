"""After an htmx swap a screen-reader user is told what happened and keeps their place; a phone that slept
gets its live feed back (and never loses what its owner was typing)."""

from __future__ import annotations

from conftest import PHONE, Server, signin
from playwright.sync_api import Browser, expect
from test_deliberation_e2e import new_page, setup_meeting, wait_live

ACTIVE = "() => { const a = document.activeElement; return a ? (a.id || a.className || a.tagName) : ''; }"
CLOSE_FEED = "() => document.querySelector('[sse-connect]')['htmx-internal-data'].sseEventSource.close()"
SEEN_AGAIN = "() => document.dispatchEvent(new Event('visibilitychange'))"


def test_a_posted_comment_is_announced_and_focus_follows(browser: Browser, server: Server, base_url: str) -> None:
    meeting = setup_meeting(server, "焦点与播报 focus1")
    phone = new_page(browser, PHONE)
    signin(phone, base_url, "13900000001", next_path=f"/m/{meeting['id']}")
    phone.locator("#agenda a").first.click()
    wait_live(phone)
    phone.get_by_role("button", name="发表意见").click()  # empty: refused in place
    expect(phone.locator("#announcer")).to_contain_text("请选择", timeout=5000)
    assert "alert" in phone.evaluate(ACTIVE)  # focus is on the message, not lost at the top of the page
    phone.locator("label.position-choice", has_text="赞成").click()
    phone.fill("textarea[name=body]", "楼下的自行车可以挪到车棚。")
    phone.get_by_role("button", name="发表意见").click()
    expect(phone.locator("#announcer")).to_contain_text("您的意见已发表")
    assert phone.evaluate(ACTIVE) not in ("", "BODY")
    phone.context.close()


def test_a_phone_that_slept_gets_its_live_feed_back(browser: Browser, server: Server, base_url: str) -> None:
    meeting = setup_meeting(server, "睡醒重连 wake01")
    phone = new_page(browser, PHONE)
    signin(phone, base_url, "13900000001", next_path=f"/m/{meeting['id']}")
    wait_live(phone)
    phone.evaluate("window.__sameDocument = true")
    phone.evaluate(CLOSE_FEED)  # what a frozen page or a back-forward cache leaves behind
    phone.evaluate(SEEN_AGAIN)
    phone.wait_for_load_state("load")
    expect(phone.locator("#now")).to_be_visible()
    wait_live(phone)  # the page came back with the current state and an open feed
    assert phone.evaluate("window.__sameDocument === undefined")
    phone.context.close()


def test_a_half_typed_comment_is_never_thrown_away_to_reconnect(browser: Browser, server: Server, base_url: str) -> None:
    meeting = setup_meeting(server, "正在输入 typing")
    phone = new_page(browser, PHONE)
    signin(phone, base_url, "13900000001", next_path=f"/m/{meeting['id']}")
    phone.locator("#agenda a").first.click()
    wait_live(phone)
    phone.fill("textarea[name=body]", "我还没写完")
    phone.evaluate(CLOSE_FEED)
    phone.evaluate(SEEN_AGAIN)
    expect(phone.locator("#feed-stale")).to_be_visible()
    expect(phone.locator("textarea[name=body]")).to_have_value("我还没写完")
    phone.context.close()


FAKE_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  speak: (u) => window.__spoken.push([u.lang, u.text]), cancel: () => {}, speaking: false}});
"""
NO_SPEECH = "delete window.speechSynthesis; Object.defineProperty(window, 'speechSynthesis', {value: undefined});"


def test_read_aloud_reads_the_question_and_the_choices(browser: Browser, server: Server, base_url: str) -> None:
    import sqlite3

    with sqlite3.connect(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///")) as db:
        vote = db.execute("SELECT id, title FROM vote WHERE status = 'open' ORDER BY id LIMIT 1").fetchone()
    phone = new_page(browser, PHONE)
    phone.context.add_init_script(FAKE_SPEECH)
    signin(phone, base_url, "13900000001", next_path=f"/v/{vote[0]}")
    button = phone.get_by_role("button", name="朗读")
    expect(button).to_be_visible()
    button.click()
    spoken = phone.evaluate("window.__spoken")
    assert spoken and spoken[0][0] == "zh-CN"
    assert vote[1] in spoken[0][1] and "同意" in spoken[0][1] and "反对" in spoken[0][1]
    expect(phone.get_by_role("button", name="停止朗读")).to_have_attribute("aria-pressed", "true")
    phone.context.close()

    silent = new_page(browser, PHONE)
    silent.context.add_init_script(NO_SPEECH)
    silent.goto(f"{base_url}/v/{vote[0]}/result")
    expect(silent.locator("h1")).to_be_visible()
    expect(silent.locator("[data-read-aloud-button]")).to_be_hidden()  # no speech in this browser: no button
    silent.context.close()
