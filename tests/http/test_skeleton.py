"""The skeleton as a visitor meets it: languages, sign-in, sessions, CSRF, headers, error pages."""

from __future__ import annotations

import asyncio
import re

from community import accounts, passwords
from community.tables import SigninAttempt, UserSession


async def test_landing_is_chinese_by_default(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "大家的事大家商量" in response.text
    assert "Deliberate together" not in response.text


async def test_landing_follows_accept_language(client):
    response = await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in response.text
    assert "Deliberate together, decide by the rules" in response.text
    response = await client.get("/", headers={"Accept-Language": "fr, zh-CN;q=0.8, en;q=0.5"})
    assert '<html lang="zh-CN">' in response.text


async def test_language_switcher_is_remembered(client):
    response = await client.post_form("/lang", {"language": "en", "next": "/signin"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    page = await client.get("/signin", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text
    assert "Phone number or username" in page.text


async def test_language_switch_never_redirects_to_another_host(client):
    response = await client.post_form("/lang", {"language": "en", "next": "https://evil.example/"})
    assert response.headers["location"] == "/"
    response = await client.post_form("/lang", {"language": "en", "next": "//evil.example/"})
    assert response.headers["location"] == "/"


async def test_post_without_csrf_token_is_refused(client):
    await client.get("/")
    response = await client.post("/signin", data={"identifier": "x", "password": "y"})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert await SigninAttempt.count() == 0


async def test_htmx_post_with_csrf_header_is_accepted(client, make_account):
    await make_account(phone="13800000009")
    token = await client.csrf()
    response = await client.post(
        "/signin",
        data={"identifier": "13800000009", "password": "correct-horse"},
        headers={"x-csrftoken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303


async def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/signin", "/does-not-exist"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]


async def test_pages_load_nothing_from_another_host(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    for path in ("/", "/signin", "/account", "/missing"):
        html = (await client.get(path)).text
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", url), f"{path} refers to {url}"
        assert "<script>" not in html  # no inline scripts: the CSP forbids them


async def test_not_found_page_is_friendly_and_translated(client):
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert "这个页面不存在" in response.text
    response = await client.get("/nowhere", headers={"Accept-Language": "en"})
    assert "This page does not exist" in response.text


async def test_sign_in_with_phone_and_with_username(client, make_account):
    await make_account(phone="13800000009")
    await make_account(username="facilitator1", phone=None)
    response = await client.signin("138 0000 0009")
    assert response.headers["location"] == "/account"
    page = await client.get("/account")
    assert "138****0009" in page.text
    await client.post_form("/signout")
    assert (await client.get("/account")).status_code == 303
    await client.signin("facilitator1")
    assert "facilitator1" in (await client.get("/account")).text


async def test_wrong_password_and_unknown_account_get_the_same_message(client, make_account):
    await make_account(phone="13800000009")
    wrong = await client.post_form("/signin", {"identifier": "13800000009", "password": "nope-nope"})
    unknown = await client.post_form("/signin", {"identifier": "13700000000", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 422
    message = "手机号、用户名或密码不正确。"
    assert message in wrong.text and message in unknown.text
    assert 'value="13800000009"' in wrong.text  # what the user typed is kept


async def test_empty_sign_in_form_shows_errors_next_to_fields(client):
    response = await client.post_form("/signin", {"identifier": "", "password": ""})
    assert response.status_code == 422
    assert "请输入手机号或用户名。" in response.text
    assert "请输入密码。" in response.text


async def test_too_many_failures_lock_the_account_but_not_the_room(client, make_account):
    await make_account(phone="13800000009")
    await make_account(phone="13800000010")
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        await client.post_form("/signin", {"identifier": "13800000009", "password": "wrong-pass"})
    locked = await client.post_form("/signin", {"identifier": "13800000009", "password": "correct-horse"})
    assert locked.status_code == 429
    assert "密码错误次数过多" in locked.text
    # Another resident in the same room (same address) still signs in.
    other = await client.post_form("/signin", {"identifier": "13800000010", "password": "correct-horse"})
    assert other.status_code == 303


async def test_session_id_rotates_at_sign_in_and_sign_out_ends_it(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    first = client.cookies[accounts.SESSION_COOKIE]
    await client.signin("13800000009")
    second = client.cookies[accounts.SESSION_COOKIE]
    assert first != second
    assert await UserSession.count() == 1
    response = await client.post_form("/signout")
    assert response.status_code == 303
    assert await UserSession.count() == 0


async def test_session_cookie_flags(client, make_account):
    await make_account(phone="13800000009")
    response = await client.signin("13800000009")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_expired_session_signs_in_then_returns_to_the_page(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    await UserSession.update({UserSession.expires_at: accounts.now() - accounts.SESSION_LIFETIME}, force=True)
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/account"
    signin_page = await client.get(response.headers["location"])
    assert 'name="next" value="/account"' in signin_page.text
    after = await client.post_form("/signin", {"identifier": "13800000009", "password": "correct-horse", "next": "/account"})
    assert after.headers["location"] == "/account"


async def test_change_password_checks_and_signs_out_other_devices(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    other_device = await accounts.start_session(
        (await accounts._find_account("13800000009"))["id"], "other phone"
    )
    bad = await client.post_form(
        "/account/password", {"current_password": "wrong", "new_password": "short", "confirm_password": "short"}
    )
    assert bad.status_code == 422
    assert "当前密码不正确。" in bad.text and "密码至少要有 8 个字符。" in bad.text
    mismatch = await client.post_form(
        "/account/password",
        {"current_password": "correct-horse", "new_password": "battery-staple", "confirm_password": "battery-stable"},
    )
    assert "两次输入的密码不一致。" in mismatch.text
    ok = await client.post_form(
        "/account/password",
        {"current_password": "correct-horse", "new_password": "battery-staple", "confirm_password": "battery-staple"},
    )
    assert ok.status_code == 303
    assert await accounts.load_session(other_device) is None
    await client.post_form("/signout")
    await client.signin("13800000009", "battery-staple")


async def test_password_form_htmx_returns_the_fragment(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    token = await client.csrf()
    response = await client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "x", "confirm_password": "x"},
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="password-form"')
    assert "HX-Request" in response.headers["vary"]


async def test_password_is_rehashed_when_parameters_change(client, make_account, monkeypatch):
    from argon2 import PasswordHasher

    from community.tables import Account

    await make_account(phone="13800000009")
    before = (await Account.select(Account.password_hash).first())["password_hash"]
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    await client.signin("13800000009")
    after = (await Account.select(Account.password_hash).first())["password_hash"]
    assert before != after and "t=2" in after and after.startswith("$argon2id$")


async def test_oversized_request_body_is_refused(client):
    token = await client.csrf()
    response = await client.post(
        "/signin", content=b"identifier=" + b"x" * (2 * 1024 * 1024), headers={
            "content-type": "application/x-www-form-urlencoded", "x-csrftoken": token}
    )
    assert response.status_code == 413


async def test_many_phones_signing_in_at_once_never_hit_a_locked_database(client, make_account):
    for i in range(10):
        await make_account(phone=f"1380000{i:04d}")

    async def attempt(i: int):
        return await client.post_form("/signin", {"identifier": f"1380000{i % 10:04d}", "password": "wrong-password"})

    responses = await asyncio.gather(*(attempt(i) for i in range(40)))
    assert {r.status_code for r in responses} <= {422, 429}
    assert await SigninAttempt.count() >= 40


async def test_healthz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
