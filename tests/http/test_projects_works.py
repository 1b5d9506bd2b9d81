"""The works after the vote: milestones in order with documents and photos, published and chained; complaints
during the works handled like objections; who may do what."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from test_projects_flow import NAMES
from works_helpers import huge_png_header, passed_project, png, post_files

from community import i18n
from community.tables import AuditLog
from deliberation.minutes import audit
from deliberation.minutes.board import board
from deliberation.minutes.tables import Publication
from votes.projects import service, store
from votes.projects.tables import Milestone, MilestoneFile, ProjectVote, WorksComplaint
from votes.projects.testing import make_world

PDF = b"%PDF-1.4\n% a drawing\n%%EOF\n"


def day(delta: int = 0) -> str:
    return (service.now().astimezone(store.tz()).date() + timedelta(days=delta)).isoformat()


async def record(client, project_id: int, kind: str, when: str, note: str = "", files=None):
    return await post_files(client, f"/p/{project_id}/milestones", {"kind": kind, "day": when, "note": note}, files or [])


async def state() -> tuple[int, int, int, int]:
    return (await Milestone.count(), await MilestoneFile.count(), await Publication.count(), await WorksComplaint.count())


async def test_milestones_are_recorded_in_order_published_chained_and_audited(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id = await passed_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await record(client, project_id, "design", day(-30), "施工图设计完成",
                            [("files", ("图纸.pdf", PDF, "application/pdf")), ("files", ("site.png", png(), "image/png"))])
    assert response.status_code == 303 and response.headers["location"] == f"/p/{project_id}#works"
    milestone = await Milestone.select().where(Milestone.project == project_id).first()
    files = await MilestoneFile.select().where(MilestoneFile.milestone == milestone["id"]).order_by(MilestoneFile.position)
    assert [f["name"] for f in files] == ["图纸.pdf", "site.png"] and files[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    link = await Publication.select().where(Publication.seq == milestone["publication_seq"]).output(load_json=True).first()
    assert link["kind"] == "works_milestone" and link["sha256"] == milestone["publication_sha256"]
    assert '"milestone":"design"' in link["content"] and files[1]["sha256"] in link["content"]
    assert await AuditLog.exists().where(AuditLog.action == "project_milestone_recorded")

    # Out of order, back-dated, in the future, twice: refused with a clear message, nothing changed.
    before = await state()
    response = await record(client, project_id, "joint_review", day(-20))
    assert response.status_code == 422 and "cannot be recorded before the steps it depends on" in response.text
    assert (await record(client, project_id, "pipeline_survey", day(1))).status_code == 422
    assert (await record(client, project_id, "design", day(-1))).status_code == 422
    assert (await record(client, project_id, "nonsense", day(-1))).status_code == 422
    assert (await record(client, project_id, "pipeline_survey", "yesterday")).status_code == 422
    assert await state() == before
    assert (await record(client, project_id, "pipeline_survey", day(-25))).status_code == 303
    response = await record(client, project_id, "joint_review", day(-26))  # before the survey it depends on
    assert response.status_code == 422 and "cannot be dated before a step it depends on" in response.text
    assert (await record(client, project_id, "joint_review", day(-25))).status_code == 303  # the same day is fine
    # Files: the type is sniffed, the size and the pixels are capped.
    before = await state()
    for bad in (("x.png", b"<script>alert(1)</script>", "image/png"), ("big.png", huge_png_header(), "image/png"),
                ("big.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "application/pdf")):
        response = await record(client, project_id, "contract_signed", day(-10), files=[("files", bad)])
        assert response.status_code == 422, bad[0]
    assert "Only photos (JPEG, PNG, WebP) and PDF documents" in (await record(
        client, project_id, "contract_signed", day(-10), files=[("files", ("x.gif", b"GIF89a", "image/gif"))])).text
    assert await state() == before
    for kind in ("contract_signed", "construction_start"):
        assert (await record(client, project_id, kind, day(-10))).status_code == 303

    # Everyone sees the works on the public notice, with the files; the board lists each step.
    client.cookies.delete("yishi_session")
    notice = (await client.get(f"/p/{project_id}/notice")).text
    assert "Progress of the works" in notice and "Pipeline survey" in notice and "施工图设计完成" in notice
    assert f"/p/{project_id}/milestones/files/{files[0]['id']}" in notice
    pdf = await client.get(f"/p/{project_id}/milestones/files/{files[0]['id']}")
    assert pdf.status_code == 200 and pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
    thumb = await client.get(f"/p/{project_id}/milestones/files/{files[1]['id']}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    assert (await client.get(f"/p/{project_id}/milestones/files/{files[0]['id']}/thumb")).status_code == 404  # a PDF has none
    assert (await client.get(f"/p/{project_id + 1}/milestones/files/{files[0]['id']}")).status_code == 404
    entries = (await board("c1", {})).others
    assert any(e.kind == "works" and e.url == f"/p/{project_id}/notice#milestone-construction_start" for e in entries)
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/p/{project_id}/notice")).text, language,
                          data=NAMES | {"施工图设计完成", "图纸.pdf", "site.png"})
    report = await audit.verify("c1")
    assert report.intact, report.findings


async def test_construction_waits_for_approval(client, make_account):
    world = await make_world(make_account)
    project_id = await passed_project(client, world, approved=False)  # the public notice still runs
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    for kind in ("design", "pipeline_survey", "joint_review", "contract_signed"):
        assert (await record(client, project_id, kind, day())).status_code == 303
    response = await record(client, project_id, "construction_start", day())
    assert response.status_code == 422 and "Construction can start only once the project is approved" in response.text
    assert not await Milestone.exists().where(Milestone.kind == "construction_start")


async def test_only_the_facilitator_records_milestones(client, make_account):
    world = await make_world(make_account)
    project_id = await passed_project(client, world)
    for who, expected in (("top_owner", 403), ("tenant", 403), ("neighbour", 403), ("grid_worker", 403), ("other_facilitator", 404),
                          ("stranger", 404)):
        await client.signin(world.phones[who])
        response = await record(client, project_id, "design", day())
        assert response.status_code == expected, who
    client.cookies.delete("yishi_session")
    response = await record(client, project_id, "design", day())
    assert response.status_code in (303, 401) and "/signin" in response.headers.get("location", "/signin")
    assert await Milestone.count() == 0 and not await Publication.exists().where(Publication.kind == "works_milestone")


async def reach_construction(client, world, project_id: int) -> None:
    await client.signin(world.phones["facilitator"])
    for kind, delta in (("design", -9), ("pipeline_survey", -9), ("joint_review", -8), ("contract_signed", -7),
                        ("construction_start", -5)):
        assert (await record(client, project_id, kind, day(delta))).status_code == 303


async def test_once_construction_started_the_passed_terms_are_not_put_to_a_new_vote(client, make_account):
    """A new vote would put a lift being built back to preparation: offered until construction starts, refused from
    then on, and the passed vote stays current."""
    world = await make_world(make_account)
    project_id = await passed_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    await client.signin(world.phones["facilitator"])
    assert f'action="/p/{project_id}/new-vote"' in (await client.get(f"/p/{project_id}")).text
    await reach_construction(client, world, project_id)
    assert f'action="/p/{project_id}/new-vote"' not in (await client.get(f"/p/{project_id}")).text
    response = await client.post_form(f"/p/{project_id}/new-vote")
    assert response.status_code == 409 and "Construction has started" in response.text
    assert not await ProjectVote.exists().where((ProjectVote.project == project_id) & ProjectVote.superseded_at.is_not_null())


async def test_complaints_during_the_works_are_handled_like_objections(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id = await passed_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    await client.signin(world.phones["neighbour"])
    response = await client.post_form(f"/p/{project_id}/complaints", {"text": "太吵", "affects": "noise"})
    assert response.status_code == 409 and "only while construction runs" in response.text
    await reach_construction(client, world, project_id)

    # A neighbour complains online; bad input first; a stranger to the community cannot.
    await client.signin(world.phones["neighbour"])
    response = await client.post_form(f"/p/{project_id}/complaints", {"text": "", "affects": "bogus"})
    assert response.status_code == 422 and "Please describe the problem" in response.text and "Please tick" in response.text
    assert await WorksComplaint.count() == 0
    response = await client.post_form(f"/p/{project_id}/complaints", {"text": "早上六点就开始打桩", "affects": ["noise", "access"]})
    assert response.status_code == 303
    await client.signin(world.phones["stranger"])
    assert (await client.post_form(f"/p/{project_id}/complaints", {"text": "x", "affects": "noise"})).status_code == 404
    await client.signin(world.phones["other_facilitator"])
    assert (await client.post_form(f"/p/{project_id}/complaints/record", {"channel": "paper", "text": "x", "affects": "noise"})).status_code == 404

    # Staff record a paper complaint and handle both; nobody else may.
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(f"/p/{project_id}/complaints/record", {"channel": "paper", "complainant": "王大爷",
                                      "received_on": day(-6), "text": "材料堵住了单元门", "affects": "access"})
    assert response.status_code == 422 and "since construction started" in response.text  # before construction
    response = await client.post_form(f"/p/{project_id}/complaints/record", {"channel": "paper", "complainant": "王大爷",
                                      "received_on": day(), "text": "材料堵住了单元门", "affects": "access"})
    assert response.status_code == 303
    complaints = await WorksComplaint.select().where(WorksComplaint.project == project_id).order_by(WorksComplaint.number)
    assert [(c["number"], c["channel"]) for c in complaints] == [(1, "online"), (2, "paper")]
    await client.signin(world.phones["grid_worker"])
    assert (await client.post_form(f"/p/{project_id}/complaints/{complaints[0]['id']}/steps",
                                   {"kind": "talks", "note": "x"})).status_code == 403
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(f"/p/{project_id}/complaints/{complaints[0]['id']}/steps", {"kind": "resolved", "note": ""})
    assert response.status_code == 422
    for c in complaints:
        response = await client.post_form(f"/p/{project_id}/complaints/{c['id']}/steps",
                                          {"kind": "resolved", "note": "施工队改为八点开工，材料移走"})
        assert response.status_code == 303
    assert {c["status"] for c in await WorksComplaint.select(WorksComplaint.status)} == {"resolved"}
    assert await AuditLog.count().where(AuditLog.action == "project_complaint_step") == 2
    # The neighbour cannot withdraw a settled complaint, nor anybody else's.
    await client.signin(world.phones["neighbour"])
    assert (await client.post_form(f"/p/{project_id}/complaints/{complaints[0]['id']}/withdraw")).status_code == 409
    assert (await client.post_form(f"/p/{project_id}/complaints/{complaints[1]['id']}/withdraw")).status_code == 403
    # The public sees each complaint and its handling, never who complained.
    client.cookies.delete("yishi_session")
    notice = (await client.get(f"/p/{project_id}/notice")).text
    assert "早上六点就开始打桩" in notice and "施工队改为八点开工" in notice and "王大爷" not in notice
    await client.signin(world.phones["facilitator"])
    page = (await client.get(f"/p/{project_id}")).text
    assert "王大爷" in page and "Complaint no. 2" in page
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/p/{project_id}")).text, language,
                          data=NAMES | {"早上六点就开始打桩", "施工队改为八点开工，材料移走", "王大爷",
                                         "材料堵住了单元门", "facilitator"})
