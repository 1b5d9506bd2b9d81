"""Who may see and do what with a project: checked on the server for every object."""

from __future__ import annotations

import re

import pytest

from community import i18n
from community.tables import AuditLog, Community
from deliberation.panels import projector_panels
from deliberation.tables import AgendaItem, Meeting
from votes.projects.tables import Objection, OccupiedFlat, Project, ProjectVote
from votes.projects.testing import World, cast_paper_ballots, make_world
from votes.tables import Vote
from votes.testing import before_the_query_window, let_voting_period_run, publish_final


async def passed_project(client, world: World) -> tuple[int, int, int]:
    """(project, vote, occupied-flat entry): an elevator project on 3-2 whose vote passed; notice running."""
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        "/c/c1/projects", {"title": "加装电梯", "kind": "elevator", "place": f"stairwell_unit:{world.unit_id}"}
    )
    project_id = int(re.search(r"/p/(\d+)", response.headers["location"]).group(1))
    await client.post_form(f"/p/{project_id}/terms", {"total": "300000", "scheme": "stairs"})
    await client.post_form(f"/p/{project_id}/occupied", {"flat": str(world.flats["3-2-102"]), "occupies": "窗户"})
    response = await client.post_form(f"/p/{project_id}/vote", {})
    vote_id = int(re.search(r"/v/(\d+)", response.headers["location"]).group(1))
    await client.post_form(f"/v/{vote_id}/publish")
    await cast_paper_ballots(vote_id, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    await publish_final(vote_id)
    await client.post_form(f"/p/{project_id}/objections/record", {"channel": "paper", "text": "噪音", "affects": "noise"})
    occupied = await OccupiedFlat.select(OccupiedFlat.id).where(OccupiedFlat.project == project_id).first()
    return project_id, vote_id, int(occupied["id"])


async def test_another_communitys_facilitator_gets_nothing(client, make_account):
    world = await make_world(make_account)
    project_id, _vote_id, occupied_id = await passed_project(client, world)
    objection = await Objection.select(Objection.id).where(Objection.project == project_id).first()
    await client.signin(world.phones["other_facilitator"])
    for path in (f"/p/{project_id}", f"/p/{project_id}/edit", f"/p/{project_id}/terms", f"/p/{project_id}/visit",
                 f"/p/{project_id}/screen", f"/p/{project_id}/diagram"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
    writes = {
        f"/p/{project_id}/edit": {"title": "x", "kind": "roof"},
        f"/p/{project_id}/terms": {"total": "1", "scheme": "area"},
        f"/p/{project_id}/vote": {},
        f"/p/{project_id}/new-vote": {},
        f"/p/{project_id}/occupied": {"flat": str(world.flats["3-2-201"]), "occupies": "x"},
        f"/p/{project_id}/occupied/{occupied_id}/consent": {"consent": "given", "method": "signed"},
        f"/p/{project_id}/occupied/{occupied_id}/remove": {},
        f"/p/{project_id}/objections/record": {"channel": "paper", "text": "x", "affects": "cost"},
        f"/p/{project_id}/objections/{objection['id']}/steps": {"kind": "resolved", "note": "x"},
        f"/p/{project_id}/objections": {"text": "x", "affects": "cost"},
    }
    for path, data in writes.items():
        assert (await client.post_form(path, data)).status_code == 404, path
    assert (await client.get("/c/c1/projects/new")).status_code == 403
    assert (await client.post_form("/c/c1/projects", {"title": "x", "kind": "roof"})).status_code == 403
    assert (await client.get("/c/c1/projects/settings")).status_code == 403
    assert (await client.post_form("/c/c1/projects/settings", {"notice_days": "1"})).status_code == 403
    # Nothing changed.
    row = await Project.select(Project.title, Project.total).where(Project.id == project_id).first()
    assert row == {"title": "加装电梯", "total": 30_000_000}
    assert await Objection.count().where(Objection.project == project_id) == 1
    assert (await OccupiedFlat.select(OccupiedFlat.consent).where(OccupiedFlat.id == occupied_id).first())["consent"] == "pending"
    # Its own community's list does not show the project either.
    assert f"/p/{project_id}" not in (await client.get("/c/c2/projects")).text


async def test_staff_roles_and_residents(client, make_account):
    world = await make_world(make_account)
    project_id, vote_id, occupied_id = await passed_project(client, world)
    # A grid worker sees everything and the visit list, but changes nothing.
    await client.signin(world.phones["grid_worker"])
    assert (await client.get(f"/p/{project_id}")).status_code == 200
    assert (await client.get(f"/p/{project_id}/visit")).status_code == 200
    assert (await client.get(f"/p/{project_id}/edit")).status_code == 403
    assert (await client.post_form(f"/p/{project_id}/occupied/{occupied_id}/consent", {"consent": "given", "method": "signed"})).status_code == 403
    # Owners answer only for their own flat, and only as verified owners.
    await client.signin(world.phones["top_owner"])
    response = await client.post_form(f"/p/{project_id}/occupied/{occupied_id}/answer", {"decision": "given", "confirm": "yes"})
    assert response.status_code == 403
    assert (await client.post_form(f"/p/{project_id}/occupied/{occupied_id}/consent", {"consent": "given", "method": "signed"})).status_code == 403
    # Signed out: sent to sign in; the public notice is open to all.
    client.cookies.delete("yishi_session")
    response = await client.get(f"/p/{project_id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert (await client.get(f"/p/{project_id}/notice")).status_code == 200
    assert (await client.get(f"/p/{project_id}/shares.json")).status_code == 200
    assert (await client.post_form(f"/p/{project_id}/objections", {"text": "x", "affects": "cost"})).status_code == 303
    assert await Objection.count().where(Objection.project == project_id) == 1


async def test_drafts_are_for_staff_and_the_notice_only_after_a_pass(client, make_account):
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        "/c/c1/projects", {"title": "屋面维修", "kind": "roof", "place": f"stairwell_unit:{world.unit_id}"}
    )
    project_id = int(re.search(r"/p/(\d+)", response.headers["location"]).group(1))
    await client.signin(world.phones["top_owner"])
    assert (await client.get(f"/p/{project_id}")).status_code == 404  # not published yet
    assert "屋面维修" not in (await client.get("/c/c1/projects")).text
    client.cookies.delete("yishi_session")
    assert (await client.get(f"/p/{project_id}/notice")).status_code == 404
    assert (await client.get(f"/p/{project_id}/shares.json")).status_code == 303  # staff only until the pass


async def test_settings_change_the_notice_length_and_the_insulation_item(client, make_account):
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form("/c/c1/projects/settings", {"notice_days": "0", "insulation_matter": "6"})
    assert response.status_code == 422 and "from 1 to 90" in response.text and 'value="0"' in response.text
    response = await client.post_form("/c/c1/projects/settings", {"notice_days": "30", "insulation_matter": "5"})
    assert response.status_code == 200 and "Saved." in response.text
    settings = (await Community.select(Community.settings).where(Community.id == world.community_id).output(load_json=True).first())["settings"]
    assert settings["projects"] == {"notice_days": 30, "insulation_matter": 5}
    assert await AuditLog.exists().where(AuditLog.action == "project_settings_changed")
    response = await client.post_form(
        "/c/c1/projects", {"title": "外墙保温", "kind": "insulation", "place": f"building:{(await unit_building(world))}"}
    )
    project_id = int(re.search(r"/p/(\d+)", response.headers["location"]).group(1))
    page = (await client.get(f"/p/{project_id}")).text
    assert "Civil Code Art. 278, item 5" in page and "This community treats exterior wall insulation as a use" in page
    # A project on a whole building shares over both of its stairwell units.
    await client.post_form(f"/p/{project_id}/terms", {"total": "1000", "scheme": "area"})
    page = (await client.get(f"/p/{project_id}")).text
    assert "3-1-101" in page and "3-2-601" in page
    _project, vote_id, _occupied = await passed_project(client, world)
    link = await ProjectVote.select(ProjectVote.notice_days).where(ProjectVote.vote == vote_id).first()
    assert link["notice_days"] == 30


async def unit_building(world: World) -> int:
    from community.tables import StairwellUnit

    row = await StairwellUnit.select(StairwellUnit.building).where(StairwellUnit.id == world.unit_id).first()
    return int(row["building"])


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_meeting_projector_shows_the_diagram_of_an_attached_vote(client, make_account, assert_translated, language):
    world = await make_world(make_account)
    await client.signin(world.phones["facilitator"])
    rows = await Meeting.insert(
        Meeting(community=world.community_id, kind="owners", title="业主大会", status="in_session",
                scope_kind="stairwell_unit", scope_ids=[world.unit_id])  # fmt: skip
    ).returning(Meeting.id)
    meeting_id = int(rows[0]["id"])
    rows = await AgendaItem.insert(AgendaItem(meeting=meeting_id, title="加装电梯")).returning(AgendaItem.id)
    response = await client.post_form(
        "/c/c1/projects", {"title": "3-2 加装电梯", "kind": "elevator", "place": f"stairwell_unit:{world.unit_id}"}
    )
    project_id = int(re.search(r"/p/(\d+)", response.headers["location"]).group(1))
    await client.post_form(f"/p/{project_id}/terms", {"total": "300000", "scheme": "guangzhou"})
    response = await client.post_form(f"/p/{project_id}/vote", {"agenda_item": str(rows[0]["id"])})
    vote_id = int(re.search(r"/v/(\d+)", response.headers["location"]).group(1))
    assert (await Vote.select(Vote.agenda_item).where(Vote.id == vote_id).first())["agenda_item"] == rows[0]["id"]
    assert await projector_panels(meeting_id) == []  # nothing until the vote opens
    await client.post_form(f"/v/{vote_id}/publish")
    await cast_paper_ballots(vote_id, {"3-2-601": "agree", "3-2-602": "oppose"})
    i18n.set_language(language)
    try:
        panels = "".join(str(p) for p in await projector_panels(meeting_id))
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    assert f'id="project-panel-{project_id}"' in panels and "<svg" in panels
    start = panels.index('<svg class="pdiagram-svg"')
    svg = panels[start : panels.index("</svg>", start)]
    # The room is public: a secret vote shows no flat's participation on the projector (votes.disclosure).
    assert svg.count('<g class="pd-cell pd-voted') == 0 and "pd-hidden" in svg
    assert "hx-get" not in panels  # live via the meeting, no polling
    assert_translated(panels, language, data={"3-2 加装电梯", "3-2"})
    # What a ballot's live update sends the projector carries the diagram too, not only the votes' own panel.
    from deliberation import panels as projector_section

    update = str(await projector_section.render(meeting_id, language))
    assert f'id="project-panel-{project_id}"' in update and f'id="vote-panel-{vote_id}"' in update
