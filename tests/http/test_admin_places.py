"""Streets and communities: only the site administrator creates, renames, moves and archives them; an
archived community refuses every change and stays readable. Refusals change nothing."""

from __future__ import annotations

import pytest
from admin_helpers import make_place, signed_in

from community.tables import AuditLog, Community, Membership, Street


async def snapshot() -> tuple[list[dict], list[dict]]:
    streets = await Street.select().order_by(Street.id)
    communities = await Community.select(
        Community.id, Community.slug, Community.name, Community.street, Community.street_ref, Community.address,
        Community.timezone, Community.archived_at,
    ).order_by(Community.id)
    return streets, communities


@pytest.mark.parametrize("who", ["facilitator", "street", "grid", "outsider"])
async def test_only_the_site_administrator_creates_and_changes_places(make_account, who):
    place = await make_place(make_account)
    before = await snapshot()
    async with signed_in(who) as c:
        for path, data in [
            ("/admin/streets", {"slug": "new", "name": "新街道"}),
            ("/admin/communities", {"street_id": str(place.street), "slug": "new", "name": "新社区"}),
            (f"/admin/streets/{place.street}", {"name": "改名"}),
            ("/admin/communities/xfl", {"street_id": str(place.other_street), "name": "改名"}),
            ("/admin/communities/xfl/archive", {"archived": "1"}),
        ]:
            response = await c.post_form(path, data)
            assert response.status_code == 403, (who, path)
        assert (await c.get("/admin/communities/xfl")).status_code == 403
    assert await snapshot() == before
    assert await AuditLog.count() == 0


async def test_signed_out_visitors_are_sent_to_sign_in(make_account):
    await make_place(make_account)
    from admin_helpers import client_from

    async with client_from("203.0.113.7") as c:
        response = await c.get("/admin")
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_the_administrator_creates_a_street_and_a_community(make_account):
    await make_place(make_account)
    async with signed_in("admin") as c:
        response = await c.post_form("/admin/streets", {"slug": "jingan", "name": "静安街道", "address": "静安路1号"})
        assert response.status_code == 303
        street = await Street.select().where(Street.slug == "jingan").first()
        assert response.headers["location"] == f"/admin/streets/{street['id']}"
        response = await c.post_form("/admin/communities", {
            "street_id": str(street["id"]), "slug": "heping", "name": "和平社区", "address": "和平路2号",
            "timezone": "Asia/Urumqi"})
        assert response.status_code == 303
        community = await Community.select().where(Community.slug == "heping").first()
        assert (community["street_ref"], community["street"], community["timezone"]) == (street["id"], "静安街道", "Asia/Urumqi")
        page = await c.get("/admin/communities/heping")
        assert page.status_code == 200 and "/c/heping/votes/settings" in page.text
        assert "和平社区" in (await c.get("/")).text
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).order_by(AuditLog.id)]
    assert actions == ["street_created", "community_created"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "xfl", "name": "重复"}, "slug"),
        ({"slug": "Bad Slug", "name": "坏"}, "slug"),
        ({"slug": "fine", "name": ""}, "name"),
        ({"slug": "fine", "name": "好", "timezone": "Nowhere/City"}, "timezone"),
        ({"slug": "fine", "name": "好", "street_id": "999999"}, "street_id"),
    ],
)
async def test_a_wrong_community_form_keeps_what_was_typed(make_account, data, field):
    place = await make_place(make_account)
    before = await snapshot()
    async with signed_in("admin") as c:
        response = await c.post_form("/admin/communities", {"street_id": str(place.street), **data})
        assert response.status_code == 422
        assert f'id="e-{field}"' in response.text or 'class="error"' in response.text
        assert f'value="{data["slug"]}"' in response.text
    assert await snapshot() == before


async def test_renaming_a_street_renames_it_on_its_communities(make_account):
    place = await make_place(make_account)
    async with signed_in("admin") as c:
        response = await c.post_form(f"/admin/streets/{place.street}", {"name": "新长宁街道", "address": "x"})
        assert response.status_code == 303
    row = await Community.select(Community.street).where(Community.id == place.community).first()
    assert row["street"] == "新长宁街道"


async def test_moving_a_community_to_another_street_moves_its_street_staff(make_account):
    place = await make_place(make_account)
    async with signed_in("street") as c:
        assert (await c.get("/c/xfl/staff")).status_code == 200
    async with signed_in("admin") as c:
        response = await c.post_form("/admin/communities/xfl", {
            "street_id": str(place.other_street), "name": "幸福里社区", "address": "", "timezone": ""})
        assert response.status_code == 303
    row = await Community.select().where(Community.id == place.community).first()
    assert (row["street_ref"], row["street"]) == (place.other_street, "新华街道")
    assert await AuditLog.exists().where(AuditLog.action == "community_moved")
    # The old street's staff no longer manage it; the new street's do.
    async with signed_in("street") as c:
        assert (await c.get("/c/xfl/staff")).status_code == 403
    async with signed_in("other_street") as c:
        assert (await c.get("/c/xfl/staff")).status_code == 200


async def test_an_archived_community_is_read_only_and_stays_public(make_account):
    place = await make_place(make_account)
    async with signed_in("admin") as c:
        assert (await c.post_form("/admin/communities/xfl/archive", {"archived": "1"})).status_code == 303
    memberships = await Membership.select().order_by(Membership.id)
    async with signed_in("facilitator") as c:
        response = await c.post_form("/c/xfl/staff", {"display_name": "新人", "phone": "13800000199", "role": "volunteer"})
        assert response.status_code == 409
        assert "已归档" in response.text or "archived" in response.text
        assert (await c.get("/c/xfl/staff")).status_code == 200
    assert await Membership.select().order_by(Membership.id) == memberships
    async with signed_in("outsider") as c:
        # Its public notice board and feed stay readable by anyone.
        assert (await c.get("/c/xfl")).status_code == 200
        assert (await c.get("/c/xfl/feed.atom")).status_code == 200
    async with signed_in("admin") as c:
        # Its settings page lives outside /c/, so the administrator can bring it back.
        assert (await c.post_form("/admin/communities/xfl/archive", {"archived": "0"})).status_code == 303
    from community.admin import services

    services._archived_cache.clear()
    async with signed_in("facilitator") as c:
        response = await c.post_form("/c/xfl/staff", {"display_name": "新人", "phone": "13800000199", "role": "volunteer"})
        assert response.status_code == 200
    assert [r["action"] for r in await AuditLog.select(AuditLog.action).order_by(AuditLog.id)] == [
        "community_archived", "community_unarchived", "role_granted"]
    assert place.community
