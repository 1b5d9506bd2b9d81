"""Proof of posting: staff add photos of a paper notice as posted, with place and time; each photo's fingerprint
goes into the publication chain; the notice's public page shows them. Meeting, vote and project notices."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from test_deliberation_world import DATA_NAMES, build_world
from test_meeting_notices_chain import noticed_meeting
from test_projects_flow import new_project, open_vote
from works_helpers import huge_png_header, passed_project, png, post_files

from community import accounts, i18n
from community.tables import AuditLog, Building, NoticePosting, NoticePostingPhoto, StairwellUnit
from deliberation.minutes import audit
from deliberation.minutes.tables import Publication
from deliberation.tables import Notice
from votes.projects import service, store
from votes.projects.tables import ProjectVote
from votes.projects.testing import cast_paper_ballots, make_world
from votes.testing import before_the_query_window, let_voting_period_run, publish_final, scope_staff


def today(delta: int = 0) -> str:
    return (service.now().astimezone(store.tz()).date() + timedelta(days=delta)).isoformat()


async def post(client, kind: str, notice_id: int, photos: list[bytes], place: str = "3号楼2单元门口公告栏",
               day: str | None = None, at: str = ""):  # fmt: skip
    files = [("photos", (f"p{i}.png", data, "image/png")) for i, data in enumerate(photos)]
    return await post_files(client, f"/postings/{kind}/{notice_id}", {"place": place, "day": day or today(), "time": at}, files)


async def counts() -> tuple[int, int, int, int]:
    return (await NoticePosting.count(), await NoticePostingPhoto.count(), await Publication.count(),
            await AuditLog.count().where(AuditLog.action == "notice_posted"))  # fmt: skip


async def test_a_meeting_notice_gets_photos_of_its_posting_chained_and_shown(client, make_account, assert_translated):
    world = await build_world(make_account)
    meeting_id = await noticed_meeting(client, world)
    notice_id = int((await Notice.select(Notice.id).where(Notice.meeting == meeting_id).order_by(Notice.id).first())["id"])
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = await client.get(f"/postings/meeting_notice/{notice_id}")
    assert page.status_code == 200 and "Proof of posting" in page.text and 'enctype="multipart/form-data"' in page.text
    # Posted this very minute: any earlier hour of the day is still to come just after midnight (UTC+8).
    minute = service.now().astimezone(store.tz()).strftime("%H:%M")
    response = await post(client, "meeting_notice", notice_id, [png(), png(colour=(200, 0, 0))], at=minute)
    assert response.status_code == 303 and response.headers["location"] == f"/notices/{notice_id}#postings"
    posting = await NoticePosting.select().first()
    photos = await NoticePostingPhoto.select().order_by(NoticePostingPhoto.position)
    assert posting["notice_kind"] == "meeting_notice" and posting["place"] == "3号楼2单元门口公告栏" and len(photos) == 2
    link = await Publication.select().where(Publication.seq == posting["publication_seq"]).first()
    assert link["kind"] == "notice_posting" and link["sha256"] == posting["publication_sha256"]
    for photo in photos:
        assert photo["sha256"] in link["content"]
    assert await AuditLog.exists().where(AuditLog.action == "notice_posted")

    # Anyone reads the notice with its photos; what is served is what was fingerprinted.
    client.cookies.delete("yishi_session")
    html = (await client.get(f"/notices/{notice_id}")).text
    assert "Where this notice was posted" in html and "3号楼2单元门口公告栏" in html
    assert "Add photos of the posted notice" not in html
    served = await client.get(f"/postings/photos/{photos[0]['id']}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert hashlib.sha256(served.content).hexdigest() == photos[0]["sha256"]
    assert (await client.get(f"/postings/photos/{photos[0]['id']}/thumb")).status_code == 200
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/notices/{notice_id}")).text, language,
                          data=DATA_NAMES | {"三号楼板凳会", "加装电梯方案", "楼道堆物清理", "电梯公司", "的说明",
                                             "yishi audit verify", "3号楼2单元门口公告栏", "临时增加：车棚照明", "晚上"})
    report = await audit.verify("xfl")
    assert report.intact, report.findings


async def test_bad_posts_are_refused_with_the_reason_and_change_nothing(client, make_account):
    world = await build_world(make_account)
    meeting_id = await noticed_meeting(client, world)
    notice_id = int((await Notice.select(Notice.id).where(Notice.meeting == meeting_id).order_by(Notice.id).first())["id"])
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    before = await counts()
    cases = [
        (dict(photos=[]), "Please add at least one photo"),
        (dict(photos=[png()], place=" "), "Please say where the notice was posted"),
        (dict(photos=[png()], day=today(1)), "cannot have been posted in the future"),
        (dict(photos=[png()], day=today(-400)), "cannot have been posted before it was published"),
        (dict(photos=[png()], at="7 pm"), "Enter a time"),
        (dict(photos=[b"<script>alert(1)</script>"]), "Only photos (JPEG, PNG or WebP)"),
        (dict(photos=[huge_png_header()]), "at most 60 megapixels"),
        (dict(photos=[b"\x89PNG\r\n\x1a\n" + b"0" * (8 * 1024 * 1024 + 1)]), "larger than 8 MB"),
        (dict(photos=[png()] * 7), "At most 6 photos"),
    ]
    for kwargs, message in cases:
        response = await post(client, "meeting_notice", notice_id, **kwargs)
        assert response.status_code == 422 and message in response.text, message
    assert await counts() == before
    # A kind nobody registered, a notice that does not exist.
    assert (await client.get(f"/postings/bogus/{notice_id}")).status_code == 404
    assert (await post(client, "meeting_notice", notice_id + 999, [png()])).status_code == 404
    assert await counts() == before


async def test_who_may_post_the_notice_of_a_vote_and_of_a_project(client, make_account):
    world = await make_world(make_account)
    project_id = await passed_project(client, world, approved=False)
    vote_id = int((await ProjectVote.select(ProjectVote.vote).where(ProjectVote.project == project_id).first())["vote"])
    # A building lead of another building, a building lead of this one.
    row = await StairwellUnit.select(StairwellUnit.building, StairwellUnit.building.compound).where(StairwellUnit.id == world.unit_id).first()
    here = int(row["building"])
    elsewhere = int((await Building.insert(Building(compound=row["building.compound"], name="9")).returning(Building.id))[0]["id"])
    for phone, building in (("13800000104", elsewhere), ("13800000105", here)):
        account = await make_account(phone=phone, name=f"楼栋长{phone[-1]}")
        await accounts.grant_role(account, world.community_id, "building_lead")
        await scope_staff(account, world.community_id, "building_lead", (building,))
    before = await counts()
    for phone, expected in ((world.phones["top_owner"], 403), (world.phones["tenant"], 403), ("13800000104", 403),
                            (world.phones["other_facilitator"], 403)):
        await client.signin(phone)
        for kind, notice_id in (("project_notice", project_id), ("vote_notice", vote_id)):
            assert (await client.get(f"/postings/{kind}/{notice_id}")).status_code == expected, (phone, kind)
            assert (await post(client, kind, notice_id, [png()])).status_code == expected, (phone, kind)
    client.cookies.delete("yishi_session")
    response = await post(client, "project_notice", project_id, [png()])
    assert response.status_code in (303, 401) and "/signin" in response.headers.get("location", "/signin")
    assert await counts() == before
    # The building lead of the project's building and the grid worker post; each page shows the photos.
    await client.signin("13800000105")
    assert (await post(client, "project_notice", project_id, [png()], place="3号楼大门")).status_code == 303
    await client.signin(world.phones["grid_worker"])
    response = await post(client, "vote_notice", vote_id, [png()], place="小区门口")
    assert response.status_code == 303 and response.headers["location"] == f"/v/{vote_id}/board#postings"
    client.cookies.delete("yishi_session")
    assert "3号楼大门" in (await client.get(f"/p/{project_id}/notice")).text
    board = (await client.get(f"/v/{vote_id}/board")).text
    assert "小区门口" in board and re.search(r'/postings/photos/\d+/thumb', board)
    assert await AuditLog.count().where(AuditLog.action == "notice_posted") == 2
    assert (await audit.verify("c1")).intact


async def test_a_notice_not_public_has_no_postings_and_no_photos(client, make_account):
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    response = await client.post_form("/c/c1/projects", {"title": "屋顶", "kind": "roof", "place": f"stairwell_unit:{world.unit_id}"})
    project_id = int(response.headers["location"].split("/")[2])
    assert (await client.get(f"/postings/project_notice/{project_id}")).status_code == 404
    assert (await post(client, "project_notice", project_id, [png()])).status_code == 404
    assert await NoticePosting.count() == 0


async def test_the_preliminary_and_the_final_result_carry_photos_of_their_posting(client, make_account):
    """The result page shows the photos of the paper result posted at its stage: the preliminary result while it is
    open to queries, then the final result; a vote not yet closed has no result to post."""
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    assert (await post(client, "result_preliminary", vote_id, [png()])).status_code == 404  # still open
    await cast_paper_ballots(vote_id, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code in (200, 303)
    assert (await post(client, "result_final", vote_id, [png()])).status_code == 404  # not final yet
    manage = (await client.get(f"/v/{vote_id}/queries/manage")).text
    assert f"/postings/result_preliminary/{vote_id}" in manage  # where staff add the photos
    response = await post(client, "result_preliminary", vote_id, [png()], place="3号楼2单元门口", day=today(-1))
    assert response.status_code == 303 and response.headers["location"] == f"/v/{vote_id}/result#postings"
    await client.signin(world.phones["top_owner"])
    assert (await post(client, "result_preliminary", vote_id, [png()])).status_code == 403
    client.cookies.delete("yishi_session")
    page = (await client.get(f"/v/{vote_id}/result")).text
    assert "3号楼2单元门口" in page and re.search(r"/postings/photos/\d+/thumb", page)
    await publish_final(vote_id)
    await client.signin(world.phones["facilitator"])
    assert (await post(client, "result_final", vote_id, [png(colour=(200, 40, 40))], place="小区公告栏")).status_code == 303
    client.cookies.delete("yishi_session")
    page = (await client.get(f"/v/{vote_id}/result")).text
    assert "小区公告栏" in page and "3号楼2单元门口" not in page  # the page shows the stage it is at
    assert await NoticePosting.count() == 2
    assert (await audit.verify("c1")).intact
