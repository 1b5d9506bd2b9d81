"""Guessing is limited the same way everywhere (community.ratelimit): join codes, receipt codes and passwords, per client
address and per target, with a translated 429."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from clients import Client, running
from test_votes_casting import cast_online, make_world, open_vote

from app.main import create_app
from community import accounts, live, ratelimit
from community.roster import codes, joining
from community.tables import SigninAttempt


@asynccontextmanager
async def clients(*addresses: str) -> AsyncIterator[list[Client]]:
    """Several browsers on different networks, talking to one running app."""
    kept = live._plugin, live._through_database  # an app of its own replaces the live channels' plugin
    app = create_app()
    async with running(app):
        made = [
            Client(transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://testserver.local")
            for address in addresses
        ]
        try:
            yield made
        finally:
            for client in made:
                await client.aclose()
            live._plugin, live._through_database = kept  # the session's app keeps its live updates


def wrong_code(i: int) -> str:
    return "ABCD" + "".join(codes.ALPHABET[(i // len(codes.ALPHABET) ** n) % len(codes.ALPHABET)] for n in range(4))


async def test_typing_join_codes_is_limited_per_client(client):
    for i in range(joining.MAX_CODE_FAILURES_PER_CLIENT):
        response = await client.post_form("/join", {"code": wrong_code(i)})
        assert response.status_code == 404, i
        assert "加入码无效" in response.text
    limited = await client.post_form("/join", {"code": wrong_code(999)})
    assert limited.status_code == 429 and "此网络输错加入码的次数过多" in limited.text
    # Every way in to a code is closed for this network now: the page, and the three forms on it.
    assert (await client.get(f"/join/{wrong_code(1000)}")).status_code == 429
    for form in ("new", "existing", "claim"):
        response = await client.post_form(f"/join/{wrong_code(1001)}/{form}", {"identifier": "x", "existing_password": "y"})
        assert response.status_code in (303, 429), form  # claim needs a signed-in user first
    assert await SigninAttempt.count() == joining.MAX_CODE_FAILURES_PER_CLIENT
    # Another network is not affected.
    async with clients("198.51.100.20") as (other,):
        assert (await other.post_form("/join", {"code": wrong_code(5)})).status_code == 404
    # In English too.
    client.cookies.set("yishi_lang", "en")
    english = await client.post_form("/join", {"code": wrong_code(998)})
    assert english.status_code == 429 and "Too many wrong codes from this network" in english.text


async def test_a_wrong_code_on_the_join_forms_counts_once(client):
    response = await client.post_form(f"/join/{wrong_code(1)}/new", {"phone": "13700000001", "password": "x"})
    assert response.status_code == 404
    assert await SigninAttempt.count().where(SigninAttempt.key == "join:203.0.113.7") == 1


async def _receipt(client, vote_id: int, code: str) -> httpx.Response:
    return await client.post_form(f"/v/{vote_id}/receipt", {"code": code})


async def test_receipt_codes_are_limited_per_client_and_per_vote(client, make_account, monkeypatch):
    world = await make_world(make_account)
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    cast = await cast_online(client, vote_id, "3-2-101", "oppose")
    good = re.search(r'id="receipt-code">([0-9A-Z-]+)<', cast.text).group(1)
    await client.post_form("/signout")
    for i in range(ratelimit.RECEIPT_PER_CLIENT.most):
        response = await _receipt(client, vote_id, f"2222-2222-{wrong_code(i)[4:]}")
        assert response.status_code == 200 and "没有" in response.text, i
    limited = await _receipt(client, vote_id, good)  # refused before any code is looked up, even a right one
    assert limited.status_code == 429 and "此网络输入的回执码多次未对应任何选票" in limited.text
    assert "反对" not in limited.text.split("receipt-check", 1)[1]
    # Per vote, from anywhere: a guesser spreading over many addresses is stopped too. (A smaller limit than
    # the real one, so six more failures from two other networks reach it.)
    most = ratelimit.RECEIPT_PER_CLIENT.most + 6
    monkeypatch.setattr(ratelimit, "RECEIPT_PER_VOTE", dataclasses.replace(ratelimit.RECEIPT_PER_VOTE, most=most))
    async with clients("198.51.100.1", "198.51.100.2", "198.51.100.3") as (first, second, third):
        for i in range(3):
            assert (await _receipt(first, vote_id, f"3333-3333-{wrong_code(i)[4:]}")).status_code == 200
            assert (await _receipt(second, vote_id, f"4444-4444-{wrong_code(i)[4:]}")).status_code == 200
        refused = await _receipt(third, vote_id, good)
        assert refused.status_code == 429 and "这项表决已有过多" in refused.text
    # Another vote is another target.
    other_vote = await open_vote(client, world, title="另一项表决")
    async with clients("198.51.100.4") as (fresh,):
        assert (await _receipt(fresh, other_vote, good)).status_code == 200


async def test_a_wrong_current_password_counts_like_a_failed_sign_in(client, make_account):
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    form = {"new_password": "new-password-1", "confirm_password": "new-password-1"}
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        wrong = await client.post_form("/account/password", {**form, "current_password": "guess"})
        assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    limited = await client.post_form("/account/password", {**form, "current_password": "correct-horse"})
    assert limited.status_code == 429 and "密码错误次数过多" in limited.text
    # The same account's sign-in is limited as well: one count per account, wherever the password is typed.
    await client.post_form("/signout")
    signin = await client.post_form("/signin", {"identifier": "13800000009", "password": "correct-horse"})
    assert signin.status_code == 429


@pytest.mark.parametrize("failures,refused", [(0, False), (4, False), (5, True), (6, True)])
def test_the_limit_is_reached_at_most_failures(failures, refused):
    assert ratelimit.exceeded(failures, ratelimit.PASSWORD_PER_ACCOUNT) is refused
    assert ratelimit.key(ratelimit.JOIN_CODE_PER_CLIENT, "203.0.113.7") == "join:203.0.113.7"
    assert len(ratelimit.key(ratelimit.RECEIPT_PER_CLIENT, "x" * 500)) == ratelimit.KEY_LENGTH
