"""Input checked in one place: ids too large for the database are 404, malformed ones 400, control characters
refused with a translated 400 and nothing stored; and output stays well-formed whatever was stored: the Atom
feed parses, CSV cells are never formulas."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from test_deliberation_world import build_world, make_meeting

from app.demo import DEMO_PASSWORD
from community.roster_demo import load_roster_demo_community as load_demo
from community.safetext import csv_cell, csv_value, parse_id, xml_text
from community.tables import Person
from deliberation.tables import AgendaItem, Comment, Meeting, Venue

HUGE = "99999999999999999999"
INT32_PLUS = "3000000000"  # fits SQLite's integer, not PostgreSQL's


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def test_ids_too_large_for_the_database_are_not_found(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    paths = [
        f"/v/{HUGE}", f"/v/{INT32_PLUS}", f"/v/{HUGE}/board", f"/v/{HUGE}/record.json", f"/m/{HUGE}",
        f"/m/{meeting_id}/items/{HUGE}", f"/m/{meeting_id}/attachments/{INT32_PLUS}", f"/p/{HUGE}",
        f"/minutes/{HUGE}", f"/minutes/{INT32_PLUS}.json", "/minutes/999999999999", f"/notices/{HUGE}",
        f"/c/xfl/roster/flats/{HUGE}", f"/live/meeting-{HUGE}", f"/live/vote-{INT32_PLUS}",
    ]  # fmt: skip
    for who in (None, "facilitator"):
        if who:
            await client.signin(world.phones[who])
        for path in paths:
            response = await client.get(path)
            assert response.status_code in (303, 403, 404), (who, path, response.status_code)
        assert (await client.post_form(f"/m/{meeting_id}/items/{HUGE}/delete")).status_code in (303, 404)
    # Signed in, the answer is a plain 404 page in the visitor's language.
    response = await client.get(f"/v/{HUGE}")
    assert response.status_code == 404 and "找不到" in response.text


async def test_int_query_parameters_are_range_checked_and_malformed_ones_refused(client, world):
    meeting_id, items = await make_meeting(world, status="noticed")
    await client.signin(world.phones["facilitator"])
    assert (await client.get(f"/c/xfl/roster/not-joined?building={HUGE}")).status_code == 404
    assert (await client.get(f"/c/xfl/roster/not-joined?building={INT32_PLUS}")).status_code == 404
    assert (await client.get(f"/m/{meeting_id}/items/{items[0]}?before={HUGE}")).status_code == 404
    malformed = await client.get("/c/xfl/roster/not-joined?building=abc")
    assert malformed.status_code == 400 and "无法处理这个请求" in malformed.text
    # Integers the handler reads itself are parsed with the same bounds, or ignored.
    assert (await client.get(f"/c/xfl/roster/slips?building={HUGE}")).status_code == 200
    assert (await client.get(f"/c/xfl/votes/new?agenda_item={HUGE}")).status_code == 200
    assert (await client.get(f"/c/xfl?year={HUGE}&page={HUGE}")).status_code == 200
    start = await client.post_form("/c/xfl/minutes", {"start": f"meeting-{HUGE}"})
    assert start.status_code == 404
    current = await client.post_form(f"/m/{meeting_id}/current", {"item": HUGE})
    assert current.status_code < 500


async def test_control_characters_are_refused_at_input_and_nothing_is_stored(client, world):
    meeting_id, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    venues = await Venue.count()  # the test meeting's own venue
    for bad in ("三号楼\x00议事厅", "a\x01b", "x\x1bz", "y\x7f"):
        response = await client.post_form("/c/xfl/venues", {"name": bad, "address": "长宁路1号"})
        assert response.status_code == 400, repr(bad)
        assert "不可见控制字符" in response.text
    assert await Venue.count() == venues
    item = await client.post_form(f"/m/{meeting_id}/items", {"title": "议题\x00", "description": "说明"})
    assert item.status_code == 400 and await AgendaItem.count() == len(items)
    # The field's name counts too, and an upload's file name (browsers percent-encode most controls in it).
    named = await client.post_form("/c/xfl/venues", {"na\x00me": "x"})
    assert named.status_code == 400, (named.status_code, named.headers.get("location"))
    token = await client.csrf()
    upload = await client.post(f"/m/{meeting_id}/items/{items[0]}/attachments", data={"_csrf_token": token},
                               files={"file": ("scan\x1b.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})  # fmt: skip
    assert upload.status_code == 400
    # Tab, line feed and carriage return are ordinary text.
    ok = await client.post_form(f"/m/{meeting_id}/items", {"title": "议题\t一", "description": "第一行\r\n第二行"})
    assert ok.status_code == 303
    # In English too.
    client.cookies.set("yishi_lang", "en")
    english = await client.post_form("/c/xfl/venues", {"name": "a\x00b"})
    assert english.status_code == 400 and "invisible control characters" in english.text


async def test_control_characters_in_a_comment_or_the_query_or_the_path(client, world):
    meeting_id, items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["owner"])
    comment = await client.post_form(f"/m/{meeting_id}/items/{items[0]}/comments",
                                     {"position": "support", "body": "同意\x00"})  # fmt: skip
    assert comment.status_code == 400 and await Comment.count() == 0
    assert (await client.get("/c/xfl?q=%00")).status_code == 400
    assert (await client.get("/c/xfl?q=%E5%90%8C%01")).status_code == 400
    assert (await client.get("/c/x%00fl/votes")).status_code == 404
    assert (await client.get("/c/xfl?q=%E5%90%8C%09")).status_code == 200  # a tab is fine


async def test_the_feed_stays_well_formed_whatever_was_stored(client, world):
    meeting_id, _items = await make_meeting(world, status="draft")
    # Stored before the input check existed (or by a script): characters XML 1.0 cannot carry.
    # (PostgreSQL refuses NUL in text, so the stored ones here are other control characters.)
    await Meeting.update({Meeting.title: "三号楼\x01板凳会\x0b"}).where(Meeting.id == meeting_id)
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    feed = await client.get("/c/xfl/feed.atom")
    assert feed.status_code == 200
    root = ET.fromstring(feed.content)  # parses: nothing XML forbids is left
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any("三号楼板凳会" in t for t in titles), titles


def test_pure_rules():
    assert parse_id("42") == 42 and parse_id(HUGE) is None and parse_id(INT32_PLUS) is None
    assert parse_id("٣") is None and parse_id("-1") is None and parse_id(None) is None
    assert xml_text("a\x00b\x0bc\td\ne") == "abc\td\ne"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("+86") == "'+86" and csv_cell("-x") == "'-x"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("张\x00三") == "张三" and csv_cell("'a") == "'a"
    for text in ("=1+1", "+86138", "-3", "@x", "'plain", "普通"):
        assert csv_value(csv_cell(text)) == text


async def test_csv_export_cells_are_never_formulas_and_read_back_unchanged(client):
    await load_demo()
    names = {"=HYPERLINK(\"http://evil.example\")", "+86 王", "-王", "@王"}
    people = await Person.select(Person.id).order_by(Person.id).limit(len(names))
    for person, name in zip(people, sorted(names), strict=True):
        await Person.update({Person.name: name}).where(Person.id == person["id"])
    await client.signin("13800000001", DEMO_PASSWORD)
    export = await client.get("/c/demo/roster/export/csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    # The exported file imports back as the same register.
    again = await client.post_form("/c/demo/roster/import", {}, files={"register": ("r.csv", export.content, "text/csv")})
    assert again.status_code == 303, again.text[-3000:]
    preview = await client.get(again.headers["location"])
    assert "名册内容与文件完全一致，无需应用。" in preview.text


async def test_the_database_net_turns_an_unchecked_overflow_into_404():
    """A handler that parses a number itself and forgets the bounds still cannot cause a 500."""
    import httpx
    from clients import Client, running
    from litestar import get
    from litestar.params import FromPath

    from app.main import create_app
    from votes.tables import Vote

    @get("/test-only/votes/{number:str}")
    async def unchecked(number: FromPath[str]) -> str:
        await Vote.select(Vote.id).where(Vote.id == int(number)).first()
        return "ok"

    app = create_app(extra_routes=[unchecked])
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with running(app), Client(transport=transport, base_url="http://testserver.local") as client:
        assert (await client.get("/test-only/votes/5")).status_code == 200
        for number in (HUGE, INT32_PLUS):
            response = await client.get(f"/test-only/votes/{number}")
            assert response.status_code in (200, 404), (number, response.status_code)
        assert (await client.get(f"/test-only/votes/{HUGE}")).status_code == 404
