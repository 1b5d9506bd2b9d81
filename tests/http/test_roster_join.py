"""Join slips and claiming them: QR codes, one-time codes, new and existing accounts, limits on guessing,
expired, used and withdrawn codes; the join page never shows a whole name."""

from __future__ import annotations

import re

import pytest

from app.demo import DEMO_PASSWORD
from community import accounts, i18n
from community.assets import static_url
from community.roster import codes, joining
from community.roster.scope import attachments
from community.roster.snapshot import load_snapshot
from community.roster_demo import load_roster_demo_community as load_demo
from community.tables import Account, AuditLog, Community, JoinCode, Person, SigninAttempt, Verification

SLIP_CODE = re.compile(r'class="slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})<')


async def demo() -> tuple[int, object]:
    await load_demo()
    row = await Community.select(Community.id).where(Community.slug == "demo").first()
    return int(row["id"]), await load_snapshot(int(row["id"]))


async def print_slips(client, building: int, mode: str = "person", include_unverified: bool = False,
                      void_old: bool = False) -> tuple[str, list[str]]:  # fmt: skip
    """As the facilitator: make slips for one building (voiding its earlier ones, confirmed, if asked); the
    slip page and the codes on it."""
    await client.signin("13800000001", DEMO_PASSWORD)
    data = {"building": str(building), "mode": mode, "days": "30"}
    if include_unverified:
        data["include_unverified"] = "1"
    if void_old:
        data.update(void_old="1", confirm_void="1")
    response = await client.post_form("/c/demo/roster/slips", data)
    assert response.status_code == 303, response.text[-2000:]
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    await client.post_form("/signout")
    return page.text, [c.replace("-", "") for c in SLIP_CODE.findall(page.text)]


async def code_for(code: str) -> dict:
    row = await JoinCode.select(
        JoinCode.id, JoinCode.person, JoinCode.person.name, JoinCode.flat, JoinCode.used_at, JoinCode.revoked_at
    ).where(JoinCode.code == code).first()
    assert row is not None
    return row


async def verified_code(codes_found: list[str]) -> str:
    for code in codes_found:
        row = await code_for(code)
        if await Verification.exists().where(
            (Verification.person == row["person"]) & Verification.revoked_at.is_null()
        ):
            return code
    raise AssertionError("no slip of a verified person")


async def test_slips_carry_a_qr_code_and_a_one_time_code_per_verified_person(client):
    _cid, snapshot = await demo()
    building = snapshot.buildings[("阳光花园", "2")]
    page, found = await print_slips(client, building)
    assert found and len(found) == len(set(found))
    assert all(set(code) <= set(codes.ALPHABET) for code in found)
    assert page.count('<svg viewBox="0 0') == len(found) and 'class="qr"' in page
    assert "<img" not in page and "http://testserver.local/join" in page
    assert "有效期至" in page and static_url("js/roster.js") in page
    # Verified people who have not joined get one slip each; 刘志强 has joined and gets none.
    assert "刘志强" not in page
    for code in found:
        row = await code_for(code)
        assert row["flat"] is None  # one slip per person, for all their flats
        assert await Verification.exists().where(
            (Verification.person == row["person"]) & Verification.revoked_at.is_null()
        )
    assert await AuditLog.count().where(AuditLog.action == "join_slips_created") == 1


async def test_per_flat_slips_and_unverified_people(client):
    _cid, snapshot = await demo()
    building = snapshot.buildings[("和平新村", "1")]
    _page, verified_only = await print_slips(client, building, mode="flat")
    _page, everyone = await print_slips(client, building, mode="flat", include_unverified=True, void_old=True)
    assert len(everyone) > len(verified_only)
    for code in everyone:
        assert (await code_for(code))["flat"] is not None
    # The second batch was asked to void the earlier slips (and confirmed): the first batch's codes are withdrawn.
    for code in verified_only:
        assert (await code_for(code))["revoked_at"] is not None


async def test_slips_are_made_per_building_and_void_earlier_ones_only_when_asked_and_confirmed(client):
    """Issue 19: "Print join slips" chose every building, and one click voided every unused slip in the community."""
    _cid, snapshot = await demo()
    one, two = snapshot.buildings[("阳光花园", "2")], snapshot.buildings[("阳光花园", "3")]
    await client.signin("13800000001", DEMO_PASSWORD)
    form = await client.get("/c/demo/roster/slips")
    assert "checked" not in form.text.split('name="mode"', 1)[0]  # no building chosen for the user
    assert 'name="void_old" value="1">' in form.text  # voiding is offered, unticked, with its warning
    assert "仍持有这些楼栋旧加入条的居民将无法再用它加入" in form.text
    only = await client.get(f"/c/demo/roster/slips?building={one}")
    assert f'value="{one}" checked' in only.text and f'value="{two}" checked' not in only.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    assert "Also void the unused slips printed earlier" in (await client.get("/c/demo/roster/slips")).text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "zh")
    await client.post_form("/signout")
    _page, building_two = await print_slips(client, two)
    _page, first = await print_slips(client, one)
    _page, again = await print_slips(client, one)  # a reprint for building 1 voids nothing
    for code in building_two + first + again:
        assert (await code_for(code))["revoked_at"] is None
    # Asking to void shows how many slips that withdraws and changes nothing until confirmed.
    await client.signin("13800000001", DEMO_PASSWORD)
    slips_before = await JoinCode.count()
    data = {"building": str(one), "mode": "person", "days": "30", "void_old": "1"}
    asked = await client.post_form("/c/demo/roster/slips", data)
    assert asked.status_code == 200 and 'id="confirm-void"' in asked.text and 'name="confirm_void"' in asked.text
    assert f"将作废之前为所选楼栋打印的 {len(first) + len(again)} 张未使用的加入条" in asked.text
    assert await JoinCode.count() == slips_before and not await JoinCode.exists().where(JoinCode.revoked_at.is_not_null())
    confirmed = await client.post_form("/c/demo/roster/slips", {**data, "confirm_void": "1"})
    assert confirmed.status_code == 303
    for code in first + again:
        assert (await code_for(code))["revoked_at"] is not None
    for code in building_two:  # another building's slips are never touched
        assert (await code_for(code))["revoked_at"] is None


async def test_a_new_resident_claims_a_code_on_a_phone_and_sees_the_flat(client):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    code = await verified_code(found)
    row = await code_for(code)
    name = str(row["person.name"])
    join = await client.get(f"/join/{code.lower()}")
    assert join.status_code == 200
    assert codes.mask_name(name) in join.text and name not in join.text
    assert "已核实" in join.text and "注册并加入" in join.text

    bad = await client.post_form(
        f"/join/{code}/new", {"phone": "12345", "password": "short", "confirm_password": "short"}
    )
    assert bad.status_code == 422
    assert "请填写 11 位手机号码。" in bad.text and "密码至少要有 8 个字符。" in bad.text
    assert 'value="12345"' in bad.text  # what was typed is kept
    response = await client.post_form(
        f"/join/{code}/new",
        {"phone": "137 0000 1234", "password": "my-new-password", "confirm_password": "my-new-password"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/account/flats?joined=1"
    flats = await client.get(response.headers["location"])
    assert "欢迎！加入条上的房屋已经关联到您的账号。" in flats.text
    assert "已核实" in flats.text and "2号楼" in flats.text
    account = await Account.select().where(Account.phone == "13700001234").first()
    assert account["display_name"] == name  # named as the register names the person
    person = await Person.select(Person.account).where(Person.id == row["person"]).first()
    assert person["account"] == account["id"]
    links = await attachments(int(account["id"]))
    assert links and all(a.verified for a in links)
    assert await AuditLog.count().where(AuditLog.action == "join_code_claimed") == 1

    # Single use: the code now says so, in the other browser as well.
    await client.post_form("/signout")
    used = await client.get(f"/join/{code}")
    assert used.status_code == 410 and "这个加入码已经用过了" in used.text


async def test_an_unverified_persons_code_links_the_account_but_not_verification(client, make_account):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "3")], include_unverified=True)
    unverified = None
    for code in found:
        row = await code_for(code)
        if not await Verification.exists().where(Verification.person == row["person"]):
            unverified = code
            break
    assert unverified is not None
    page = await client.get(f"/join/{unverified}")
    assert "未核实" in page.text
    await make_account(phone="13700005555")
    await client.signin("13700005555")
    signed_in = await client.get(f"/join/{unverified}")
    assert "添加到我的账号" in signed_in.text and "137****5555" in signed_in.text
    assert (await client.post_form(f"/join/{unverified}/claim")).status_code == 303
    mine = await client.get("/account/flats")
    assert "未核实" in mine.text and "不动产权证书" in mine.text


async def test_an_existing_account_signs_in_on_the_join_page(client, make_account):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    code = await verified_code(found)
    account = await make_account(phone="13700006666", password="existing-pass")
    wrong = await client.post_form(f"/join/{code}/existing", {"identifier": "13700006666", "existing_password": "nope"})
    assert wrong.status_code == 422 and "手机号、用户名或密码不正确" in wrong.text
    assert (await JoinCode.select(JoinCode.failed_attempts).where(JoinCode.code == code).first())[
        "failed_attempts"
    ] == 1
    ok = await client.post_form(
        f"/join/{code}/existing", {"identifier": "13700006666", "existing_password": "existing-pass"}
    )
    assert ok.status_code == 303
    assert accounts.SESSION_COOKIE in client.cookies
    person = await Person.select(Person.account).where(Person.id == (await code_for(code))["person"]).first()
    assert person["account"] == account


async def test_wrong_passwords_lock_the_code(client, make_account):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    code = found[0]
    # Different accounts, so the per-account sign-in limit is not what stops it.
    for i in range(codes.MAX_FAILED_ATTEMPTS):
        await client.post_form(
            f"/join/{code}/existing", {"identifier": f"1370000700{i}", "existing_password": "guess-guess"}
        )
    locked = await client.get(f"/join/{code}")
    assert locked.status_code == 410 and "密码输错次数过多，这个加入码已被锁定" in locked.text
    await make_account(phone="13700008888")
    refused = await client.post_form(
        f"/join/{code}/new", {"phone": "13700009999", "password": "good-password", "confirm_password": "good-password"}
    )
    assert refused.status_code == 409
    assert await Account.count().where(Account.phone == "13700009999") == 0


async def test_guessing_codes_is_limited_per_client(client):
    await demo()
    for i in range(joining.MAX_CODE_FAILURES_PER_CLIENT):
        response = await client.get(f"/join/{'ABCDEFG' + codes.ALPHABET[i % len(codes.ALPHABET)]}")
        assert response.status_code == 404
        assert "加入码无效" in response.text
    limited = await client.get("/join/ZZZZZZZZ")
    assert limited.status_code == 429 and "此网络输错加入码的次数过多" in limited.text
    assert await SigninAttempt.count().where(SigninAttempt.key == "join:203.0.113.7") == joining.MAX_CODE_FAILURES_PER_CLIENT


async def test_expired_and_withdrawn_codes_say_so(client):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    expired, withdrawn = found[0], found[1]
    await JoinCode.update({JoinCode.expires_at: joining.now()}).where(JoinCode.code == expired)
    page = await client.get(f"/join/{expired}")
    assert page.status_code == 410 and "这个加入码已过期" in page.text
    row = await code_for(withdrawn)
    await client.signin("13800000001", DEMO_PASSWORD)
    response = await client.post_form(f"/c/demo/roster/codes/{row['id']}/revoke", {})
    assert response.status_code == 303
    assert await AuditLog.count().where(AuditLog.action == "join_code_revoked") == 1
    await client.post_form("/signout")
    page = await client.get(f"/join/{withdrawn}")
    assert page.status_code == 410 and "这个加入码已作废" in page.text


async def test_a_person_already_linked_to_someone_else_cannot_be_claimed(client, make_account):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    code = found[0]
    other = await make_account(phone="13700004444")
    await Person.update({Person.account: other}).where(Person.id == (await code_for(code))["person"])
    response = await client.post_form(
        f"/join/{code}/new", {"phone": "13700003333", "password": "good-password", "confirm_password": "good-password"}
    )
    assert response.status_code == 409 and "已经关联了另一个账号" in response.text
    assert await Account.count().where(Account.phone == "13700003333") == 0


async def test_a_taken_phone_number_points_to_signing_in(client):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    response = await client.post_form(
        f"/join/{found[0]}/new", {"phone": "13900000002", "password": "good-password", "confirm_password": "good-password"}
    )
    assert response.status_code == 422 and "这个手机号已经注册过，请在下方直接登录。" in response.text
    assert 'value="13900000002"' in response.text


async def test_typing_a_code(client):
    _cid, snapshot = await demo()
    _page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    await client.post_form("/signout")
    page = await client.get("/join")
    assert page.status_code == 200 and "用加入码加入" in page.text
    spaced = " " + " ".join((found[0][:4].lower(), found[0][4:])) + " "
    typed = await client.post_form("/join", {"code": spaced})
    assert typed.status_code == 303 and typed.headers["location"] == f"/join/{found[0]}"
    # An unknown code is said so on the form itself (and counts against the network's limit).
    unknown = await client.post_form("/join", {"code": " abcd efgh "})
    assert unknown.status_code == 404 and "加入码无效" in unknown.text
    wrong = await client.post_form("/join", {"code": "1234"})
    assert wrong.status_code == 422 and "加入码是 8 位字母和数字" in wrong.text


async def test_grid_worker_prints_slips_only_for_their_buildings(client):
    _cid, snapshot = await demo()
    await client.signin("13800000003", DEMO_PASSWORD)
    form = await client.get("/c/demo/roster/slips")
    assert form.status_code == 200
    assert f'value="{snapshot.buildings[("阳光花园", "3")]}"' not in form.text
    refused = await client.post_form(
        "/c/demo/roster/slips", {"building": str(snapshot.buildings[("阳光花园", "3")]), "mode": "person", "days": "30"}
    )
    assert refused.status_code == 422 and "您只能为自己负责的楼栋打印加入条" in refused.text
    bad_days = await client.post_form(
        "/c/demo/roster/slips", {"building": str(snapshot.buildings[("阳光花园", "1")]), "mode": "person", "days": "0"}
    )
    assert bad_days.status_code == 422 and "有效期必须在 1 到 365 天之间" in bad_days.text
    ok = await client.post_form(
        "/c/demo/roster/slips", {"building": str(snapshot.buildings[("阳光花园", "1")]), "mode": "person", "days": "7"}
    )
    assert ok.status_code == 303
    assert await JoinCode.count() > 0


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_join_and_slip_pages_are_translated(client, assert_translated, language):
    _cid, snapshot = await demo()
    page, found = await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    names = {str(r["name"]) for r in await Person.select(Person.name)} | {"幸福里社区", "阳光花园", "长宁街道"}  # the street: data, in the footer
    masked = {codes.mask_name(n) for n in names}
    join = await client.get(f"/join/{found[0]}")
    assert_translated(join.text, language, data=names | masked)
    await client.signin("13800000001", DEMO_PASSWORD)
    batch = (await JoinCode.select(JoinCode.batch).first())["batch"]
    slips = await client.get(f"/c/demo/roster/slips/{batch}")
    assert_translated(slips.text, language, data=names | {"王秀兰"})
    if language == "en":
        assert "Join your neighbours on Yishi" in slips.text


async def test_slips_carry_the_public_address_when_one_is_configured(client, monkeypatch):
    """Behind a proxy the request's host is not what residents can reach: printed QR codes use YISHI_PUBLIC_URL."""
    import dataclasses

    from community import config
    _cid, snapshot = await demo()
    await print_slips(client, snapshot.buildings[("阳光花园", "2")])
    await client.signin("13800000001", DEMO_PASSWORD)
    batch = (await JoinCode.select(JoinCode.batch).first())["batch"]
    before = (await client.get(f"/c/demo/roster/slips/{batch}")).text
    assert "http://testserver.local/join" in before
    monkeypatch.setattr(config, "_config", dataclasses.replace(config.get_config(), public_url="https://yishi.example.org"))
    after = (await client.get(f"/c/demo/roster/slips/{batch}")).text
    assert "https://yishi.example.org/join" in after and "testserver.local" not in after
    assert after.count("<svg") == before.count("<svg")  # the QR codes too, now of the public address
