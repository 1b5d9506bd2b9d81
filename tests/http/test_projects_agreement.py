"""The cost-sharing agreement of an approved project: generated and published, signed online and on paper,
progress in public, who has not signed for staff in scope only, voided when the shares change."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

from PIL import Image

from community import accounts, i18n
from community.db import write_transaction
from community.tables import AuditLog
from deliberation.minutes.tables import Publication
from votes.projects import rounds, service, store
from votes.projects.tables import AgreementScan, AgreementSignature, ProjectAgreement, ProjectVote
from votes.projects.testing import World, cast_paper_ballots, make_world
from votes.testing import (
    RosterBuilder,
    before_the_query_window,
    let_voting_period_run,
    publish_final,
    scope_staff,
)

ALL = [f"3-2-{f}{n:02d}" for f in range(1, 7) for n in (1, 2)]


async def approved_project(client, world: World, **terms: str) -> tuple[int, int]:
    """(project, vote): an elevator project on 3-2 shared by stairs climbed (the ground floor pays nothing),
    passed by every owner, its notice over without objections: approved."""
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        "/c/c1/projects", {"title": "加装电梯", "kind": "elevator", "place": f"stairwell_unit:{world.unit_id}"}
    )
    project_id = int(re.search(r"/p/(\d+)", response.headers["location"]).group(1))
    response = await client.post_form(f"/p/{project_id}/terms", {"total": "300000", "scheme": "stairs", **terms})
    assert response.status_code == 303, response.text
    response = await client.post_form(f"/p/{project_id}/vote", {})
    vote_id = int(re.search(r"/v/(\d+)", response.headers["location"]).group(1))
    await client.post_form(f"/v/{vote_id}/publish")
    await cast_paper_ballots(vote_id, {unit: "agree" for unit in ALL})
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    await publish_final(vote_id)
    await client.get(f"/p/{project_id}")  # the notice starts
    await ProjectVote.update({ProjectVote.notice_ends_at: service.now() - timedelta(minutes=1)}).where(
        ProjectVote.vote == vote_id
    )
    info = await rounds.overview(await store.get_project(project_id))
    assert info.state.status == "approved", info.state
    return project_id, vote_id


def refused(response) -> bool:
    """403 or 404, or sent to sign in."""
    return response.status_code in (403, 404) or "/signin" in response.headers.get("location", "")


def scan_bytes(size: tuple[int, int] = (400, 300), fmt: str = "JPEG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white" if mode == "RGB" else 1).save(out, format=fmt)
    return out.getvalue()


async def sign_form(client, project_id: int, flat_id: int) -> dict[str, str]:
    """What the owner's page posts: the flat, the language and the fingerprint of the text it showed."""
    page = (await client.get(f"/p/{project_id}/agreement")).text
    match = re.search(rf'name="flat" value="{flat_id}">\s*<input type="hidden" name="language" value="(\w+)">\s*'
                      r'<input type="hidden" name="text_sha256" value="([0-9a-f]{64})">', page)  # fmt: skip
    assert match, page
    return {"flat": str(flat_id), "language": match.group(1), "text_sha256": match.group(2), "confirm": "yes"}


async def enter_paper(client, project_id: int, world: World, unit: str, scan: bytes | None = None, **extra: str):
    value = f"{world.flats[unit]}:{world.people[unit]}"
    files = {"scan": ("scan.jpg", scan if scan is not None else scan_bytes(), "image/jpeg")}
    return await client.post_form(f"/p/{project_id}/agreement/paper", {"owner": value, **extra}, files=files)


async def test_generated_signed_online_and_on_paper_until_complete(client, make_account, assert_translated):
    world = await make_world(make_account)
    project_id, _vote = await approved_project(client, world)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}")).text
    assert "The residents' committee generates the cost-sharing agreement" in page
    # Only a facilitator generates it; it is published in the chain with both texts and their fingerprints.
    await client.signin(world.phones["grid_worker"])
    assert (await client.post_form(f"/p/{project_id}/agreement/generate", {})).status_code == 403
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/p/{project_id}/agreement/generate", {})).status_code == 303
    agreement = await ProjectAgreement.select().where(ProjectAgreement.project == project_id).output(load_json=True).first()
    assert agreement["version"] == 1 and set(agreement["texts"]) == {"agreement", "no_objection"}
    published = await Publication.select().where(Publication.kind == "agreement").output(load_json=True).first()
    assert published["sha256"] == agreement["published_sha256"]
    zh = agreement["texts"]["agreement"]["zh"]
    assert "费用分摊协议书" in zh and "3-2-601" in zh and "业主" in zh and "业主601" not in zh
    assert hashlib.sha256(zh.encode()).hexdigest() in published["content"]
    # Generating again while the shares are unchanged needs an explicit confirmation.
    response = await client.post_form(f"/p/{project_id}/agreement/generate", {})
    assert response.status_code == 422 and "void its signatures" in response.text
    assert await ProjectAgreement.count().where(ProjectAgreement.project == project_id) == 1

    # The owner of 3-2-601 sees the whole text and their own share, and must tick the statement.
    await client.signin(world.phones["top_owner"])
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        assert_translated((await client.get(f"/p/{project_id}/agreement")).text, language,
                          data={"加装电梯", "一号社区", "业主", "3-2"})  # fmt: skip
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}/agreement")).text
    line = next(s for s in agreement["sharers"] if s["unit"] == "3-2-601")
    assert agreement["texts"]["agreement"]["en"].splitlines()[0] in page and "Who has not signed" not in page
    form = await sign_form(client, project_id, world.flats["3-2-601"])
    assert form["language"] == "en" and form["text_sha256"] == hashlib.sha256(agreement["texts"]["agreement"]["en"].encode()).hexdigest()
    response = await client.post_form(f"/p/{project_id}/agreement/sign", {**form, "confirm": ""})
    assert response.status_code == 422 and "tick the box" in response.text
    response = await client.post_form(f"/p/{project_id}/agreement/sign", {**form, "text_sha256": "0" * 64})
    assert response.status_code == 409 and "read it again" in response.text
    assert await AgreementSignature.count() == 0
    assert (await client.post_form(f"/p/{project_id}/agreement/sign", form)).status_code == 303
    response = await client.post_form(f"/p/{project_id}/agreement/sign", form)
    assert response.status_code == 409 and "already signed" in response.text
    signature = await AgreementSignature.select().first()
    assert signature["account"] == world.accounts["top_owner"] and signature["person"] == world.people["3-2-601"]
    assert signature["text_sha256"] == form["text_sha256"] and signature["channel"] == "online" and signature["language"] == "en"
    assert line["amount"] > 0 and signature["document"] == "agreement"
    page = (await client.get(f"/p/{project_id}")).text
    assert "Signed for 1 of 10 flats that share the cost" in page and "0 of 2 flats that pay nothing" in page
    # The ground-floor owner pays nothing: they sign the no-objection sheet.
    await client.signin(world.phones["ground_owner"])
    page = (await client.get(f"/p/{project_id}/agreement")).text
    assert "no-objection sheet" in page and "I do not object to the works" in page
    assert (await client.post_form(f"/p/{project_id}/agreement/sign", await sign_form(client, project_id, world.flats["3-2-101"]))).status_code == 303
    assert (await AgreementSignature.select(AgreementSignature.document).where(AgreementSignature.flat == world.flats["3-2-101"]).first())["document"] == "no_objection"

    # Staff in scope see who has not signed; the others sign on paper, entered by one and confirmed by another.
    await client.signin(world.phones["facilitator"])
    page = (await client.get(f"/p/{project_id}/agreement")).text
    assert "Who has not signed yet" in page and "业主602" in page and "业主601" not in page.split('id="missing"')[1].split('id="paper"')[0]
    response = await enter_paper(client, project_id, world, "3-2-602", signed_on=(service.now() + timedelta(days=2)).date().isoformat())
    assert response.status_code == 422 and "cannot be in the future" in response.text
    response = await enter_paper(client, project_id, world, "3-2-602", scan=b"%PDF-1.4 not a photo")
    assert response.status_code == 422 and "must be a photo" in response.text
    response = await enter_paper(client, project_id, world, "3-2-602", scan=scan_bytes((7000, 6000), "PNG", "1"))
    assert response.status_code == 422 and "too many pixels" in response.text
    response = await client.post_form(f"/p/{project_id}/agreement/paper", {"owner": f"{world.flats['3-2-602']}:{world.people['3-2-602']}"})
    assert response.status_code == 422 and "attach the scan" in response.text
    response = await enter_paper(client, project_id, world, "3-2-601")  # signed online already
    assert response.status_code == 422
    assert await AgreementSignature.count() == 2 and await AgreementScan.count() == 0
    rest = [u for u in ALL if u not in ("3-2-601", "3-2-101")]
    for unit in rest:
        assert (await enter_paper(client, project_id, world, unit)).status_code == 303, unit
    paper = await AgreementSignature.select(AgreementSignature.id, AgreementSignature.flat).where(AgreementSignature.channel == "paper")
    assert len(paper) == 10 and await AgreementScan.count() == 10
    assert (await client.get(f"/p/{project_id}/agreement/signatures/{paper[0]['id']}/scan")).headers["content-type"] == "image/jpeg"
    response = await client.post_form(f"/p/{project_id}/agreement/signatures/{paper[0]['id']}/review", {"decision": "confirm"})
    assert response.status_code == 403 and "second staff member" in response.text
    page = (await client.get(f"/p/{project_id}")).text
    assert "Signed for 1 of 10 flats" in page  # unconfirmed paper does not count
    await client.signin(world.phones["grid_worker"])
    response = await client.post_form(f"/p/{project_id}/agreement/signatures/{paper[0]['id']}/review", {"decision": "reject"})
    assert response.status_code == 303 and await AgreementSignature.count().where(AgreementSignature.id == paper[0]["id"]) == 0
    for p in paper[1:]:
        assert (await client.post_form(f"/p/{project_id}/agreement/signatures/{p['id']}/review", {"decision": "confirm"})).status_code == 303
    assert await Publication.count().where(Publication.kind == "agreement_done") == 0
    await client.signin(world.phones["facilitator"])
    first = next(u for u in rest if world.flats[u] == paper[0]["flat"])
    assert (await enter_paper(client, project_id, world, first)).status_code == 303
    last = await AgreementSignature.select(AgreementSignature.id).where(AgreementSignature.confirmed_at.is_null() & (AgreementSignature.channel == "paper")).first()
    await client.signin(world.phones["grid_worker"])
    assert (await client.post_form(f"/p/{project_id}/agreement/signatures/{last['id']}/review", {"decision": "confirm"})).status_code == 303
    # Complete: published once, and said in public.
    assert await Publication.count().where(Publication.kind == "agreement_done") == 1
    client.cookies.clear()
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/p/{project_id}/agreement")).text
    assert "Signed for 10 of 10 flats" in page and "Every owner on every title has signed" in page
    assert "业主" not in page and "Who has not signed" not in page
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.object_id == project_id)}
    assert {"project_agreement_generated", "project_agreement_signed", "project_agreement_paper_entered",
            "project_agreement_paper_confirmed", "project_agreement_paper_rejected", "project_agreement_complete"} <= actions


async def test_nobody_signs_for_another_and_staff_outside_scope_see_nothing(client, make_account):
    world = await make_world(make_account)
    project_id, _vote = await approved_project(client, world)
    await client.post_form(f"/p/{project_id}/agreement/generate", {})
    await client.signin(world.phones["top_owner"])
    form = await sign_form(client, project_id, world.flats["3-2-601"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    # The owner of 3-2-601 cannot sign for 3-2-101, whatever the form says.
    response = await client.post_form(f"/p/{project_id}/agreement/sign", {**form, "flat": str(world.flats["3-2-101"])})
    assert response.status_code == 403
    for who in ("tenant", "neighbour"):
        await client.signin(world.phones[who])
        response = await client.post_form(f"/p/{project_id}/agreement/sign", {**form, "flat": str(world.flats["3-2-302"])})
        assert response.status_code == 403, who
        response = await client.post_form(f"/p/{project_id}/agreement/sign", form)
        assert response.status_code == 403, who
        assert (await enter_paper(client, project_id, world, "3-2-302")).status_code in (403, 404), who
        page = (await client.get(f"/p/{project_id}/agreement")).text
        assert "Who has not signed" not in page and "业主" not in page
    # A building lead of another building, another community's facilitator, nobody signed in.
    async with write_transaction():
        other = await RosterBuilder(world.community_id).stairwell("9", "1", compound="二区")
    lead = await make_account(phone="13800000104", name="lead")
    await accounts.grant_role(lead, world.community_id, "building_lead")
    from community.tables import StairwellUnit

    building = (await StairwellUnit.select(StairwellUnit.building).where(StairwellUnit.id == other).first())["building"]
    await scope_staff(lead, world.community_id, "building_lead", (building,))
    signature_count = await AgreementSignature.count()
    for phone in ("13800000104", world.phones["other_facilitator"], None):
        client.cookies.clear()
        client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
        if phone:
            await client.signin(phone)
        page = await client.get(f"/p/{project_id}/agreement")
        assert page.status_code == 200 and "Signed for 0 of 10" in page.text and "业主" not in page.text, phone
        assert refused(await enter_paper(client, project_id, world, "3-2-302")), phone
        assert refused(await client.post_form(f"/p/{project_id}/agreement/generate", {"confirm": "yes"})), phone
        assert refused(await client.post_form(f"/p/{project_id}/agreement/sign", form)), phone
    assert await AgreementSignature.count() == signature_count
    assert await ProjectAgreement.count() == 1


async def test_changing_the_shares_voids_the_signatures_and_says_so(client, make_account):
    world = await make_world(make_account)
    project_id, _vote = await approved_project(client, world)
    await client.post_form(f"/p/{project_id}/agreement/generate", {})
    await client.signin(world.phones["top_owner"])
    form = await sign_form(client, project_id, world.flats["3-2-601"])
    assert (await client.post_form(f"/p/{project_id}/agreement/sign", form)).status_code == 303
    # Generating again on purpose (an owner on a title changed) voids the signature given, and says so.
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    assert (await client.post_form(f"/p/{project_id}/agreement/generate", {"confirm": "yes"})).status_code == 303
    page = (await client.get(f"/p/{project_id}/agreement")).text
    assert "Version 1 was replaced (generated again): the 1 signature given under it is void." in page
    assert "Signed for 0 of 10" in page
    # The facilitator starts a new vote and changes the scheme: the agreement no longer matches the shares.
    await client.post_form(f"/p/{project_id}/new-vote", {})
    await client.post_form(f"/p/{project_id}/terms", {"total": "300000", "scheme": "area"})
    page = (await client.get(f"/p/{project_id}/agreement")).text
    assert "The shares changed after version 2 of the agreement was generated" in page
    await client.signin(world.phones["top_owner"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    response = await client.post_form(f"/p/{project_id}/agreement/sign", {**form, "text_sha256": "x"})
    assert response.status_code == 409 and "no agreement to sign" in response.text
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(f"/p/{project_id}/agreement/generate", {})
    assert response.status_code == 409 and "once the project is approved" in response.text
    voided = await ProjectAgreement.select(ProjectAgreement.version, ProjectAgreement.void_reason).order_by(ProjectAgreement.version)
    assert voided == [{"version": 1, "void_reason": "generated_again"}, {"version": 2, "void_reason": ""}]
    assert await AuditLog.count().where(AuditLog.action == "project_agreement_voided") == 1
