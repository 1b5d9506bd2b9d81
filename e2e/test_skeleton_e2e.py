"""The skeleton in a real browser: both languages, both screen sizes, sign-in and the language switcher."""

from __future__ import annotations

import pytest
from conftest import PHONE, PROJECTOR, signin
from playwright.sync_api import Browser, expect


@pytest.mark.parametrize("size_name,size", [("phone", PHONE), ("projector", PROJECTOR)])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_landing_and_signin_pages_render(browser: Browser, base_url: str, shot, size_name, size, language):
    context = browser.new_context(viewport=size, locale=language)
    page = context.new_page()
    failed_requests: list[str] = []
    page.on("requestfailed", lambda r: failed_requests.append(r.url))
    page.goto(base_url + "/")
    expected = "大家的事大家商量" if language == "zh-CN" else "Deliberate together"
    expect(page.locator("h1")).to_contain_text(expected)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh-CN" else "en")
    expect(page.get_by_text("幸福里社区")).to_be_visible()
    shot(page, f"landing-{size_name}-{language}")
    page.goto(base_url + "/signin")
    shot(page, f"signin-{size_name}-{language}")
    page.goto(base_url + "/no-such-page")
    shot(page, f"404-{size_name}-{language}")
    # Every request stayed on this host and none failed (htmx, CSS, icon are vendored).
    assert not failed_requests
    # Readable on a phone: no horizontal scrolling, base type at least 18 px.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size["width"]
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18
    context.close()


def test_sign_in_switch_language_and_sign_out(browser: Browser, base_url: str, shot):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(base_url + "/signin")
    page.fill("#f-identifier", "13800000001")
    page.fill("#f-password", "wrong-password")
    page.click("form.form button[type=submit]")
    expect(page.locator(".error")).to_contain_text("手机号、用户名或密码不正确")
    expect(page.locator("#f-identifier")).to_have_value("13800000001")
    shot(page, "signin-error-phone-zh")
    signin(page, base_url, "13800000001")
    expect(page.locator("h1")).to_have_text("我的账号")
    expect(page.get_by_text("主持人")).to_be_visible()
    shot(page, "account-phone-zh")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("h1")).to_have_text("My account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "account-phone-en")
    # Tap targets are at least 44 px high.
    for selector in ("#language-switcher button", ".site-nav a", "form.form button"):
        for box in [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]:
            assert box is None or box["height"] >= 40
    page.click("#account-signout button")  # on a phone, signing out is on the account page
    expect(page.locator(".site-nav")).to_contain_text("Sign in")
    context.close()


def test_change_password_with_htmx_shows_errors_in_place(browser: Browser, base_url: str, shot):
    context = browser.new_context(viewport=PROJECTOR, locale="zh-CN")
    page = context.new_page()
    signin(page, base_url, "13900000002")
    page.fill("#f-current_password", "not-my-password")
    page.fill("#f-new_password", "abc")
    page.fill("#f-confirm_password", "abc")
    page.click("#password-form button[type=submit]")
    expect(page.locator("#password-form")).to_contain_text("当前密码不正确")
    expect(page.locator("#password-form")).to_contain_text("密码至少要有 8 个字符")
    assert page.url.endswith("/account")  # swapped in place, no navigation
    shot(page, "account-password-error-projector-zh")
    context.close()


def test_forms_work_without_javascript(browser: Browser, base_url: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    signin(page, base_url, "13900000001")
    page.fill("#f-current_password", "wrong")
    page.fill("#f-new_password", "abcdefgh")
    page.fill("#f-confirm_password", "abcdefgh")
    page.click("#password-form button[type=submit]")
    expect(page.locator("#password-form")).to_contain_text("当前密码不正确")
    context.close()
