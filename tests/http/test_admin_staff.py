"""Staff and roles: who may appoint, remove and rescope whom, activation codes, password resets in person.
Every refusal leaves the rows as they were; roles are read per request, so a change applies at the next page."""

from __future__ import annotations

import asyncio
import re

import pytest
from admin_helpers import client_from, make_place, signed_in

from community.tables import (
    Account,
    AccountCode,
    AuditLog,
    Membership,
    StaffScope,
    StreetMembership,
    UserSession,
)


async def rows() -> tuple:
    return (
        await Membership.select().order_by(Membership.id),
        await StaffScope.select().order_by(StaffScope.id),
        await Account.select(Account.id, Account.phone, Account.password_hash).order_by(Account.id),
        await StreetMembership.select().order_by(StreetMembership.id),
        await AccountCode.count(),
        await AuditLog.count(),
    )


def code_on(page: str) -> str:
    found = re.search(r'class="code-slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', page)
    assert found, "no code on the page"
    return found.group(1)


def appointment(place, role="grid_worker", phone="13800000201", **extra) -> dict:
    data = {"display_name": "李网格", "phone": phone, "role": role, "scope_kind": "building",
            "building": [str(place.buildings["1"]), str(place.buildings["2"])]}
    data.update(extra)
    return data


async def post(c, path, data):
    token = await c.csrf()
    return await c.post(path, data={**data, "_csrf_token": token})


async def membership_of(account_phone: str, role: str) -> int:
    account = await Account.select(Account.id).where(Account.phone == account_phone).first()
    row = await Membership.select(Membership.id).where((Membership.account == account["id"]) & (Membership.role == role)).first()
    return int(row["id"])


async def test_a_facilitator_appoints_someone_new_who_activates_with_the_code(make_account):
    place = await make_place(make_account)
    async with signed_in("facilitator") as c:
        response = await post(c, "/c/xfl/staff", appointment(place))
        assert response.status_code == 200
        code = code_on(response.text)
        # Shown once: the list page does not show it again.
        assert "code-slip-code" not in (await c.get("/c/xfl/staff")).text
    account = await Account.select().where(Account.phone == "13800000201").first()
    assert account["password_hash"] == "!"
    scopes = await StaffScope.select(StaffScope.building).where(StaffScope.membership.account == account["id"])
    assert {r["building"] for r in scopes} == {place.buildings["1"], place.buildings["2"]}
    audit = await AuditLog.select().where(AuditLog.action == "role_granted").first()
    assert audit["actor"] == place.people["facilitator"] and audit["object_id"] == account["id"]
    async with client_from("203.0.113.9") as c:
        # No password yet: signing in fails until activation.
        refused = await c.post_form("/signin", {"identifier": "13800000201", "password": "!", "next": "/"})
        assert refused.status_code == 422
        await c.get("/activate")
        response = await c.post_form("/activate", {"code": code.lower(), "password": "grid-pass-1", "confirm_password": "grid-pass-1"})
        assert response.status_code == 303 and response.headers["location"] == "/account?activated=1"
        overview = await c.get("/c/xfl/roster")
        assert overview.status_code == 200
        assert (await c.get(f"/c/xfl/roster/buildings/{place.buildings['1']}")).status_code == 200
        assert (await c.get(f"/c/xfl/roster/buildings/{place.buildings['3']}")).status_code == 403
        # The code works once.
        await c.post_form("/signout")
        again = await c.post_form("/activate", {"code": code, "password": "other-pass-2", "confirm_password": "other-pass-2"})
        assert again.status_code == 422
    async with client_from("203.0.113.10") as c:
        await c.signin("13800000201", "grid-pass-1")


@pytest.mark.parametrize("who", ["outsider", "grid", "other_facilitator", "other_street"])
async def test_only_facilitators_street_staff_and_admins_manage_staff(make_account, who):
    place = await make_place(make_account)
    grid_membership = await membership_of("13800000105", "grid_worker")
    before = await rows()
    async with signed_in(who) as c:
        assert (await c.get("/c/xfl/staff")).status_code == 403
        assert (await c.get(f"/c/xfl/staff/{grid_membership}")).status_code == 403
        assert (await post(c, "/c/xfl/staff", appointment(place))).status_code == 403
        assert (await post(c, f"/c/xfl/staff/{grid_membership}/scope", {"scope_kind": "community"})).status_code == 403
        assert (await post(c, f"/c/xfl/staff/{grid_membership}/remove", {})).status_code == 403
        assert (await post(c, "/c/xfl/staff/reset", {"login": "13800000105"})).status_code == 403
    assert await rows() == before


@pytest.mark.parametrize("who", ["facilitator", "street", "admin"])
async def test_facilitators_street_staff_and_admins_appoint(make_account, who):
    place = await make_place(make_account)
    async with signed_in(who) as c:
        response = await post(c, "/c/xfl/staff", appointment(place, role="recorder", scope_kind="community", building=[]))
        assert response.status_code == 200, response.text
    assert await Membership.exists().where(Membership.role == "recorder")


async def test_nobody_grants_a_role_above_their_own(make_account):
    place = await make_place(make_account)
    before = await rows()
    async with signed_in("facilitator") as c:
        # Street roles and the administrator are above a facilitator: not in the list, refused if sent.
        page = await c.get("/c/xfl/staff")
        assert 'value="street_staff"' not in page.text and 'value="facilitator"' in page.text
        for role in ("street_staff", "site_admin"):
            assert (await post(c, "/c/xfl/staff", appointment(place, role=role))).status_code == 422
        assert (await post(c, f"/admin/streets/{place.street}/staff", {"display_name": "x", "phone": "13800000301"})).status_code == 403
    async with signed_in("street") as c:
        # Street staff appoint street staff of their own street only.
        assert (await post(c, f"/admin/streets/{place.other_street}/staff", {"display_name": "x", "phone": "13800000301"})).status_code == 403
    assert await rows() == before


async def test_nobody_grants_a_role_outside_their_scope(make_account):
    place = await make_place(make_account)
    before = await rows()
    async with signed_in("facilitator") as c:
        # A building of another community.
        response = await post(c, "/c/xfl/staff", appointment(place, building=[str(place.other_building)]))
        assert response.status_code == 403
        # The other community itself.
        assert (await post(c, "/c/ak/staff", appointment(place))).status_code == 403
    async with signed_in("street") as c:
        assert (await post(c, "/c/ak/staff", appointment(place))).status_code == 403
    assert await rows() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "recorder"}, "scope"),  # recorders cover the whole community
        ({"building": []}, "scope"),  # a part of the register must be ticked
        ({"role": "mayor"}, "role"),
        ({"phone": "12345"}, "phone"),
    ],
)
async def test_a_wrong_appointment_is_marked_and_keeps_what_was_typed(make_account, extra, field):
    place = await make_place(make_account)
    before = await rows()
    async with signed_in("facilitator") as c:
        response = await post(c, "/c/xfl/staff", appointment(place, **extra))
        assert response.status_code == 422
        assert f'id="e-{field}"' in response.text or 'class="error"' in response.text
        assert 'value="李网格"' in response.text
    assert await rows() == before


async def test_appointing_someone_with_an_account_gives_no_code_and_twice_is_refused(make_account):
    place = await make_place(make_account)
    async with signed_in("facilitator") as c:
        response = await post(c, "/c/xfl/staff", appointment(place, phone="13800000104"))
        assert response.status_code == 200 and "code-slip-code" not in response.text
        before = await rows()
        assert (await post(c, "/c/xfl/staff", appointment(place, phone="13800000104"))).status_code == 422
        assert await rows() == before
    assert await AccountCode.count() == 0


async def test_the_last_facilitator_cannot_remove_themselves(make_account):
    place = await make_place(make_account)
    mine = await membership_of("13800000101", "facilitator")
    before = await rows()
    async with signed_in("facilitator") as c:
        response = await post(c, f"/c/xfl/staff/{mine}/remove", {})
        assert response.status_code == 409
    assert await rows() == before
    async with signed_in("admin") as c:
        # Not the administrator either: a community keeps one facilitator.
        assert (await post(c, f"/c/xfl/staff/{mine}/remove", {})).status_code == 409
        await post(c, "/c/xfl/staff", appointment(place, role="facilitator", phone="13800000104", scope_kind="community"))
    async with signed_in("facilitator") as c:
        assert (await post(c, f"/c/xfl/staff/{mine}/remove", {})).status_code == 303
    assert not await Membership.exists().where(Membership.id == mine)
    assert await AuditLog.exists().where(AuditLog.action == "role_removed")


async def test_a_removed_role_is_gone_at_the_next_page_of_an_open_session(make_account):
    place = await make_place(make_account)
    grid = await membership_of("13800000105", "grid_worker")
    async with signed_in("grid") as grid_client:
        assert (await grid_client.get("/c/xfl/roster")).status_code == 200
        async with signed_in("facilitator") as c:
            assert (await post(c, f"/c/xfl/staff/{grid}/remove", {})).status_code == 303
        assert (await grid_client.get("/c/xfl/roster")).status_code == 403
    assert place


async def test_a_scope_change_applies_at_the_next_page(make_account):
    place = await make_place(make_account)
    grid = await membership_of("13800000105", "grid_worker")
    b1, b2 = place.buildings["1"], place.buildings["2"]
    async with signed_in("grid") as grid_client:
        assert (await grid_client.get(f"/c/xfl/roster/buildings/{b1}")).status_code == 200
        assert (await grid_client.get(f"/c/xfl/roster/buildings/{b2}")).status_code == 403
        async with signed_in("facilitator") as c:
            page = await c.get(f"/c/xfl/staff/{grid}")
            assert page.status_code == 200
            response = await post(c, f"/c/xfl/staff/{grid}/scope", {"scope_kind": "stairwell_unit",
                                                                    "stairwell_unit": [str(place.units["2-1"])]})
            assert response.status_code == 303
        assert (await grid_client.get(f"/c/xfl/roster/buildings/{b1}")).status_code == 403
        assert (await grid_client.get(f"/c/xfl/roster/buildings/{b2}")).status_code == 200
        async with signed_in("facilitator") as c:
            response = await post(c, f"/c/xfl/staff/{grid}/scope", {"scope_kind": "compound",
                                                                    "compound": [str(place.compounds["阳光花园"])]})
            assert response.status_code == 303
        for b in place.buildings.values():
            assert (await grid_client.get(f"/c/xfl/roster/buildings/{b}")).status_code == 200
    entries = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "scope_changed").order_by(AuditLog.id).output(load_json=True)
    assert [e["detail"]["new"]["kind"] for e in entries] == ["stairwell_unit", "compound"]


async def test_staff_reset_a_password_in_person(make_account):
    place = await make_place(make_account)
    async with signed_in("grid") as grid_client:
        async with signed_in("facilitator") as c:
            response = await post(c, "/c/xfl/staff/reset", {"login": "13800000105"})
            assert response.status_code == 200
            code = code_on(response.text)
        # The old session is over.
        assert (await grid_client.get("/c/xfl/roster")).status_code == 303
    assert await UserSession.count().where(UserSession.account == place.people["grid"]) == 0
    assert await AuditLog.exists().where((AuditLog.action == "password_reset") & (AuditLog.object_id == place.people["grid"]))
    async with client_from("203.0.113.11") as c:
        await c.get("/activate")
        response = await c.post_form("/activate", {"code": code, "password": "brand-new-1", "confirm_password": "brand-new-1"})
        assert response.status_code == 303
    async with client_from("203.0.113.12") as c:
        await c.signin("13800000105", "brand-new-1")


async def test_a_password_reset_is_refused_for_strangers_and_by_non_appointers(make_account):
    await make_place(make_account)
    before = await rows()
    async with signed_in("facilitator") as c:
        # Someone with no link to this community.
        assert (await post(c, "/c/xfl/staff/reset", {"login": "13800000104"})).status_code == 404
        # The site administrator's password is above a facilitator.
        assert (await post(c, "/c/xfl/staff/reset", {"login": "siteadmin"})).status_code == 404
        response = await post(c, "/c/xfl/staff/reset", {"login": "13899999999"})
        assert response.status_code == 422 and 'value="13899999999"' in response.text
    assert await rows() == before


async def test_street_staff_are_appointed_and_removed_by_the_administrator(make_account):
    place = await make_place(make_account)
    async with signed_in("admin") as c:
        response = await post(c, f"/admin/streets/{place.street}/staff", {"display_name": "街道新人", "phone": "13800000401"})
        assert response.status_code == 200
        code_on(response.text)
        row = await StreetMembership.select().where(StreetMembership.account.phone == "13800000401").first()
        # Someone appointed with a double click, twice: one role, the others told so.
        sent = await asyncio.gather(*[post(c, f"/admin/streets/{place.street}/staff", {"display_name": "街道二号",
                                                                                      "phone": "13800000402"}) for _ in range(4)])  # fmt: skip
        assert sorted(r.status_code for r in sent) == [200, 422, 422, 422], [r.status_code for r in sent]
        assert await StreetMembership.count().where(StreetMembership.account.phone == "13800000402") == 1
        assert (await post(c, f"/admin/streets/{place.street}/staff/{row['id']}/remove", {})).status_code == 303
    assert not await StreetMembership.exists().where(StreetMembership.id == row["id"])
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action)}
    assert {"street_role_granted", "street_role_removed"} <= actions
