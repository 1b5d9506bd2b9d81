"""大字模式 (large-text mode): one tap from every page, remembered on the device and on the account."""

from __future__ import annotations

import httpx
from clients import Client

from community.tables import Account


def large(html: str) -> bool:
    return '<html lang="zh-CN" class="large-text">' in html


async def test_every_page_offers_large_text_and_it_sticks_to_the_device(client):
    page = await client.get("/signin")
    assert not large(page.text)
    assert 'action="/text-size"' in page.text and 'aria-pressed="false"' in page.text and "大字模式" in page.text
    response = await client.post_form("/text-size", {"size": "large", "next": "/signin"})
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    for path in ("/signin", "/", "/c/nowhere"):  # error pages too
        assert large((await client.get(path)).text), path
    assert 'aria-pressed="true"' in (await client.get("/")).text
    await client.post_form("/text-size", {"size": "normal", "next": "/"})
    assert not large((await client.get("/")).text)


async def test_the_account_remembers_it_for_a_new_device(client, make_account, app):
    account = await make_account(phone="13800000009")
    await client.signin("13800000009")
    await client.post_form("/text-size", {"size": "large", "next": "/account"})
    assert (await Account.select(Account.large_text).where(Account.id == account).first())["large_text"] is True

    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 50000))
    async with Client(transport=transport, base_url="http://testserver.local") as phone:
        assert not large((await phone.get("/")).text)  # not signed in: this device chose nothing
        await phone.signin("13800000009")
        assert large((await phone.get("/account")).text)
        # This device's own choice wins over the account's.
        await phone.post_form("/text-size", {"size": "normal", "next": "/account"})
        assert not large((await phone.get("/account")).text)


async def test_the_switch_never_leads_to_another_host(client):
    response = await client.post_form("/text-size", {"size": "large", "next": "https://evil.example/"})
    assert response.headers["location"] == "/"
