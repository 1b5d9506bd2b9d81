"""What moves live and what a projector shows (issue 19): a phone reading an item listens for its comments; the
board's table per stairwell unit moves with its headline figure; one sentence states the participation gap
everywhere, with the same figures; the projector renders Markdown and puts the QR code's own address beside it."""

from __future__ import annotations

import pytest
from test_deliberation_world import build_world, make_meeting
from test_votes_casting import cast_online, make_world, open_vote

from community import i18n, live
from deliberation import room
from deliberation.tables import AgendaItem, Meeting


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, str, str]]:
    """Every live event published during the test: (channel, event, html)."""
    sent: list[tuple[str, str, str]] = []

    async def record(channel: str, event: str, data: str) -> None:
        sent.append((channel, event, data))

    monkeypatch.setattr(live, "publish", record)
    return sent


async def test_a_phone_on_an_item_listens_for_that_items_comments(client, make_account, published):
    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["unit2_owner"])
    page = (await client.get(f"/m/{meeting_id}/items/{items[0]}")).text
    # Inside the live feed's element, a listener for this item's comments that swaps nothing itself.
    feed_part = page.split("sse-connect=", 1)[1]
    assert f'sse-swap="comment-{items[0]}" hx-swap="none"' in feed_part
    assert f'id="comments-{items[0]}"' in page and f'id="comment-count-{items[0]}"' in page

    await client.signin(world.phones["owner"])
    posted = await client.post_form(f"/m/{meeting_id}/items/{items[0]}/comments", {"position": "support", "body": "支持加装"})
    assert posted.status_code == 303
    phones = [(c, e, h) for c, e, h in published if c.startswith(f"phones-{meeting_id}-")]
    assert {e for _c, e, _h in phones if e.startswith("comment")} == {f"comment-{items[0]}"}
    for code in i18n.LANGUAGES:
        html = next(h for c, e, h in phones if c == f"phones-{meeting_id}-{code}" and e == f"comment-{items[0]}")
        # It places itself at the top of that item's list, and the count follows.
        assert f'hx-swap-oob="afterbegin:#comments-{items[0]}"' in html and "支持加装" in html
        assert f'id="comment-count-{items[0]}"' in html


async def sent_after_the_ballot(published: list[tuple[str, str, str]], channel: str, events: int) -> None:
    """A ballot's live update goes out a moment after its request (votes.live coalesces a burst): poll for it."""
    import asyncio

    from votes import live as vote_live

    await asyncio.sleep(vote_live.COALESCE_SECONDS)
    for _ in range(200):
        if sum(c == channel for c, _e, _h in published) >= events:
            return
        await asyncio.sleep(0.05)


async def test_the_board_table_moves_with_the_headline(client, make_account, published):
    world = await make_world(make_account)
    vote_id = await open_vote(client, world)
    board = (await client.get(f"/v/{vote_id}/board")).text
    assert 'sse-swap="board-zh"' in board
    assert f'id="units-{vote_id}"' in board and "0 / 6" in board.split(f'id="units-{vote_id}"', 1)[1]
    await client.signin("13900000101")  # 王一 owns 3-2-101 and 3-2-301: one entity, two flats
    published.clear()
    await cast_online(client, vote_id, "3-2-101")
    await sent_after_the_ballot(published, f"vote-{vote_id}", len(i18n.LANGUAGES) * 2)
    for code in i18n.LANGUAGES:
        html = next(h for c, e, h in reversed(published) if c == f"vote-{vote_id}" and e == f"board-{code}")
        headline, units = html.split(f'<div id="units-{vote_id}"', 1)
        assert f'id="participation-{vote_id}"' in headline and "<strong>1</strong> / 5" in headline
        # The table per stairwell unit travels in the same event, out of band, with the new figures.
        assert 'hx-swap-oob="true"' in units and "2 / 6" in units and "170.00 / 530.00" in units
    # The manage page's event stays the figure alone.
    manage = next(h for c, e, h in reversed(published) if c == f"vote-{vote_id}" and e == "participation-zh")
    assert f'id="units-{vote_id}"' not in manage
    # A board that reconnects is sent both at once.
    from votes import live as vote_live

    snapshot = dict(await vote_live._snapshot(None, f"vote-{vote_id}"))  # type: ignore[arg-type]
    assert "2 / 6" in snapshot[f"board-{i18n.get_language()}"]


async def test_one_gap_sentence_with_the_same_figures_everywhere(client, make_account):
    world = await make_world(make_account)
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")
    await client.signin("13800000009")
    sentences = {
        "zh": "还差 3 名业主、183.34 平方米才达到三分之二。",
        "en": "Needs 3 more owners and 183.34 m² to reach two thirds.",
    }
    for code, sentence in sentences.items():
        client.cookies.set(i18n.LANGUAGE_COOKIE, code)
        pages = {
            "notice board": (await client.get("/c/test")).text,
            "vote board": (await client.get(f"/v/{vote_id}/board")).text,
            "manage page": (await client.get(f"/v/{vote_id}/manage")).text,
            "close step": (await client.get(f"/v/{vote_id}/close")).text,
        }
        for where, html in pages.items():
            assert sentence in html, (where, code)
            assert "户、" not in html and "more households" not in html, (where, code)


async def test_the_notice_board_filter_names_buildings_with_their_compound(client):
    from test_noticeboard_http import board_world

    world, _minutes_id, _notice_id = await board_world()
    for code, label in (("zh", "阳光花园 3号楼"), ("en", "阳光花园 3号楼")):
        client.cookies.set(i18n.LANGUAGE_COOKIE, code)
        html = (await client.get(f"/c/{world.slug}")).text
        select = html.split('id="f-building"', 1)[1].split("</select>", 1)[0]
        assert f'<option value="3号楼" >{label}</option>' in select
        assert ">3号楼<" not in select
        entry = html.split('id="minutes-list"', 1)[1]
        assert "· 阳光花园 3号楼" in entry
    # Another compound with a building of the same name: the filter (which selects both) names both; an entry,
    # which does not store its compound, names the building alone.
    from community.tables import Building, Compound

    other = await Compound.insert(Compound(community=world.community_id, name="和平新村")).returning(Compound.id)
    await Building.insert(Building(compound=other[0]["id"], name="3号楼"))
    client.cookies.set(i18n.LANGUAGE_COOKIE, "zh")
    html = (await client.get(f"/c/{world.slug}")).text
    assert '<option value="3号楼" >和平新村、阳光花园 3号楼</option>' in html
    assert "· 3号楼" in html.split('id="minutes-list"', 1)[1] and "阳光花园 3号楼" not in html.split('id="minutes-list"', 1)[1]


async def test_the_projector_shows_markdown_and_the_qr_codes_own_address(client, make_account, monkeypatch):
    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    await AgendaItem.update({AgendaItem.description: "**方案一**：北侧加装。\n\n- 一楼不分摊\n- 按楼层系数"}).where(
        AgendaItem.id == items[0]
    )
    await Meeting.update({Meeting.current_item: items[0]}).where(Meeting.id == meeting_id)
    encoded: list[str] = []
    original = room.qr_svg

    def qr(url: str, **kwargs: str):
        encoded.append(url)
        return original(url, **kwargs)

    monkeypatch.setattr(room, "qr_svg", qr)
    html = (await client.get(f"/m/{meeting_id}/projector?key=projector-key-for-tests-0123456789")).text
    now = html.split('class="p-now"', 1)[1].split("</section>", 1)[0]
    assert "<strong>方案一</strong>" in now and "<li>一楼不分摊</li>" in now and "**" not in now
    # The caption is the address in the QR code, word for word, broken only between scheme, host and path.
    assert encoded == [f"http://testserver.local/m/{meeting_id}/checkin"]
    caption = html.split('class="p-url"', 1)[1].split("</p>", 1)[0]
    assert caption == f"><span>http://</span><wbr><span>testserver.local</span><wbr><span>/m/{meeting_id}/checkin</span>"
