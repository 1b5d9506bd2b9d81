"""Canvassing seen from a grid worker or building lead scoped to building 1 (issue 11): the tracker, the
door-to-door sheet, statuses and reminders never reach building 5, its owners' names or whether they voted."""

from __future__ import annotations

import pytest
from test_privacy_scoping import FACILITATOR, FIVE, GRID, LEAD, ONE, _open, _scope_value, world  # noqa: F401

from votes.tables import CanvassStatus, Notice, Reminder, VoteFlat


async def _flat(vote_id: int, unit: str) -> int:
    row = await VoteFlat.select(VoteFlat.id).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == unit)).first()
    return int(row["id"])


@pytest.mark.parametrize("phone", [GRID, LEAD])
async def test_scoped_staff_canvass_only_their_buildings(client, world, phone):  # noqa: F811
    whole = await _open(client, world, "community", "全小区表决")
    only_five = await _open(client, world, await _scope_value(world.community_id, "building", "5"), "五号楼表决")
    await client.signin(phone)
    page = await client.get(f"/v/{whole}/canvass")
    assert page.status_code == 200
    assert all(name in page.text for name in ONE) and "1-1-101" in page.text
    assert not any(name in page.text for name in FIVE) and "5-1-101" not in page.text and "5-1" not in page.text
    assert (await client.get(f"/v/{whole}/canvass/sheet?stairwell=5-1")).status_code == 404
    sheet = await client.get(f"/v/{whole}/canvass/sheet")
    assert sheet.status_code == 200 and "1-1-102" in sheet.text and "5-1" not in sheet.text
    five_flat = await _flat(whole, "5-1-101")
    assert (await client.post_form(f"/v/{whole}/canvass/{five_flat}", {"status": "refused"})).status_code == 404
    assert await CanvassStatus.count() == 0
    assert (await client.post_form(f"/v/{whole}/reminders", {"template": "friendly"})).status_code == 303
    units = {r["flat.unit"] for r in await Reminder.select(Reminder.flat.unit)}
    assert units == {"1-1-101", "1-1-102"}
    slips = await client.get(f"/v/{whole}/reminders/slips")
    assert "1-1-101" in slips.text and "5-1" not in slips.text and not any(name in slips.text for name in FIVE)
    # A vote of building 5 alone is none of their business.
    assert (await client.get(f"/v/{only_five}/canvass")).status_code == 403
    assert (await client.post_form(f"/v/{only_five}/reminders", {"template": "friendly"})).status_code == 403
    assert (await client.get(f"/v/{only_five}/canvass/sheet?stairwell=5-1")).status_code == 403
    assert await Notice.count() == 0 and await Reminder.count() == 2


async def test_the_facilitator_canvasses_every_building(client, world):  # noqa: F811
    whole = await _open(client, world, "community", "全小区表决")
    await client.signin(FACILITATOR)
    page = (await client.get(f"/v/{whole}/canvass")).text
    assert all(name in page for name in ONE + FIVE)
    assert (await client.post_form(f"/v/{whole}/canvass/{await _flat(whole, '5-1-101')}", {"status": "vacant"})).status_code == 303
