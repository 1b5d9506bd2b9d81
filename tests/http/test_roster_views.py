"""The roster as staff and residents see it: by compound, building and flat; search; not yet joined;
verification and its revocation (audit-logged); residents' own flats; both languages."""

from __future__ import annotations

import pytest

from app.demo import DEMO_PASSWORD
from community import i18n
from community.roster.scope import attachments
from community.roster.snapshot import load_snapshot
from community.roster_demo import load_roster_demo_community as load_demo
from community.tables import Account, AuditLog, Community, Compound, Person, Verification


async def demo_snapshot():
    await load_demo()
    demo = await Community.select(Community.id).where(Community.slug == "demo").first()
    return int(demo["id"]), await load_snapshot(int(demo["id"]))


async def names_in_data() -> set[str]:
    """Everything on roster pages that is content, not interface text."""
    data = {str(r["name"]) for r in await Person.select(Person.name)}
    data |= {str(r["name"]) for r in await Compound.select(Compound.name)}
    data |= {str(r["name"]) for r in await Community.select(Community.name)}
    data |= {str(r["display_name"]) for r in await Account.select(Account.display_name)}
    data |= {str(r["note"]) for r in await Verification.select(Verification.note)}
    return data | {"长宁街道"}


async def unverified_owner(snapshot, key):
    stored = snapshot.flats[key]
    verified = {
        int(r["person"])
        for r in await Verification.select(Verification.person).where(
            (Verification.flat == stored.id) & Verification.revoked_at.is_null()
        )
    }
    return stored, next(p for p in stored.owner_ids if p not in verified)


async def test_overview_by_compound_building_and_unit(client):
    _cid, snapshot = await demo_snapshot()
    await client.signin("13800000001", DEMO_PASSWORD)
    page = await client.get("/c/demo/roster")
    assert page.status_code == 200
    assert "房屋与业主名册" in page.text
    assert "阳光花园" in page.text and "和平新村" in page.text
    assert "1号楼" in page.text and "2单元" in page.text
    assert "<dd>168</dd>" in page.text  # flats of the demo register
    assert "导入登记表" in page.text and "打印加入条" in page.text


async def test_building_page_lists_flats_people_and_masks_phones(client):
    _cid, snapshot = await demo_snapshot()
    await client.signin("13800000001", DEMO_PASSWORD)
    page = await client.get(f"/c/demo/roster/buildings/{snapshot.buildings[('阳光花园', '1')]}")
    assert page.status_code == 200
    assert "赵淑芬" in page.text and "139****0001" in page.text
    assert "13900000001" not in page.text
    assert "孙丽华" in page.text and "租户" in page.text
    assert "已核实" in page.text and "未核实" in page.text and "已加入" in page.text
    unsold = await client.get(f"/c/demo/roster/buildings/{snapshot.buildings[('和平新村', '3')]}")
    assert "开发商未售" in unsold.text


async def test_search_by_room_and_by_name(client):
    _cid, snapshot = await demo_snapshot()
    await client.signin("13800000001", DEMO_PASSWORD)
    by_name = await client.get("/c/demo/roster/search", params={"q": "赵淑芬"})
    assert "找到 2 户" in by_name.text
    assert f"/roster/flats/{snapshot.flats[('阳光花园', '1', '1', '301')].id}" in by_name.text
    assert f"/roster/flats/{snapshot.flats[('阳光花园', '3', '2', '502')].id}" in by_name.text
    by_room = await client.get("/c/demo/roster/search", params={"q": "602"}, headers={"HX-Request": "true"})
    assert by_room.text.lstrip().startswith('<section id="search-results"')
    assert "找到 14 户" in by_room.text  # one 602 in each of the 14 stairwell units
    nothing = await client.get("/c/demo/roster/search", params={"q": "不存在的人"})
    assert "没有找到与“不存在的人”相符的房屋或人员" in nothing.text


async def test_not_yet_joined_lists_people_without_accounts(client):
    _cid, snapshot = await demo_snapshot()
    await client.signin("13800000001", DEMO_PASSWORD)
    page = await client.get("/c/demo/roster/not-joined")
    assert page.status_code == 200
    assert "赵淑芬" not in page.text  # she has joined
    assert "共 208 人" in page.text and "只显示前 200 人" in page.text
    building = snapshot.buildings[("和平新村", "1")]
    filtered = await client.get("/c/demo/roster/not-joined", params={"building": building})
    assert "陈建平" not in filtered.text  # lives in 阳光花园
    own = await client.get(
        "/c/demo/roster/not-joined", params={"building": snapshot.buildings[("阳光花园", "1")]}
    )
    assert "陈建平" in own.text and "只显示前" not in own.text


async def test_verify_and_revoke_are_checked_and_audit_logged(client):
    community_id, snapshot = await demo_snapshot()
    key = ("阳光花园", "1", "1", "502")  # co-owned, no designated voter
    stored, person = await unverified_owner(snapshot, key)
    await client.signin("13800000001", DEMO_PASSWORD)
    url = f"/c/demo/roster/flats/{stored.id}/verify"

    missing = await client.post_form(url, {"person": str(person), "method": ""})
    assert missing.status_code == 422 and "请选择核实方式。" in missing.text
    other = await client.post_form(url, {"person": str(person), "method": "other", "note": " "})
    assert other.status_code == 422 and "请说明是怎样核实的。" in other.text
    stranger = await client.post_form(url, {"person": "999999", "method": "certificate"})
    assert stranger.status_code == 422 and "请选择登记表中这户的人员之一。" in stranger.text
    assert await Verification.count().where(Verification.flat == stored.id) == 0

    done = await client.post_form(url, {"person": str(person), "method": "contract", "note": "合同编号尾号 0815"})
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "核实已记录。" in page.text and "购房合同" in page.text and "合同编号尾号 0815" in page.text
    verification = await Verification.select().where(Verification.flat == stored.id).first()
    assert verification["method"] == "contract" and verification["verified_by"] is not None
    log = await AuditLog.select().where(AuditLog.action == "person_verified").first()
    assert log["object_id"] == stored.id and log["community"] == community_id

    twice = await client.post_form(url, {"person": str(person), "method": "certificate"})
    assert twice.status_code == 409 and "此人在这户的关系已经核实过了。" in twice.text

    revoke = f"/c/demo/roster/verifications/{verification['id']}/revoke"
    no_reason = await client.post_form(revoke, {"reason": "", "flat": str(stored.id)})
    assert no_reason.status_code == 422 and "请填写原因。" in no_reason.text
    revoked = await client.post_form(revoke, {"reason": "房屋已出售", "flat": str(stored.id)})
    assert revoked.status_code == 303
    after = await Verification.select().where(Verification.id == verification["id"]).first()
    assert after["revoked_at"] is not None and after["revoke_reason"] == "房屋已出售"
    assert await AuditLog.count().where(AuditLog.action == "verification_revoked") == 1
    history = await client.get(f"/c/demo/roster/flats/{stored.id}")
    assert "房屋已出售" in history.text and 'class="is-revoked"' in history.text


async def test_verification_with_htmx_swaps_the_people_of_the_flat(client):
    _cid, snapshot = await demo_snapshot()
    stored, person = await unverified_owner(snapshot, ("阳光花园", "1", "1", "502"))
    await client.signin("13800000001", DEMO_PASSWORD)
    token = await client.csrf()
    headers = {"HX-Request": "true", "x-csrftoken": token}
    url = f"/c/demo/roster/flats/{stored.id}/verify"
    bad = await client.post(url, data={"person": str(person), "method": ""}, headers=headers)
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith('<div id="flat-people"')
    good = await client.post(url, data={"person": str(person), "method": "certificate"}, headers=headers)
    assert good.status_code == 200 and good.text.lstrip().startswith('<div id="flat-people"')
    assert "核实已记录。" in good.text


async def test_my_flats_shows_only_my_own_flats_with_their_status(client):
    await demo_snapshot()
    await client.signin("13900000001", DEMO_PASSWORD)
    page = await client.get("/account/flats")
    assert page.status_code == 200
    assert page.text.count('class="card my-flat"') == 2
    assert "1号楼" in page.text and "3号楼" in page.text and "已核实" in page.text
    assert "陈建平" not in page.text
    account = await client.get("/account")
    assert 'href="/account/flats"' in account.text
    await client.post_form("/signout")
    await client.signin("13900000003", DEMO_PASSWORD)
    tenant = await client.get("/account/flats")
    assert "租户" in tenant.text and "201室" in tenant.text


async def test_a_resident_without_flats_is_told_how_to_join(client, make_account):
    await make_account(phone="13700000077")
    await client.signin("13700000077")
    page = await client.get("/account/flats")
    assert "您的账号还没有关联房屋" in page.text and 'href="/join"' in page.text


async def test_revoked_verification_is_no_longer_counted_for_voting(client):
    community_id, snapshot = await demo_snapshot()
    zhao = await Account.select(Account.id).where(Account.phone == "13900000001").first()
    links = await attachments(int(zhao["id"]), community_id)
    assert len(links) == 2 and all(a.verified for a in links)
    stored = snapshot.flats[("阳光花园", "1", "1", "301")]
    verification = await Verification.select(Verification.id).where(Verification.flat == stored.id).first()
    await client.signin("13800000001", DEMO_PASSWORD)
    await client.post_form(
        f"/c/demo/roster/verifications/{verification['id']}/revoke", {"reason": "证件过期", "flat": str(stored.id)}
    )
    links = await attachments(int(zhao["id"]), community_id)
    assert sorted(a.verified for a in links) == [False, True]


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_roster_pages_are_translated(client, assert_translated, language):
    _cid, snapshot = await demo_snapshot()
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    await client.signin("13800000001", DEMO_PASSWORD)
    building = snapshot.buildings[("阳光花园", "1")]
    flat = snapshot.flats[("阳光花园", "1", "1", "301")].id
    data = await names_in_data()
    for path in (
        "/c/demo/roster",
        f"/c/demo/roster/buildings/{building}",
        f"/c/demo/roster/flats/{flat}",
        "/c/demo/roster/search?q=30",
        "/c/demo/roster/search?q=nobody",
        "/c/demo/roster/not-joined",
        "/c/demo/roster/import",
        "/c/demo/roster/slips",
        "/account/flats",
        "/join",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_translated(response.text, language, data=data)
    if language == "en":
        page = await client.get(f"/c/demo/roster/buildings/{building}")
        assert "Building 1" in page.text and "Unit 2" in page.text
