"""Figures, the monthly summary in the publication chain, open data, topics on a bench consultation's agenda,
the limits, and the street's page: against values counted by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from concerns_world import NAMES, PHONES, build

from deliberation.concerns import figures, rating, reports, services
from deliberation.concerns.opendata import COLUMNS
from deliberation.concerns.tables import Concern, ConcernReport, ConcernStep
from deliberation.minutes.assemble import assemble
from deliberation.minutes.audit import verify
from deliberation.minutes.facts import CommunityFacts, MinutesFacts
from deliberation.minutes.gather import meeting_facts
from deliberation.tables import AgendaItem, Meeting

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path))


def last_month() -> tuple[str, datetime]:
    year, month = figures.previous_month(*figures.month_of(datetime.now(UTC), TZ))
    return f"{year:04d}-{month:02d}", datetime(year, month, 1, 9, tzinfo=TZ)


async def month_of_concerns(world) -> dict[str, int]:
    """Last month: No. 1 answered in a day and rated satisfied; No. 2 responded late, reopened, answered again
    after its due date, then rated satisfied; No. 3 a neighbour dispute nobody responded to. Plus one this month
    and one in another street's community."""
    _label, start = last_month()
    owner, facilitator = world.user("owner"), world.user("facilitator")
    ids = {}
    a = start + timedelta(days=1)
    ids["a"] = await services.intake(owner, services.Intake(world.community, "repair", f"flat:{world.flats['1-101']}",
                                                            "单元门坏了。", public_text=True), at=a)  # fmt: skip
    await services.dispatch(facilitator, services.Dispatch(ids["a"], f"account:{world.people['grid']}", (a + timedelta(days=3)).date()), at=a + timedelta(hours=2))
    await services.answer(world.user("grid"), services.Answer(ids["a"], "已修好。"), at=a + timedelta(hours=26))
    await rating.rate(owner, rating.Rate(ids["a"], "satisfied"), at=a + timedelta(hours=30))
    b = start + timedelta(days=4)
    ids["b"] = await services.intake(facilitator, services.Intake(
        world.community, "parking", f"unit:{world.units['2']}", "车位被占。", on_behalf=True, channel="phone",
        reporter_name="钱大爷", reporter_phone="13812345678"), at=b)  # fmt: skip
    await services.dispatch(facilitator, services.Dispatch(ids["b"], "property", (b + timedelta(days=3)).date(), "阳光物业"), at=b + timedelta(hours=30))
    await services.answer(facilitator, services.Answer(ids["b"], "已贴告示。"), at=b + timedelta(hours=50))
    await rating.rate(facilitator, rating.Rate(ids["b"], "not_satisfied", "", True, "phone"), at=b + timedelta(hours=60))
    await services.answer(facilitator, services.Answer(ids["b"], "已装地锁。"), at=b + timedelta(hours=100))
    await rating.rate(facilitator, rating.Rate(ids["b"], "satisfied", "", True, "visit"), at=b + timedelta(hours=110))
    c = start + timedelta(days=8)
    ids["c"] = await services.intake(facilitator, services.Intake(
        world.community, "neighbour_dispute", f"unit:{world.units['2']}", "楼上漏水不肯修。", on_behalf=True,
        channel="visit", reporter_name="吴阿姨", reporter_phone="13898765432"), at=c)  # fmt: skip
    ids["now"] = await services.intake(owner, services.Intake(world.community, "safety", f"flat:{world.flats['1-101']}", "电动车飞线充电。"))
    other = world.user("other_facilitator")
    ids["other"] = await services.intake(other, services.Intake(world.other, "repair", f"unit:{world.other_unit}", "和平的诉求。",
                                                                on_behalf=True, channel="phone"))  # fmt: skip
    return ids


async def test_figures_match_the_hand_count(client, make_account):
    world = await build(make_account)
    await month_of_concerns(world)
    label, _start = last_month()
    view = await reports.figures_page(world.user("facilitator"), "xfl", label)
    f = view.figures
    assert f.received == 3
    assert dict(f.by_kind) == {"repair": 1, "parking": 1, "neighbour_dispute": 1}
    assert dict(f.by_channel) == {"app": 1, "phone": 1, "visit": 1}
    assert f.median_first_response_minutes == (120 + 1800) // 2 and f.median_first_response_hours == "16.0"
    assert f.response == figures.Rate(1, 3)  # 2 h; 30 h is late; nobody answered the dispute
    assert f.answered_on_time == figures.Rate(2, 2)
    assert f.first_handling == figures.Rate(1, 2)
    assert f.satisfaction == figures.Rate(2, 2)
    assert f.resolution == figures.Rate(2, 2)
    assert f.on_time_closure == figures.Rate(1, 2)  # No. 2's second answer came after its due date
    assert view.heat.count("1", "repair") == 1 and view.heat.count("2", "neighbour_dispute") == 1
    await client.signin(PHONES["facilitator"])
    page = (await client.get(f"/c/xfl/concerns/figures?month={label}")).text
    for shown in ("16.0", "33%", "50%", "100%", "cn-w100", "邻里纠纷"):
        assert shown in page, shown
    # Grid workers and street staff read the figures too; residents do not.
    await client.signin(PHONES["grid"])
    assert (await client.get("/c/xfl/concerns/figures")).status_code == 200
    await client.signin(PHONES["street"])
    assert (await client.get("/c/xfl/concerns/figures")).status_code == 200
    await client.signin(PHONES["owner"])
    assert (await client.get("/c/xfl/concerns/figures")).status_code == 403
    assert (await client.get("/c/xfl/concerns/figures?month=nope")).status_code == 403


async def test_open_data_has_the_columns_and_no_personal_data(client, make_account):
    world = await build(make_account)
    ids = await month_of_concerns(world)
    response = await client.get("/c/xfl/open-data/concerns.csv")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0] == ["id", "opened_on", "type", "building", "unit", "channel", "status", "handler_kind",
                       "first_response_hours", "closed_on", "reopened", "rating"]
    body = {r[0]: r for r in rows[1:]}
    assert len(rows) == 5 and set(body) == {str(ids["a"]), str(ids["b"]), str(ids["now"]), ""}
    a = body[str(ids["a"])]
    assert a[2:8] == ["repair", "1", "1", "app", "closed", "staff"] and a[8] == "2.0" and a[10:] == ["0", "satisfied"]
    assert body[str(ids["b"])][7:] == ["property", "30.0", body[str(ids["b"])][9], "1", "satisfied"]
    dispute = body[""]
    assert dispute[2] == "neighbour_dispute" and dispute[3:6] == ["", "", ""] and dispute[7:] == ["", "", "", "", ""]
    for secret in ("钱大爷", "13812345678", "吴阿姨", "13898765432", NAMES["owner"], PHONES["owner"], "单元门坏了",
                   "车位被占", "楼上漏水", "阳光物业", "已修好", "和平的诉求"):
        assert secret not in text, secret
    street = await client.get("/s/changning/open-data/concerns.csv")
    assert street.headers["content-type"] == "text/csv; charset=utf-8" and street.content.startswith(b"\xef\xbb\xbf")
    street_rows = list(csv.reader(io.StringIO(street.content.decode("utf-8-sig"))))
    assert street_rows[0] == ["community", *COLUMNS] and {r[0] for r in street_rows[1:]} == {"xfl"}
    assert len(street_rows) == 5 and str(ids["other"]) not in {r[1] for r in street_rows[1:]}
    other = list(csv.reader(io.StringIO((await client.get("/s/xinhua/open-data/concerns.csv")).content.decode("utf-8-sig"))))
    assert [r[:2] for r in other[1:]] == [["hp", str(ids["other"])]]
    assert (await client.get("/s/nowhere/open-data/concerns.csv")).status_code == 404
    assert (await client.get("/c/nowhere/open-data/concerns.csv")).status_code == 404


async def test_the_monthly_summary_is_published_in_the_chain(client, make_account):
    world = await build(make_account)
    await month_of_concerns(world)
    label, _start = last_month()
    this_month = datetime.now(TZ).strftime("%Y-%m")
    await client.signin(PHONES["grid"])
    assert (await client.post_form("/c/xfl/concerns/figures/publish", {"month": label})).status_code == 403
    await client.signin(PHONES["facilitator"])
    assert (await client.post_form("/c/xfl/concerns/figures/publish", {"month": this_month})).status_code == 409
    response = await client.post_form("/c/xfl/concerns/figures/publish", {"month": label})
    assert response.status_code == 303
    assert (await client.post_form("/c/xfl/concerns/figures/publish", {"month": label})).status_code == 409
    assert await ConcernReport.count() == 1
    report = await client.get(f"/c/xfl/concerns/reports/{label}")
    assert report.status_code == 200 and "16.0" in report.text and "邻里纠纷：1 件" in report.text
    for secret in ("钱大爷", "13812345678", "单元门坏了", NAMES["owner"]):
        assert secret not in report.text
    client.cookies.clear()
    board = (await client.get("/c/xfl")).text
    assert f"/c/xfl/concerns/reports/{label}" in board and "/s/changning" in board
    assert (await client.get("/c/xfl/concerns/reports/2001-01")).status_code == 404
    assert (await client.get("/c/xfl/concerns/reports/nope")).status_code == 404
    audit = await verify("xfl")
    assert audit.intact and audit.publications == 1


async def test_concerns_become_an_agenda_item(client, make_account):
    world = await build(make_account)
    ids = await month_of_concerns(world)
    rows = await Meeting.insert(
        Meeting(community=world.community, kind="bench", title="板凳协商会", status="draft", starts_at=datetime.now(UTC) + timedelta(days=5)),
        Meeting(community=world.other, kind="bench", title="别处的会", status="draft"),
        Meeting(community=world.community, kind="owners", title="业主大会", status="draft"),
    ).returning(Meeting.id)
    bench, foreign, owners = (int(r["id"]) for r in rows)
    await client.signin(PHONES["facilitator"])
    page = (await client.get("/c/xfl/concerns")).text
    assert "板凳协商会" in page and "业主大会" not in page
    base = {"meeting": str(bench), "title": "东门停车"}
    assert (await client.post_form("/c/xfl/concerns/topic", base)).status_code == 422  # no concern chosen
    for meeting in (foreign, owners):
        assert (await client.post_form("/c/xfl/concerns/topic", {**base, "meeting": str(meeting), "concern": str(ids["a"])})).status_code == 422
    assert (await client.post_form("/c/xfl/concerns/topic", {**base, "concern": [str(ids["a"]), str(ids["c"])]})).status_code == 409
    assert (await client.post_form("/c/xfl/concerns/topic", {**base, "concern": str(ids["other"])})).status_code == 404
    assert await AgendaItem.count() == 0
    await client.signin(PHONES["grid"])
    assert (await client.post_form("/c/xfl/concerns/topic", {**base, "concern": str(ids["a"])})).status_code == 403
    await client.signin(PHONES["facilitator"])
    response = await client.post_form("/c/xfl/concerns/topic", {**base, "concern": [str(ids["a"]), str(ids["b"])]})
    assert response.status_code == 303 and response.headers["location"].startswith(f"/m/{bench}/items/")
    item = await AgendaItem.select().first()
    assert item["title"] == "东门停车" and f"第 {ids['a']} 号" in item["description"] and "车位被占" not in item["description"]
    assert "单元门坏了" in item["description"]  # its resident allowed the text
    assert {r["agenda_item"] for r in await Concern.select(Concern.agenda_item).where(Concern.id.is_in([ids["a"], ids["b"]]))} == {item["id"]}
    assert (await client.post_form("/c/xfl/concerns/topic", {**base, "concern": str(ids["a"])})).status_code == 409  # already there
    # The meeting links to the concerns; the resident reads it in the log.
    assert f"/c/xfl/concerns/public?item={item['id']}" in (await client.get(f"/m/{bench}/items/{item['id']}")).text
    public = (await client.get(f"/c/xfl/concerns/public?item={item['id']}")).text
    assert f"第 {ids['a']} 号" in public and f"第 {ids['now']} 号" not in public
    assert (await client.get(f"/c/hp/concerns/public?item={item['id']}")).status_code == 404
    await client.signin(PHONES["owner"])
    page = (await client.get(f"/concerns/{ids['a']}")).text
    assert "列入会议议题" in page and f"/m/{bench}" in page
    assert await ConcernStep.count().where(ConcernStep.action == "topic") == 2
    # The meeting's minutes list the concerns the item took up: number, kind and place, never who raised them.
    facts = await meeting_facts(bench)
    listed = [c for i in facts.items for c in i.concerns]
    assert [c.number for c in listed] == sorted([ids["a"], ids["b"]])
    content = assemble(MinutesFacts(1, "minutes", "纪要", CommunityFacts(world.community, "xfl", "幸福里"), facts))
    concerns = content["meeting"]["items"][0]["concerns"]  # type: ignore[index]
    assert [c["number"] for c in concerns] == [c.number for c in listed]
    assert all(set(c) == {"number", "kind", "building", "unit"} for c in concerns)
    assert not any(name in str(content) for name in NAMES.values())


async def test_limits_and_flags(client, make_account):
    world = await build(make_account)
    ids = await month_of_concerns(world)
    await client.signin(PHONES["facilitator"])
    page = (await client.get("/c/xfl/concerns?flag=red")).text
    assert f"/concerns/{ids['c']}\"" in page and f"/concerns/{ids['a']}\"" not in page
    assert "未响应 1" in page
    bad = {"red_hours": "0", "yellow_days": "3", "auto_close_days": "7", "escalate_after": "2"}
    response = await client.post_form("/c/xfl/concerns/settings", bad)
    assert response.status_code == 422 and "1 到 168" in response.text
    good = {**bad, "red_hours": "48", "auto_close_days": "10"}
    assert (await client.post_form("/c/xfl/concerns/settings", good)).status_code == 303
    community = await services.store.community("xfl")
    assert services.store.settings_of(community) == services.core.Settings(auto_close_days=10, red_hours=48)
    await client.signin(PHONES["grid"])
    assert (await client.post_form("/c/xfl/concerns/settings", good)).status_code == 403


async def test_the_street_page(client, make_account):
    world = await build(make_account)
    await month_of_concerns(world)
    label, _start = last_month()
    page = (await client.get(f"/s/changning?month={label}")).text
    assert "幸福里社区" in page and "安康社区" in page and "和平社区" not in page
    assert "/c/xfl" in page and "/c/ak" in page and "/s/changning/open-data/concerns.csv" in page
    for shown in ("50%", "100%", "33%"):
        assert shown in page
    assert "由街道办理的诉求" not in page  # escalated concerns are for the street's staff
    assert (await client.get("/s/nowhere")).status_code == 404
    assert (await client.get("/s/changning?month=x")).status_code == 200
    # Community pages link to their street.
    assert "/s/changning" in (await client.get("/c/xfl")).text


async def test_cached_figures_and_files_follow_every_change(client, make_account):
    world = await build(make_account)
    ids = await month_of_concerns(world)
    label, _start = last_month()
    facilitator = world.user("facilitator")
    before = (await reports.figures_page(facilitator, "xfl", label)).figures
    first_file = (await client.get("/c/xfl/open-data/concerns.csv")).content
    assert (await client.get("/c/xfl/open-data/concerns.csv")).content == first_file  # the same, from the cache
    # The dispute of last month gets its first response: the month's figures and the file change at once.
    await services.dispatch(facilitator, services.Dispatch(ids["c"], "property", datetime.now(TZ).date() + timedelta(days=2), "物业"))
    after = (await reports.figures_page(facilitator, "xfl", label)).figures
    assert before.response.denominator == 3 and after.open_now == before.open_now  # still not answered
    assert after.median_first_response_minutes != before.median_first_response_minutes
    changed = (await client.get("/c/xfl/open-data/concerns.csv")).content
    assert changed != first_file and b",assigned," in changed
    # A new concern appears in the street's file as well.
    await services.intake(world.user("owner"), services.Intake(world.community, "other", f"flat:{world.flats['1-101']}", "新的。"))
    street_rows = (await client.get("/s/changning/open-data/concerns.csv")).content.decode("utf-8-sig").splitlines()
    assert len(street_rows) == 6


async def test_overdue_concerns_are_flagged_for_the_facilitator_and_the_street(client, make_account):
    world = await build(make_account)
    ids = await month_of_concerns(world)
    facilitator = world.user("facilitator")
    # This month's concern, dispatched with a due date that has passed and no answer: overdue.
    await services.dispatch(facilitator, services.Dispatch(ids["now"], f"account:{world.people['grid']}",
                                                           datetime.now(TZ).date() - timedelta(days=2)),
                            at=datetime.now(UTC) - timedelta(days=4))  # fmt: skip
    await client.signin(PHONES["facilitator"])
    page = (await client.get("/c/xfl/concerns")).text
    assert "已超期 1" in page
    overdue = (await client.get("/c/xfl/concerns?flag=overdue")).text
    assert f"/concerns/{ids['now']}\"" in overdue and f"/concerns/{ids['a']}\"" not in overdue
    street = (await client.get("/s/changning")).text
    assert 'cn-flag cn-flag-overdue">1<' in street
