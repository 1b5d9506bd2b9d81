"""A street office sets Yishi up from an empty database, in a real browser: first-run set-up, a street and two
communities, a register imported into the second, staff appointed with scopes, each signing in with their
activation code and seeing exactly their part, and a scope change taking effect on the next page.

Runs against a server of its own on an EMPTY database (no demo)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from conftest import PHONE, PROJECTOR, Server
from playwright.sync_api import Browser, Page, expect

PASSWORD = "street-office-2026"
HEADER = ["小区", "楼栋", "单元", "楼层", "房号", "专有面积", "面积来源", "用途", "业主", "证件尾号", "联系电话",
          "指定投票人", "开发商未售", "租户"]  # fmt: skip
REGISTER = [
    ["安康苑", building, "1", "1", room, "72.50", "登记", "住宅", owner, "", "", "", "否", ""]
    for building, room, owner in [
        ("1", "101", "赵一"), ("1", "102", "钱二"), ("2", "101", "孙三"), ("2", "102", "李四"),
        ("3", "101", "周五"), ("3", "102", "吴六"),
    ]
]  # fmt: skip


@pytest.fixture(scope="module")
def empty_server() -> Iterator[Server]:
    srv = Server(demo=False)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def no_horizontal_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def appoint(page: Page, url: str, name: str, phone: str, role: str, buildings: list[str]) -> str:
    page.goto(f"{url}/c/ankang/staff")
    form = page.locator("#appoint form")
    form.locator("#f-display_name").fill(name)
    form.locator("#f-phone").fill(phone)
    form.locator("#f-role").select_option(role)
    if buildings:
        form.locator("input[name=scope_kind][value=building]").check()
        for b in buildings:
            form.locator("label.choice", has_text=re.compile(rf"^\s*安康苑 {b}\s*$")).locator("input").check()
    else:
        form.locator("input[name=scope_kind][value=community]").check()
    form.locator("button[type=submit]").click()
    code = page.locator(".code-slip-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    return code.inner_text()


def activate(browser: Browser, url: str, code: str, viewport: dict[str, int] = PHONE) -> Page:
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{url}/activate")
    page.fill("#f-code", code)
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirm_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{url}/account?activated=1")
    expect(page.locator(".alert-ok")).to_contain_text("密码已设置")
    return page


def buildings_seen(page: Page, url: str) -> list[str]:
    page.goto(f"{url}/c/ankang/roster")
    expect(page.locator("h1")).to_have_text("房屋与业主名册")
    return sorted(t.strip() for t in page.locator(".building-card .card-title").all_inner_texts())


def test_a_street_office_sets_up_yishi_from_an_empty_database(browser: Browser, empty_server: Server, shot):
    url = empty_server.url
    failed: list[str] = []
    admin = browser.new_context(viewport=PROJECTOR, locale="zh-CN").new_page()
    # An aborted request (a favicon cut off by the next navigation) is not a failure.
    admin.on("requestfailed", lambda r: failed.append(r.url) if "ERR_ABORTED" not in (r.failure or "") else None)

    # 1. Every page leads to the first-run set-up; from the server's own machine no code is needed.
    admin.goto(f"{url}/meetings")
    admin.wait_for_url(f"{url}/setup")
    expect(admin.locator("h1")).to_have_text("初始设置")
    assert admin.locator("#f-setup_code").count() == 0
    assert "set-up code" in empty_server.output()
    shot(admin, "setup-projector-zh")
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.goto(f"{url}/setup")
    no_horizontal_scroll(phone, PHONE["width"])
    shot(phone, "setup-phone-zh")
    phone.context.close()
    for field, value in [("admin_username", "admin"), ("admin_name", "街道管理员"), ("password", PASSWORD),
                         ("confirm_password", PASSWORD), ("street_name", "长宁街道"), ("street_slug", "changning"),
                         ("community_name", "幸福里社区"), ("community_slug", "xingfuli")]:  # fmt: skip
        admin.fill(f"#f-{field}", value)
    admin.click("form.form button[type=submit]")
    admin.wait_for_url(f"{url}/admin?welcome=1")
    expect(admin.locator(".alert-ok")).to_contain_text("设置完成")
    assert admin.request.get(f"{url}/setup").status == 404

    # 2. A second community in the street.
    form = admin.locator("#new-community form")
    form.locator("#f-name").fill("安康社区")
    form.locator("#f-slug").fill("ankang")
    form.locator("button[type=submit]").click()
    admin.wait_for_url(f"{url}/admin/communities/ankang?created=1")
    admin.goto(f"{url}/admin")
    expect(admin.locator(".admin-street")).to_contain_text("幸福里社区")
    expect(admin.locator(".admin-street")).to_contain_text("安康社区")
    shot(admin, "admin-home-projector-zh")

    # 3. Its register, through the import page.
    admin.goto(f"{url}/c/ankang/roster/import")
    admin.set_input_files("#f-register", files=[{"name": "安康.csv", "mimeType": "text/csv",
                                                  "buffer": csv_bytes([HEADER, *REGISTER])}])  # fmt: skip
    admin.click("form.form button[type=submit]")
    expect(admin.locator("h1")).to_have_text("应用前核对")
    admin.click(".apply-form button[type=submit]")
    expect(admin.locator("#import-progress")).to_contain_text("新增 6 户", timeout=20000)

    # 4. Staff: a facilitator, a grid worker for buildings 1 and 2, a building lead for building 3.
    codes = {
        "facilitator": appoint(admin, url, "陈主任", "13600000001", "facilitator", []),
        "grid": appoint(admin, url, "林网格", "13600000002", "grid_worker", ["1", "2"]),
        "lead": appoint(admin, url, "黄楼长", "13600000003", "building_lead", ["3"]),
    }
    shot(admin, "staff-appointed-projector-zh")
    admin.goto(f"{url}/c/ankang/staff")
    expect(admin.locator(".staff-table")).to_contain_text("安康苑 1, 安康苑 2")
    expect(admin.locator(".staff-table")).to_contain_text("尚未激活")

    # 5. Each signs in with their code and sees exactly their scope.
    facilitator = activate(browser, url, codes["facilitator"], PROJECTOR)
    grid = activate(browser, url, codes["grid"])
    lead = activate(browser, url, codes["lead"])
    assert buildings_seen(facilitator, url) == ["1号楼", "2号楼", "3号楼"]
    assert buildings_seen(grid, url) == ["1号楼", "2号楼"]
    no_horizontal_scroll(grid, PHONE["width"])
    shot(grid, "setup-grid-worker-roster-phone-zh")
    assert buildings_seen(lead, url) == ["3号楼"]
    assert grid.request.get(f"{url}/c/xingfuli/roster").status == 403
    assert grid.request.get(f"{url}/c/ankang/staff").status == 403

    # 6. The new facilitator moves the grid worker to building 3: it applies at their next page.
    facilitator.goto(f"{url}/c/ankang/staff")
    facilitator.locator("tr", has_text="林网格").get_by_role("link", name="调整范围").click()
    expect(facilitator.locator("h1")).to_contain_text("林网格")
    shot(facilitator, "staff-scope-projector-zh")
    facilitator.locator("input[name=scope_kind][value=building]").check()
    for b in ("1", "2"):
        facilitator.locator("label.choice", has_text=re.compile(rf"^\s*安康苑 {b}\s*$")).locator("input").uncheck()
    facilitator.locator("label.choice", has_text=re.compile(r"^\s*安康苑 3\s*$")).locator("input").check()
    facilitator.click("form.form button[type=submit]")
    facilitator.wait_for_url(re.compile(r".*/c/ankang/staff\?changed=\d+$"))
    expect(facilitator.locator(".staff-table tr", has_text="林网格")).to_contain_text("安康苑 3")
    assert buildings_seen(grid, url) == ["3号楼"]

    # The pages of this feature at both sizes, for looking at.
    facilitator.goto(f"{url}/c/ankang/audit")
    expect(facilitator.locator(".audit-table")).to_contain_text("scope_changed")
    shot(facilitator, "audit-projector-zh")
    facilitator.goto(f"{url}/c/ankang/roles")
    shot(facilitator, "roles-projector-zh")
    for path, name in [("/c/ankang/staff", "staff"), ("/c/ankang/roles", "roles"), ("/c/ankang/audit", "audit"),
                       ("/account/security", "security")]:  # fmt: skip
        small = browser.new_context(viewport=PHONE, locale="zh-CN", storage_state=facilitator.context.storage_state()).new_page()
        small.goto(url + path)
        if name != "roles":  # a wide table in a scrolling box, by design
            no_horizontal_scroll(small, PHONE["width"])
        shot(small, f"{name}-phone-zh")
        small.context.close()
    assert not failed, failed
