"""Service (送达) of the silent-majority warning, flat by flat with evidence (issue 19): no bulk record; who,
when and how; an owner's read receipt; and the adjusted result counts only flats with evidence."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from test_votes_casting import cast_online, deliver, make_world, open_vote

from community import i18n
from votes.tables import Delivery, DeliveryPhoto, Vote, VoteFlat
from votes.testing import let_voting_period_run


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def silent_vote(client, world) -> int:
    return await open_vote(client, world, matter="3", s_silent_majority="1")


async def test_there_is_no_bulk_record_and_the_form_asks_for_evidence(client, world):
    vote_id = await silent_vote(client, world)
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{vote_id}/served", {"stairwell": "3-2"})).status_code in (404, 405)
    page = (await client.get(f"/v/{vote_id}/manage")).text
    assert 'name="stairwell"' not in page.split('id="served"')[1].split("</section>")[0]
    assert f'action="/v/{vote_id}/deliveries"' in page and 'name="photo"' in page and "当面送达，本人签收" in page
    assert await VoteFlat.count().where(VoteFlat.served.eq(True)) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit": ""}, "unit", "请选择送达的房屋"),
        ({"unit": "9-9-999"}, "unit", "这户不在本次表决的表决权人名单中"),
        ({"method": "in_app"}, "method", "请选择送达方式"),
        ({"delivered_by": ""}, "delivered_by", "请填写送达人"),
        ({"delivered_at": ""}, "delivered_at", "请填写送达时间"),
        ({"delivered_at": "2099-01-01T10:00"}, "delivered_at", "送达时间不能晚于现在"),
        ({"delivered_at": "2020-01-01T10:00"}, "delivered_at", "表决开始之后才可能送达选票"),
        ({"method": "in_person", "signed_by": ""}, "signed_by", "请填写签收人的姓名"),
        ({"photo": ""}, "photo", "请上传张贴在门口的选票和提示的照片"),
    ],
)
async def test_a_delivery_without_its_evidence_is_refused_and_nothing_stored(client, world, changes, field, message):
    vote_id = await silent_vote(client, world)
    await client.signin("13800000009")
    unit = changes.pop("unit", "3-2-102")
    refused = await deliver(client, vote_id, unit, **changes)
    assert refused.status_code == 422 and message in refused.text and f'id="e-{field}"' in refused.text
    assert await Delivery.count() == 0 and await VoteFlat.count().where(VoteFlat.served.eq(True)) == 0


async def test_refusals_in_english_and_a_second_record_for_the_same_flat(client, world):
    vote_id = await silent_vote(client, world)
    await client.signin("13800000009")
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    refused = await deliver(client, vote_id, "3-2-102", method="in_person", signed_by="")
    assert "Enter the name of the person who signed for it." in refused.text
    recorded = await deliver(client, vote_id, "3-2-102", method="in_person")
    assert recorded.status_code == 303 and recorded.headers["location"].endswith("#served")
    again = await deliver(client, vote_id, "3-2-102")
    assert again.status_code == 422  # the flat is no longer offered, and the record is not doubled
    assert await Delivery.count() == 1
    row = await Delivery.select().first()
    assert row["method"] == "in_person" and row["signed_by"] == "业主本人" and row["delivered_by"] == "张网格"
    page = (await client.get(f"/v/{vote_id}/manage?served=1")).text
    assert "1 flats recorded as served" in page or "recorded as served" in page
    assert "Signed by 业主本人" in page and f"/v/{vote_id}/deliveries/{row['id']}/photo" in page


async def test_the_photo_is_for_staff_only(client, world):
    vote_id = await silent_vote(client, world)
    await client.signin("13800000009")
    await deliver(client, vote_id, "3-2-202")
    delivery = (await Delivery.select(Delivery.id).first())["id"]
    photo = await client.get(f"/v/{vote_id}/deliveries/{delivery}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert await DeliveryPhoto.count() == 1
    await client.signin("13900000101")  # an owner of the vote
    assert (await client.get(f"/v/{vote_id}/deliveries/{delivery}/photo")).status_code == 403
    assert (await deliver(client, vote_id, "3-2-102")).status_code == 403


async def test_an_owner_confirms_reading_the_warning_in_the_app(client, world):
    vote_id = await silent_vote(client, world)
    await client.signin("13900000101")  # 王一 owns 3-2-101 and 3-2-301
    page = (await client.get(f"/v/{vote_id}")).text
    assert "提示：未参加表决的业主" in page and "3-2-101、3-2-301" in page
    # Confirmed with a double tap, twice: all answered, one record per flat.
    sent = await asyncio.gather(*[client.post_form(f"/v/{vote_id}/acknowledge") for _ in range(4)])
    assert [r.status_code for r in sent] == [303] * 4
    rows = await Delivery.select(Delivery.flat.unit, Delivery.method, Delivery.account).order_by(Delivery.flat.unit)
    assert [(r["flat.unit"], r["method"]) for r in rows] == [("3-2-101", "in_app"), ("3-2-301", "in_app")]
    page = (await client.get(f"/v/{vote_id}?read=1")).text
    assert "您的确认已记录" in page and "我已收到选票" not in page
    # A tenant and an unverified owner confirm nothing.
    for phone in ("13900000105", "13900000102"):
        await client.signin(phone)
        assert "我已收到选票" not in (await client.get(f"/v/{vote_id}")).text
        await client.post_form(f"/v/{vote_id}/acknowledge")
    assert await Delivery.count() == 2


async def test_a_vote_without_the_clause_has_nothing_to_serve(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13800000009")
    refused = await deliver(client, vote_id, "3-2-102")
    assert refused.status_code == 409 and await Delivery.count() == 0


async def test_the_adjusted_result_counts_only_flats_with_evidence(client, world):
    vote_id = await silent_vote(client, world)
    for phone, unit in (("13900000101", "3-2-101"), ("13900000104", "3-2-201")):
        await client.signin(phone)
        await cast_online(client, vote_id, unit, "agree")
    await client.signin("13800000009")
    assert (await deliver(client, vote_id, "3-2-102")).status_code == 303  # one of the three who did not vote
    # A flag set without evidence (as the old bulk action did) does not count.
    await VoteFlat.update({VoteFlat.served: True}).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == "3-2-202"))
    await let_voting_period_run(vote_id)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
    record = json.loads((await client.get(f"/v/{vote_id}/record.json")).text)
    assert len(record["served"]) == 1
    result = (await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first())["result"]
    assert result["adjusted"]["participating"]["headcount"] == 3  # 2 voted + 1 served with evidence
    assert result["outcome"] == "no_quorum"


async def test_a_delivery_before_the_vote_opened_or_after_it_closed_is_refused(client, world):
    vote_id = await silent_vote(client, world)
    await client.signin("13800000009")
    await Vote.update({Vote.opened_at: datetime.now(UTC) - timedelta(days=1)}).where(Vote.id == vote_id)
    yesterday_morning = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert (await deliver(client, vote_id, "3-2-102", delivered_at=yesterday_morning)).status_code == 422
    await let_voting_period_run(vote_id)
    await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert (await deliver(client, vote_id, "3-2-102")).status_code == 409
    assert await Delivery.count() == 0
