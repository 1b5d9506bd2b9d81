"""Who may see and do what with a concern, checked on the server for every object and every child looked up
through its parent: another community's staff, a scoped grid worker outside the scope, another resident,
street staff, anonymous visitors. Public pages never show names, phones, photos or neighbour disputes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from concerns_world import NAMES, PHONES, build, png

from deliberation.concerns import rating, services
from deliberation.concerns.tables import Concern, ConcernPhoto, ConcernStep


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path))


async def raised(world, who="owner", building="1", kind="repair", public=False, photo=True) -> int:
    """A concern raised through the service: the owner's flat in building 1, or staff on behalf elsewhere."""
    if who == "owner":
        cmd = services.Intake(world.community, kind, f"flat:{world.flats['1-101']}", "楼道灯坏了，秘密细节。",
                              public_text=public, photos=(png(),) if photo else ())  # fmt: skip
    else:
        cmd = services.Intake(world.community, kind, f"unit:{world.units[building]}", "二号楼的诉求，秘密细节。",
                              public_text=public, on_behalf=True, channel="phone", reporter_name="钱大爷",
                              reporter_phone="13812345678")  # fmt: skip
    return await services.intake(world.user("owner" if who == "owner" else "facilitator"), cmd)


async def status_of(concern_id: int) -> tuple:
    row = await Concern.select().where(Concern.id == concern_id).first()
    return row["status"], row["handler_account"], await ConcernStep.count().where(ConcernStep.concern == concern_id)


async def test_anonymous_visitors_are_asked_to_sign_in(client, make_account):
    world = await build(make_account)
    concern_id = await raised(world)
    photo = await ConcernPhoto.select().first()
    for path in (f"/concerns/{concern_id}", f"/concerns/{concern_id}/photos/{photo['id']}", "/c/xfl/concerns",
                 "/c/xfl/concerns/new", "/c/xfl/concerns/figures", "/concerns"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin"), path
    before = await status_of(concern_id)
    for path, data in ((f"/concerns/{concern_id}/dispatch", {"handler": "property", "handler_name": "x", "due_on": "2099-01-01"}),
                       (f"/concerns/{concern_id}/answer", {"answer_text": "x"}),
                       (f"/concerns/{concern_id}/rate", {"rating": "satisfied"}),
                       ("/c/xfl/concerns/new", {"kind": "repair", "place": "common:1", "text": "x"})):
        assert (await client.post_form(path, data)).status_code == 303
        assert (await client.post(path, data=data)).status_code == 403  # without the CSRF token
    assert await status_of(concern_id) == before and await Concern.count() == 1


async def test_another_communitys_staff_see_nothing(client, make_account):
    world = await build(make_account)
    concern_id = await raised(world)
    photo = await ConcernPhoto.select().first()
    await client.signin(PHONES["other_facilitator"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 404
    assert (await client.get(f"/concerns/{concern_id}/photos/{photo['id']}")).status_code == 404
    assert (await client.get("/c/xfl/concerns")).status_code == 403
    assert (await client.get("/c/xfl/concerns/figures")).status_code == 403
    assert (await client.get("/c/xfl/concerns/new")).status_code == 403
    before = await status_of(concern_id)
    for path, data in ((f"/concerns/{concern_id}/dispatch", {"handler": f"account:{world.people['other_facilitator']}", "due_on": "2099-01-01"}),
                       (f"/concerns/{concern_id}/steps", {"step_text": "x"}), (f"/concerns/{concern_id}/answer", {"answer_text": "x"}),
                       (f"/concerns/{concern_id}/escalate", {"reason": "x"}),
                       (f"/concerns/{concern_id}/rate", {"rating": "satisfied", "on_behalf": "1", "heard_by": "phone"})):
        assert (await client.post_form(path, data)).status_code == 404, path
    assert (await client.post_form("/c/xfl/concerns/new", {"on_behalf": "1", "channel": "phone", "kind": "repair",
                                                            "place": f"unit:{world.units['1']}", "text": "x"})).status_code == 403
    assert (await client.post_form("/c/xfl/concerns/figures/publish", {"month": "2026-01"})).status_code == 403
    assert (await client.post_form("/c/xfl/concerns/settings", {"red_hours": "1"})).status_code == 403
    assert await status_of(concern_id) == before and await Concern.count() == 1
    # Their own community's pages work.
    assert (await client.get("/c/hp/concerns")).status_code == 200


async def test_a_scoped_grid_worker_sees_and_handles_only_the_scope(client, make_account):
    world = await build(make_account)
    mine = await raised(world)  # building 1: in scope
    theirs = await raised(world, who="staff", building="2")  # building 2: outside
    await client.signin(PHONES["grid"])
    listed = (await client.get("/c/xfl/concerns")).text
    assert f"/concerns/{mine}\"" in listed and f"/concerns/{theirs}\"" not in listed
    assert (await client.get(f"/concerns/{mine}")).status_code == 200
    assert (await client.get(f"/concerns/{theirs}")).status_code == 404
    before = await status_of(theirs)
    assert (await client.post_form(f"/concerns/{theirs}/steps", {"step_text": "x", "internal": "1"})).status_code == 404
    assert await status_of(theirs) == before
    # Dispatching is the facilitator's; once the facilitator hands the other concern to the grid worker, they see it.
    assert (await client.post_form(f"/concerns/{mine}/dispatch", {"handler": "property", "handler_name": "物业", "due_on": "2099-01-01"})).status_code == 403
    await services.dispatch(world.user("facilitator"), services.Dispatch(theirs, f"account:{world.people['grid']}",
                                                                         (datetime.now(UTC) + timedelta(days=3)).date()))  # fmt: skip
    assert (await client.get(f"/concerns/{theirs}")).status_code == 200
    assert (await client.post_form(f"/concerns/{theirs}/answer", {"answer_text": "已处理。"})).status_code == 303
    # Reporter's name and phone are for staff: the grid worker sees them, a resident never does.
    assert "钱大爷" in (await client.get(f"/concerns/{theirs}")).text


async def test_residents_see_only_their_own_and_staff_by_role(client, make_account):
    world = await build(make_account)
    mine = await raised(world)
    other = await raised(world, who="staff", building="2")
    photo = await ConcernPhoto.select().where(ConcernPhoto.concern == mine).first()
    await client.signin(PHONES["tenant"])
    assert (await client.get(f"/concerns/{mine}")).status_code == 404
    assert (await client.get(f"/concerns/{mine}/photos/{photo['id']}")).status_code == 404
    assert (await client.get(f"/concerns/{other}")).status_code == 404  # staff-recorded, about their building: still not theirs
    listed = (await client.get("/c/xfl/concerns")).text
    assert f"/concerns/{mine}\"" not in listed and f"/concerns/{other}\"" not in listed
    await client.signin(PHONES["owner"])
    assert (await client.get(f"/concerns/{mine}/photos/{photo['id']}")).status_code == 200
    assert (await client.get(f"/concerns/{mine}/photos/{photo['id']}/thumb")).headers["cache-control"] == "private, no-store"
    assert (await client.get(f"/concerns/{mine}/photos/{photo['id'] + 1000}")).status_code == 404
    # A photo is found only through its own concern.
    other_photo_path = f"/concerns/{other}/photos/{photo['id']}"
    await client.signin(PHONES["facilitator"])
    assert (await client.get(other_photo_path)).status_code == 404
    # An outsider of every community may not raise a concern here.
    await client.signin(PHONES["outsider"])
    assert (await client.get("/c/xfl/concerns/new")).status_code == 403
    response = await client.post_form("/c/xfl/concerns/new", {"kind": "repair", "place": "common:1", "text": "x"})
    assert response.status_code == 403 and await Concern.count() == 2


async def test_street_staff_handle_only_escalated_concerns_of_their_street(client, make_account):
    world = await build(make_account)
    concern_id = await raised(world)
    await client.signin(PHONES["street"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 404
    await client.signin(PHONES["facilitator"])
    assert (await client.post_form(f"/concerns/{concern_id}/escalate", {"reason": " "})).status_code == 422
    assert (await client.post_form(f"/concerns/{concern_id}/escalate", {"reason": "需要城管执法。"})).status_code == 303
    assert (await client.post_form(f"/concerns/{concern_id}/escalate", {"reason": "again"})).status_code == 409
    await client.signin(PHONES["street"])
    page = (await client.get(f"/concerns/{concern_id}")).text
    assert "需要城管执法。" in page
    assert (await client.post_form(f"/concerns/{concern_id}/dispatch", {"handler": "property", "handler_name": "x", "due_on": "2099-01-01"})).status_code == 403
    street_page = (await client.get("/s/changning")).text
    assert f"/concerns/{concern_id}" in street_page
    await client.signin(PHONES["other_street"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 404
    assert f"/concerns/{concern_id}" not in (await client.get("/s/changning")).text


async def test_public_pages_show_no_personal_data(client, make_account):
    world = await build(make_account)
    private = await raised(world, public=False)
    shown = await raised(world, who="staff", building="2", public=True)
    dispute = await raised(world, who="staff", building="2", kind="neighbour_dispute", public=True)
    await services.dispatch(world.user("facilitator"), services.Dispatch(shown, "property", (datetime.now(UTC) + timedelta(days=3)).date(), "物业"))
    await services.answer(world.user("facilitator"), services.Answer(shown, "已修好。"))
    await rating.rate(world.user("facilitator"), rating.Rate(shown, "satisfied", "", True, "phone"))
    for path in ("/c/xfl/concerns/public", "/s/changning", "/c/xfl"):
        page = (await client.get(path)).text
        for secret in (NAMES["owner"], "钱大爷", "13812345678", PHONES["owner"], "/photos/"):
            assert secret not in page, (path, secret)
    public = (await client.get("/c/xfl/concerns/public")).text
    assert "二号楼的诉求，秘密细节。" in public  # allowed by its reporter
    assert "楼道灯坏了，秘密细节。" not in public  # not allowed
    assert f"第 {dispute} 号" not in public and public.count('class="cn-item no-pick"') == 2
    assert f"第 {private} 号" in public and f"/concerns/{private}" not in public  # anonymous visitors get no link


async def test_an_archived_community_refuses_changes_to_its_concerns(client, make_account):
    from community.admin import services as admin_services
    from community.tables import Community

    world = await build(make_account)
    concern_id = await raised(world, photo=False)
    await Community.update({Community.archived_at: datetime.now(UTC)}).where(Community.id == world.community)
    admin_services._archived_cache.clear()
    await client.signin(PHONES["facilitator"])
    before = await status_of(concern_id)
    assert (await client.post_form(f"/concerns/{concern_id}/steps", {"step_text": "x", "internal": "1"})).status_code == 409
    assert (await client.post_form("/c/xfl/concerns/new", {"on_behalf": "1", "channel": "phone", "kind": "repair",
                                                            "place": f"unit:{world.units['1']}", "text": "x"})).status_code == 409
    assert await status_of(concern_id) == before and await Concern.count() == 1
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 200  # still readable
    await Community.update({Community.archived_at: None}).where(Community.id == world.community)
    admin_services._archived_cache.clear()
    assert (await client.post_form(f"/concerns/{concern_id}/steps", {"step_text": "x", "internal": "1"})).status_code == 303
