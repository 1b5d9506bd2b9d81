"""A proxy holder from outside the register gets an account by the facilitator's invitation: linked to the one
proxy, expiring when the proxy is revoked or the vote closes."""

from __future__ import annotations

import re

import pytest
from admin_helpers import client_from
from test_votes_casting import make_world, open_vote

from community.tables import Account, AccountCode, AuditLog
from votes.tables import Proxy
from votes.testing import let_voting_period_run

DAUGHTER = "13700000555"


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def record_and_invite(client, vote_id: int) -> str:
    await client.signin("13800000009")
    form = {"unit": "3-2-202", "owner": "", "proxy_name": "王女儿", "proxy_phone": DAUGHTER,
            "authorised_on": "2026-11-01", "matters": ""}
    assert (await client.post_form(f"/v/{vote_id}/proxies", form)).status_code == 303
    proxy = await Proxy.select(Proxy.id, Proxy.proxy_account).first()
    assert proxy["proxy_account"] is None
    page = await client.get(f"/v/{vote_id}/proxies")
    assert f"/proxies/{proxy['id']}/invite" in page.text
    response = await client.post_form(f"/v/{vote_id}/proxies/{proxy['id']}/invite")
    assert response.status_code == 200
    found = re.search(r'class="code-slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', response.text)
    assert found
    return found.group(1)


async def test_an_invited_proxy_holder_activates_and_votes_for_the_owner(client, world):
    vote_id = await open_vote(client, world)
    code = await record_and_invite(client, vote_id)
    account = await Account.select().where(Account.phone == DAUGHTER).first()
    assert (await Proxy.select(Proxy.proxy_account).first())["proxy_account"] == account["id"]
    assert await AuditLog.exists().where(AuditLog.action == "proxy_invited")
    async with client_from("203.0.113.50") as daughter:
        await daughter.get("/activate")
        activated = await daughter.post_form("/activate", {"code": code, "password": "daughter-pw", "confirm_password": "daughter-pw"})
        assert activated.status_code == 303
        page = await daughter.get(f"/v/{vote_id}")
        assert "您作为业主的代理人投票" in page.text and "3-2-202" in page.text
        # Revoking the proxy ends the account and its session at once.
        await client.post_form(f"/v/{vote_id}/proxies/{(await Proxy.select(Proxy.id).first())['id']}/revoke")
        assert (await daughter.get("/account")).status_code == 303
    assert not (await Account.select(Account.is_active).where(Account.phone == DAUGHTER).first())["is_active"]
    assert await AuditLog.exists().where(AuditLog.action == "proxy_account_expired")


async def test_the_account_ends_when_the_vote_closes_and_an_unused_code_with_it(client, world):
    vote_id = await open_vote(client, world)
    await record_and_invite(client, vote_id)
    await let_voting_period_run(vote_id)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
    assert not (await Account.select(Account.is_active).where(Account.phone == DAUGHTER).first())["is_active"]
    assert await AccountCode.count().where(AccountCode.revoked_at.is_null()) == 0


async def test_only_the_facilitator_invites_and_a_refusal_changes_nothing(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    form = {"unit": "3-2-202", "owner": "", "proxy_name": "王女儿", "proxy_phone": DAUGHTER,
            "authorised_on": "2026-11-01", "matters": ""}
    await client.post_form(f"/v/{vote_id}/proxies", form)
    await client.post_form("/signout")
    proxy_id = (await Proxy.select(Proxy.id).first())["id"]
    for login in ("13800000008", "13900000101"):  # recorder, owner
        await client.signin(login)
        assert (await client.post_form(f"/v/{vote_id}/proxies/{proxy_id}/invite")).status_code == 403
        await client.post_form("/signout")
    assert await Account.count().where(Account.phone == DAUGHTER) == 0
    assert (await Proxy.select(Proxy.proxy_account).first())["proxy_account"] is None


async def test_a_holder_who_already_has_an_account_is_linked_without_a_code(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    form = {"unit": "3-2-202", "owner": "", "proxy_name": "钱外", "proxy_phone": "13900000106",
            "authorised_on": "2026-11-01", "matters": ""}
    await client.post_form(f"/v/{vote_id}/proxies", form)
    proxy = await Proxy.select(Proxy.id, Proxy.proxy_account).first()
    if proxy["proxy_account"] is None:
        response = await client.post_form(f"/v/{vote_id}/proxies/{proxy['id']}/invite")
        assert response.status_code == 200 and "code-slip-code" not in response.text
    else:
        # Recording already linked the existing account: nothing to invite.
        assert f"/proxies/{proxy['id']}/invite" not in (await client.get(f"/v/{vote_id}/proxies")).text
    assert await AccountCode.count() == 0
