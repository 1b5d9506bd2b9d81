"""First-run set-up: before an administrator exists every page leads to /setup, which only the server's own
machine or the holder of the set-up code from the log can use; afterwards it is gone."""

from __future__ import annotations

import pytest
from admin_helpers import client_from

from app.demo import load_demo
from community.admin import services
from community.tables import Account, Community, SiteSetting, Street

FORM = {
    "admin_username": "admin",
    "admin_name": "系统管理员",
    "password": "a-long-password",
    "confirm_password": "a-long-password",
    "street_name": "长宁街道",
    "street_slug": "changning",
    "community_name": "幸福里社区",
    "community_slug": "xingfuli",
    "community_address": "幸福路1号",
    "timezone": "Asia/Shanghai",
}


async def counts() -> tuple[int, int, int]:
    return await Account.count(), await Street.count(), await Community.count()


async def test_every_page_leads_to_setup_on_a_fresh_installation():
    async with client_from("203.0.113.7", done=False) as c:
        for path in ("/", "/signin", "/meetings", "/c/demo/roster", "/admin"):
            response = await c.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/setup"
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/static/css/yishi.css")).status_code == 200
        page = await c.get("/setup")
        assert page.status_code == 200
        assert 'name="setup_code"' in page.text  # not from the server's own machine


async def test_from_elsewhere_setup_needs_the_code_from_the_log_and_refusals_change_nothing():
    code = await services.new_setup_code()
    assert code is not None
    async with client_from("203.0.113.7", done=False) as c:
        await c.get("/setup")
        for wrong in ("", "ABCD-EFGH"):
            response = await c.post_form("/setup", {**FORM, "setup_code": wrong})
            assert response.status_code == 403
            assert "id=\"e-setup_code\"" in response.text
            assert 'value="changning"' in response.text  # what was typed is kept
            assert await counts() == (0, 0, 0)
        response = await c.post_form("/setup", {**FORM, "setup_code": code.lower()[:4] + "-" + code[4:]})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin?welcome=1"
        assert await counts() == (1, 1, 1)
        admin = await Account.select().first()
        assert admin["is_site_admin"] and admin["password_hash"].startswith("$argon2")
        community = await Community.select().first()
        assert community["street_ref"] is not None and community["street"] == "长宁街道"
        assert await SiteSetting.count() == 0  # the code is used up
        # Signed in as the new administrator; the set-up page is gone.
        assert (await c.get("/admin")).status_code == 200
        assert (await c.get("/setup")).status_code == 404
        assert (await c.post_form("/setup", {**FORM, "setup_code": code})).status_code == 404
        assert (await c.get("/")).status_code == 200
    assert await counts() == (1, 1, 1)


async def test_guessing_the_set_up_code_is_limited(monkeypatch):
    monkeypatch.setattr(services, "MAX_SETUP_CODE_FAILURES", 3)
    code = await services.new_setup_code()
    async with client_from("203.0.113.8", done=False) as c:
        await c.get("/setup")
        for _ in range(3):
            assert (await c.post_form("/setup", {**FORM, "setup_code": "ABCD-EFGH"})).status_code == 403
        # Even the right code waits now.
        assert (await c.post_form("/setup", {**FORM, "setup_code": code})).status_code == 429
    assert await counts() == (0, 0, 0)


async def test_from_the_server_itself_no_code_is_needed():
    async with client_from("127.0.0.1", done=False) as c:
        page = await c.get("/setup")
        assert 'name="setup_code"' not in page.text
        response = await c.post_form("/setup", FORM)
        assert response.status_code == 303
    assert await counts() == (1, 1, 1)


async def test_a_proxy_on_the_same_machine_does_not_make_a_visitor_local():
    async with client_from("127.0.0.1", done=False) as c:
        await c.get("/setup")
        response = await c.post_form("/setup", FORM, headers={"X-Forwarded-For": "198.51.100.4"})
        assert response.status_code == 403
    assert await counts() == (0, 0, 0)


async def test_a_trusted_proxy_passes_on_the_visitors_address(monkeypatch):
    from dataclasses import replace

    from community import config
    monkeypatch.setattr(config, "_config", replace(config.get_config(), trusted_proxies=frozenset({"10.0.0.2"})))
    async with client_from("10.0.0.2", done=False) as c:
        await c.get("/setup")
        refused = await c.post_form("/setup", FORM, headers={"X-Forwarded-For": "198.51.100.4"})
        assert refused.status_code == 403
        assert await counts() == (0, 0, 0)
        accepted = await c.post_form("/setup", FORM, headers={"X-Forwarded-For": "127.0.0.1"})
        assert accepted.status_code == 303


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"street_slug": "Chang Ning"}, "street_slug"),
        ({"community_slug": "admin"}, "community_slug"),
        ({"confirm_password": "another-password"}, "confirm_password"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"admin_username": "x"}, "username"),
    ],
)
async def test_wrong_fields_are_marked_and_nothing_is_created(change, field):
    async with client_from("127.0.0.1", done=False) as c:
        await c.get("/setup")
        response = await c.post_form("/setup", {**FORM, **change})
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.text
        assert 'value="幸福里社区"' in response.text
    assert await counts() == (0, 0, 0)


async def test_the_demo_counts_as_set_up():
    await load_demo()
    assert not await services.setup_needed()
    assert await services.new_setup_code() is None
    async with client_from("127.0.0.1", done=False) as c:
        assert (await c.get("/")).status_code == 200
        assert (await c.get("/setup")).status_code == 404
