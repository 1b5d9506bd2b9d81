"""Who may see and change which part of the roster: every roster page and action, for every kind of outsider."""

from __future__ import annotations

import re

import pytest

from app.demo import DEMO_PASSWORD
from community import accounts
from community.permissions import roster_access
from community.roster import controllers, import_pages, resident_pages, slip_pages, slips, uploads
from community.roster.files import write_csv
from community.roster.snapshot import export_rows, load_snapshot
from community.roster_demo import load_roster_demo_community as load_demo
from community.tables import (
    AuditLog,
    Community,
    Flat,
    JoinCode,
    Person,
    RosterUpload,
    Verification,
)

# Every roster route under /c/{slug}/roster, with the ids it needs filled in by `ids` below.
ROUTES = [
    ("GET", "/c/{slug}/roster"),
    ("GET", "/c/{slug}/roster/search?q=301"),
    ("GET", "/c/{slug}/roster/buildings/{building}"),
    ("GET", "/c/{slug}/roster/flats/{flat}"),
    ("POST", "/c/{slug}/roster/flats/{flat}/verify"),
    ("POST", "/c/{slug}/roster/verifications/{verification}/revoke"),
    ("GET", "/c/{slug}/roster/not-joined"),
    ("GET", "/c/{slug}/roster/template/xlsx"),
    ("GET", "/c/{slug}/roster/export/csv"),
    ("GET", "/c/{slug}/roster/import"),
    ("POST", "/c/{slug}/roster/import"),
    ("GET", "/c/{slug}/roster/import/{token}"),
    ("GET", "/c/{slug}/roster/import/{token}/progress"),
    ("POST", "/c/{slug}/roster/import/{token}/apply"),
    ("GET", "/c/{slug}/roster/slips"),
    ("POST", "/c/{slug}/roster/slips"),
    ("GET", "/c/{slug}/roster/slips/{batch}"),
    ("POST", "/c/{slug}/roster/codes/{code}/revoke"),
]
WITH_IDS = [r for r in ROUTES if "{" in r[1].replace("{slug}", "")]


def shape(path: str) -> str:
    """The path with its parameters blanked (a download's format is one too)."""
    return re.sub(r"/(csv|xlsx)$", "/{}", re.sub(r"\{[^}]+\}", "{}", path.split("?")[0]))


def test_the_list_covers_every_roster_route():
    declared = {
        (method, shape(path))
        for handler in (*controllers.ROUTES, *import_pages.ROUTES, *resident_pages.ROUTES, *slip_pages.ROUTES)
        for path in handler.paths
        if path.startswith("/c/")
        for method in handler.http_methods
    }
    assert declared == {(method, shape(path)) for method, path in ROUTES}


async def demo_objects(client) -> dict[str, str]:
    """Load the demo; make one upload, one slip batch, and find a verification, a code, a flat, a building."""
    await load_demo()
    demo = await Community.select(Community.id).where(Community.slug == "demo").first()
    community_id = int(demo["id"])
    facilitator = await accounts._find_account("13800000001")
    user = await accounts.load_session(await accounts.start_session(int(facilitator["id"]), "test"))
    access = await roster_access(user, community_id)
    snapshot = await load_snapshot(community_id)
    building = snapshot.buildings[("阳光花园", "1")]
    flat = snapshot.flats[("阳光花园", "1", "1", "101")].id
    verification = await Verification.select(Verification.id).where(Verification.revoked_at.is_null()).first()
    rows = await export_rows(community_id)
    token = await uploads.store_upload(community_id, user.id, "r.csv", write_csv(rows))
    batch = await slips.create_slips(access, user, [building], "person", True, 30)
    code = await JoinCode.select(JoinCode.id).where(JoinCode.batch == batch).first()
    return {
        "building": str(building),
        "flat": str(flat),
        "verification": str(verification["id"]),
        "token": token,
        "batch": batch,
        "code": str(code["id"]),
        "community_id": str(community_id),
    }


def body_for(path: str) -> tuple[dict[str, str], dict | None]:
    if path.endswith("/verify"):
        return {"person": "1", "method": "certificate", "note": ""}, None
    if path.endswith("/revoke"):
        return {"reason": "test", "flat": "1"}, None
    if path.endswith("/roster/import"):
        return {}, {"register": ("r.csv", "小区,楼栋\r\n".encode(), "text/csv")}
    if path.endswith("/apply"):
        return {"base": "x"}, None
    if path.endswith("/slips"):
        return {"building": "1", "mode": "person", "days": "30"}, None
    return {}, None


async def state() -> tuple[int, ...]:
    """What an action could change: checked after each refused request."""
    return (
        await Verification.count().where(Verification.revoked_at.is_null()),
        await JoinCode.count(),
        await JoinCode.count().where(JoinCode.revoked_at.is_not_null()),
        await RosterUpload.count(),
        await RosterUpload.count().where(RosterUpload.status != "previewed"),
        await Flat.count().where(Flat.active.eq(True)),
        await Person.count().where(Person.account.is_not_null()),
        await AuditLog.count(),
    )


async def request(client, method: str, path: str):
    if method == "GET":
        return await client.get(path)
    data, files = body_for(path)
    return await client.post_form(path, data, files=files) if files else await client.post_form(path, data)


async def other_facilitator(make_account) -> None:
    rows = await Community.insert(Community(slug="other", name="和平里社区")).returning(Community.id)
    account = await make_account(phone="13700000001", name="外社区主任")
    await accounts.grant_role(account, int(rows[0]["id"]), "facilitator")


@pytest.mark.parametrize("method,path", ROUTES)
async def test_a_facilitator_of_another_community_is_refused_everywhere(client, make_account, method, path):
    ids = await demo_objects(client)
    await other_facilitator(make_account)
    await client.signin("13700000001")
    before = await state()
    response = await request(client, method, path.format(slug="demo", **ids))
    assert response.status_code in (403, 404), response.text[:500]
    assert await state() == before


@pytest.mark.parametrize("method,path", WITH_IDS)
async def test_their_own_community_does_not_open_another_communitys_objects(client, make_account, method, path):
    ids = await demo_objects(client)
    await other_facilitator(make_account)
    await client.signin("13700000001")
    before = await state()
    response = await request(client, method, path.format(slug="other", **ids))
    assert response.status_code in (403, 404), response.text[:500]
    assert await state() == before


@pytest.mark.parametrize("method,path", ROUTES)
async def test_a_resident_is_refused_every_staff_page(client, method, path):
    ids = await demo_objects(client)
    await client.signin("13900000001", DEMO_PASSWORD)
    before = await state()
    response = await request(client, method, path.format(slug="demo", **ids))
    assert response.status_code == 403, response.text[:500]
    assert await state() == before


@pytest.mark.parametrize("method,path", [r for r in ROUTES if r[0] == "GET"])
async def test_visitors_are_sent_to_sign_in(client, method, path):
    ids = await demo_objects(client)
    response = await client.get(path.format(slug="demo", **ids))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")


async def test_grid_worker_sees_and_verifies_only_their_buildings(client):
    ids = await demo_objects(client)
    snapshot = await load_snapshot(int(ids["community_id"]))
    await client.signin("13800000003", DEMO_PASSWORD)
    overview = await client.get("/c/demo/roster")
    assert overview.status_code == 200
    assert "和平新村" not in overview.text  # not their compound
    assert f"/roster/buildings/{snapshot.buildings[('阳光花园', '2')]}" in overview.text
    assert f"/roster/buildings/{snapshot.buildings[('阳光花园', '3')]}" not in overview.text
    elsewhere = snapshot.buildings[("阳光花园", "3")]
    assert (await client.get(f"/c/demo/roster/buildings/{elsewhere}")).status_code == 403
    other_flat = snapshot.flats[("阳光花园", "3", "1", "101")]
    own_flat = snapshot.flats[("阳光花园", "2", "1", "101")]
    refused = await client.post_form(
        f"/c/demo/roster/flats/{other_flat.id}/verify",
        {"person": str(other_flat.owner_ids[0]), "method": "certificate"},
    )
    assert refused.status_code == 403
    assert "您没有权限查看或进行这项操作" in refused.text
    already = {
        int(r["person"])
        for r in await Verification.select(Verification.person).where(Verification.flat == own_flat.id)
    }
    person = next(p for p in own_flat.owner_ids if p not in already) if set(own_flat.owner_ids) - already else None
    if person is not None:
        done = await client.post_form(
            f"/c/demo/roster/flats/{own_flat.id}/verify", {"person": str(person), "method": "register"}
        )
        assert done.status_code == 303
    # Import and export are for the facilitator only: the register holds everyone's phone number.
    assert (await client.get("/c/demo/roster/export/csv")).status_code == 403
    assert (await client.get("/c/demo/roster/import")).status_code == 403


async def test_building_lead_reads_their_building_but_changes_nothing(client):
    ids = await demo_objects(client)
    snapshot = await load_snapshot(int(ids["community_id"]))
    await client.signin("13800000004", DEMO_PASSWORD)
    own = snapshot.buildings[("阳光花园", "1")]
    assert (await client.get(f"/c/demo/roster/buildings/{own}")).status_code == 200
    assert (await client.get(f"/c/demo/roster/buildings/{snapshot.buildings[('阳光花园', '2')]}")).status_code == 403
    flat = snapshot.flats[("阳光花园", "1", "1", "102")]
    before = await state()
    response = await client.post_form(
        f"/c/demo/roster/flats/{flat.id}/verify", {"person": str(flat.owner_ids[0]), "method": "certificate"}
    )
    assert response.status_code == 403
    assert (await client.get("/c/demo/roster/slips")).status_code == 403
    assert await state() == before
    page = await client.get(f"/c/demo/roster/flats/{flat.id}")
    assert "确认核实" not in page.text  # no verification form for a building lead


async def test_recorder_reads_everything_and_changes_nothing(client):
    ids = await demo_objects(client)
    await client.signin("13800000002", DEMO_PASSWORD)
    overview = await client.get("/c/demo/roster")
    assert overview.status_code == 200 and "和平新村" in overview.text
    assert (await client.get(f"/c/demo/roster/flats/{ids['flat']}")).status_code == 200
    assert (await client.get("/c/demo/roster/import")).status_code == 403
    assert (await client.get("/c/demo/roster/slips")).status_code == 403


async def test_roster_link_takes_staff_to_their_roster_and_residents_to_their_flats(client):
    await load_demo()
    await client.signin("13800000001", DEMO_PASSWORD)
    assert (await client.get("/roster")).headers["location"] == "/c/demo/roster"
    await client.post_form("/signout")
    await client.signin("13900000001", DEMO_PASSWORD)
    assert (await client.get("/roster")).headers["location"] == "/account/flats"
