"""After a form sent by htmx, the answer is 200 with HX-Redirect, never a redirect (issue 19).

A 303 is followed by the browser itself before htmx sees any header, and htmx then swaps the whole next page
into the form's target: saving a vote nested the manage page inside the vote form. The same form sent without
JavaScript still gets 303 See Other, so a reload never posts twice."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from test_votes_casting import cast_online, jpeg, make_world, open_vote, stairwell_scope, vote_form

from votes.tables import Vote
from votes.testing import let_voting_period_run


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def post(client, path: str, data: dict[str, str], htmx: bool):
    token = await client.csrf()
    headers = {"HX-Request": "true", "x-csrftoken": token} if htmx else {}
    return await client.post(path, data={**data, "_csrf_token": token}, headers=headers)


def navigates(response, path_start: str, htmx: bool) -> None:
    """htmx: 200, HX-Redirect to the next page and no Location; plain form: 303 to the same page."""
    if htmx:
        assert response.status_code == 200, response.text
        assert response.headers["hx-redirect"].startswith(path_start)
        assert "location" not in response.headers
        assert response.text == ""  # nothing to swap into the form
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith(path_start)
        assert "hx-redirect" not in response.headers


async def draft(client, world, **changes: str) -> int:
    created = await post(client, "/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id), **changes), False)
    return int(created.headers["location"].split("/")[2])


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("kind", ["owners", "poll"])
async def test_creating_a_vote_or_a_poll(client, world, htmx, kind):
    await client.signin("13800000009")
    extra = {"kind": "poll", "options": "北侧\n南侧"} if kind == "poll" else {}
    form = vote_form(scope=await stairwell_scope(world.community_id), **extra)
    response = await post(client, "/c/test/votes", form, htmx)
    vote_id = (await Vote.select(Vote.id).first())["id"]
    navigates(response, f"/v/{vote_id}/manage", htmx)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_saving_publishing_and_deleting_a_vote(client, world, htmx):
    await client.signin("13800000009")
    vote_id = await draft(client, world)
    saved = await post(client, f"/v/{vote_id}/edit", vote_form(scope=await stairwell_scope(world.community_id), title="新标题"), htmx)
    navigates(saved, f"/v/{vote_id}/manage", htmx)
    assert (await Vote.select(Vote.title).first())["title"] == "新标题"
    other = await draft(client, world, title="不要了")
    navigates(await post(client, f"/v/{other}/delete", {}, htmx), "/c/test/votes", htmx)
    navigates(await post(client, f"/v/{vote_id}/publish", {}, htmx), f"/v/{vote_id}/manage", htmx)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_closing_a_vote(client, world, htmx):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")
    await let_voting_period_run(vote_id)
    await client.signin("13800000009")
    navigates(await post(client, f"/v/{vote_id}/close", {"confirm": "yes"}, htmx), f"/v/{vote_id}/result", htmx)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_recording_a_delivery(client, world, htmx):
    vote_id = await open_vote(client, world, matter="3", s_silent_majority="1")
    await client.signin("13800000009")
    token = await client.csrf()
    data = {"unit": "3-2-102", "method": "posted", "delivered_by": "张网格", "_csrf_token": token,
            "delivered_at": datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    headers = {"HX-Request": "true", "x-csrftoken": token} if htmx else {}
    response = await client.post(f"/v/{vote_id}/deliveries", data=data, headers=headers,
                                 files={"photo": ("photo.jpg", jpeg(), "image/jpeg")})  # fmt: skip
    navigates(response, f"/v/{vote_id}/manage?served=1", htmx)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_saving_the_communitys_vote_settings_and_a_password(client, world, htmx):
    await client.signin("13800000009")
    settings = await client.get("/c/test/votes/settings")
    assert settings.status_code == 200
    navigates(await post(client, "/c/test/votes/settings", {"proxy_limit": "1"}, htmx), "/c/test/votes/settings?saved=1", htmx)
    changed = await post(client, "/account/password", {"current_password": "correct-horse", "new_password": "a-new-long-passphrase",
                                                       "confirm_password": "a-new-long-passphrase"}, htmx)  # fmt: skip
    navigates(changed, "/account?saved=1", htmx)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_signing_in_first(client, world, htmx):
    """A session that ran out under an htmx form: the sign-in page opens as a page, not inside the form."""
    await client.get("/")
    headers = {"HX-Request": "true"} if htmx else {}
    response = await client.get("/v/1/manage", headers=headers)
    navigates(response, "/signin?next=/v/1/manage", htmx)
