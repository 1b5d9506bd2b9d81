"""The concerns loop through the pages: a resident raises one from the phone with a photo, the facilitator
dispatches it, the grid worker logs progress and answers, the resident is not satisfied, it is reopened,
answered again and rated satisfied. Bad input is refused with a translated message and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from concerns_world import PHONES, build, png

from community import i18n
from deliberation.concerns import clock, photos
from deliberation.concerns.tables import Concern, ConcernPhoto, ConcernRating, ConcernStep


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path))
    return tmp_path


def due(days: int) -> str:
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=days)).isoformat()


async def raise_one(client, world, text="楼道灯坏了，晚上看不清。", files=None, **extra):
    await client.signin(PHONES["owner"])
    token = await client.csrf()
    data = {"kind": "repair", "place": f"flat:{world.flats['1-101']}", "text": text, "_csrf_token": token, **extra}
    return await client.post("/c/xfl/concerns/new", data=data, files=files or [])


async def state(concern_id: int) -> tuple:
    row = await Concern.select().where(Concern.id == concern_id).first()
    steps = await ConcernStep.count().where(ConcernStep.concern == concern_id)
    ratings = await ConcernRating.count().where(ConcernRating.concern == concern_id)
    return row["status"], row["answers"], row["reopen_count"], row["handler_account"], steps, ratings


async def test_the_whole_loop_on_the_pages(client, make_account, upload_dir):
    world = await build(make_account)
    await client.signin(PHONES["owner"])
    page = (await client.get("/c/xfl/concerns/new")).text
    assert f'value="flat:{world.flats["1-101"]}" checked' in page  # their own flat is prefilled
    response = await raise_one(client, world, files=[("photos", ("p.png", png(), "image/png"))], public_text="1")
    assert response.status_code == 303
    concern_id = int(re.search(r"/concerns/(\d+)", response.headers["location"]).group(1))
    row = await Concern.select().where(Concern.id == concern_id).first()
    assert (row["status"], row["channel"], row["reporter"], row["building"]) == ("received", "app", world.people["owner"], world.buildings["1"])
    stored = await ConcernPhoto.select().where(ConcernPhoto.concern == concern_id).first()
    assert stored["content_type"] == "image/png" and photos.path_of(stored["stored_name"]).exists()
    assert "photos" not in str(upload_dir / "deliberation")  # a directory of their own
    assert (await client.get(f"/concerns/{concern_id}/photos/{stored['id']}")).status_code == 200

    # The facilitator dispatches it to the grid worker of building 1, due in three days.
    await client.signin(PHONES["facilitator"])
    listed = (await client.get("/c/xfl/concerns")).text
    assert f"/concerns/{concern_id}" in listed
    response = await client.post_form(f"/concerns/{concern_id}/dispatch",
                                      {"handler": f"account:{world.people['grid']}", "due_on": due(3)})
    assert response.status_code == 303, response.text
    row = await Concern.select().where(Concern.id == concern_id).first()
    assert row["status"] == "assigned" and row["first_response_at"] is not None and row["due_at"] is not None

    # The grid worker logs progress, an internal note, and answers.
    await client.signin(PHONES["grid"])
    assert (await client.post_form(f"/concerns/{concern_id}/steps", {"step_text": "已联系电工。"})).status_code == 303
    assert (await client.post_form(f"/concerns/{concern_id}/steps", {"step_text": "电工说周三来。", "internal": "1"})).status_code == 303
    assert (await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "灯已换好。"})).status_code == 303
    assert (await state(concern_id))[:2] == ("answered", 1)

    # The resident reads the log (not the internal note) and is not satisfied: reopened.
    await client.signin(PHONES["owner"])
    page = (await client.get(f"/concerns/{concern_id}")).text
    assert "灯已换好。" in page and "已联系电工。" in page and "电工说周三来。" not in page
    assert PHONES["grid"] not in page and "张网格" not in page  # staff appear by role to residents
    assert (await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "not_satisfied", "comment": "还是暗"})).status_code == 303
    assert (await state(concern_id))[:3] == ("reopened", 1, 1)

    # Answered again, rated satisfied: closed, not counted as solved at the first handling.
    await client.signin(PHONES["grid"])
    assert (await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "加装了一盏灯。"})).status_code == 303
    await client.signin(PHONES["owner"])
    assert (await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied"})).status_code == 303
    row = await Concern.select().where(Concern.id == concern_id).first()
    assert (row["status"], row["rating"], row["reopen_count"], row["answers"]) == ("closed", "satisfied", 1, 2)
    assert row["closed_at"] is not None
    actions = [s["action"] for s in await ConcernStep.select(ConcernStep.action).where(ConcernStep.concern == concern_id).order_by(ConcernStep.id)]
    assert actions == ["received", "assigned", "progress", "note", "answered", "rated", "reopened", "answered", "rated", "closed"]

    # Rating twice is refused and changes nothing.
    before = await state(concern_id)
    response = await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "not_satisfied"})
    assert response.status_code == 409
    assert await state(concern_id) == before


async def test_a_concern_sent_twice_is_raised_once(client, make_account, upload_dir):
    """The form sent again (a double tap without JavaScript; four at once): one concern, every sending answered
    with it, its photo stored once. The same words about another spot are a concern of their own."""
    import asyncio

    world = await build(make_account)
    sent = [await raise_one(client, world, text="单元门关不上", files=[("photos", ("p.png", png(), "image/png"))])
            for _ in range(2)]  # fmt: skip
    sent += await asyncio.gather(*[raise_one(client, world, text="单元门关不上") for _ in range(4)])
    assert {r.status_code for r in sent} == {303} and len({r.headers["location"] for r in sent}) == 1
    assert await Concern.count() == 1 and await ConcernPhoto.count() == 1
    stored = {p.name for p in upload_dir.rglob("*") if p.is_file()}
    kept = {str(r["stored_name"]) for r in await ConcernPhoto.select(ConcernPhoto.stored_name)}
    stems = {name.split(".")[0] for name in kept}
    assert stored and all(f.split(".")[0].removesuffix("-thumb") in stems for f in stored), (stored, kept)  # only its own
    other = await raise_one(client, world, text="单元门关不上", place_note="后门")
    assert other.status_code == 303 and await Concern.count() == 2


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_bad_intake_is_refused_and_changes_nothing(client, make_account, language):
    world = await build(make_account)
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    cases = [
        ({"text": "   "}, [], "Please describe the concern."),
        ({"text": "长" * 2001}, [], "The text can have at most 2,000 characters."),
        ({}, [("photos", (f"{n}.png", png(), "image/png")) for n in range(4)], "At most 3 photos can be attached."),
        ({}, [("photos", ("a.pdf", b"%PDF-1.4 not a photo", "application/pdf"))], "Only photos (JPEG, PNG or WebP) can be attached."),
        ({}, [("photos", ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * (photos.MAX_BYTES + 1), "image/png"))],
         "A photo is larger than 8 MB. Please send a smaller one."),
        ({"kind": "gossip"}, [], "Please choose what kind of concern it is."),
        ({"place": f"flat:{world.flats['2-201']}"}, [], "Please choose where it is: your building or a common area."),
    ]
    for extra, files, message in cases:
        response = await raise_one(client, world, files=files, **extra)
        assert response.status_code == 422, (extra, response.status_code)
        with i18n.language(language):
            assert i18n.gettext(message) in response.text.replace("&#39;", "'"), message
    assert await Concern.count() == 0 and await ConcernPhoto.count() == 0


async def test_bad_handling_is_refused_and_changes_nothing(client, make_account):
    world = await build(make_account)
    response = await raise_one(client, world)
    concern_id = int(re.search(r"/concerns/(\d+)", response.headers["location"]).group(1))
    # Rating before an answer.
    before = await state(concern_id)
    response = await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied"})
    assert response.status_code == 409 and "尚未答复" in response.text
    assert await state(concern_id) == before
    # Dispatch to a handler outside the community, with no due date, to the past.
    await client.signin(PHONES["facilitator"])
    for data, message in (
        ({"handler": f"account:{world.people['other_facilitator']}", "due_on": due(2)}, "不是本社区的工作人员"),
        ({"handler": f"account:{world.people['grid']}", "due_on": ""}, "办理期限"),
        ({"handler": f"account:{world.people['grid']}", "due_on": due(-1)}, "不能早于今天"),
        ({"handler": "property", "due_on": due(2)}, "外部单位的名称"),
        ({"handler": "", "due_on": due(2)}, "由谁办理"),
    ):
        response = await client.post_form(f"/concerns/{concern_id}/dispatch", data)
        assert response.status_code == 422 and message in response.text, (data, response.text[-1500:])
        assert await state(concern_id) == before
    # Progress and answers need a dispatched concern; an empty answer is refused.
    assert (await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "好"})).status_code == 409
    await client.post_form(f"/concerns/{concern_id}/dispatch", {"handler": f"account:{world.people['grid']}", "due_on": due(2)})
    after_dispatch = await state(concern_id)
    assert (await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "  "})).status_code == 422
    assert await state(concern_id) == after_dispatch
    # A rating by someone else: another resident cannot see it; staff must say they record it for the resident.
    await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "已处理。"})
    answered = await state(concern_id)
    await client.signin(PHONES["tenant"])
    assert (await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied"})).status_code == 404
    await client.signin(PHONES["facilitator"])
    response = await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied"})
    assert response.status_code == 403 and "只有提出诉求的居民" in response.text
    response = await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied", "on_behalf": "1"})
    assert response.status_code == 422  # how the resident's answer was heard is missing
    assert await state(concern_id) == answered
    # Recorded on the resident's behalf, marked as such.
    response = await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "basically_satisfied", "on_behalf": "1", "heard_by": "phone"})
    assert response.status_code == 303
    rating = await ConcernRating.select().where(ConcernRating.concern == concern_id).first()
    assert rating["on_behalf"] and rating["heard_by"] == "phone" and rating["rated_by"] == world.people["facilitator"]


async def test_staff_record_a_concern_for_someone_without_an_account(client, make_account):
    world = await build(make_account)
    await client.signin(PHONES["facilitator"])
    page = (await client.get("/c/xfl/concerns/new")).text
    assert 'name="on_behalf"' in page and "reporter_phone" in page
    data = {"on_behalf": "1", "channel": "visit", "reporter_name": "钱大爷", "reporter_phone": "138-0000-9999",
            "kind": "elderly", "place": f"unit:{world.units['2']}", "text": "独居老人需要定期探访。"}
    response = await client.post_form("/c/xfl/concerns/new", data)
    assert response.status_code == 303
    row = await Concern.select().order_by(Concern.id, ascending=False).first()
    assert (row["channel"], row["reporter"], row["reporter_name"], row["reporter_phone"], row["recorded_by"]) == (
        "visit", None, "钱大爷", "13800009999", world.people["facilitator"])
    page = (await client.get(f"/concerns/{row['id']}")).text
    assert "钱大爷" in page and "13800009999" in page  # staff see who raised it
    # A bad phone or channel is refused.
    for bad in ({"reporter_phone": "12ab"}, {"channel": "app"}):
        assert (await client.post_form("/c/xfl/concerns/new", {**data, **bad})).status_code == 422
    assert await Concern.count() == 1
    # The grid worker of building 1 cannot record one for building 2.
    await client.signin(PHONES["grid"])
    response = await client.post_form("/c/xfl/concerns/new", data)
    assert response.status_code == 422 and "超出了您的负责范围" in response.text
    assert await Concern.count() == 1


async def test_unrated_answers_close_by_the_clock_never_by_a_page(client, make_account):
    world = await build(make_account)
    response = await raise_one(client, world)
    concern_id = int(re.search(r"/concerns/(\d+)", response.headers["location"]).group(1))
    await client.signin(PHONES["facilitator"])
    await client.post_form(f"/concerns/{concern_id}/dispatch", {"handler": f"account:{world.people['grid']}", "due_on": due(2)})
    await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "已处理。"})
    await Concern.update({Concern.answered_at: datetime.now(UTC) - timedelta(days=6, hours=23)}).where(Concern.id == concern_id)
    assert await clock.tick() == []
    await Concern.update({Concern.answered_at: datetime.now(UTC) - timedelta(days=7, minutes=1)}).where(Concern.id == concern_id)
    await client.signin(PHONES["owner"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 200
    assert (await Concern.select(Concern.status).where(Concern.id == concern_id).first())["status"] == "answered"  # a read is a read
    assert await clock.tick() == [concern_id]
    assert await clock.tick() == []  # idempotent
    row = await Concern.select().where(Concern.id == concern_id).first()
    assert row["status"] == "closed" and row["rating"] == ""
    assert (await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "satisfied"})).status_code == 409


async def test_not_satisfied_twice_goes_to_the_street(client, make_account):
    world = await build(make_account)
    response = await raise_one(client, world)
    concern_id = int(re.search(r"/concerns/(\d+)", response.headers["location"]).group(1))
    await client.signin(PHONES["street"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 404  # not escalated: not the street's
    for _round in range(2):
        await client.signin(PHONES["facilitator"])
        await client.post_form(f"/concerns/{concern_id}/dispatch", {"handler": f"account:{world.people['grid']}", "due_on": due(2)})
        await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "已处理。"})
        await client.signin(PHONES["owner"])
        assert (await client.post_form(f"/concerns/{concern_id}/rate", {"rating": "not_satisfied"})).status_code == 303
    row = await Concern.select().where(Concern.id == concern_id).first()
    assert row["status"] == "reopened" and row["reopen_count"] == 2 and row["escalated_at"] is not None
    await client.signin(PHONES["street"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 200
    assert f"/concerns/{concern_id}" in (await client.get("/s/changning")).text
    assert (await client.post_form(f"/concerns/{concern_id}/answer", {"answer_text": "街道城管科已介入。"})).status_code == 303
    await client.signin(PHONES["other_street"])
    assert (await client.get(f"/concerns/{concern_id}")).status_code == 404
    assert f"/concerns/{concern_id}" not in (await client.get("/s/changning")).text
