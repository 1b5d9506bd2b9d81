"""Written proxies: recorded by the facilitator, limited per person, the proxy votes for the owner, the record shows it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from test_votes_casting import cast_online, make_world, open_vote

from votes.tables import Ballot, Proxy, ProxyPhoto

# Dates relative to today, never on the calendar: an authorisation signed a month ago, and one dated ahead.
TODAY = datetime.now(UTC).date()
SIGNED_ON = (TODAY - timedelta(days=30)).isoformat()
AHEAD = (TODAY + timedelta(days=2)).isoformat()


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


def proxy_form(**changes: str) -> dict[str, str]:
    form = {
        "unit": "3-2-202",
        "owner": "",
        "proxy_name": "孙租",
        "proxy_phone": "13900000105",
        "authorised_on": SIGNED_ON,
        "matters": "",
    }
    form.update(changes)
    return form


async def test_tenant_votes_as_the_owners_written_proxy(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    recorded = await client.post_form(f"/v/{vote_id}/proxies", proxy_form())
    assert recorded.status_code == 303
    listing = await client.get(f"/v/{vote_id}/proxies?saved=1")
    assert "委托已登记" in listing.text and "孙租" in listing.text and "139****0105" in listing.text
    assert_translated(listing.text, "zh", data={"3号楼2单元加装电梯", "孙租", "赵", "3-2-202", "139****0105"})
    await client.post_form("/signout")
    await client.signin("13900000105")
    page = await client.get(f"/v/{vote_id}")
    assert "您作为业主的代理人投票" in page.text and "3-2-202" in page.text
    cast = await cast_online(client, vote_id, "3-2-202", "agree")
    assert cast.status_code == 200 and "回执码" in cast.text
    ballot = await Ballot.select(Ballot.voter, Ballot.proxy, Ballot.unit).first()
    proxy = await Proxy.select(Proxy.id, Proxy.owner_voter).first()
    assert ballot["proxy"] == proxy["id"] and ballot["voter"] == proxy["owner_voter"] and ballot["unit"] == "3-2-202"


async def test_per_person_limit_is_enforced(client, world):
    vote_id = await open_vote(client, world, s_proxy_limit="1")
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{vote_id}/proxies", proxy_form())).status_code == 303
    second = await client.post_form(f"/v/{vote_id}/proxies", proxy_form(unit="3-2-101"))
    assert second.status_code == 422 and "已达上限" in second.text
    assert 'value="3-2-101"' in second.text  # what was typed is kept
    assert await Proxy.count() == 1


async def test_one_standing_authorisation_per_household(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    await client.post_form(f"/v/{vote_id}/proxies", proxy_form())
    again = await client.post_form(f"/v/{vote_id}/proxies", proxy_form(proxy_name="别人", proxy_phone=""))
    assert again.status_code == 422 and "已登记了委托书" in again.text
    proxy = await Proxy.select(Proxy.id).first()
    assert (await client.post_form(f"/v/{vote_id}/proxies/{proxy['id']}/revoke")).status_code == 303
    assert (await client.post_form(f"/v/{vote_id}/proxies", proxy_form(proxy_name="别人", proxy_phone=""))).status_code == 303


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"unit": "9-9-999"}, "不在本次表决的范围内"),
        ({"unit": "3-2-201", "owner": "李甲"}, "有表决权的业主"),  # not the designated voter
        ({"proxy_name": ""}, "请填写代理人姓名"),
        ({"proxy_phone": "123"}, "11 位手机号码"),
        ({"authorised_on": ""}, "委托书上的日期"),
        ({"authorised_on": AHEAD}, "不能晚于今天"),
        ({"proxy_phone": "13900000101", "unit": "3-2-101"}, "不能委托自己"),
    ],
)
async def test_bad_authorisations_are_refused_with_a_message(client, world, changes, field_message):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    response = await client.post_form(f"/v/{vote_id}/proxies", proxy_form(**changes))
    assert response.status_code == 422
    assert field_message in response.text
    assert await Proxy.count() == 0


async def test_designated_voter_is_the_authorising_owner_by_default(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{vote_id}/proxies", proxy_form(unit="3-2-201", proxy_phone=""))).status_code == 303
    proxy = await Proxy.select(Proxy.owner_person).first()
    assert proxy["owner_person"] == world.people["李乙"]


async def test_named_co_owner_and_photo(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, format="PNG")
    token = await client.csrf()
    response = await client.post(
        f"/v/{vote_id}/proxies",
        data={**proxy_form(unit="3-2-201", owner="李乙", proxy_phone=""), "_csrf_token": token},
        files={"photo": ("auth.png", image.getvalue(), "image/png")},
    )
    assert response.status_code == 303, response.text
    proxy = await Proxy.select(Proxy.id, Proxy.has_photo).first()
    assert proxy["has_photo"]
    photo = await client.get(f"/v/{vote_id}/proxies/{proxy['id']}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    await client.post_form("/signout")
    await client.signin("13900000101")
    assert (await client.get(f"/v/{vote_id}/proxies/{proxy['id']}/photo")).status_code == 403


async def test_not_a_photo_is_refused(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    token = await client.csrf()
    response = await client.post(
        f"/v/{vote_id}/proxies",
        data={**proxy_form(), "_csrf_token": token},
        files={"photo": ("auth.png", b"not an image at all", "image/png")},
    )
    assert response.status_code == 422 and "不是照片" in response.text
    assert await Proxy.count() == 0 and await ProxyPhoto.count() == 0


async def test_household_that_voted_cannot_authorise_any_more(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")
    await client.post_form("/signout")
    await client.signin("13800000009")
    response = await client.post_form(f"/v/{vote_id}/proxies", proxy_form(unit="3-2-101", proxy_phone=""))
    assert response.status_code == 422 and "已经投票" in response.text


async def test_only_the_facilitator_records_proxies(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000008")  # a recorder
    assert (await client.post_form(f"/v/{vote_id}/proxies", proxy_form())).status_code == 403
    assert await Proxy.count() == 0
