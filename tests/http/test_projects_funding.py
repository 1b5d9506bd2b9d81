"""The funding plan of an approved project: sources exact to the fen, each flat's payment for staff only,
totals and progress in public, funding complete published once."""

from __future__ import annotations

from test_projects_agreement import approved_project, refused

from community import i18n
from community.tables import AuditLog
from deliberation.minutes.tables import Publication
from votes.projects.tables import FundingPayment, FundingSource
from votes.projects.testing import make_world

TERMS = {"total": "600000", "subsidy": "200000", "fund": "50000"}  # the owners share ¥350,000


async def test_a_plan_that_adds_up_to_the_fen_then_every_payment_until_complete(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id, _vote = await approved_project(client, world, **TERMS)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}/funding")).text
    assert "The plan does not add up yet: ¥250,000.00 is still to be found." in page
    # Bad amounts change nothing: no float, no third decimal, nothing past the cost.
    for amount, message in (("1e5", "Enter an amount in yuan above 0"), ("100.005", "at most two decimals"),
                            ("0", "above 0"), ("250000.01", "would exceed the project's cost"), ("", "above 0")):  # fmt: skip
        response = await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "city", "amount": amount})
        assert response.status_code == 422 and message in response.text, amount
    response = await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "lottery", "amount": "1"})
    assert response.status_code == 422 and "Please choose where the money comes from." in response.text
    response = await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "other", "amount": "1"})
    assert response.status_code == 422 and "Say where this money comes from." in response.text
    assert await FundingSource.count() == 0
    sources = [
        {"kind": "city", "amount": "150,000.00", "condition": "取得特种设备检验合格证后拨付"},
        {"kind": "district", "amount": "49999.99"},
        {"kind": "other", "amount": "0.01", "label": "物业捐赠"},
        {"kind": "fund", "amount": "50000"},
    ]
    for form in sources:
        assert (await client.post_form(f"/p/{project_id}/funding/sources", form)).status_code == 303, form
    assert sum(r["amount"] for r in await FundingSource.select(FundingSource.amount)) == 25_000_000
    page = (await client.get(f"/p/{project_id}/funding")).text
    assert "The plan adds up to the project's cost, to the fen." in page and "取得特种设备检验合格证后拨付" in page
    response = await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "city", "amount": "0.01"})
    assert response.status_code == 422 and "would exceed" in response.text

    # Staff record each flat's payment; a withdrawal from the flat's own fund is part of its share.
    flat = world.flats["3-2-601"]
    response = await client.post_form(f"/p/{project_id}/funding/flats/{flat}/payment", {"paid": "yes", "from_fund": "9999999"})
    assert response.status_code == 422 and "cannot be more than the flat's share" in response.text
    response = await client.post_form(f"/p/{project_id}/funding/flats/{flat}/payment", {"paid": "yes", "paid_on": "2999-01-01"})
    assert response.status_code == 422 and "cannot be in the future" in response.text
    response = await client.post_form(f"/p/{project_id}/funding/flats/{world.flats['3-2-101']}/payment", {"paid": "yes"})
    assert response.status_code == 404  # the ground floor pays nothing
    assert await FundingPayment.count() == 0
    await client.signin(world.phones["grid_worker"])  # staff in scope record payments; sources are the facilitator's
    assert (await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "city", "amount": "1"})).status_code == 403
    for unit in [f"3-2-{f}{n:02d}" for f in range(2, 7) for n in (1, 2)]:
        form = {"paid": "yes", "from_fund": "1000" if unit == "3-2-601" else ""}
        assert (await client.post_form(f"/p/{project_id}/funding/flats/{world.flats[unit]}/payment", form)).status_code == 303
    page = (await client.get(f"/p/{project_id}/funding")).text
    assert "Owners' shares received: ¥350,000.00 of ¥350,000.00." in page and "of which ¥1,000.00" in page
    assert await Publication.count().where(Publication.kind == "funding_done") == 0
    ids = [r["id"] for r in await FundingSource.select(FundingSource.id).order_by(FundingSource.id)]
    for source_id in ids:
        assert (await client.post_form(f"/p/{project_id}/funding/sources/{source_id}/received", {"received": "yes"})).status_code == 303
    assert await Publication.count().where(Publication.kind == "funding_done") == 1
    # A received source stays; marking one back and forth publishes nothing twice.
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/p/{project_id}/funding/sources/{ids[0]}/remove", {})).status_code == 409
    await client.post_form(f"/p/{project_id}/funding/sources/{ids[0]}/received", {"received": "no"})
    await client.post_form(f"/p/{project_id}/funding/sources/{ids[0]}/received", {"received": "yes"})
    assert await Publication.count().where(Publication.kind == "funding_done") == 1

    # The public sees totals and progress, never a flat's payment.
    client.cookies.clear()
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = (await client.get(f"/p/{project_id}/funding")).text
        assert_translated(page, language, data={"加装电梯", "取得特种设备检验合格证后拨付", "物业捐赠", "3-2"})
        assert "3-2-601" not in page and "Record the payment" not in page and "记录付款" not in page
    assert "All the money is in place" in page or "资金已全部到位" in page
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.object_id == project_id)}
    assert {"project_funding_source_added", "project_funding_payment_recorded", "project_funding_source_received",
            "project_funding_complete"} <= actions


async def test_only_staff_in_scope_record_and_only_the_facilitator_plans(client, make_account):
    world = await make_world(make_account)
    project_id, _vote = await approved_project(client, world, **TERMS)
    await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "city", "amount": "1000"})
    source = await FundingSource.select(FundingSource.id).first()
    flat = world.flats["3-2-601"]
    writes = {
        f"/p/{project_id}/funding/sources": {"kind": "city", "amount": "1"},
        f"/p/{project_id}/funding/sources/{source['id']}/remove": {},
        f"/p/{project_id}/funding/sources/{source['id']}/received": {"received": "yes"},
        f"/p/{project_id}/funding/flats/{flat}/payment": {"paid": "yes"},
    }
    for who in ("top_owner", "tenant", "neighbour", "other_facilitator", None):
        client.cookies.clear()
        if who:
            await client.signin(world.phones[who])
        for path, form in writes.items():
            assert refused(await client.post_form(path, form)), (who, path)
        page = await client.get(f"/p/{project_id}/funding")
        assert page.status_code == 200 and "3-2-601" not in page.text, who
    assert await FundingPayment.count() == 0 and await FundingSource.count() == 1
    assert (await FundingSource.select(FundingSource.received_on).first())["received_on"] is None
    # Before approval there is no plan to keep.
    await client.signin(world.phones["facilitator"])
    await client.post_form(f"/p/{project_id}/new-vote", {})
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/funding/sources", {"kind": "city", "amount": "1"})
    assert response.status_code == 409 and "once the project is approved" in response.text
