"""An elevator project from set-up to approval: shares, the vote, the ballot, consents, notice and objections."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from community import i18n
from votes.projects import board, public, service, store
from votes.projects.tables import Objection, OccupiedFlat, Project, ProjectVote
from votes.projects.terms import ShareFlat, Terms, share_table
from votes.projects.testing import AREA_A, AREA_B, World, cast_paper_ballots, make_world
from votes.projects.views import money
from votes.shares import format_fen
from votes.shares_cli import shares_main
from votes.tables import Vote
from votes.testing import before_the_query_window, let_voting_period_run, publish_final

NAMES = {"yishi shares", "业主601", "业主101", "业主102", "租客", "邻居", "一号社区", "3-2 加装电梯"}


async def new_project(client, world: World, scheme: str = "guangzhou", **extra: str) -> int:
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        "/c/c1/projects", {"title": "3-2 加装电梯", "kind": "elevator", "place": f"stairwell_unit:{world.unit_id}"}
    )
    assert response.status_code == 303, response.text
    project_id = int(re.search(r"/p/(\d+)/terms", response.headers["location"]).group(1))
    form = {"total": "600000", "subsidy": "200000", "fund": "50000", "scheme": scheme, **extra}
    response = await client.post_form(f"/p/{project_id}/terms", form)
    assert response.status_code == 303, response.text
    return project_id


async def open_vote(client, world: World, project_id: int) -> int:
    """Create the project's vote and publish it (it opens at once), as the facilitator."""
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(f"/p/{project_id}/vote", {})
    assert response.status_code == 303, response.text
    vote_id = int(re.search(r"/v/(\d+)/edit", response.headers["location"]).group(1))
    response = await client.post_form(f"/v/{vote_id}/publish")
    assert response.status_code in (200, 303), response.text
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
    return vote_id


def expected_shares(world: World) -> dict[str, int]:
    flats = [
        ShareFlat(world.flats[f"3-2-{floor}{n:02d}"], f"3-2-{floor}{n:02d}", floor, area)
        for floor in range(1, 7)
        for n, area in ((1, AREA_A), (2, AREA_B))
    ]
    table = share_table(Terms(60_000_000, 20_000_000, 5_000_000, "guangzhou"), flats)
    return {line.flat.unit: line.amount for line in table.lines}


async def test_facilitator_sets_up_an_elevator_project_and_sees_every_share(
    client, make_account, assert_translated, tmp_path, capsys
):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    shares = expected_shares(world)
    assert sum(shares.values()) == 35_000_000  # ¥600,000 − subsidy ¥200,000 − fund ¥50,000
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = (await client.get(f"/p/{project_id}")).text
        assert_translated(page, language, data=NAMES)
        for unit, fen in shares.items():
            assert unit in page and money(fen) in page
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}")).text
    assert "Civil Code Art. 278, item 7" in page and "Adding an elevator rebuilds the building" in page
    assert "Floors 1 and 2 pay nothing" in page
    # The input anyone can check with `yishi shares`: the command gives the very shares the page shows.
    response = await client.get(f"/p/{project_id}/shares.json")
    document = response.json()
    assert document["schema"] == "yishi.cost-shares/1" and document["subsidy"] == "250000.00"
    path = tmp_path / "shares.json"
    path.write_bytes(response.content)
    assert shares_main([str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["shares"] == {unit: format_fen(fen) for unit, fen in shares.items()}


async def test_an_owner_sees_only_their_own_share_on_the_project_page_and_the_ballot(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    shares = expected_shares(world)
    await client.signin(world.phones["top_owner"])
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = (await client.get(f"/p/{project_id}")).text
        assert_translated(page, language, data=NAMES)
        assert money(shares["3-2-601"]) in page
        assert money(shares["3-2-502"]) not in page  # nobody else's share
        ballot = (await client.get(f"/v/{vote_id}")).text
        assert money(shares["3-2-601"]) in ballot
    assert "How this was computed" in ballot and "Weight = coefficient of floor 6" in ballot
    # Residents get neither the staff tools nor another flat's figures.
    assert (await client.get(f"/p/{project_id}/visit")).status_code == 403
    assert (await client.get(f"/p/{project_id}/screen")).status_code == 403
    assert (await client.get(f"/p/{project_id}/shares.json")).status_code == 403
    # A tenant of the stairwell sees the project, but has no share.
    await client.signin(world.phones["tenant"])
    page = (await client.get(f"/p/{project_id}")).text
    assert "3-2 加装电梯" in page and "¥" + money(shares["3-2-302"]) not in page


async def test_the_scheme_is_frozen_once_the_vote_opens(client, make_account):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    await open_vote(client, world, project_id)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/terms", {"total": "1", "scheme": "area"})
    assert response.status_code == 409
    assert "can no longer change" in response.text and "start a new vote" in response.text
    row = await Project.select(Project.total, Project.scheme).where(Project.id == project_id).first()
    assert row == {"total": 60_000_000, "scheme": "guangzhou"}
    page = (await client.get(f"/p/{project_id}/terms")).text
    assert "can no longer change" in page and 'name="total"' not in page


async def test_form_errors_keep_what_was_typed_and_save_nothing(client, make_account):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/terms", {"total": "lots", "subsidy": "12.345", "scheme": "area"})
    assert response.status_code == 422
    assert 'value="lots"' in response.text and "Enter an amount in yuan" in response.text
    response = await client.post_form(f"/p/{project_id}/terms", {"total": "100", "subsidy": "200", "scheme": "area"})
    assert response.status_code == 422 and "exceed the total cost" in response.text
    assert (await Project.select(Project.total).where(Project.id == project_id).first())["total"] == 60_000_000
    response = await client.post_form("/c/c1/projects", {"title": "", "kind": "elevator", "place": "nowhere"})
    assert response.status_code == 422 and "Please enter a title." in response.text


async def test_consents_notice_objections_then_approval(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    # The shaft takes part of 3-2-101's garden: its owner must consent, apart from the vote.
    response = await client.post_form(
        f"/p/{project_id}/occupied", {"flat": str(world.flats["3-2-101"]), "occupies": "一楼院子的一部分"}
    )
    assert response.status_code == 303
    vote_id = await open_vote(client, world, project_id)
    agree = {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)}
    agree["3-2-102"] = "oppose"
    await cast_paper_ballots(vote_id, agree)
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        response = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert response.status_code in (200, 303), response.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    # Counted, but only a preliminary result: the notice waits for the final one (votes.queries).
    page = (await client.get(f"/p/{project_id}")).text
    assert "Counted — preliminary result, open to queries" in page and "public notice until" not in page
    await publish_final(vote_id)

    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}")).text
    assert "Passed — public notice" in page and "public notice until" in page
    assert "The owner of 3-2-101, whose flat the works occupy, has not consented yet." in page
    link = await ProjectVote.select().where(ProjectVote.vote == vote_id).first()
    assert link["notice_days"] == 15
    assert lifecycle_days(link) == 16  # publication day + 15 whole days

    # The notice is public, without signing in, and names nobody.
    client.cookies.delete("yishi_session")
    notice = (await client.get(f"/p/{project_id}/notice")).text
    assert "How to object" in notice and "业主" not in notice and money(expected_shares(world)["3-2-601"]) in notice

    # Someone with no flat in the community does not even see the project; a neighbour next door objects.
    await client.signin(world.phones["stranger"])
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "挡住我家阳光", "affects": "light"})
    assert response.status_code == 404
    await client.signin(world.phones["neighbour"])
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "挡住我家阳光", "affects": "light"})
    assert response.status_code == 303
    assert "3-2-601" not in (await client.get(f"/p/{project_id}")).text.split('id="diagram"')[0]  # no shares for them
    # The owner of 3-2-101 objects too, and consents online.
    await client.signin(world.phones["ground_owner"])
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "", "affects": "noise"})
    assert response.status_code == 422 and "Please write your objection" in response.text
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "施工噪音太大", "affects": "noise"})
    assert response.status_code == 303
    occupied = await OccupiedFlat.select(OccupiedFlat.id).where(OccupiedFlat.project == project_id).first()
    response = await client.post_form(f"/p/{project_id}/occupied/{occupied['id']}/answer", {"decision": "given"})
    assert response.status_code == 422  # the confirmation box was not ticked
    response = await client.post_form(
        f"/p/{project_id}/occupied/{occupied['id']}/answer", {"decision": "given", "confirm": "yes"}
    )
    assert response.status_code == 303

    # The facilitator records a paper objection and handles both.
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        f"/p/{project_id}/objections/record",
        {"channel": "paper", "objector": "张三", "text": "费用太高", "affects": "cost"},
    )
    assert response.status_code == 303, response.text
    objections = await Objection.select(Objection.id, Objection.number, Objection.channel).where(
        Objection.project == project_id
    ).order_by(Objection.number)
    assert [(o["number"], o["channel"]) for o in objections] == [(1, "online"), (2, "online"), (3, "paper")]
    for o in objections:
        response = await client.post_form(
            f"/p/{project_id}/objections/{o['id']}/steps", {"kind": "talks", "note": "上门沟通"}
        )
        assert response.status_code == 303
    # Still inside the notice period: passed, not approved.
    page = (await client.get(f"/p/{project_id}")).text
    assert "Objection no. 1 is not settled." in page and "Objection no. 3 is not settled." in page
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/p/{project_id}")).text, language, data=NAMES | {"张三", "上门沟通", "一楼院子的一部分", "施工噪音太大", "费用太高", "挡住我家阳光"})
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")

    # The notice period ends: still pending while an objection is open.
    await ProjectVote.update({ProjectVote.notice_ends_at: service.now() - timedelta(minutes=1)}).where(
        ProjectVote.vote == vote_id
    )
    page = (await client.get(f"/p/{project_id}")).text
    assert "Passed — notice over, approval pending" in page
    for o in objections[:2]:
        await client.post_form(f"/p/{project_id}/objections/{o['id']}/steps", {"kind": "resolved", "note": "调整施工时间"})
    response = await client.post_form(
        f"/p/{project_id}/objections/{objections[2]['id']}/steps", {"kind": "unresolved", "note": "未达成一致"}
    )
    page = (await client.get(f"/p/{project_id}")).text
    assert "Objection no. 3 is not settled." in page and "Objection no. 1 is not settled." not in page
    await client.post_form(f"/p/{project_id}/objections/{objections[2]['id']}/steps", {"kind": "mediation", "note": "街道调解"})
    await client.post_form(f"/p/{project_id}/objections/{objections[2]['id']}/steps", {"kind": "resolved", "note": "调解成功"})
    page = (await client.get(f"/p/{project_id}")).text
    assert "Approved" in page and "Before the project is approved" not in page

    # The minutes carry shares, consents and objections with their handling, and no names.
    i18n.set_language("en")
    sections = await public.minutes_sections(vote_id)
    assert [s.title for s in sections] == ["Cost shares", "Consent of the owners of occupied flats", "Public notice and objections"]
    text = repr([(s.paragraphs, s.tables) for s in sections])
    assert "3-2-601" in text and "Consent given" in text and "调解成功" in text and "张三" not in text and "业主" not in text
    assert sections[0].data["shares"]["3-2-601"] == format_fen(expected_shares(world)["3-2-601"])
    assert sections[2].data["status"] == "approved"
    entries = await board.notice_entries(world.community_id)
    assert len(entries) == 1 and entries[0].url == f"/p/{project_id}/notice" and entries[0].ends_at is not None


def lifecycle_days(link) -> int:
    local = store.tz()
    return (link["notice_ends_at"].astimezone(local).date() - link["notice_starts_at"].astimezone(local).date()).days


async def test_online_objections_only_during_the_notice_and_withdrawing_your_own(client, make_account):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await client.signin(world.phones["top_owner"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "太早了", "affects": "other"})
    assert response.status_code == 409 and "only while the public notice runs" in response.text
    await cast_paper_ballots(vote_id, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    await client.signin(world.phones["facilitator"])
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    await publish_final(vote_id)
    await client.signin(world.phones["top_owner"])
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "电梯挡光", "affects": "light"},
                                      headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 200 and 'id="objections"' in response.text and "Your objection has been recorded" in response.text
    objection = await Objection.select(Objection.id).where(Objection.project == project_id).first()
    response = await client.post_form(f"/p/{project_id}/objections/{objection['id']}/withdraw")
    assert response.status_code == 303
    assert (await Objection.select(Objection.status).where(Objection.id == objection["id"]).first())["status"] == "withdrawn"
    # Someone else cannot withdraw it, or log handling.
    await client.signin(world.phones["ground_owner"])
    assert (await client.post_form(f"/p/{project_id}/objections/{objection['id']}/withdraw")).status_code == 403
    assert (await client.post_form(f"/p/{project_id}/objections/{objection['id']}/steps", {"kind": "resolved", "note": "x"})).status_code == 403
    # Once the notice is over, nobody lodges online any more.
    await ProjectVote.update({ProjectVote.notice_ends_at: service.now()}).where(ProjectVote.vote == vote_id)
    response = await client.post_form(f"/p/{project_id}/objections", {"text": "晚了", "affects": "cost"})
    assert response.status_code == 409


async def test_a_failed_vote_can_be_followed_by_a_new_one_with_new_terms(client, make_account):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await cast_paper_ballots(vote_id, {"3-2-601": "agree"})  # far too few take part
    await let_voting_period_run(vote_id)
    await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    assert "No valid decision" in (await client.get(f"/p/{project_id}")).text
    assert (await client.post_form(f"/p/{project_id}/terms", {"total": "500000", "scheme": "area"})).status_code == 409
    assert (await client.post_form(f"/p/{project_id}/new-vote")).status_code == 303
    assert (await client.post_form(f"/p/{project_id}/terms", {"total": "500000", "scheme": "stairs"})).status_code == 303
    second = await open_vote(client, world, project_id)
    rounds = await ProjectVote.select(ProjectVote.vote, ProjectVote.round, ProjectVote.terms).where(
        ProjectVote.project == project_id
    ).order_by(ProjectVote.round).output(load_json=True)
    assert [(r["vote"], r["round"], r["terms"]["scheme"]) for r in rounds] == [(vote_id, 1, "guangzhou"), (second, 2, "stairs")]
    # The first vote's minutes keep the scheme it was voted on.
    i18n.set_language("en")
    first_minutes = await public.minutes_sections(vote_id)
    assert first_minutes[0].data["scheme"] == "guangzhou"


async def test_diagram_shows_participation_with_text_alternatives_and_never_choices_of_secret_ballots(client, make_account):
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await cast_paper_ballots(vote_id, {"3-2-601": "oppose", "3-2-602": "agree"})
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    fragment = (await client.get(f"/p/{project_id}/diagram", headers={"HX-Request": "true"})).text
    assert fragment.startswith('<section id="diagram"') and 'hx-trigger="every 15s"' in fragment
    assert "<title" in fragment and "<desc" in fragment and "<caption>" in fragment
    assert "Took part: 2." in fragment and "Not voted yet: 10." in fragment
    assert "Opposed" not in fragment and "Agreed" not in fragment  # choices are not public while open
    assert "Taking part, by headcount: 2 / 12" in fragment and "not yet, 6 more needed" in fragment
    # A secret vote: an owner of the unit sees not even who took part, nor does the projector.
    big = (await client.get(f"/p/{project_id}/diagram?big=1")).text
    assert "Took part: " not in big and "Not shown: how each flat votes is not public: 12." in big
    await client.signin(world.phones["ground_owner"])
    fragment = (await client.get(f"/p/{project_id}/diagram")).text
    assert "Took part: " not in fragment and "Not shown: how each flat votes is not public: 12." in fragment
    # The grid worker's list of whom to visit.
    await client.signin(world.phones["grid_worker"])
    visit = (await client.get(f"/p/{project_id}/visit")).text
    assert "3-2-501" in visit and "业主501" in visit and "3-2-601" not in visit.split("Building diagram")[0]


async def test_the_public_notice_is_chained_and_audited_like_every_publication(client, make_account):
    from community.canonical import fingerprint
    from deliberation.minutes import audit
    from deliberation.minutes.tables import Publication

    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await cast_paper_ballots(vote_id, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code in (200, 303)
    # Not at the close: the notice waits for the final result, which the vote clock publishes.
    assert await Publication.count().where(Publication.kind == "project_notice") == 0
    await client.get(f"/p/{project_id}")
    assert await Publication.count().where(Publication.kind == "project_notice") == 0
    await publish_final(vote_id)
    # Published with the final result itself, before anyone looks; pages that call sync_notice again add nothing.
    assert await Publication.count().where(Publication.kind == "project_notice") == 1
    for _ in range(2):
        await client.get(f"/p/{project_id}")
    rows = await Publication.select().where(Publication.kind == "project_notice")
    assert len(rows) == 1
    content = json.loads(rows[0]["content"])
    assert content["project_id"] == project_id and content["vote"]["outcome"] == "passed"
    assert content["terms"]["scheme"] == "guangzhou" and content["notice"]["days"] == 15
    link = await ProjectVote.select(ProjectVote.notice_sha256).where(ProjectVote.vote == vote_id).first()
    assert link["notice_sha256"] == rows[0]["sha256"]

    client.cookies.delete("yishi_session")
    notice = (await client.get(f"/p/{project_id}/notice")).text
    assert fingerprint(rows[0]["sha256"]) in notice and 'class="qr"' in notice
    assert f"http://testserver.local/p/{project_id}/notice" in notice
    feed = (await client.get("/c/c1/feed.atom")).text
    assert feed.count(f"/p/{project_id}/notice") == 1 and "/minutes/None" not in feed

    slug = "c1"
    assert (await audit.verify(slug)).intact
    await Publication.update({Publication.content: rows[0]["content"].replace('"days":15', '"days":30')}).where(
        Publication.id == rows[0]["id"]
    )
    findings = (await audit.verify(slug)).findings
    assert any(f"(/p/{project_id}/notice)" in line for line in findings), findings


async def test_the_printed_paper_ballot_prints_each_flats_own_share_to_the_fen(client, make_account):
    """Issue 19: the vote's question promises "your own share is shown on this ballot"; the paper ballot did not
    print it."""
    world = await make_world(make_account)
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    shares = expected_shares(world)
    for language in ("zh", "en"):  # the ballots themselves are always Chinese
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = (await client.get(f"/v/{vote_id}/paper/print")).text
        assert page.count('class="paper-ballot"') >= 1
        ballots = page.split('class="paper-ballot"')[1:]
        for unit, fen in shares.items():
            ballot = next(b for b in ballots if unit in b.split("</table>", 1)[0])
            facts = ballot.split("</table>", 1)[0]
            assert "您应分摊的费用" in facts and f"{unit}：¥{money(fen)}" in facts
        for ballot in ballots:  # each ballot prints the shares of its own flats, nobody else's
            facts = ballot.split("</table>", 1)[0]
            assert facts.count("：¥") == sum(1 for unit in shares if f"{unit}：¥" in facts) >= 1
