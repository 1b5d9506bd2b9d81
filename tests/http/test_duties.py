"""Counters, scrutineers and volunteers (community.roles): a counter enters paper ballots and a scrutineer
confirms them, each only in the buildings of their scope; a volunteer canvasses and sends reminders in theirs.
None of them reaches the register, the manage page or the other duties, and a refusal changes nothing."""

from __future__ import annotations

import pytest
from test_privacy_scoping import FIVE, ONE, _open, world  # noqa: F401
from test_votes_paper import serial_of

from community import accounts
from votes.tables import CanvassStatus, PaperBallot, Reminder, VoteFlat
from votes.testing import scope_staff

COUNTER, SCRUTINEER, VOLUNTEER = "13800000311", "13800000312", "13800000313"
WHOLE_COUNTER = "13800000314"


@pytest.fixture
async def duties(world, make_account):  # noqa: F811
    """A counter, a scrutineer and a volunteer of building 1, and a counter of the whole community."""
    for phone, name, role, buildings in ((COUNTER, "计票人", "counter", (world.buildings["1"],)),
                                         (SCRUTINEER, "监票人", "scrutineer", (world.buildings["1"],)),
                                         (VOLUNTEER, "志愿者", "volunteer", (world.buildings["1"],)),
                                         (WHOLE_COUNTER, "总计票", "counter", None)):  # fmt: skip
        account = await make_account(phone=phone, name=name)
        await accounts.grant_role(account, world.community_id, role)
        await scope_staff(account, world.community_id, role, buildings)
    return world


async def _enter(client, vote_id: int, unit: str):
    return await client.post_form(f"/v/{vote_id}/paper", {"serial": await serial_of(vote_id, unit), "choice": "agree",
                                                          "signer": "", "channel": "paper"})  # fmt: skip


async def test_a_counter_enters_and_a_scrutineer_confirms_in_their_buildings(client, duties):
    whole = await _open(client, duties, "community", "全小区表决")
    await client.signin(COUNTER)
    vote_page = await client.get(f"/v/{whole}")
    assert f'href="/v/{whole}/paper"' in vote_page.text and f'href="/v/{whole}/manage"' not in vote_page.text
    desk = await client.get(f"/v/{whole}/paper")
    assert desk.status_code == 200 and "5-1" not in desk.text and "/paper/print" not in desk.text
    # Building 5 is outside the counter's scope: as unknown as a wrong serial, nothing stored.
    assert (await _enter(client, whole, "5-1-101")).status_code == 422
    assert await PaperBallot.count() == 0
    assert (await _enter(client, whole, "1-1-101")).status_code == 200
    paper_id = int((await PaperBallot.select(PaperBallot.id).first())["id"])
    # A counter does not confirm, not even someone else's entry.
    assert "/confirm" not in (await client.get(f"/v/{whole}/paper")).text
    for action in ("confirm", "reject"):
        assert (await client.post_form(f"/v/{whole}/paper/{paper_id}/{action}")).status_code == 403
    for path in (f"/v/{whole}/manage", f"/v/{whole}/paper/print", f"/v/{whole}/canvass", "/c/scoped/roster",
                 f"/v/{whole}/proxies", "/c/scoped/minutes", "/c/scoped/staff"):  # fmt: skip
        assert (await client.get(path)).status_code in (403, 404), path
    await client.post_form("/signout")

    await client.signin(SCRUTINEER)
    desk = await client.get(f"/v/{whole}/paper")
    assert desk.status_code == 200 and f"/paper/{paper_id}/confirm" in desk.text and 'name="choice"' not in desk.text
    # A scrutineer does not enter ballots.
    assert (await _enter(client, whole, "1-1-102")).status_code == 403
    assert await PaperBallot.count() == 1
    assert (await client.post_form(f"/v/{whole}/paper/{paper_id}/confirm")).status_code == 200
    assert (await PaperBallot.select(PaperBallot.status).first())["status"] == "confirmed"
    assert (await client.get(f"/v/{whole}/canvass")).status_code == 403


async def test_scoped_duties_are_refused_a_vote_outside_their_buildings(client, duties):
    only_five = await _open(client, duties, await _scope_value_of(duties, "5"), "五号楼表决")
    for phone in (COUNTER, SCRUTINEER):
        await client.signin(phone)
        assert (await client.get(f"/v/{only_five}/paper")).status_code == 403
        assert f'href="/v/{only_five}/paper"' in (await client.get(f"/v/{only_five}")).text  # the role is theirs
        await client.post_form("/signout")
    await client.signin(WHOLE_COUNTER)
    assert (await client.get(f"/v/{only_five}/paper")).status_code == 200
    assert (await _enter(client, only_five, "5-1-101")).status_code == 200


async def test_a_whole_community_counter_enters_every_building_but_never_checks_their_own(client, duties):
    whole = await _open(client, duties, "community", "全小区表决")
    await client.signin(WHOLE_COUNTER)
    assert (await _enter(client, whole, "5-1-101")).status_code == 200
    await client.post_form("/signout")
    await client.signin(SCRUTINEER)  # building 1 only: the entry of building 5 is none of theirs
    paper_id = int((await PaperBallot.select(PaperBallot.id).first())["id"])
    assert (await client.post_form(f"/v/{whole}/paper/{paper_id}/confirm")).status_code == 403
    assert (await PaperBallot.select(PaperBallot.status).first())["status"] == "entered"


async def test_a_volunteer_canvasses_and_reminds_only_their_buildings(client, duties):
    whole = await _open(client, duties, "community", "全小区表决")
    await client.signin(VOLUNTEER)
    vote_page = await client.get(f"/v/{whole}")
    assert f'href="/v/{whole}/canvass"' in vote_page.text and f'href="/v/{whole}/paper"' not in vote_page.text
    page = await client.get(f"/v/{whole}/canvass")
    assert page.status_code == 200 and all(name in page.text for name in ONE)
    assert not any(name in page.text for name in FIVE) and f'href="/v/{whole}/manage"' not in page.text
    assert (await client.get(f"/v/{whole}/canvass/sheet")).status_code == 200
    five = (await VoteFlat.select(VoteFlat.id).where((VoteFlat.vote == whole) & (VoteFlat.unit == "5-1-101")).first())["id"]
    one = (await VoteFlat.select(VoteFlat.id).where((VoteFlat.vote == whole) & (VoteFlat.unit == "1-1-101")).first())["id"]
    assert (await client.post_form(f"/v/{whole}/canvass/{five}", {"status": "refused"})).status_code == 404
    assert (await client.post_form(f"/v/{whole}/canvass/{one}", {"status": "refused"})).status_code == 303
    assert await CanvassStatus.count() == 1
    assert (await client.post_form(f"/v/{whole}/reminders", {"template": "friendly"})).status_code == 303
    assert {r["flat.unit"] for r in await Reminder.select(Reminder.flat.unit)} == {"1-1-101", "1-1-102"}
    assert (await client.get(f"/v/{whole}/reminders/slips")).status_code == 200
    # No paper desk, no register, no staff pages.
    assert (await client.get(f"/v/{whole}/paper")).status_code == 403
    assert (await _enter(client, whole, "1-1-102")).status_code == 403
    for path in (f"/v/{whole}/manage", "/c/scoped/roster", "/c/scoped/roster/slips", "/c/scoped/minutes"):
        assert (await client.get(path)).status_code in (403, 404), path
    assert await PaperBallot.count() == 0


async def _scope_value_of(world, building: str) -> str:  # noqa: F811
    from test_privacy_scoping import _scope_value

    return await _scope_value(world.community_id, "building", building)
