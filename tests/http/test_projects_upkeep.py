"""Running the lift: the maintenance contract and how running costs are shared, a year's entries, the yearly
ledger published to the stairwell (exact to the fen, chained); and the share card of the public notice."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from decimal import Decimal

from PIL import Image
from test_projects_flow import NAMES
from test_projects_works import day, reach_construction, record
from works_helpers import passed_project

from community import config, i18n
from community.tables import AuditLog
from deliberation.minutes import audit
from deliberation.minutes.tables import Publication
from votes.projects.tables import Upkeep, UpkeepEntry, UpkeepLedger
from votes.projects.testing import make_world


async def running_project(client, world) -> int:
    project_id = await passed_project(client, world)
    await reach_construction(client, world, project_id)
    for kind, delta in (("construction_complete", -3), ("inspection", -2), ("registration", -1), ("in_operation", -1)):
        assert (await record(client, project_id, kind, day(delta))).status_code == 303
    return project_id


async def test_running_costs_are_kept_only_once_the_lift_runs(client, make_account):
    world = await make_world(make_account)
    project_id = await passed_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/upkeep", {"scheme": "area"})
    assert response.status_code == 409 and "once the lift is in operation" in response.text
    response = await client.post_form(f"/p/{project_id}/upkeep/entries", {"paid_on": day(), "item": "x", "amount": "1"})
    assert response.status_code == 409
    assert await Upkeep.count() == 0 and await UpkeepEntry.count() == 0


async def test_a_years_ledger_is_shared_exactly_published_and_chained(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id = await running_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    # The contract: bad input changes nothing.
    response = await client.post_form(f"/p/{project_id}/upkeep", {"contractor": "某电梯维保公司", "contract_from": "2027-01-01",
                                      "contract_to": "2026-01-01", "yearly_cost": "12000.555", "scheme": "custom"})
    assert response.status_code == 422 and "cannot end before it starts" in response.text
    assert "Enter a coefficient" in response.text and await Upkeep.count() == 0
    # Saved four times at once (a double click, twice): all answered, one contract.
    sent = await asyncio.gather(*[client.post_form(f"/p/{project_id}/upkeep", {
        "contractor": "某电梯维保公司", "contract_from": day(), "yearly_cost": "12,000.50", "scheme": "stairs"}) for _ in range(4)])
    assert [r.status_code for r in sent] == [303] * 4 and await Upkeep.count() == 1
    row = await Upkeep.select().where(Upkeep.project == project_id).first()
    assert row["yearly_cost"] == 1_200_050 and row["scheme"] == "stairs"
    # Entries: amounts exact, refused when wrong.
    year = int(day()[:4])
    for bad in ({"paid_on": day(1), "item": "维保费", "amount": "100"}, {"paid_on": day(), "item": "", "amount": "100"},
                {"paid_on": day(), "item": "维保费", "amount": "1.001"}, {"paid_on": day(), "item": "维保费", "amount": "0"}):
        assert (await client.post_form(f"/p/{project_id}/upkeep/entries", bad)).status_code == 422, bad
    assert await UpkeepEntry.count() == 0
    for item, amount in (("一季度维保费", "3000.01"), ("电费", "1234.56"), ("年度检验", "800")):
        response = await client.post_form(f"/p/{project_id}/upkeep/entries", {"paid_on": day(), "item": item, "amount": amount})
        assert response.status_code == 303
    total = 300_001 + 123_456 + 80_000
    # Publishing asks first; then the ledger is frozen and chained, every flat's share adding up to the fen.
    response = await client.post_form(f"/p/{project_id}/upkeep/ledgers/{year}", {})
    assert response.status_code == 422 and "Please tick the box" in response.text and await UpkeepLedger.count() == 0
    assert (await client.post_form(f"/p/{project_id}/upkeep/ledgers/{year}", {"confirm": "yes"})).status_code == 303
    ledger = await UpkeepLedger.select().where(UpkeepLedger.project == project_id).output(load_json=True).first()
    assert ledger["total"] == total
    shares = ledger["content"]["shares"]
    assert len(shares) == 12 and sum(Decimal(v) for v in shares.values()) == Decimal(total) / 100
    assert shares["3-2-101"] == "0.00" and shares["3-2-102"] == "0.00"  # stairs climbed: the ground floor pays nothing
    link = await Publication.select().where(Publication.seq == ledger["publication_seq"]).first()
    assert link["kind"] == "upkeep_ledger" and link["sha256"] == ledger["publication_sha256"]
    assert await AuditLog.exists().where(AuditLog.action == "project_upkeep_ledger_published")
    response = await client.post_form(f"/p/{project_id}/upkeep/ledgers/{year}", {"confirm": "yes"})
    assert response.status_code == 409 and "already published" in response.text
    response = await client.post_form(f"/p/{project_id}/upkeep/entries", {"paid_on": day(), "item": "补交电费", "amount": "1"})
    assert response.status_code == 422 and "already published" in response.text
    # A resident, a grid worker, another community's facilitator: refused, nothing changes.
    for who, expected in (("top_owner", 403), ("neighbour", 403), ("grid_worker", 403), ("other_facilitator", 404)):
        await client.signin(world.phones[who])
        assert (await client.post_form(f"/p/{project_id}/upkeep", {"scheme": "area"})).status_code == expected
        assert (await client.post_form(f"/p/{project_id}/upkeep/entries", {"paid_on": day(), "item": "x", "amount": "1"})).status_code == expected
    assert (await Upkeep.select(Upkeep.scheme).first())["scheme"] == "stairs" and await UpkeepEntry.count() == 3
    # The stairwell reads it without signing in.
    client.cookies.delete("yishi_session")
    notice = (await client.get(f"/p/{project_id}/notice")).text
    assert f"Running costs of {year}" in notice and "一季度维保费" in notice and "5,034.57" in notice
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/p/{project_id}/notice")).text, language,
                          data=NAMES | {"一季度维保费", "电费", "年度检验"})
    report = await audit.verify("c1")
    assert report.intact, report.findings


async def test_the_public_notice_carries_a_share_card(client, make_account, monkeypatch):
    world = await make_world(make_account)
    project_id = await passed_project(client, world, approved=False)
    assert (await client.get(f"/p/{project_id}/card.png")).status_code == 200
    monkeypatch.setattr(config, "_config", dataclasses.replace(config.get_config(), public_url="https://yishi.example.org"))
    client.cookies.delete("yishi_session")
    client.cookies.set(i18n.LANGUAGE_COOKIE, "zh")
    html = (await client.get(f"/p/{project_id}/notice")).text
    assert '<meta property="og:title" content="3-2 加装电梯 · 已通过' in html
    assert f'<meta property="og:url" content="https://yishi.example.org/p/{project_id}/notice">' in html
    assert f'<meta property="og:image" content="https://yishi.example.org/p/{project_id}/card.png?v=' in html
    assert '<meta property="og:description" content="一号社区 · 3-2' in html
    card = await client.get(f"/p/{project_id}/card.png")
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(card.content)).size == (1200, 630)
    # Another step of the works: another image address, so chat apps fetch the card again.
    before = html.split('og:image" content="')[1].split('"')[0]
    await client.signin(world.phones["facilitator"])
    assert (await record(client, project_id, "design", day())).status_code == 303
    client.cookies.delete("yishi_session")
    after = (await client.get(f"/p/{project_id}/notice")).text.split('og:image" content="')[1].split('"')[0]
    assert after != before
    # A project not passed has no public notice and no card.
    await client.signin(world.phones["facilitator"])
    response = await client.post_form("/c/c1/projects", {"title": "屋顶", "kind": "roof", "place": f"stairwell_unit:{world.unit_id}"})
    other = int(response.headers["location"].split("/")[2])
    client.cookies.delete("yishi_session")
    assert (await client.get(f"/p/{other}/card.png")).status_code == 404
