"""Organising a meeting: venues, the meeting form, guests, the agenda, notices and the agenda lock, attachments."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from test_deliberation_world import DATA_NAMES, build_world, make_meeting

from community import i18n
from community.tables import AuditLog
from deliberation import lifecycle, uploads
from deliberation.tables import AgendaItem, Attachment, Meeting, MeetingGuest, Venue

# A meeting a week from today at 19:30 in Shanghai (11:30 UTC), never on a calendar date.
MEETING_DAY = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=7)).date()
STARTS_LOCAL = f"{MEETING_DAY.isoformat()}T19:30"
ENDS_LOCAL = f"{MEETING_DAY.isoformat()}T21:00"
STARTS_UTC = datetime.fromisoformat(STARTS_LOCAL).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "deliberation"


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def test_facilitator_adds_venues_and_typed_values_come_back_on_errors(client, world):
    await client.signin(world.phones["facilitator"])
    page = await client.get("/c/xfl/venues")
    assert page.status_code == 200 and "还没有场地" in page.text
    bad = await client.post_form("/c/xfl/venues", {"name": "", "address": "长宁路1号", "capacity": "many"})
    assert bad.status_code == 422
    assert "请填写场地名称" in bad.text and 'value="长宁路1号"' in bad.text and "座位数" in bad.text
    assert await Venue.count() == 0
    ok = await client.post_form("/c/xfl/venues", {"name": "3号楼议事厅", "address": "长宁路1号", "capacity": "40"})
    assert ok.status_code == 200 and "3号楼议事厅" in ok.text
    venue = await Venue.select().first()
    assert venue["capacity"] == 40 and venue["community"] == world.community
    await client.post_form(f"/c/xfl/venues/{venue['id']}", {"active": "0"})
    assert not (await Venue.select(Venue.active).first())["active"]


async def test_only_facilitators_organise(client, world):
    for who in ("owner", "recorder", "other_facilitator"):
        await client.signin(world.phones[who])
        assert (await client.get("/c/xfl/meetings/new")).status_code == 403, who
        assert (await client.get("/c/xfl/venues")).status_code == 403, who
        response = await client.post_form("/c/xfl/meetings/new", {"kind": "bench", "title": "x"})
        assert response.status_code == 403, who
    assert await Meeting.count() == 0


async def test_create_meeting_with_errors_then_valid(client, world):
    await client.signin(world.phones["facilitator"])
    venue = (await Venue.insert(Venue(community=world.community, name="议事厅")).returning(Venue.id))[0]["id"]
    form = await client.get("/c/xfl/meetings/new")
    assert form.status_code == 200
    assert "3号楼 1单元" in form.text  # stairwell units of the register are offered as scope
    bad = await client.post_form(
        "/c/xfl/meetings/new",
        {"kind": "bench", "title": "加装电梯协商", "scope_kind": "stairwell_unit", "starts_at": "", "speaking_limit": "0"},
    )
    assert bad.status_code == 422
    assert "请至少勾选一个小区、楼栋或单元" in bad.text
    assert "请填写会议开始的日期和时间" in bad.text
    assert 'value="加装电梯协商"' in bad.text
    assert await Meeting.count() == 0
    response = await client.post(
        "/c/xfl/meetings/new",
        data={
            "kind": "bench",
            "title": "加装电梯协商",
            "scope_kind": "stairwell_unit",
            "scope_unit": [str(world.units[0])],
            "starts_at": STARTS_LOCAL,
            "ends_at": ENDS_LOCAL,
            "venue": str(venue),
            "facilitator": str(world.people["facilitator"]),
            "recorder": str(world.people["recorder"]),
            "speaking_limit": "3",
            "_csrf_token": await client.csrf(),
        },
    )
    assert response.status_code == 303
    meeting = await Meeting.select().first()
    assert response.headers["location"] == f"/m/{meeting['id']}/manage"
    assert meeting["status"] == "draft" and meeting["scope_kind"] == "stairwell_unit"
    assert meeting["speaking_limit"] == 180 and meeting["venue"] == venue and meeting["projector_key"]
    assert meeting["starts_at"].astimezone().utcoffset() is not None
    assert meeting["starts_at"] == STARTS_UTC and STARTS_UTC.strftime("%H:%M") == "11:30"  # 19:30 in Shanghai
    manage = await client.get(f"/m/{meeting['id']}/manage")
    assert "议事厅" in manage.text and "1单元" in manage.text


async def test_venue_of_another_community_is_refused(client, world):
    foreign = (await Venue.insert(Venue(community=world.other_community, name="别处")).returning(Venue.id))[0]["id"]
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(
        "/c/xfl/meetings/new",
        {"kind": "hearing", "title": "听证", "scope_kind": "community", "starts_at": STARTS_LOCAL,
         "venue": str(foreign), "speaking_limit": "3"},
    )
    assert response.status_code == 422 and "请从社区的场地中选择" in response.text


async def test_agenda_while_draft_then_notice_locks_it(client, world):
    meeting_id, items = await make_meeting(world, status="draft", items=("一", "二", "三"))
    await client.signin(world.phones["facilitator"])
    # Move the last item up, without JavaScript (a redirect back to the page).
    moved = await client.post_form(f"/m/{meeting_id}/items/{items[2]}/move", {"direction": "up"})
    assert moved.status_code == 303
    order = [r["title"] for r in await AgendaItem.select(AgendaItem.title).order_by(AgendaItem.position)]
    assert order == ["一", "三", "二"]
    # With htmx the editor comes back as a fragment.
    fragment = await client.post(f"/m/{meeting_id}/items/{items[0]}/move", data={"direction": "down"},
                                 headers={"HX-Request": "true", "x-csrftoken": await client.csrf()})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<section id=\"agenda\"")
    bad = await client.post_form(f"/m/{meeting_id}/items", {"title": "", "description": "说明文字"})
    assert bad.status_code == 422 and "说明文字" in bad.text
    await client.post_form(f"/m/{meeting_id}/items", {"title": "四", "description": "- 第一点", "origin": "3号楼居民"})
    assert await AgendaItem.count().where(AgendaItem.meeting == meeting_id) == 4
    published = await client.post_form(f"/m/{meeting_id}/notice")
    assert published.status_code == 303
    assert (await Meeting.select(Meeting.status).first())["status"] == "noticed"
    first = (await lifecycle.notices(meeting_id))[0]
    assert first["number"] == 1 and [i["title"] for i in first["snapshot"]["items"]] == ["三", "一", "二", "四"]
    assert first["published_at"] is not None
    # Locked: no moving, editing or removing.
    for path, data in (
        (f"/m/{meeting_id}/items/{items[0]}/move", {"direction": "down"}),
        (f"/m/{meeting_id}/items/{items[0]}/edit", {"title": "改"}),
        (f"/m/{meeting_id}/items/{items[0]}/delete", {}),
    ):
        response = await client.post_form(path, data)
        assert response.status_code == 409, path
        assert "议程已锁定" in response.text
    # Publishing twice is refused.
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 409
    # Adding an item now publishes a second, dated notice; both stay on record.
    await client.post_form(f"/m/{meeting_id}/items", {"title": "五：临时增加"})
    notices = await lifecycle.notices(meeting_id)
    assert [n["number"] for n in notices] == [1, 2]
    assert len(notices[0]["snapshot"]["items"]) == 4 and len(notices[1]["snapshot"]["items"]) == 5
    page = await client.get(f"/m/{meeting_id}/notices")
    assert "第 1 号通知" in page.text and "第 2 号通知" in page.text and "补充通知" in page.text
    assert "<li>第一点</li>" in page.text  # the description's Markdown, rendered
    assert await AuditLog.count().where(AuditLog.action == "notice_published") == 2


async def test_publishing_needs_an_item(client, world):
    meeting_id, _items = await make_meeting(world, status="draft", items=())
    await client.signin(world.phones["facilitator"])
    response = await client.post_form(f"/m/{meeting_id}/notice")
    assert response.status_code == 409 and "请先添加至少一个议题" in response.text


async def test_lifecycle_start_and_close(client, world):
    meeting_id, _items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/start")).status_code == 409
    assert (await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})).status_code == 409
    await client.post_form(f"/m/{meeting_id}/notice")
    # Noticed for tomorrow: the session cannot start now (the manage page says from when it can).
    early = await client.post_form(f"/m/{meeting_id}/start")
    assert early.status_code == 409 and "会议通知的时间是" in early.text and "开始会议" in early.text
    assert (await Meeting.select(Meeting.status).first())["status"] == "noticed"
    # Ten minutes before the noticed time is within the default grace of fifteen minutes.
    await Meeting.update({Meeting.starts_at: datetime.now(UTC) + timedelta(minutes=10)}).where(Meeting.id == meeting_id)
    assert (await client.post_form(f"/m/{meeting_id}/start")).headers["location"] == f"/m/{meeting_id}/control"
    meeting = await Meeting.select().first()
    assert meeting["status"] == "in_session" and meeting["started_at"] is not None
    assert (await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})).status_code == 303
    assert (await Meeting.select(Meeting.status).first())["status"] == "closed"
    # A closed meeting can no longer change.
    assert (await client.post_form(f"/m/{meeting_id}/items", {"title": "迟到的议题"})).status_code == 409
    assert (await client.post_form(f"/m/{meeting_id}/edit", {"facilitator": ""})).status_code == 409


async def test_details_are_fixed_after_the_notice_but_people_can_change(client, world):
    meeting_id, _items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["facilitator"])
    page = await client.get(f"/m/{meeting_id}/edit")
    assert "通知已发布" in page.text and 'name="title"' not in page.text
    response = await client.post_form(
        f"/m/{meeting_id}/edit",
        {"title": "改过的标题", "facilitator": str(world.people["grid_worker"]), "recorder": ""},
    )
    assert response.status_code == 303
    meeting = await Meeting.select().first()
    assert meeting["title"] == "三号楼板凳会"  # unchanged
    assert meeting["facilitator"] == world.people["grid_worker"] and meeting["recorder"] is None
    bad = await client.post_form(f"/m/{meeting_id}/edit", {"facilitator": str(world.people["owner"])})
    assert bad.status_code == 422 and "请选择在本社区有职务的人" in bad.text


async def test_guests_with_roles(client, world):
    meeting_id, _items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    bad = await client.post_form(f"/m/{meeting_id}/guests", {"guest_name": "", "guest_role": "astronaut"})
    assert bad.status_code == 422 and "请填写嘉宾姓名" in bad.text
    await client.post_form(
        f"/m/{meeting_id}/guests", {"guest_name": "陈工", "guest_role": "expert", "guest_organisation": "电梯公司"}
    )
    await client.post_form(f"/m/{meeting_id}/guests", {"guest_name": "物业刘经理", "guest_role": "property_company"})
    guests = await MeetingGuest.select().order_by(MeetingGuest.id)
    assert [(g["name"], g["role"]) for g in guests] == [("陈工", "expert"), ("物业刘经理", "property_company")]
    page = await client.get(f"/m/{meeting_id}/manage")
    assert "陈工" in page.text and "专家" in page.text and "物业公司" in page.text
    await client.post_form(f"/m/{meeting_id}/guests/{guests[0]['id']}/delete")
    assert await MeetingGuest.count() == 1


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_attachments_are_checked_downscaled_and_served_safely(client, world, upload_dir):
    meeting_id, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    url = f"/m/{meeting_id}/items/{items[0]}/attachments"
    token = await client.csrf()
    # A script renamed to .jpg is refused: the type comes from the bytes.
    fake = await client.post(url, data={"_csrf_token": token}, files={"file": ("photo.jpg", b"<script>alert(1)</script>", "image/jpeg")})
    assert fake.status_code == 422 and "只能附加照片" in fake.text
    big = await client.post(url, data={"_csrf_token": token}, files={"file": ("scan.pdf", b"%PDF-1.4" + b"0" * (uploads.MAX_BYTES + 1), "application/pdf")})
    assert big.status_code in (413, 422)
    assert await Attachment.count() == 0
    photo = await client.post(url, data={"_csrf_token": token}, files={"file": ("楼道照片.jpg", _jpeg(3200, 2400), "image/jpeg")})
    assert photo.status_code == 303
    pdf = await client.post(url, data={"_csrf_token": token}, files={"file": ("方案.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert pdf.status_code == 303
    rows = await Attachment.select().order_by(Attachment.id)
    assert (rows[0]["width"], rows[0]["height"]) == (1600, 1200)  # downscaled for phones
    assert rows[0]["stored_name"] != "楼道照片.jpg" and re.fullmatch(r"[A-Za-z0-9_-]+\.jpg", rows[0]["stored_name"])
    assert (upload_dir / rows[0]["stored_name"].replace(".jpg", "-thumb.jpg")).exists()
    image = await client.get(f"/m/{meeting_id}/attachments/{rows[0]['id']}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''" in image.headers["content-disposition"]
    thumb = await client.get(f"/m/{meeting_id}/attachments/{rows[0]['id']}/thumb")
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    document = await client.get(f"/m/{meeting_id}/attachments/{rows[1]['id']}")
    assert document.headers["content-type"] == "application/pdf"
    # Someone outside the meeting cannot fetch them (404: the meeting is not even visible).
    await client.signin(world.phones["outsider"])
    assert (await client.get(f"/m/{meeting_id}/attachments/{rows[0]['id']}")).status_code == 404
    # The attachment id of another meeting is not reachable through this one.
    other_id, other_items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["owner"])
    assert (await client.get(f"/m/{other_id}/attachments/{rows[0]['id']}")).status_code == 404


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_organiser_pages_are_translated(client, world, assert_translated, language):
    meeting_id, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    for path in (
        "/meetings",
        "/c/xfl/meetings",
        "/c/xfl/venues",
        "/c/xfl/meetings/new",
        f"/m/{meeting_id}/manage",
        f"/m/{meeting_id}/edit",
        f"/m/{meeting_id}/items/{items[0]}/edit",
        f"/m/{meeting_id}/notices",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_translated(response.text, language, data=DATA_NAMES | {"三号楼板凳会", "加装电梯方案", "楼道堆物清理", "加装电梯方案的说明", "楼道堆物清理的说明", "的说明"})
