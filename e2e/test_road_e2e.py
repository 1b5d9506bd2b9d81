"""One elevator project the whole way in real browsers (issue 11): canvassing and a reminder, online and paper
ballots, the close, the preliminary result, a query answered with a correction that recounts, the final result,
the public notice running out, the agreement signed online and on paper, the funding plan complete, and the works
up to "in operation" — after each step the project's page on an owner's phone (390×844) shows the new stage.

Time-dependent steps (the minimum voting period, the query window, the public notice) are reached by moving the
stored moments back in the server's database, as the other browser tests do; nothing waits on the wall clock."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PHONE, PROJECTOR, ROOT, Server, signin
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

FACILITATOR = "13800000001"
RECORDER = "13800000002"
OWNER_PASSWORD = "road-test-owner-2026"
ROOMS = ("101", "102", "201", "202", "301", "302")
ONLINE = ("301", "302", "201")  # vote on their phones; 101 and 102 return paper ballots; 202's is found after the close
PAPER = ("101", "102")
LATE = "202"
ON_PAPER_SIGNER = "102"  # signs the agreement on paper; everyone else online

# Run inside the server's database: a small stairwell of six flats in a compound of its own, every flat owned by a
# verified owner who has an account (so each can vote and sign on a phone). Prints {room: phone}.
SETUP = r'''
import asyncio, json, sys
from community import accounts, db
from community.tables import Community
from votes.testing import RosterBuilder

AREAS = {"101": 8520, "102": 6375, "201": 8520, "202": 6375, "301": 8520, "302": 6375}
NAMES = {"101": "欧阳一帆", "102": "欧阳二帆", "201": "司马三川", "202": "司马四川", "301": "上官五岳", "302": "上官六岳"}

async def main():
    await db.open_pool()
    community = (await Community.select(Community.id).where(Community.slug == "demo").first())["id"]
    roster = RosterBuilder(community, compound_name=sys.argv[1])
    unit = await roster.stairwell("8", "1")
    phones = {}
    for number, (room, area) in enumerate(AREAS.items()):
        flat = await roster.flat(unit, room, area)
        phone = f"1770000{number:04d}"
        account = await accounts.create_account(display_name=NAMES[room], password=sys.argv[2], phone=phone)
        person = await roster.person(NAMES[room], account=account, phone=phone)
        await roster.own(flat, person)
        phones[room] = phone
    print(json.dumps(phones))
    await db.close_pool()

asyncio.run(main())
'''
COMPOUND = "路测花园"
PLACE = f"{COMPOUND} 8-1"
TITLE = "路测花园8号楼1单元加装电梯"


def unit(room: str) -> str:
    return f"8-1-{room}"


@pytest.fixture(scope="module")
def road_server() -> Iterator[Server]:
    """A server of our own: this test closes votes and moves stored dates, which other tests must not see."""
    srv = Server()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def database(server: Server) -> str:
    return server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///")


def stored(moment: datetime) -> str:
    """A moment as the server stores it in SQLite."""
    return moment.astimezone(UTC).isoformat(sep=" ")


def move_back(server: Server, statement: str, *args: object) -> None:
    """What waiting would do: a stored moment moved into the past (never the clock)."""
    with sqlite3.connect(database(server)) as db:
        assert db.execute(statement, args).rowcount == 1, statement


def phone_of(browser: Browser, server: Server, login: str, path: str, password: str | None = None) -> Page:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    if password is None:
        signin(page, server.url, login, next_path=path)
    else:
        signin(page, server.url, login, password, next_path=path)
    return page


def no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def scan() -> dict:
    """A photo of a signed paper page, for the paper signature's upload."""
    image = Image.new("RGB", (600, 800), "white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return {"name": "签署页.png", "mimeType": "image/png", "buffer": out.getvalue()}


def test_one_project_from_the_canvass_to_a_running_lift(browser: Browser, road_server: Server, shot) -> None:
    base = road_server.url
    out = subprocess.run(
        [sys.executable, "-c", SETUP, COMPOUND, OWNER_PASSWORD], cwd=ROOT,
        env={**road_server.env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    phones: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
    contexts: list[BrowserContext] = []

    def owner(room: str, path: str) -> Page:
        page = phone_of(browser, road_server, phones[room], path, OWNER_PASSWORD)
        contexts.append(page.context)
        return page

    # --- The facilitator sets the project up and puts it to the vote ------------------------------------------
    staff = phone_of(browser, road_server, FACILITATOR, "/c/demo/projects")
    contexts.append(staff.context)
    staff.click("text=新建项目")
    staff.fill("#f-title", TITLE)
    staff.select_option("#f-kind", "elevator")
    staff.select_option("#f-place", label=PLACE)
    staff.fill("#f-storeys", "3")
    staff.fill("#f-description", "北侧加建电梯，平层入户。")
    staff.get_by_role("button", name="创建项目").click()
    expect(staff.locator("h1")).to_have_text("预算与费用分摊")
    staff.fill("#f-total", "300000")
    staff.fill("#f-subsidy", "100000")
    staff.check("input[name=scheme][value=guangzhou]")
    staff.get_by_role("button", name="保存预算和方案").click()
    expect(staff.locator("#shares")).to_contain_text("¥200,000.00")
    project_url = staff.url.split("#")[0]
    project_id = int(re.search(r"/p/(\d+)", project_url).group(1))
    staff.get_by_role("button", name="创建表决").click()
    staff.wait_for_url(re.compile(r".*/v/\d+/edit"))
    vote_id = int(re.search(r"/v/(\d+)/edit", staff.url).group(1))
    staff.goto(f"{base}/v/{vote_id}/manage")
    staff.click(f"form[action='/v/{vote_id}/publish'] button")
    expect(staff.locator("h1")).to_contain_text(TITLE)

    # The owner of 101 follows the project on her phone all the way.
    follower = owner("101", f"/p/{project_id}")

    def stage(text: str, name: str, region: str = "#pstatus") -> None:
        follower.goto(project_url)
        expect(follower.locator(region)).to_contain_text(text)
        no_sideways_scrolling(follower)
        shot(follower, f"road-{name}-phone-zh")

    stage("业主表决中", "1-voting")

    # --- The first owner votes online; canvassing; a reminder only to those who have not voted -----------------
    first = owner(ONLINE[0], f"/v/{vote_id}")
    first.locator("#cast label.vchoice-agree").click()
    first.click("#cast button[type=submit]")
    first.click("#cast .vconfirm-form button")
    expect(first.locator("#receipt-code")).to_be_visible()

    staff.goto(f"{base}/v/{vote_id}/canvass")
    expect(staff.locator(".cflat", has_text=unit(ONLINE[0])).locator(".cstatus")).to_have_text("已在线投票")
    for room, status, note in ((LATE, "promised", "说这周把纸质票投进票箱"), ("101", "contacted", "白天上班，晚上在家")):
        card = staff.locator(".cflat", has_text=unit(room))
        card.locator("summary").click()
        card.locator("select[name=status]").select_option(status)
        card.locator("textarea[name=note]").fill(note)
        card.locator("button[type=submit]").click()
        expect(staff.locator(".cflat", has_text=unit(room))).to_contain_text(note)
    expect(staff.locator(".cflat", has_text=unit(LATE)).locator(".cstatus")).to_have_text("答应投票")
    staff.locator("#reminders input[name=template][value=friendly]").check()
    staff.get_by_role("button", name="发送提醒").click()
    expect(staff.locator("#reminders .alert-ok")).to_contain_text("提醒已发送")
    reminded = set(staff.locator("#reminders tbody tr > :first-child").all_inner_texts())
    assert reminded == {unit(r) for r in ROOMS if r != ONLINE[0]}, reminded  # never the flat that voted
    no_sideways_scrolling(staff)
    shot(staff, "road-2-canvass-phone-zh")

    # --- The others vote: two more phones, two paper ballots at the desk (entered by one, confirmed by another) --
    for room in ONLINE[1:]:
        ballot = owner(room, f"/v/{vote_id}")
        ballot.locator("#cast label.vchoice-agree").click()
        ballot.click("#cast button[type=submit]")
        ballot.click("#cast .vconfirm-form button")
        expect(ballot.locator("#receipt-code")).to_be_visible()
    staff.goto(f"{base}/v/{vote_id}/paper/print")
    serials = {}
    for room in (*PAPER, LATE):
        text = staff.locator(".paper-ballot", has_text=unit(room)).locator(".pb-serial").inner_text()
        serials[room] = re.search(r"[0-9A-Z-]{6,}", text).group(0)
    counter = phone_of(browser, road_server, RECORDER, f"/v/{vote_id}/paper")
    contexts.append(counter.context)
    for room in PAPER:
        counter.goto(f"{base}/v/{vote_id}/paper")
        counter.fill("#f-serial", serials[room])
        counter.click("#paper-desk form button[type=submit]")
        expect(counter.locator("#paper-desk")).to_contain_text(unit(room))
        counter.locator("#paper-desk label.vchoice-agree").click()
        counter.click("#paper-desk form button[type=submit]")
        expect(counter.locator("#paper-desk .alert-ok")).to_contain_text(serials[room])
    staff.goto(f"{base}/v/{vote_id}/paper")
    for room in PAPER:
        staff.locator(".vwaiting-item", has_text=serials[room]).locator("button.primary").click()
        expect(staff.locator(".vwaiting-item", has_text=serials[room])).to_have_count(0)
        expect(staff.locator("#paper-desk .alert-ok")).to_contain_text("已计入")
    staff.goto(f"{base}/v/{vote_id}/canvass")
    expect(staff.locator(".cflat", has_text=unit(PAPER[0])).locator(".cstatus")).to_have_text("已纸质投票")

    # --- The close (asked first), after the minimum voting period ---------------------------------------------
    move_back(road_server, "UPDATE vote SET opened_at = ? WHERE id = ?", stored(datetime.now(UTC) - timedelta(days=8)), vote_id)
    staff.goto(f"{base}/v/{vote_id}/manage")
    staff.click(".vclose a.button")
    staff.wait_for_url(f"{base}/v/{vote_id}/close")
    staff.get_by_role("button", name="确认结束并计票").click()
    staff.wait_for_url(f"{base}/v/{vote_id}/result")

    public = browser.new_context(viewport=PHONE, locale="zh-CN")
    contexts.append(public)
    anyone = public.new_page()
    anyone.goto(f"{base}/v/{vote_id}/result")
    expect(anyone.locator("#vstage")).to_contain_text("初步统计结果")
    expect(anyone.locator(".vcheck").first).to_contain_text("5 / 6")
    no_sideways_scrolling(anyone)
    shot(anyone, "road-3-preliminary-result-phone-zh")
    stage("已统计——初步结果公示，接受询异", "3-counted")

    # --- 202's owner queries the count: her paper ballot went into the box --------------------------------------
    late = owner(LATE, f"/v/{vote_id}/queries")
    late.check("input[name=kind][value=missing_ballot]")
    late.fill("#f-text", "我在表决结束前两天把纸质票投进了单元门口的票箱，但参与户数里好像没有我家。")
    late.get_by_role("button", name="提交询异").click()
    expect(late.locator(".alert-ok")).to_contain_text("第 1 号询异已登记")
    shot(late, "road-4-query-lodged-phone-zh")

    # Staff find the ballot in the box: a correction that recounts, and the public answer citing it.
    manage = staff.context.new_page()
    manage.set_viewport_size(PROJECTOR)
    manage.goto(f"{base}/v/{vote_id}/queries/manage")
    expect(manage.locator("#query-1")).to_contain_text("票箱")
    manage.fill("#f-serial", serials[LATE])
    manage.get_by_role("button", name="查找房屋").click()
    correction = manage.locator("form[action$='/corrections/add']")
    correction.locator("input[name=signer]").first.check()
    correction.locator("input[name=choice][value=agree]").check()
    correction.locator("textarea[name=reason]").fill("开箱复核时在票箱夹层发现一张表决期内投入、签名无误的纸质票，两名工作人员核对后补计。")
    correction.locator("button[type=submit]").click()
    expect(manage.locator(".alert-ok")).to_contain_text("表决已重新统计")
    manage.fill("#f-answer-1", "已核实：该票在表决期内投入票箱，因夹在票箱夹层未被取出，现已补计，见更正。")
    manage.select_option("#f-correction-1", "1")
    manage.click("#query-1 button[type=submit]")
    expect(manage.locator(".alert-ok")).to_contain_text("答复已公布")
    shot(manage, "road-5-query-answered-projector-zh")
    anyone.goto(f"{base}/v/{vote_id}/queries")
    expect(anyone.locator("main")).to_contain_text("现已补计")
    anyone.goto(f"{base}/v/{vote_id}/result")
    expect(anyone.locator(".vcheck").first).to_contain_text("6 / 6")  # recounted
    shot(anyone, "road-5-recounted-result-phone-zh")

    # --- The query window ends: the final result; the project's public notice starts ----------------------------
    move_back(road_server, "UPDATE vote_stage SET window_ends_at = ? WHERE vote = ?", stored(datetime.now(UTC) - timedelta(minutes=1)), vote_id)
    manage.reload()
    manage.get_by_role("button", name="公布最终结果").click()
    expect(manage.locator(".vstage-final, section.vstage")).to_contain_text("最终结果")
    anyone.goto(f"{base}/v/{vote_id}/result")
    expect(anyone.locator("#vstage")).to_contain_text("最终结果")
    shot(anyone, "road-6-final-result-phone-zh")
    stage("已通过——公示中", "6-notice")
    anyone.goto(f"{project_url}/notice")
    expect(anyone.locator(".pcountdown")).to_be_visible()
    no_sideways_scrolling(anyone)
    shot(anyone, "road-6-notice-public-phone-zh")

    # --- The notice runs out without objection: approved ---------------------------------------------------------
    move_back(road_server, "UPDATE project_vote SET notice_ends_at = ? WHERE vote = ?", stored(datetime.now(UTC) - timedelta(minutes=1)), vote_id)
    stage("已获准", "7-approved")
    anyone.goto(f"{project_url}/notice")
    expect(anyone.locator(".pnotice-box")).to_contain_text("已获准")

    # --- The agreement: generated, signed online by five flats, on paper by the sixth -----------------------------
    staff.goto(f"{project_url}/agreement")
    staff.get_by_role("button", name="生成协议书").click()
    expect(staff.locator("#agreement-progress")).to_contain_text("0")
    for room in ROOMS:
        if room == ON_PAPER_SIGNER:
            continue
        signer = follower if room == "101" else owner(room, f"/p/{project_id}/agreement")
        signer.goto(f"{project_url}/agreement")
        form = signer.locator("form.proad-sign")
        form.locator("input[name=confirm]").check()
        form.locator("button[type=submit]").click()
        expect(signer.locator(".alert-ok")).to_contain_text("您的签署已记录")
    stage("不分摊的4户中已有3户签署", "8-agreement-five-signed", "#agreement-progress")  # 102 pays nothing
    expect(follower.locator("#agreement-progress")).to_contain_text("分摊费用的2户中已有2户签署")
    counter.goto(f"{project_url}/agreement")
    option = counter.locator("#f-owner option", has_text=unit(ON_PAPER_SIGNER)).get_attribute("value")
    counter.select_option("#f-owner", option)
    counter.set_input_files("#f-scan", scan())
    counter.get_by_role("button", name="录入签署").click()
    expect(counter.locator("#paper")).to_contain_text(unit(ON_PAPER_SIGNER))
    staff.goto(f"{project_url}/agreement")
    staff.locator("#paper .pcard", has_text=unit(ON_PAPER_SIGNER)).locator("button[value=confirm]").click()
    expect(staff.locator("#agreement-progress")).to_contain_text("每户全体产权人均已签署")
    stage("每户全体产权人均已签署", "8-agreement-signed", "#agreement-progress")
    anyone.goto(f"{project_url}/agreement")
    expect(anyone.locator("#agreement-progress")).to_contain_text("每户全体产权人均已签署")
    expect(anyone.locator("#missing")).to_have_count(0)  # who has not signed: staff only

    # --- Funding: subsidies until the plan adds up, all of it received, every share paid -------------------------
    staff.goto(f"{project_url}/funding")
    for kind, amount, condition in (("city", "60000", "取得特种设备检验合格证后拨付"), ("district", "40000.00", "竣工验收后拨付")):
        staff.select_option("#f-kind", kind)
        staff.fill("#f-amount", amount)
        staff.fill("#f-condition", condition)
        staff.get_by_role("button", name="加入资金计划").click()
        expect(staff.locator("#sources")).to_contain_text(condition)
    expect(staff.locator("#funding-progress")).to_contain_text("资金计划与项目总费用相符")
    for source in staff.locator("#sources li.proad-source").evaluate_all("cards => cards.map(c => c.id)"):
        staff.locator(f"#{source} button[value=yes]").click()
        expect(staff.locator(f"#{source}")).to_contain_text("到账")
    payments = staff.locator("#payments li.pcard")
    for index in range(payments.count()):
        card = staff.locator("#payments li.pcard").nth(index)
        if "¥0.00" in card.locator("p").first.inner_text():
            continue
        card.locator("summary").click()
        card.locator("input[name=paid]").check()
        card.locator("button[type=submit]").click()
        expect(staff.locator("#payments li.pcard").nth(index)).to_contain_text("已付")
    expect(staff.locator("#funding-progress")).to_contain_text("资金已全部到位")
    stage("资金已全部到位", "9-funded", "#funding-progress")
    anyone.goto(f"{project_url}/funding")
    expect(anyone.locator("#funding-progress")).to_contain_text("资金已全部到位")
    expect(anyone.locator("#payments")).to_have_count(0)  # never a flat's payment

    # --- The works, step by step, up to the lift in operation -----------------------------------------------------
    steps = (("design", "施工图设计完成"), ("pipeline_survey", "燃气、自来水管线现场踏勘完成"),
             ("joint_review", "联合审查通过，取得施工许可"), ("contract_signed", "与电梯公司签订合同"),
             ("construction_start", "基础开挖"), ("construction_complete", "井道和轿厢安装完成"),
             ("inspection", "特种设备检验合格"), ("registration", "取得使用登记证"), ("in_operation", "电梯正式运行"))  # fmt: skip
    staff.goto(project_url)
    for kind, note in steps:
        staff.locator("#works summary", has_text="记录工程节点").click()
        staff.select_option("#f-ms-kind", kind)
        staff.fill("#f-ms-note", note)
        staff.get_by_role("button", name="公布此节点").click()
        expect(staff.locator(f"#milestone-{kind}")).to_have_class(re.compile(r"pmilestone-done"))
        if kind in ("construction_start", "in_operation"):
            stage(note, f"10-works-{kind}", f"#milestone-{kind}")
    anyone.goto(f"{project_url}/notice")
    expect(anyone.locator("#milestone-in_operation")).to_have_class(re.compile(r"pmilestone-done"))
    expect(anyone.locator("#milestone-in_operation")).to_contain_text("投入使用")
    no_sideways_scrolling(anyone)
    shot(anyone, "road-10-in-operation-notice-phone-zh")
    for context in contexts:
        context.close()
