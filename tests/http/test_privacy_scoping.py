"""Every staff page of a vote or project shows a grid worker or building lead only the buildings of their
scope: a grid worker of building 1 never sees the owners of building 5, their names or whether they voted."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from test_votes_paper import serial_of

from community import accounts
from community.tables import Community
from votes import drafting
from votes.testing import RosterBuilder, scope_staff

FACILITATOR, GRID, LEAD = "13800000301", "13800000302", "13800000303"
ONE = ("张一楼", "李一楼")  # owners in building 1
FIVE = ("吴国强", "陈五楼")  # owners in building 5


@dataclass
class World:
    community_id: int
    buildings: dict[str, int]


@pytest.fixture
async def world(make_account) -> World:
    rows = await Community.insert(Community(slug="scoped", name="分楼社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    ids = {phone: await make_account(phone=phone, name=name) for phone, name in
           ((FACILITATOR, "主持人"), (GRID, "网格员"), (LEAD, "楼栋长"))}  # fmt: skip
    await accounts.grant_role(ids[FACILITATOR], community_id, "facilitator")
    await accounts.grant_role(ids[GRID], community_id, "grid_worker")
    await accounts.grant_role(ids[LEAD], community_id, "building_lead")
    builder = RosterBuilder(community_id)
    one = await builder.stairwell("1", "1")
    five = await builder.stairwell("5", "1")
    for unit, names in ((one, ONE), (five, FIVE)):
        for room, name in zip(("101", "102"), names, strict=True):
            flat = await builder.flat(unit, room, 8000)
            await builder.own(flat, await builder.person(name))
    buildings = dict(builder._buildings)
    building_ids = {name: building for (_, name), building in buildings.items()}
    for phone, role in ((GRID, "grid_worker"), (LEAD, "building_lead")):
        await scope_staff(ids[phone], community_id, role, (building_ids["1"],))
    return World(community_id, building_ids)


async def _scope_value(community_id: int, kind: str, label: str | None = None) -> str:
    for choice in await drafting.scope_choices(community_id):
        if choice.kind == kind and (label is None or str(choice.label) == label):
            return choice.value
    raise AssertionError((kind, label))


async def _open(client, world: World, scope: str, title: str) -> int:
    await client.signin(FACILITATOR)
    form = {"title": title, "question": "是否同意？", "kind": "owners", "matter": "5", "scope": scope,
            "channels": ["online", "paper"], "s_silent_majority": "1"}  # fmt: skip
    response = await client.post_form("/c/scoped/votes", form)
    assert response.status_code == 303, response.text
    vote_id = int(response.headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    await client.post_form("/signout")
    return vote_id


@pytest.mark.parametrize("phone", [GRID, LEAD])
async def test_a_scoped_staff_member_sees_only_their_buildings_on_every_vote_page(client, world, phone):
    whole = await _open(client, world, "community", "全小区表决")
    only_five = await _open(client, world, await _scope_value(world.community_id, "building", "5"), "五号楼表决")
    five_serial = await serial_of(whole, "5-1-101")
    await client.signin(phone)
    manage = await client.get(f"/v/{whole}/manage")
    assert manage.status_code == 200 and 'id="non-voters"' in manage.text
    assert all(name in manage.text for name in ONE)
    assert not any(name in manage.text for name in FIVE) and "5-1-101" not in manage.text and "5-1" not in manage.text
    desk = await client.get(f"/v/{whole}/paper")
    assert desk.status_code == 200 and "5-1" not in desk.text
    looked_up = await client.get(f"/v/{whole}/paper", params={"serial": five_serial})
    assert looked_up.status_code == 422 and "负责范围以外" in looked_up.text
    assert not any(name in looked_up.text for name in FIVE)
    entered = await client.post_form(f"/v/{whole}/paper", {"serial": five_serial, "choice": "agree", "signer": "",
                                                           "channel": "paper"})  # fmt: skip
    assert entered.status_code == 422 and not any(name in entered.text for name in FIVE)
    printed = await client.get(f"/v/{whole}/paper/print")
    assert printed.status_code == 200 and ONE[0] in printed.text and not any(name in printed.text for name in FIVE)
    # A vote entirely outside their buildings: refused, whatever the page.
    for path in (f"/v/{only_five}/manage", f"/v/{only_five}/paper", f"/v/{only_five}/paper/print",
                 f"/v/{only_five}/proxies"):  # fmt: skip
        assert (await client.get(path)).status_code == 403, path
    # In English too: the refusal says why.
    client.cookies.set("yishi_lang", "en")
    refused = await client.get(f"/v/{only_five}/manage")
    assert refused.status_code == 403 and "area of responsibility" in refused.text


async def test_deliveries_outside_the_scope_are_neither_listed_nor_recorded(client, world):
    whole = await _open(client, world, "community", "全小区表决")
    await client.signin(GRID)
    manage = (await client.get(f"/v/{whole}/manage")).text
    assert "1-1-101" in manage and "5-1-101" not in manage
    response = await client.post_form(f"/v/{whole}/deliveries", {"unit": "5-1-101", "method": "posted",
                                                                  "delivered_by": "网格员", "delivered_at": ""})  # fmt: skip
    assert response.status_code == 422


async def test_the_facilitator_sees_every_building(client, world):
    whole = await _open(client, world, "community", "全小区表决")
    await client.signin(FACILITATOR)
    manage = (await client.get(f"/v/{whole}/manage")).text
    assert all(name in manage for name in ONE + FIVE)


@pytest.mark.parametrize("role", ["grid_worker", "building_lead"])
async def test_a_project_outside_the_scope_is_not_shown_and_inside_it_is(client, make_account, role):
    from test_projects_flow import new_project
    from test_projects_flow import open_vote as open_project_vote

    from votes.projects.testing import make_world as project_world

    world = await project_world(make_account)
    project_id = await new_project(client, world)
    await open_project_vote(client, world, project_id)
    account = world.accounts["grid_worker"]
    if role == "building_lead":
        from community.tables import Membership

        await accounts.grant_role(account, world.community_id, "building_lead")
        await Membership.delete().where((Membership.account == account) & (Membership.role == "grid_worker"))
    elsewhere = await RosterBuilder(world.community_id, compound_name="另一个小区").stairwell("1", "1")
    other_building = await _building_of(elsewhere)
    await scope_staff(account, world.community_id, role, (other_building,))
    await client.signin(world.phones["grid_worker"])
    for path in (f"/p/{project_id}/visit", f"/p/{project_id}", f"/p/{project_id}/diagram"):
        response = await client.get(path)
        assert response.status_code in (403, 404), path
        assert "业主501" not in response.text
    # Scoped to the project's building: the list of whom to visit, with names.
    await scope_staff(account, world.community_id, role, (await _building_of(world.unit_id),))
    visit = await client.get(f"/p/{project_id}/visit")
    assert visit.status_code == 200 and "业主501" in visit.text


async def _building_of(stairwell_unit: int) -> int:
    from community.tables import StairwellUnit

    return int((await StairwellUnit.select(StairwellUnit.building).where(StairwellUnit.id == stairwell_unit).first())["building"])


async def test_a_paper_ballot_of_another_building_is_neither_confirmed_nor_rejected_by_them(client, world):
    from votes.tables import PaperBallot

    whole = await _open(client, world, "community", "全小区表决")
    await client.signin(FACILITATOR)
    entered = await client.post_form(f"/v/{whole}/paper", {"serial": await serial_of(whole, "5-1-101"), "choice": "agree",
                                                           "signer": "", "channel": "paper"})  # fmt: skip
    assert entered.status_code == 200, entered.text
    paper_id = int((await PaperBallot.select(PaperBallot.id).first())["id"])
    await client.post_form("/signout")
    await client.signin(GRID)
    for action in ("confirm", "reject"):
        assert (await client.post_form(f"/v/{whole}/paper/{paper_id}/{action}")).status_code == 403
    assert (await PaperBallot.select(PaperBallot.status).first())["status"] == "entered"
