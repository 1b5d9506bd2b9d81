"""Minutes from the record: the known meeting's content, sign-off by two accounts, publication, privacy, addenda."""

from __future__ import annotations

import json
import re

import pytest
from test_minutes_world import DISCLOSURE, NOTICED_AT, PASSWORD, RESIDENT_NAMES, STARTS_AT, build_world

from community import i18n
from community.accounts import CurrentUser
from community.canonical import iso
from deliberation.minutes import drafts, service
from deliberation.minutes.tables import Minutes, Publication, Signoff
from deliberation.tables import ItemNote
from votes.tally_cli import recount_main


def as_user(account_id: int) -> CurrentUser:
    return CurrentUser(account_id, "", None, None, False, 0)


async def start(client, world) -> int:
    await client.signin("13800000101", PASSWORD)
    response = await client.post_form(f"/c/{world.slug}/minutes", {"start": f"meeting-{world.meeting_id}"})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[2])


async def sign(client, minutes_id: int, phone: str, role: str) -> int:
    client.cookies.clear()
    await client.signin(phone, PASSWORD)
    page = (await client.get(f"/minutes/{minutes_id}/edit")).text
    seen = re.search(r'name="hash" value="([0-9a-f]{64})"', page)
    assert seen, page
    response = await client.post_form(f"/minutes/{minutes_id}/sign", {"role": role, "hash": seen.group(1)})
    return response.status_code


async def publish(client, world, minutes_id: int) -> None:
    assert await sign(client, minutes_id, "13800000102", "recorder") == 303
    assert await sign(client, minutes_id, "13800000101", "facilitator") == 303
    response = await client.post_form(f"/minutes/{minutes_id}/publish")
    assert response.status_code == 303, response.text
    client.cookies.clear()


async def test_the_known_meeting_gives_the_expected_minutes(client):
    world = await build_world()
    minutes_id = await drafts.start_for_meeting(as_user(world.facilitator), world.slug, world.meeting_id)
    draft = await service.draft(as_user(world.facilitator), minutes_id)
    content = draft.content
    meeting = content["meeting"]
    assert content["community"] == {"slug": "xingfu", "name": "幸福里社区", "street": "长宁街道"}
    assert meeting["kind"] == "owners" and meeting["scope"]["kind"] == "stairwell_unit"
    assert meeting["time"]["starts_at"] == iso(STARTS_AT)
    assert meeting["place"] == {"venue": "社区议事厅", "address": "幸福里12号"}
    assert meeting["guests"] == [{"role": "expert", "organisation": "市电梯协会"}]
    attendance = meeting["attendance"]
    assert (attendance["households_present"], attendance["households"]) == (8, 12)
    assert (attendance["area_present"], attendance["area"]) == (62000, 96000)
    assert attendance["by_method"] == {"paper": 3, "qr": 5}
    assert meeting["notices"] == [
        {"number": 1, "published_at": iso(NOTICED_AT), "items": ["加装电梯方案及表决", "费用分摊办法说明"]}
    ]
    first, second = meeting["items"]
    assert first["noticed_in"] == 1 and first["status"] == "decided"
    assert first["notes"]["objections"] == "一楼住户担心采光。"
    assert second["votes"] == []
    vote = first["votes"][0]
    assert vote["matter"] == 7 and vote["kind"] == "owners"
    assert vote["electorate"]["entities"] == 11 and vote["electorate"]["area"] == 96000
    result = vote["result"]
    assert result["outcome"] == "passed"
    assert result["participating"] == {"headcount": 9, "area": "800.00"}
    assert result["agreeing"] == {"headcount": 7, "area": "620.00"}
    assert result["thresholds"] == {"participation": "2/3", "approval": "3/4"}
    assert vote["ballots"]["returned"] == 9 and vote["ballots"]["by_channel"] == {"online": 6, "paper": 3}
    assert vote["counting"]["counters"] == ["grid_worker"]
    assert vote["counting"]["scrutineers"] == ["building_lead"]
    assert (vote["counting"]["paper_entered"], vote["counting"]["paper_rejected"]) == (4, 1)
    assert vote["counting"]["rejection_reasons"] == ["签名与登记不符"]
    assert vote["settings"]["disclosure"] == "secret" and vote["settings"]["spoiled_ballots"] == "participate"
    assert vote["record"]["result"] == result
    assert content["remedy"]["years"] == 1
    assert content["buildings"] == ["3号楼"]
    text = json.dumps(content, ensure_ascii=False)
    for name in (*RESIDENT_NAMES, "主持人甲", "记录员乙", "刘工"):
        assert name not in text, name
    assert draft.missing == ["recorder", "facilitator"] and draft.open_votes == []


async def test_sign_off_by_two_accounts_then_publication(client, assert_translated):
    world = await build_world()
    minutes_id = await start(client, world)
    response = await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "会议**顺利**召开。", "action": "save"})
    assert response.status_code == 303
    # Publishing before the sign-offs is refused.
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 409
    assert await sign(client, minutes_id, "13800000102", "recorder") == 303
    # The recorder cannot sign as facilitator, nor publish.
    assert (await client.post_form(f"/minutes/{minutes_id}/sign", {"role": "facilitator", "hash": "0" * 64})).status_code == 403
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 403
    assert await sign(client, minutes_id, "13800000101", "facilitator") == 303
    edit = (await client.get(f"/minutes/{minutes_id}/edit")).text
    assert "disabled" not in edit.split(f'action="/minutes/{minutes_id}/publish"')[1].split("</form>")[0]
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 303
    publication = await Publication.select().where(Publication.minutes == minutes_id).first()
    assert publication["seq"] == 1 and publication["previous"] == "0" * 64
    assert json.loads(publication["content"])["summary"] == "会议**顺利**召开。"
    assert [s["role"] for s in json.loads(publication["content"])["signoffs"]] == ["facilitator", "recorder"]

    # Anyone reads it without signing in, in both languages, without a resident's or staff member's name.
    client.cookies.clear()
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = await client.get(f"/minutes/{minutes_id}")
        assert page.status_code == 200
        # No YISHI_PUBLIC_URL here: its links come from the Host header, so no shared cache may keep it.
        assert page.headers["cache-control"] == "private, no-cache"
        html = page.text
        assert publication["sha256"][:4].upper() in html
        assert '<meta property="og:title"' in html and '<meta property="og:description"' in html
        assert f'<meta property="og:url" content="http://testserver.local/minutes/{minutes_id}">' in html
        assert "<svg" in html and 'class="qr"' in html
        assert "<strong>顺利</strong>" in html
        for name in (*RESIDENT_NAMES, "主持人甲", "记录员乙", "刘工"):
            assert name not in html, name
        # Per-household choices are not public.
        assert "3-2-302" not in html
        assert_translated(html, language, data={"幸福里社区", "长宁街道", "3号楼2单元加装电梯业主会议", "3号楼2单元加装电梯",
                                                "社区议事厅", "幸福里12号", "市电梯协会", "加装电梯方案及表决", "费用分摊办法说明",
                                                "方案见单元门口公示。", "按楼层系数分摊。", "多数业主支持加装。", "一楼住户担心采光。",
                                                "电梯井位置放在北侧。", "施工期间的出入安排。", "是否同意在本单元加装一部电梯？",
                                                "会议", "顺利", "召开。", "签名与登记不符", "3号楼 2单元", "阳光花园 3号楼 2单元",
                                                "3号楼", "2单元", "yishi recount", "yishi audit verify"})  # fmt: skip
    css = await client.get(f"/minutes/{minutes_id}/print.css")
    assert css.headers["content-type"].startswith("text/css") and "@bottom-left" in css.text


async def test_a_change_after_signing_voids_the_sign_off(client):
    world = await build_world()
    minutes_id = await start(client, world)
    assert await sign(client, minutes_id, "13800000102", "recorder") == 303
    assert await sign(client, minutes_id, "13800000101", "facilitator") == 303
    # The recorder's notes change after both signed: the signed version is no longer the current one.
    await ItemNote.update({ItemNote.open_points: "另行商议。"}).where(ItemNote.item == world.item_ids[0])
    response = await client.post_form(f"/minutes/{minutes_id}/publish")
    assert response.status_code == 409
    assert "签" in response.text
    edit = (await client.get(f"/minutes/{minutes_id}/edit")).text
    assert edit.count("mn-sign-due") == 2
    # Signing with the hash of a version that is not the current one is refused too.
    stale = (await Signoff.select(Signoff.content_hash).where(Signoff.minutes == minutes_id).first())["content_hash"]
    response = await client.post_form(f"/minutes/{minutes_id}/sign", {"role": "facilitator", "hash": stale})
    assert response.status_code == 409
    assert not await Publication.exists().where(Publication.minutes == minutes_id)


async def test_narrative_editing_keeps_what_was_typed_and_previews_safely(client, assert_translated):
    world = await build_world()
    minutes_id = await start(client, world)
    too_long = "长" * 20001
    response = await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": too_long, "action": "save"})
    assert response.status_code == 422
    assert too_long in response.text
    assert "20,000" in response.text or "20000" in response.text
    row = await Minutes.select(Minutes.narrative).where(Minutes.id == minutes_id).first()
    assert "summary" not in (json.loads(row["narrative"]) if isinstance(row["narrative"], str) else row["narrative"])
    preview = await client.post_form(
        f"/minutes/{minutes_id}/preview",
        {"part": "summary", "text": "**同意**<script>alert(1)</script>[x](javascript:alert(1))"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert "<strong>同意</strong>" in preview.text
    assert "<script>" not in preview.text and "&lt;script&gt;" in preview.text  # shown as text, never run
    assert 'href="javascript' not in preview.text
    assert 'id="preview-summary"' in preview.text
    # Without JavaScript, "Preview" shows the page again with the text and its preview, unsaved.
    page = await client.post_form(f"/minutes/{minutes_id}/parts/item-{world.item_ids[0]}", {"text": "*说明*", "action": "preview"})
    assert page.status_code == 200 and "<em>说明</em>" in page.text and "*说明*" in page.text
    # A part that is not one of this draft's is not found.
    assert (await client.post_form(f"/minutes/{minutes_id}/parts/item-99999", {"text": "x"})).status_code == 404
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        html = (await client.get(f"/minutes/{minutes_id}/edit")).text
        assert 'hx-trigger="keyup changed delay:500ms' in html
        assert_translated(html, language, data={"幸福里社区", "3号楼2单元加装电梯业主会议", "主持人甲", "记录员乙", "网格员丙",
                                                "楼栋长丁", "加装电梯方案及表决", "费用分摊办法说明", "说明"})  # fmt: skip


async def test_who_signs_is_two_different_staff_members(client):
    world = await build_world()
    minutes_id = await start(client, world)
    response = await client.post_form(
        f"/minutes/{minutes_id}/settings",
        {"title": "新标题", "facilitator": str(world.facilitator), "recorder": str(world.facilitator)},
    )
    assert response.status_code == 422
    assert "新标题" in response.text
    response = await client.post_form(
        f"/minutes/{minutes_id}/settings",
        {"title": "新标题", "facilitator": str(world.facilitator), "recorder": str(world.counter)},
    )
    assert response.status_code == 303
    # The recorder named before can no longer sign.
    client.cookies.clear()
    await client.signin("13800000102", PASSWORD)
    page = (await client.get(f"/minutes/{minutes_id}/edit")).text
    assert 'name="role" value="recorder"' not in page


async def test_drafts_are_for_the_communitys_staff_only(client):
    world = await build_world()
    minutes_id = await start(client, world)
    client.cookies.clear()
    assert (await client.get(f"/minutes/{minutes_id}")).status_code == 404
    assert (await client.get(f"/minutes/{minutes_id}.json")).status_code == 404
    await client.signin("13900000101", PASSWORD)  # an owner of the scope
    assert (await client.get(f"/minutes/{minutes_id}")).status_code == 404
    assert (await client.get(f"/minutes/{minutes_id}/edit")).status_code == 404
    client.cookies.clear()
    await client.signin("13800000105", PASSWORD)  # a facilitator of another community
    assert (await client.get(f"/minutes/{minutes_id}/edit")).status_code == 404
    assert (await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "x"})).status_code == 404
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 404
    assert (await client.get(f"/c/{world.slug}/minutes")).status_code == 403
    response = await client.post_form(f"/c/{world.slug}/minutes", {"start": f"meeting-{world.meeting_id}"})
    assert response.status_code == 403
    # … and cannot start minutes of this community's meeting from their own community either.
    response = await client.post_form(f"/c/{world.other_slug}/minutes", {"start": f"meeting-{world.meeting_id}"})
    assert response.status_code == 404
    client.cookies.clear()
    await client.signin("13800000103", PASSWORD)  # a grid worker reads drafts, but does not edit
    assert (await client.get(f"/minutes/{minutes_id}")).status_code == 200
    assert (await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "x"})).status_code == 403


async def test_one_set_of_minutes_per_meeting(client):
    world = await build_world()
    await start(client, world)
    response = await client.post_form(f"/c/{world.slug}/minutes", {"start": f"meeting-{world.meeting_id}"})
    assert response.status_code == 409


async def test_published_minutes_never_change_and_addenda_link_both_ways(client):
    world = await build_world()
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    await client.signin("13800000101", PASSWORD)
    assert (await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "改一下"})).status_code == 409
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 409
    before = await Publication.select(Publication.content, Publication.sha256).where(Publication.minutes == minutes_id).first()
    response = await client.post_form(f"/minutes/{minutes_id}/addendum")
    assert response.status_code == 303
    addendum_id = int(response.headers["location"].split("/")[2])
    await client.post_form(f"/minutes/{addendum_id}/parts/correction", {"text": "第二项应为“已议定”。"})
    await publish(client, world, addendum_id)
    after = await Publication.select(Publication.content, Publication.sha256).where(Publication.minutes == minutes_id).first()
    assert after == before
    second = await Publication.select().where(Publication.minutes == addendum_id).first()
    assert second["seq"] == 2 and second["previous"] == before["sha256"] and second["kind"] == "addendum"
    original_page = (await client.get(f"/minutes/{minutes_id}")).text
    assert f'href="/minutes/{addendum_id}"' in original_page
    addendum_page = (await client.get(f"/minutes/{addendum_id}")).text
    assert f'href="/minutes/{minutes_id}"' in addendum_page
    assert "第二项应为“已议定”。" in addendum_page


async def test_a_secret_votes_households_are_hidden_even_from_its_owners(client, tmp_path):
    world = await build_world()
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    public = (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")).json()
    assert not any(b["unit"].startswith("3-") for b in public["ballots"])
    for language, secret in (("zh", "本次为无记名投票"), ("en", "This vote was secret")):
        client.cookies.set("yishi_lang", language)
        await client.signin("13900000101", PASSWORD)  # an owner in the vote's scope
        assert (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")).json() == public
        page = (await client.get(f"/minutes/{minutes_id}")).text
        assert "3-2-302" not in page and secret in page
        client.cookies.clear()
        await client.signin("13800000101", PASSWORD)  # not even the facilitator, on the page
        assert "3-2-302" not in (await client.get(f"/minutes/{minutes_id}")).text
        client.cookies.clear()


async def test_the_public_chain_carries_only_the_pseudonymised_record(client, tmp_path):
    world = await build_world()
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    chain = await client.get(f"/c/{world.slug}/chain.json")
    assert chain.status_code == 200
    assert not any(f"3-2-{room}" in chain.text for room in ("101", "201", "302", "601"))
    # The minutes' copy is the vote's own public record: the same pseudonyms, and it recounts.
    in_minutes = (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")).json()
    assert in_minutes == (await client.get(f"/v/{world.vote_id}/record.json")).json()
    path = tmp_path / "chained.json"
    path.write_text(json.dumps(in_minutes, ensure_ascii=False), encoding="utf-8")
    assert recount_main([str(path)]) == 0


async def test_vote_records_recount_and_hide_households_from_the_public(client, tmp_path, monkeypatch):
    monkeypatch.setitem(DISCLOSURE, "value", "open")
    world = await build_world()
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    records = await client.get(f"/minutes/{minutes_id}.json")
    assert records.status_code == 200 and records.headers["content-type"].startswith("application/json")
    document = records.json()
    assert document["schema"] == "yishi.minutes-records/1"
    public = document["records"][0]["record"]
    assert "3-2-302" not in records.text and "o00" not in records.text
    single = await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")
    assert single.json() == public
    path = tmp_path / "public.json"
    path.write_text(single.text, encoding="utf-8")
    assert recount_main([str(path)]) == 0
    # An owner in the vote's scope (an open vote) sees the real units, and it recounts the same.
    await client.signin("13900000101", PASSWORD)
    full = (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")).json()
    assert any(b["unit"] == "3-2-302" and b["choice"] == "oppose" for b in full["ballots"])
    path.write_text(json.dumps(full, ensure_ascii=False), encoding="utf-8")
    assert recount_main([str(path)]) == 0
    page = (await client.get(f"/minutes/{minutes_id}")).text
    assert "3-2-302" in page
    # An owner outside the scope sees what the public sees.
    client.cookies.clear()
    await client.signin("13900000102", PASSWORD)
    assert (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}.json")).json() == public
    assert "3-2-302" not in (await client.get(f"/minutes/{minutes_id}")).text
    assert (await client.get(f"/minutes/{minutes_id}/votes/99999.json")).status_code == 404
    assert (await client.get(f"/minutes/{minutes_id}/votes/{world.vote_id}")).status_code == 404


async def test_a_written_consultation_gets_minutes(client):
    world = await build_world()
    await client.signin("13800000101", PASSWORD)
    workspace = (await client.get(f"/c/{world.slug}/minutes")).text
    assert f'value="vote-{world.consultation_id}"' in workspace
    # A vote that belongs to a meeting goes into that meeting's minutes.
    assert (await client.post_form(f"/c/{world.slug}/minutes", {"start": f"vote-{world.vote_id}"})).status_code == 409
    response = await client.post_form(f"/c/{world.slug}/minutes", {"start": f"vote-{world.consultation_id}"})
    minutes_id = int(response.headers["location"].split("/")[2])
    await client.post_form(
        f"/minutes/{minutes_id}/settings",
        {"title": "3号楼2单元外墙保温书面征求意见", "facilitator": str(world.facilitator), "recorder": str(world.recorder)},
    )
    await publish(client, world, minutes_id)
    page = (await client.get(f"/minutes/{minutes_id}")).text
    assert "书面征求意见" in page
    content = json.loads((await Publication.select(Publication.content).where(Publication.minutes == minutes_id).first())["content"])
    assert content["form"] == "written" and content["votes"][0]["result"]["outcome"] == "rejected"


@pytest.mark.parametrize("ref", ["abc", "12x.json", "-1", "99999999999999"])
async def test_malformed_addresses_are_not_found(client, ref):
    assert (await client.get(f"/minutes/{ref}")).status_code == 404


async def test_the_silent_majority_clause_publishes_the_strict_and_the_adjusted_result(client):
    from deliberation.minutes.audit import verify
    from deliberation.minutes.gather import record_from_tables
    from votes.record import record_to_json, result_to_json, tally_record
    from votes.tables import Vote, VoteFlat, VoteRecordFile

    world = await build_world()
    settings = (await Vote.select(Vote.settings).where(Vote.id == world.vote_id).output(load_json=True).first())["settings"]
    await Vote.update({Vote.settings: {**settings, "silent_majority": True}}).where(Vote.id == world.vote_id)
    await VoteFlat.update({VoteFlat.served: True}).where((VoteFlat.vote == world.vote_id) & VoteFlat.unit.is_in(["3-2-501", "3-2-602"]))
    record = await record_from_tables(world.vote_id)
    result = result_to_json(tally_record(record))
    assert result["adjusted"] is not None
    body = record_to_json(record)
    body["result"] = result
    await Vote.update({Vote.result: result}).where(Vote.id == world.vote_id)
    await VoteRecordFile.update({VoteRecordFile.body: json.dumps(body, ensure_ascii=False)}).where(VoteRecordFile.vote == world.vote_id)
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/minutes/{minutes_id}")).text
    assert "Strict result" in page and "Adjusted result (silent-majority clause)" in page
    assert "2 flats provably served" in page
    assert (await verify(world.slug)).intact


async def test_two_publications_at_the_same_moment_each_get_their_own_place_in_the_chain(client):
    import asyncio

    from deliberation.minutes.audit import verify

    world = await build_world()
    facilitator, recorder = as_user(world.facilitator), as_user(world.recorder)
    first = await drafts.start_for_meeting(facilitator, world.slug, world.meeting_id)
    second = await drafts.start_notice(facilitator, world.slug, world.vote_id)
    third = await drafts.start_for_vote(facilitator, world.slug, world.consultation_id)
    await drafts.save_settings(facilitator, third, {"title": "外墙保温", "facilitator": str(world.facilitator),
                                                     "recorder": str(world.recorder)})  # fmt: skip
    for minutes_id, roles in ((first, ("recorder", "facilitator")), (second, ("facilitator",)), (third, ("recorder", "facilitator"))):
        current = (await service.draft(facilitator, minutes_id)).hash
        for role in roles:
            await service.sign(recorder if role == "recorder" else facilitator, minutes_id, role, current)
    seqs = await asyncio.gather(*(service.publish(facilitator, m) for m in (first, second, third)))
    assert sorted(seqs) == [1, 2, 3]
    rows = await Publication.select(Publication.seq, Publication.sha256, Publication.previous).order_by(Publication.seq)
    assert [r["previous"] for r in rows] == ["0" * 64, rows[0]["sha256"], rows[1]["sha256"]]
    assert (await verify(world.slug)).intact


async def test_the_database_refuses_two_publications_in_one_place_of_a_chain(client):
    from datetime import UTC, datetime

    from community.db import is_unique_violation
    from community.tables import Community

    community = (await Community.insert(Community(slug="chain", name="链社区")).returning(Community.id))[0]["id"]
    moment = datetime.now(UTC).replace(microsecond=0)
    row = {"community": community, "seq": 1, "kind": "minutes", "content": "{}", "previous": "0" * 64,
           "published_at": moment, "title": "x", "year": moment.year}  # fmt: skip
    await Publication.insert(Publication(**row, sha256="a" * 64))
    with pytest.raises(Exception) as refused:
        await Publication.insert(Publication(**row, sha256="b" * 64))
    assert is_unique_violation(refused.value)
