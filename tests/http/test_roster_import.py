"""Importing a register: every problem with its line, all or nothing, preview tied to the uploaded file,
apply in the background with progress, re-import changes nothing; export; the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from app.demo import DEMO_PASSWORD
from community.roster import cli as roster_cli
from community.roster import importer, uploads
from community.roster.files import load_register, write_csv, write_xlsx
from community.roster.snapshot import export_rows, load_snapshot
from community.roster_demo import load_roster_demo_community as load_demo
from community.tables import Account, AuditLog, Community, Flat, JoinCode, RosterUpload, Verification

ROOT = Path(__file__).resolve().parents[2]


async def demo_id() -> int:
    await load_demo()
    row = await Community.select(Community.id).where(Community.slug == "demo").first()
    return int(row["id"])


def table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def upload(client, data: bytes, name: str = "register.csv"):
    return await client.post_form(
        "/c/demo/roster/import", {}, files={"register": (name, data, "text/csv")}
    )


async def finish_imports() -> None:
    await asyncio.gather(*uploads.running())


async def test_a_file_with_problems_lists_every_one_and_writes_nothing(client):
    await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    rows[2][5] = "89.505"  # line 3: three decimals
    rows[4][3] = "三"  # line 5: floor not a number
    rows[6][4] = rows[5][4]  # line 7: the same room twice in one stairwell unit
    before = await Flat.count()
    response = await upload(client, to_csv(rows))
    assert response.status_code == 422
    text = response.text
    assert "发现 3 处问题，名册没有任何改动" in text
    assert "第 3 行" in text and "面积“89.505”超过两位小数。" in text
    assert "第 5 行" in text and "楼层“三”不是整数" in text
    assert "第 7 行" in text and "已在第 6 行出现过" in text
    assert await Flat.count() == before
    assert await RosterUpload.count() == 0
    client.cookies.set("yishi_lang", "en")
    english = await upload(client, to_csv(rows))
    assert "Line 3" in english.text and "Area “89.505” has more than two decimals." in english.text


async def test_missing_column_and_empty_upload(client):
    await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    no_area = to_csv([["小区", "楼栋", "单元", "楼层", "房号", "业主"], ["阳光花园", "1", "1", "1", "101", "张三"]])
    response = await upload(client, no_area)
    assert response.status_code == 422 and "缺少必填列“专有面积”。" in response.text
    empty = await client.post_form("/c/demo/roster/import", {"x": "1"})
    assert empty.status_code == 422 and "请选择要上传的登记表文件" in empty.text


async def test_preview_apply_and_import_the_same_file_again(client):
    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    header, body = rows[0], rows[1:]
    index = {name: i for i, name in enumerate(header)}
    changed = next(r for r in body if r[:5] == ["阳光花园", "1", "1", "1", "101"])
    changed[index["专有面积"]] = "90.00"
    removed = next(r for r in body if r[:5] == ["阳光花园", "1", "1", "1", "102"])
    body.remove(removed)
    body.append(["阳光花园", "5", "1", "1", "101", "66.60", "实测", "住宅", "新业主", "9999", "", "", "否", ""])
    data = to_csv([header, *body])

    snapshot = await load_snapshot(community_id)
    removed_flat = snapshot.flats[("阳光花园", "1", "1", "102")]
    verified_on_removed = await Verification.count().where(
        (Verification.flat == removed_flat.id) & Verification.revoked_at.is_null()
    )

    response = await upload(client, data)
    assert response.status_code == 303
    preview_url = response.headers["location"]
    preview = await client.get(preview_url)
    assert "新增的房屋" in preview.text and "新业主" in preview.text
    assert "有变更的房屋" in preview.text and "专有面积" in preview.text
    assert "<del>89.56 m²</del>" in preview.text and "<ins>90.00 m²</ins>" in preview.text
    assert "不在此文件中的房屋" in preview.text
    assert await Flat.count().where(Flat.area == 9000) == 0  # nothing written by a preview

    base = preview.text.split('name="base" value="')[1].split('"')[0]
    # The file is the whole register: the removal is asked for and confirmed.
    applied = await client.post_form(preview_url + "/apply", {"base": base, "remove": "1", "confirm_remove": "1"})
    assert applied.status_code == 303 and applied.headers["location"] == preview_url
    await finish_imports()
    result = await client.get(preview_url)
    assert "登记表已导入：新增 1 户，变更 1 户，移除 1 户" in result.text

    after = await load_snapshot(community_id)
    assert after.flats[("阳光花园", "1", "1", "101")].row.area == 9000
    assert ("阳光花园", "5", "1", "101") in after.flats
    assert after.flats[("阳光花园", "1", "1", "102")].active is False  # kept, not deleted
    assert await Verification.count().where(
        (Verification.flat == removed_flat.id) & (Verification.revoke_reason == importer.REASON_REGISTER)
    ) == verified_on_removed
    log = await AuditLog.select().where(AuditLog.action == "roster_imported").order_by(AuditLog.id, ascending=False).first()
    detail = json.loads(log["detail"]) if isinstance(log["detail"], str) else log["detail"]
    assert (detail["added"], detail["changed"], detail["removed"], detail["filename"]) == (1, 1, 1, "register.csv")

    # The same file again: the preview says there is nothing to do, and nothing can be applied.
    logs = await AuditLog.count()
    again = await upload(client, data)
    second = await client.get(again.headers["location"])
    assert "名册内容与文件完全一致，无需应用。" in second.text
    assert 'name="base"' not in second.text
    assert await AuditLog.count() == logs


async def test_apply_is_refused_when_the_register_changed_after_the_preview(client):
    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    rows[1][5] = "99.99"
    response = await upload(client, to_csv(rows))
    preview_url = response.headers["location"]
    base = (await client.get(preview_url)).text.split('name="base" value="')[1].split('"')[0]
    # Meanwhile someone else imports another register.
    current = await export_rows(community_id)
    from dataclasses import replace

    await importer.import_rows(community_id, [replace(current[-1], area=5555), *current[:-1]])
    refused = await client.post_form(preview_url + "/apply", {"base": base})
    assert refused.status_code == 409
    assert "生成预览后名册已有改动" in refused.text
    assert await Flat.count().where(Flat.area == 9999) == 0
    # The fresh preview on that page can be applied.
    fresh = refused.text.split('name="base" value="')[1].split('"')[0]
    assert fresh != base
    assert (await client.post_form(preview_url + "/apply", {"base": fresh})).status_code == 303
    await finish_imports()
    assert await Flat.count().where(Flat.area == 9999) == 1


async def test_apply_twice_applies_once(client):
    await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    rows[1][5] = "77.77"
    preview_url = (await upload(client, to_csv(rows))).headers["location"]
    base = (await client.get(preview_url)).text.split('name="base" value="')[1].split('"')[0]
    first, second = await asyncio.gather(
        client.post_form(preview_url + "/apply", {"base": base}),
        client.post_form(preview_url + "/apply", {"base": base}),
    )
    assert first.status_code == second.status_code == 303
    await finish_imports()
    assert await AuditLog.count().where(AuditLog.action == "roster_imported") == 2  # the demo's, and this one


async def test_progress_is_polled_with_htmx_and_refreshed_without_javascript(client):
    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = await export_rows(community_id)
    facilitator = await Account.select(Account.id).where(Account.phone == "13800000001").first()
    token = await uploads.store_upload(community_id, int(facilitator["id"]), "r.csv", write_csv(rows))
    await RosterUpload.update({RosterUpload.status: "applying", RosterUpload.started_at: uploads.now()}).where(
        RosterUpload.token == token
    )
    page = await client.get(f"/c/demo/roster/import/{token}")
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert 'hx-trigger="every 1s"' in page.text and "查看进度" in page.text
    fragment = await client.get(f"/c/demo/roster/import/{token}/progress", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="import-progress"')
    await RosterUpload.update({RosterUpload.status: "applied", RosterUpload.result: {"written": 0}}).where(
        RosterUpload.token == token
    )
    done = await client.get(f"/c/demo/roster/import/{token}/progress", headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text and "没有写入任何内容" in done.text


async def test_xlsx_upload_template_and_export(client):
    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    template = await client.get("/c/demo/roster/template/xlsx")
    assert template.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in template.headers["content-disposition"]
    rows, problems = load_register("t.xlsx", template.content)
    assert not problems and len(rows) == 2
    csv_template = await client.get("/c/demo/roster/template/csv")
    assert csv_template.content.startswith(b"\xef\xbb\xbf")
    export = await client.get("/c/demo/roster/export/xlsx")
    assert export.headers["cache-control"] == "no-store"
    exported, problems = load_register("e.xlsx", export.content)
    assert not problems and len(exported) == 168
    response = await client.post_form(
        "/c/demo/roster/import",
        {},
        files={"register": ("register.xlsx", write_xlsx(exported), "application/octet-stream")},
    )
    preview = await client.get(response.headers["location"])
    assert "名册内容与文件完全一致" in preview.text
    assert (await client.get("/c/demo/roster/export/pdf")).status_code == 404
    assert community_id


async def test_uploads_larger_than_the_default_limit_are_accepted(client):
    await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    header, body = rows[0], rows[1:]
    extra = [
        ["大楼小区", str(b), "1", str(f), f"{f}{r:02d}", "88.00", "登记", "住宅", f"业主{b}-{f}-{r}", f"{r:04d}",
         f"1380{b:03d}{f:02d}{r:02d}", "", "否", "租户甲"]
        for b in range(1, 61)
        for f in range(1, 31)
        for r in range(1, 9)
    ]
    data = to_csv([header, *body, *extra])
    assert len(data) > 1024 * 1024
    response = await upload(client, data)
    assert response.status_code == 303
    preview = await client.get(response.headers["location"])
    assert "新增的房屋" in preview.text and f"另有 {len(extra) - 50} 条" in preview.text


async def test_command_line_import_and_export(client, tmp_path):
    community_id = await demo_id()
    out, err = io.StringIO(), io.StringIO()
    exported = tmp_path / "register.csv"
    assert await roster_cli.export_file("demo", str(exported), out, err) == 0
    assert "168 flats written" in out.getvalue()
    rows = table(exported.read_bytes())
    rows[3][5] = "abc"
    rows[4][11] = "不是业主"
    broken = tmp_path / "broken.csv"
    broken.write_bytes(to_csv(rows))
    out = io.StringIO()
    assert await roster_cli.import_file(str(broken), "demo", False, out, err) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Line 4, 专有面积 (area): Area “abc” is not a number of m².")
    assert lines[1].startswith("Line 5, 指定投票人 (designated_voter)")

    rows = table(exported.read_bytes())
    rows[1][5] = "70.10"
    newer = tmp_path / "newer.csv"
    newer.write_bytes(to_csv(rows))
    out = io.StringIO()
    assert await roster_cli.import_file(str(newer), "demo", True, out, err) == 0
    assert "importable (0 added, 1 changed, 0 removed, 167 unchanged); dry run" in out.getvalue()
    dry = out.getvalue()
    assert await Flat.count().where(Flat.area == 7010) == 0
    out = io.StringIO()
    assert await roster_cli.import_file(str(newer), "demo", False, out, err) == 0
    assert "imported (0 added, 1 changed" in out.getvalue()
    # What it changed is listed, as the dry run listed it (planned once, under the write lock).
    assert [line for line in out.getvalue().splitlines() if line.startswith(("+", "~", "-"))] == [
        line for line in dry.splitlines() if line.startswith(("+", "~", "-"))
    ]
    assert any(line.startswith("~ ") and line.endswith(": area") for line in out.getvalue().splitlines())
    assert await Flat.count().where(Flat.area == 7010) == 1
    out = io.StringIO()
    assert await roster_cli.import_file(str(newer), "demo", False, out, err) == 0
    assert "nothing written" in out.getvalue()
    assert await roster_cli.import_file(str(newer), "nowhere", False, out, err) == 1
    assert "there is no community 'nowhere'" in err.getvalue()
    xlsx = tmp_path / "register.xlsx"
    assert await roster_cli.export_file("demo", str(xlsx), out, err) == 0
    assert len(load_register("r.xlsx", xlsx.read_bytes())[0]) == 168
    assert await roster_cli.export_file("demo", str(tmp_path / "register.txt"), out, err) == 2
    assert community_id and await JoinCode.count() == 0


def test_yishi_roster_commands_exit_statuses(tmp_path):
    """The real command, in a process of its own, on a database of its own."""
    import sqlite3

    from community.roster_demo import demo_register

    database = tmp_path / "cli.sqlite3"
    env = {**os.environ, "YISHI_DATABASE_URL": f"sqlite:///{database}"}

    def yishi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    register = tmp_path / "register.csv"
    register.write_bytes(write_csv(demo_register()[0]))
    # The first command also creates the database; the community does not exist yet.
    unknown = yishi("roster", "import", str(register), "--community", "east")
    assert unknown.returncode == 1 and "there is no community 'east'" in unknown.stderr
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO community (slug, name, street, settings, created_at) "
            "VALUES ('east', '东区社区', '', '{}', ?)",
            (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),),
        )
    first = yishi("roster", "import", str(register), "--community", "east")
    assert first.returncode == 0 and "imported (168 added" in first.stdout, first.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("小区,楼栋\n阳光花园,1\n", encoding="utf-8")
    failed = yishi("roster", "import", str(bad), "--community", "east", "--dry-run")
    assert failed.returncode == 1 and "Line 1" in failed.stdout


async def test_an_apply_interrupted_by_a_restart_can_be_applied_again(client):
    from datetime import timedelta

    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    rows[1][5] = "66.66"
    preview_url = (await upload(client, to_csv(rows))).headers["location"]
    token = preview_url.rsplit("/", 1)[1]
    # The process applying it stopped long ago: its transaction was rolled back, nothing was written.
    await RosterUpload.update(
        {RosterUpload.status: "applying", RosterUpload.started_at: uploads.now() - timedelta(minutes=30)}
    ).where(RosterUpload.token == token)
    page = await client.get(preview_url)
    assert "导入在完成前中断了" in page.text
    base = page.text.split('name="base" value="')[1].split('"')[0]
    assert (await client.post_form(preview_url + "/apply", {"base": base})).status_code == 303
    await finish_imports()
    assert await Flat.count().where(Flat.area == 6666) == 1
    assert community_id


async def test_a_partial_file_adds_and_updates_only_unless_removals_are_confirmed(client):
    """Issue 19: a file of only new rows was previewed as "remove 168" behind the same neutral button."""
    community_id = await demo_id()
    await client.signin("13800000001", DEMO_PASSWORD)
    rows = table((await client.get("/c/demo/roster/export/csv")).content)
    header = rows[0]
    new_row = ["阳光花园", "5", "1", "1", "101", "66.60", "实测", "住宅", "新业主", "9999", "", "", "否", ""]
    data = to_csv([header, new_row])
    active = await Flat.count().where(Flat.active.eq(True))
    preview_url = (await upload(client, data)).headers["location"]
    preview = await client.get(preview_url)
    missing = active  # every flat of the register is missing from this one-row file
    assert "仅新增和更新" in preview.text and f"登记表中有 {missing} 户不在此文件中" in preview.text
    assert 'id="apply-removals"' in preview.text and f"应用并移除 {missing} 户" in preview.text
    base = preview.text.split('name="base" value="')[1].split('"')[0]
    # Asking to remove without ticking the confirmation is refused, and nothing is written.
    refused = await client.post_form(preview_url + "/apply", {"base": base, "remove": "1"})
    assert refused.status_code == 422 and "请勾选确认要移除这些房屋" in refused.text
    await finish_imports()
    assert await Flat.count().where(Flat.active.eq(True)) == active
    assert (await RosterUpload.select(RosterUpload.status).first())["status"] == "previewed"
    # The default button adds the new flat and removes nothing.
    applied = await client.post_form(preview_url + "/apply", {"base": base})
    assert applied.status_code == 303
    await finish_imports()
    assert "新增 1 户，变更 0 户，移除 0 户" in (await client.get(preview_url)).text
    after = await load_snapshot(community_id)
    assert ("阳光花园", "5", "1", "101") in after.flats
    assert await Flat.count().where(Flat.active.eq(True)) == active + 1
    client.cookies.set("yishi_lang", "en")
    again = await client.get((await upload(client, data)).headers["location"])
    assert "Nothing to add or update" in again.text and "Apply and remove" in again.text
    assert "Add and update only" not in again.text
    # Removal, explicitly confirmed, makes the register say exactly what the file says.
    base = again.text.split('name="base" value="')[1].split('"')[0]
    token_url = again.url.path
    confirmed = await client.post_form(token_url + "/apply", {"base": base, "remove": "1", "confirm_remove": "1"})
    assert confirmed.status_code == 303
    await finish_imports()
    assert await Flat.count().where(Flat.active.eq(True)) == 1
