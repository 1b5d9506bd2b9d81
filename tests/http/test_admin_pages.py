"""Who can do what (drawn from community.roles.RULES), the audit page and its filters, one's own phone
number and signed-in devices."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from admin_helpers import client_from, make_place, signed_in

from community.admin import core
from community.audit import audit
from community.db import write_transaction
from community.roles import AREAS, RULES
from community.tables import Account, AuditLog, UserSession

EN = {"Accept-Language": "en"}


async def test_the_roles_page_is_drawn_from_the_rules_the_server_checks(make_account):
    await make_place(make_account)
    async with client_from("203.0.113.7") as c:
        page = (await c.get("/c/xfl/roles", headers=EN)).text
    for rule in RULES:
        row = re.search(r'<tr><th scope="row">' + re.escape(str(rule.label)) + r"</th>(.*?)</tr>", page, re.S)
        assert row, rule.key
        cells = re.findall(r'<td class="cell-(\w+)">', row.group(1))
        expected = ["scoped" if r in rule.scoped else "yes" if r in rule.roles else "no" for r in core.COMMUNITY_ROLES]
        assert cells == [*expected, "yes" if rule.street else "no", "yes"], rule.key
    # Exactly the registry: no row the server does not check (each rule is read by a check and answered as
    # listed: tests/unit/test_roles_registry.py, tests/http/test_permission_matrix.py).
    assert page.count('<tr><th scope="row">') == len(RULES)
    assert all(str(area) in page for area in AREAS.values())


async def make_history(place) -> None:
    async with write_transaction():
        await audit("role_granted", actor=place.people["facilitator"], community=place.community, role="recorder")
        await audit("password_reset", actor=place.people["street"], community=place.community)
        await audit("role_granted", actor=place.people["other_facilitator"], community=place.other, role="volunteer")
        await AuditLog.update({AuditLog.at: AuditLog.at - timedelta(days=40)}).where(AuditLog.action == "password_reset")


@pytest.mark.parametrize("who", ["outsider", "grid", "other_facilitator", "other_street"])
async def test_the_audit_page_is_for_the_communitys_staff_and_street(make_account, who):
    place = await make_place(make_account)
    await make_history(place)
    async with signed_in(who) as c:
        assert (await c.get("/c/xfl/audit")).status_code == 403
        assert (await c.get(f"/admin/streets/{place.street}/audit")).status_code == 403


async def test_the_audit_page_filters_by_action_actor_and_date(make_account):
    place = await make_place(make_account)
    await make_history(place)
    async with signed_in("facilitator") as c:
        page = (await c.get("/c/xfl/audit")).text
        assert "role_granted" in page and "password_reset" in page and "安康主任" not in page
        page = (await c.get("/c/xfl/audit?action=password_reset")).text
        assert "<code class=\"audit-code\">role_granted</code>" not in page and "<code class=\"audit-code\">password_reset</code>" in page
        page = (await c.get("/c/xfl/audit?actor=王")).text
        assert "<code class=\"audit-code\">role_granted</code>" in page and "<code class=\"audit-code\">password_reset</code>" not in page
        from datetime import date

        since = (date.today() - timedelta(days=7)).isoformat()
        page = (await c.get(f"/c/xfl/audit?since={since}")).text
        assert "<code class=\"audit-code\">password_reset</code>" not in page and "<code class=\"audit-code\">role_granted</code>" in page
        assert (await c.get("/c/xfl/audit?since=not-a-date")).status_code == 200


async def test_the_street_sees_the_audit_of_its_communities(make_account):
    place = await make_place(make_account)
    await make_history(place)
    async with signed_in("street") as c:
        assert (await c.get("/c/xfl/audit")).status_code == 200
        assert (await c.get("/c/ak/audit")).status_code == 403
        page = (await c.get(f"/admin/streets/{place.street}/audit")).text
        assert "幸福里社区" in page and "安康主任" not in page
        assert (await c.get("/admin")).status_code == 200


async def test_a_user_changes_their_phone_number_with_their_password(make_account):
    place = await make_place(make_account)
    async with signed_in("outsider") as c:
        page = await c.get("/account/security")
        assert page.status_code == 200
        response = await c.post_form("/account/phone", {"phone": "13900000999", "current_password": "wrong-one"})
        assert response.status_code == 422 and 'value="13900000999"' in response.text
        taken = await c.post_form("/account/phone", {"phone": "13800000101", "current_password": "correct-horse"})
        assert taken.status_code == 422
        assert (await Account.select(Account.phone).where(Account.id == place.people["outsider"]).first())["phone"] == "13800000104"
        response = await c.post_form("/account/phone", {"phone": "139 0000 0999", "current_password": "correct-horse"})
        assert response.status_code == 303
    assert (await Account.select(Account.phone).where(Account.id == place.people["outsider"]).first())["phone"] == "13900000999"
    assert await AuditLog.exists().where(AuditLog.action == "phone_changed")


async def test_a_user_sees_their_devices_and_signs_one_out(make_account):
    await make_place(make_account)
    async with signed_in("outsider") as phone, signed_in("outsider") as laptop:
        sessions = await UserSession.select(UserSession.id).order_by(UserSession.id)
        assert len(sessions) == 2
        page = (await laptop.get("/account/security")).text
        assert page.count("/end\"") == 2
        # Someone else's session cannot be ended from here.
        async with signed_in("facilitator") as other:
            await other.post_form(f"/account/sessions/{sessions[0]['id']}/end")
        assert await UserSession.count().where(UserSession.id == sessions[0]["id"]) == 1
        assert (await laptop.post_form(f"/account/sessions/{sessions[0]['id']}/end")).status_code == 303
        assert (await phone.get("/account")).status_code == 303
        assert (await laptop.get("/account")).status_code == 200


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_administration_pages_are_translated(make_account, assert_translated, language):
    place = await make_place(make_account)
    await make_history(place)
    data = {"幸福里社区", "长宁街道", "新华街道", "安康社区", "阳光花园", "管理员", "王主任", "张网格", "街道刘",
            "安康主任", "siteadmin", "xfl", "changning"}
    headers = {"Accept-Language": language}
    async with signed_in("admin") as c:
        for path in ("/admin", "/admin/communities/xfl", f"/admin/streets/{place.street}", "/c/xfl/staff",
                     f"/c/xfl/staff/{(await membership_id(place))}", "/c/xfl/roles", "/account/security", "/account"):
            response = await c.get(path, headers=headers)
            assert response.status_code == 200, path
            assert_translated(response.text, language, data)
    async with client_from("203.0.113.7", done=False) as c:
        for path in ("/activate",):
            assert_translated((await c.get(path, headers=headers)).text, language, data)
    from community.tables import Account as AccountTable

    await AccountTable.delete(force=True)
    async with client_from("203.0.113.7", done=False) as c:
        assert_translated((await c.get("/setup", headers=headers)).text, language, data)


async def membership_id(place) -> int:
    from community.tables import Membership

    row = await Membership.select(Membership.id).where(Membership.account == place.people["grid"]).first()
    return int(row["id"])
