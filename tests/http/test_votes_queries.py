"""After the close: the preliminary result, owners' queries answered in public, a correction that recounts, the
final result after the window — and only then the project's notice (votes.queries, issue 11)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from test_projects_flow import new_project, open_vote

from community import i18n
from community.clock import frozen_at
from community.tables import AuditLog
from deliberation.minutes import audit
from deliberation.minutes.tables import Publication
from votes import result_final
from votes.codes import paper_serial
from votes.projects.tables import ProjectVote
from votes.projects.testing import World, cast_paper_ballots, make_world
from votes.record import parse_record, result_to_json, tally_record
from votes.tables import (
    Ballot,
    Vote,
    VoteCorrection,
    VoteEntity,
    VoteFlat,
    VoteQuery,
    VoteRecordFile,
    VoteStage,
)
from votes.testing import let_voting_period_run, scope_staff

# Thursday 3 December 2026, 10:00 in Shanghai: the count is published; the window (7 days) runs from 4 December to
# the end of 10 December; the first moment after it is 11 December 00:00.
CLOSE = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
TEN = {f"3-2-{f}{n:02d}": "agree" for f in range(1, 6) for n in (1, 2)}  # 3-2-601 and 3-2-602 missing: passed
# Seven flats, 590.00 of 960.00 m²: no quorum; with 3-2-601 (90.00 m²) eight flats and 680.00 m²: passed.
SEVEN = {unit: "agree" for unit in ("3-2-101", "3-2-201", "3-2-301", "3-2-401", "3-2-501", "3-2-102", "3-2-202")}
NAMES = {"一号社区", "3-2 加装电梯", "yishi recount"}


async def closed_project_vote(client, world: World, choices: dict[str, str] | None = None) -> tuple[int, int]:
    """(project, vote): the elevator vote on 3-2, closed by the facilitator at CLOSE."""
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await cast_paper_ballots(vote_id, choices if choices is not None else SEVEN)
    await let_voting_period_run(vote_id)
    with frozen_at(CLOSE):
        response = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert response.status_code == 303, response.text
    return project_id, vote_id


async def serial_of(vote_id: int, unit: str) -> str:
    flat = await VoteFlat.select(VoteFlat.entity).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == unit)).first()
    entity = await VoteEntity.select(VoteEntity.number).where(VoteEntity.id == flat["entity"]).first()
    return paper_serial(vote_id, int(entity["number"]))


async def outcome(vote_id: int) -> str:
    return (await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first())["result"]["outcome"]


async def kinds(community_id: int) -> list[str]:
    rows = await Publication.select(Publication.kind).where(Publication.community == community_id).order_by(Publication.seq)
    return [r["kind"] for r in rows]


async def test_the_close_publishes_a_preliminary_result_and_the_final_one_waits_for_the_window(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id, vote_id = await closed_project_vote(client, world, TEN)
    stage = await VoteStage.select().where(VoteStage.vote == vote_id).first()
    assert stage["stage"] == "preliminary" and stage["window_days"] == 7 and stage["window_ends_at"] == WINDOW_END
    assert await kinds(world.community_id) == ["vote_preliminary"]
    publication = await Publication.select(Publication.content, Publication.ends_at).where(Publication.kind == "vote_preliminary").first()
    content = json.loads(publication["content"])
    assert content["stage"] == "preliminary" and content["query_window"]["days"] == 7 and publication["ends_at"] == WINDOW_END
    record = content["votes"][0]["record"]
    assert result_to_json(tally_record(parse_record(record))) == content["votes"][0]["result"]  # it recounts
    assert [h["event"] for h in record["history"]] == ["preliminary"] and "3-2-" not in json.dumps(record)

    # The result page says which stage it is in, in both languages; the project waits for the final result.
    question = (await Vote.select(Vote.question).where(Vote.id == vote_id).first())["question"]
    with frozen_at(CLOSE + timedelta(days=1)):
        for language, said in (("zh", "初步统计结果，询异期至2026年12月10日"), ("en", "Preliminary result — queries until 10 December 2026")):
            client.cookies.set(i18n.LANGUAGE_COOKIE, language)
            page = (await client.get(f"/v/{vote_id}/result")).text
            assert said in page, language
            assert_translated(page, language, data=NAMES | {question})
        client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
        assert "Preliminary result — queries until 10 December 2026" in (await client.get(f"/v/{vote_id}/board")).text
        assert "Counted — preliminary result, open to queries" in (await client.get(f"/p/{project_id}")).text
        assert await ProjectVote.select(ProjectVote.notice_starts_at).where(ProjectVote.vote == vote_id).first() == {"notice_starts_at": None}
        # Staff cannot publish the final result while the window runs: the reason, nothing changed.
        response = await client.post_form(f"/v/{vote_id}/final")
        assert response.status_code == 409 and "The query window runs until the end of 10 December 2026" in response.text
    # The last second of the window: neither the clock nor staff make it final.
    with frozen_at(WINDOW_END - timedelta(seconds=1)):
        assert await result_final.finalise_due() == []
        assert (await client.post_form(f"/v/{vote_id}/final")).status_code == 409
    assert await kinds(world.community_id) == ["vote_preliminary"]
    # The first moment after it: the vote clock publishes the final result, and the project's notice starts.
    with frozen_at(WINDOW_END):
        assert await result_final.finalise_due() == [vote_id]
        assert await result_final.finalise_due() == []  # idempotent
        page = (await client.get(f"/v/{vote_id}/result")).text
        assert "Final result" in page and "Preliminary result" not in page
        assert "Final result" in (await client.get(f"/v/{vote_id}/board")).text
        assert "Passed — public notice" in (await client.get(f"/p/{project_id}")).text
    assert await kinds(world.community_id) == ["vote_preliminary", "vote_final", "project_notice"]
    link = await ProjectVote.select(ProjectVote.notice_starts_at).where(ProjectVote.vote == vote_id).first()
    assert link["notice_starts_at"] == WINDOW_END
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.object_id == vote_id)}
    assert {"vote_closed", "vote_result_preliminary", "vote_result_final"} <= actions
    assert (await audit.verify("c1")).intact


async def test_a_query_answered_with_a_correction_that_recounts_then_the_final_result(client, make_account, tmp_path):
    from votes.tally_cli import recount_main

    world = await make_world(make_account)
    project_id, vote_id = await closed_project_vote(client, world)  # 7 of 12 flats: no quorum
    assert await outcome(vote_id) == "no_quorum"
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    during = CLOSE + timedelta(days=2)

    # Who may lodge: an owner of the vote's electorate, signed in.
    with frozen_at(during):
        client.cookies.delete("yishi_session")
        response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "missing_ballot", "text": "x"})
        assert response.status_code in (302, 303, 401) and "/signin" in response.headers.get("location", "/signin")
        for who in ("tenant", "neighbour", "stranger", "facilitator"):
            await client.signin(world.phones[who])
            response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "missing_ballot", "text": "我的票"})
            assert response.status_code == 403, who
            assert "Only owners in this vote" in response.text
        await client.signin(world.phones["top_owner"])
        page = (await client.get(f"/v/{vote_id}/queries")).text
        assert 'name="kind"' in page and "Query this count" in page
        # Bad input: a translated error, nothing stored.
        response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "bribery", "text": ""})
        assert response.status_code == 422 and "Please choose what your query is about." in response.text
        assert "Please say what you found" in response.text
        response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "other", "text": "长" * 1001})
        assert response.status_code == 422
        assert await VoteQuery.count().where(VoteQuery.vote == vote_id) == 0
        response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "missing_ballot", "text": "我家601的纸质票投进了箱子，结果里没有"})
        assert response.status_code == 303 and response.headers["location"].endswith("?lodged=1#query-1")
        mine = (await client.get(f"/v/{vote_id}/queries?lodged=1")).text
        assert "Your query no. 1 is recorded" in mine and "我家601的纸质票" in mine
        # The public sees the kind of query, never the owner's words.
        client.cookies.delete("yishi_session")
        public = (await client.get(f"/v/{vote_id}/result")).text
        assert "Query no. 1" in public and "My ballot is missing from the count" in public and "我家601" not in public
        assert "Waiting for an answer" in public and 'name="text"' not in public

        # Staff: another community's facilitator gets nothing; a grid worker without these buildings neither.
        await client.signin(world.phones["other_facilitator"])
        assert (await client.get(f"/v/{vote_id}/queries/manage")).status_code in (403, 404)
        assert (await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "x"})).status_code in (403, 404)
        await scope_staff(world.accounts["grid_worker"], world.community_id, "grid_worker", buildings=())
        await client.signin(world.phones["grid_worker"])
        assert (await client.get(f"/v/{vote_id}/queries/manage")).status_code == 403
        await scope_staff(world.accounts["grid_worker"], world.community_id, "grid_worker")
        assert (await client.get(f"/v/{vote_id}/queries/manage")).status_code == 200
        # An owner is not staff.
        await client.signin(world.phones["top_owner"])
        assert (await client.get(f"/v/{vote_id}/queries/manage")).status_code == 403
        assert (await client.post_form(f"/v/{vote_id}/corrections/add", {"serial": "x"})).status_code == 403

        # The facilitator finds 3-2-601's ballot in the box: a correction, with a public reason free of names.
        await client.signin(world.phones["facilitator"])
        serial = await serial_of(vote_id, "3-2-601")
        page = (await client.get(f"/v/{vote_id}/queries/manage?serial={serial}")).text
        assert "我家601" in page and "Count a ballot found after the close" in page and "业主601" in page
        signer = (await VoteFlat.select(VoteFlat.owners).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == "3-2-601")).output(load_json=True).first())["owners"][0]
        form = {"serial": serial, "signer": signer, "choice": "agree"}
        for reason in ("在箱底找到业主601的票", "3-2-601的票", "电话13900000601", ""):
            response = await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "reason": reason})
            assert response.status_code == 422, reason
        assert "without names, flat numbers or phone numbers. Found: 业主601" in (
            await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "reason": "业主601"})).text
        response = await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "choice": "maybe", "reason": "开箱复核时在箱底发现一张漏计的纸质票"})
        assert response.status_code == 422 and "Please mark what the ballot says." in response.text
        assert await VoteCorrection.count() == 0 and await outcome(vote_id) == "no_quorum"
        response = await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "reason": "开箱复核时在箱底发现一张漏计的纸质票"})
        assert response.status_code == 303, response.text
        assert await outcome(vote_id) == "passed"  # recounted: 8 of 12 flats, enough area
        # The same ballot cannot be counted twice.
        response = await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "reason": "再次"})
        assert response.status_code == 409 and "already counted" in response.text
        assert await Ballot.count().where(Ballot.vote == vote_id) == 8

        # The answer is public: no names, no flat numbers.
        response = await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "已核实3-2-601的票", "correction": "1"})
        assert response.status_code == 422 and "Found: 3-2-601" in response.text
        response = await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "已核实", "correction": "9"})
        assert response.status_code == 422 and "Choose one of this vote's corrections" in response.text
        response = await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "经开箱复核，该票漏计，已更正并重新统计。", "correction": "1"})
        assert response.status_code == 303
        assert (await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "再答"})).status_code == 409

        client.cookies.delete("yishi_session")
        public = (await client.get(f"/v/{vote_id}/result")).text
        assert "经开箱复核，该票漏计" in public and "Correction no. 1" in public and "开箱复核时在箱底发现" in public
        assert "the outcome was No valid decision: too few owners took part, it is Passed" in public
        assert "3-2-601" not in public.split('id="vqueries"')[1].split("</section>")[0]

    # After the window the final result is published by the facilitator; its record recounts with the correction.
    with frozen_at(WINDOW_END + timedelta(hours=1)):
        await client.signin(world.phones["facilitator"])
        assert (await client.post_form(f"/v/{vote_id}/final")).status_code == 303
        await client.signin(world.phones["top_owner"])
        response = await client.post_form(f"/v/{vote_id}/queries", {"kind": "other", "text": "还有问题"})
        assert response.status_code == 409 and "The query window of this vote has ended" in response.text
        await client.signin(world.phones["facilitator"])
        assert (await client.post_form(f"/v/{vote_id}/corrections/add", {**form, "reason": "晚了"})).status_code in (404, 409, 422)
        assert (await client.post_form(f"/v/{vote_id}/final")).status_code == 409
    assert await kinds(world.community_id) == ["vote_preliminary", "vote_query", "vote_correction", "vote_answer",
                                               "vote_final", "project_notice"]  # fmt: skip
    final = json.loads((await Publication.select(Publication.content).where(Publication.kind == "vote_final").first())["content"])
    record = final["votes"][0]["record"]
    assert final["queries"] == 1 and final["corrections"] == 1 and final["votes"][0]["result"]["outcome"] == "passed"
    assert [h["event"] for h in record["history"]] == ["preliminary", "query", "correction", "answer", "final"]
    path = tmp_path / "final.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert recount_main([str(path)]) == 0  # exactly, including the corrected ballot
    body = json.loads((await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first())["body"])
    assert body["result"]["outcome"] == "passed" and len(body["ballots"]) == 8
    client.cookies.delete("yishi_session")
    file = (await client.get(f"/v/{vote_id}/record.json")).json()
    assert file["history"][-1]["event"] == "final" and result_to_json(tally_record(parse_record(file))) == file["result"]
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.object_id == vote_id).order_by(AuditLog.id)]
    for action in ("vote_result_preliminary", "vote_query_lodged", "vote_corrected", "vote_query_answered", "vote_result_final"):
        assert action in actions
    report = await audit.verify("c1")
    assert report.intact, report.findings


async def test_a_ballot_taken_out_recounts_and_an_open_query_holds_the_final_result(client, make_account):
    world = await make_world(make_account)
    _project_id, vote_id = await closed_project_vote(client, world, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    assert await outcome(vote_id) == "passed"
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    with frozen_at(WINDOW_END - timedelta(hours=1)):  # the last hour of the last day
        await client.signin(world.phones["ground_owner"])
        assert (await client.post_form(f"/v/{vote_id}/queries", {"kind": "not_owner", "text": "101已经卖了"})).status_code == 303
    with frozen_at(WINDOW_END + timedelta(days=1)):
        # The window is over but a query waits: the clock does nothing, staff are told why.
        assert await result_final.finalise_due() == []
        await client.signin(world.phones["facilitator"])
        response = await client.post_form(f"/v/{vote_id}/final")
        assert response.status_code == 409 and "1 queries still wait for an answer" in response.text
        serial = await serial_of(vote_id, "3-2-601")
        voter = (await Ballot.select(Ballot.voter).where((Ballot.vote == vote_id) & (Ballot.unit == "3-2-601")).first())["voter"]
        page = (await client.get(f"/v/{vote_id}/queries/manage?serial={serial}")).text
        assert "Take a counted ballot out" in page and "Agree" not in page.split("Take a counted ballot out")[1].split("</form>")[0]
        response = await client.post_form(f"/v/{vote_id}/corrections/remove", {"serial": serial, "voter": "P999", "reason": "核实"})
        assert response.status_code == 422 and "no counted ballot from that owner" in response.text
        response = await client.post_form(f"/v/{vote_id}/corrections/remove", {"serial": serial, "voter": voter, "reason": "该票系误录，已从统计中剔除"})
        assert response.status_code == 303
        assert await Ballot.count().where(Ballot.vote == vote_id) == 11
        correction = await VoteCorrection.select(VoteCorrection.kind, VoteCorrection.ballot).where(VoteCorrection.vote == vote_id).output(load_json=True).first()
        assert correction["kind"] == "remove_ballot" and correction["ballot"]["choice"] == "agree"
        assert (await client.post_form(f"/v/{vote_id}/queries/1/answer", {"answer": "已核实，该户业主仍在册，票有效。"})).status_code == 303
        assert await result_final.finalise_due() == [vote_id]
    report = await audit.verify("c1")
    assert report.intact, report.findings


async def test_a_tampered_correction_is_found_by_the_audit(client, make_account):
    world = await make_world(make_account)
    _project_id, vote_id = await closed_project_vote(client, world)
    with frozen_at(CLOSE + timedelta(days=1)):
        await client.signin(world.phones["facilitator"])
        serial = await serial_of(vote_id, "3-2-601")
        signer = (await VoteFlat.select(VoteFlat.owners).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == "3-2-601")).output(load_json=True).first())["owners"][0]
        response = await client.post_form(f"/v/{vote_id}/corrections/add", {"serial": serial, "signer": signer, "choice": "agree", "reason": "箱底漏计"})
        assert response.status_code == 303
    assert (await audit.verify("c1")).intact
    # A ballot changed in the database after the correction was published: the audit names it.
    await Ballot.update({Ballot.choice: "oppose"}).where((Ballot.vote == vote_id) & (Ballot.unit == "3-2-601"))
    findings = (await audit.verify("c1")).findings
    assert any(f"/v/{vote_id}/result" in line and "no longer give the stored result" in line for line in findings), findings


async def test_the_query_window_is_a_community_setting(client, make_account):
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get("/c/c1/procedure")).text
    assert 'name="query_days_owners"' in page and 'value="7"' in page
    for wrong in ({"query_days_owners": "0"}, {"query_days_owners": "31"}, {"query_days_poll": "-1"}, {"query_days_residents": "x"}):
        response = await client.post_form("/c/c1/procedure", wrong)
        assert response.status_code == 422, wrong
        assert "Enter a whole number of days from" in response.text
    response = await client.post_form("/c/c1/procedure", {"query_days_owners": "3", "query_days_poll": "0"})
    assert response.status_code == 303
    _project_id, vote_id = await closed_project_vote(client, world)
    stage = await VoteStage.select(VoteStage.window_days, VoteStage.window_ends_at).where(VoteStage.vote == vote_id).first()
    assert stage == {"window_days": 3, "window_ends_at": datetime(2026, 12, 6, 16, 0, tzinfo=UTC)}
    # Another community's facilitator cannot change it.
    await client.signin(world.phones["other_facilitator"])
    assert (await client.post_form("/c/c1/procedure", {"query_days_owners": "30"})).status_code in (403, 404)
