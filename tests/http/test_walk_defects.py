"""Defects found walking the whole story (issue 19): each test names what a user saw and checks it is gone, in both
languages where text is involved."""

from __future__ import annotations

import pytest
from test_deliberation_world import build_world

from community import i18n


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def test_the_venue_form_asks_for_the_venues_name_not_a_persons(client, world):
    await client.signin(world.phones["facilitator"])
    await client.post_form("/c/xfl/venues", {"name": "议事厅"})
    page = await client.get("/c/xfl/venues")
    assert page.status_code == 200
    assert "场地名称" in page.text and "姓名" not in page.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = await client.get("/c/xfl/venues")
    assert "Venue name" in english.text


async def test_an_item_whose_vote_closed_is_decided_in_the_minutes(client, make_account):
    """Issue 19: agenda items stayed "in discussion" in published minutes after their vote passed."""
    from datetime import UTC, datetime, timedelta

    from test_votes_casting import cast_online, make_world, stairwell_scope, vote_form

    from deliberation.tables import AgendaItem, Meeting, Venue
    from votes.testing import let_voting_period_run

    world = await make_world(make_account)
    venue = (await Venue.insert(Venue(community=world.community_id, name="议事厅")).returning(Venue.id))[0]["id"]
    meeting = (await Meeting.insert(Meeting(community=world.community_id, kind="owners", title="业主大会",
                                            scope_kind="community", scope_ids="[]", venue=venue, status="in_session",
                                            starts_at=datetime.now(UTC) - timedelta(hours=1))).returning(Meeting.id))[0]["id"]  # fmt: skip
    item = (await AgendaItem.insert(AgendaItem(meeting=meeting, position=1, title="加装电梯", status="discussing"))
            .returning(AgendaItem.id))[0]["id"]  # fmt: skip
    await client.signin("13800000009")
    form = vote_form(scope=await stairwell_scope(world.community_id), agenda_item=str(item))
    vote_id = int((await client.post_form("/c/test/votes", form)).headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    await client.post_form("/signout")
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "agree")
    await client.post_form("/signout")
    await let_voting_period_run(vote_id)
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
    assert (await AgendaItem.select(AgendaItem.status).where(AgendaItem.id == item).first())["status"] == "decided"
    # An item closed before the change (still "discussing" in the table) is decided in the minutes all the same.
    await AgendaItem.update({AgendaItem.status: "discussing"}).where(AgendaItem.id == item)
    await Meeting.update({Meeting.status: "closed"}).where(Meeting.id == meeting)
    started = await client.post_form("/c/test/minutes", {"start": f"meeting-{meeting}"})
    minutes_url = started.headers["location"].removesuffix("/edit")
    draft = await client.get(minutes_url)
    heading = draft.text.split(f'id="item-{item}-h"', 1)[1].split("</h3>", 1)[0]
    assert "已议定" in heading and "讨论中" not in heading
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    heading = (await client.get(minutes_url)).text.split(f'id="item-{item}-h"', 1)[1].split("</h3>", 1)[0]
    assert "Decided" in heading and "Under discussion" not in heading


async def test_closing_a_meeting_from_its_manage_page_asks_to_confirm_first(client, world):
    from test_deliberation_world import make_meeting

    meeting_id, _items = await make_meeting(world, status="in_session")
    await client.signin(world.phones["facilitator"])
    page = await client.get(f"/m/{meeting_id}/manage")
    # The manage page only leads to the close step, which says what closing does (tests/http/test_closing_confirmed.py);
    # nothing on it closes the meeting in one click.
    assert f'href="/m/{meeting_id}/close"' in page.text and "结束会议…" in page.text
    assert f'action="/m/{meeting_id}/close"' not in page.text
    refused = await client.post_form(f"/m/{meeting_id}/close")  # without the confirmation: nothing closes
    assert refused.status_code == 422
    assert (await client.get(f"/m/{meeting_id}/manage")).text.count(f'href="/m/{meeting_id}/close"') == 1


async def test_my_flats_points_to_the_noticed_meeting_and_open_vote_of_her_own_unit(client, world):
    """Issue 19: after joining with a code, the resident landed on "my flats" with no pointer to the noticed
    meeting of her own unit."""
    from test_deliberation_world import make_meeting

    from votes import drafting

    unit_one, _items = await make_meeting(world, scope_kind="stairwell_unit", scope_ids=[world.units[0]])
    draft, _items = await make_meeting(world, status="draft", scope_kind="stairwell_unit", scope_ids=[world.units[0]])
    await client.signin(world.phones["facilitator"])
    scope = next(c.value for c in await drafting.scope_choices(world.community) if c.kind == "stairwell_unit")
    form = {"title": "1单元加装电梯", "question": "是否同意？", "kind": "residents", "matter": "", "scope": scope,
            "channels": "online"}  # fmt: skip
    vote_id = int((await client.post_form("/c/xfl/votes", form)).headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    await client.post_form("/signout")
    await client.signin(world.phones["owner"])  # owner of 1-101
    page = await client.get("/account/flats?joined=1")
    upcoming = page.text.split('id="upcoming"', 1)[1].split("</section>", 1)[0]
    assert "即将进行" in upcoming
    assert f'href="/m/{unit_one}"' in upcoming and "三号楼板凳会" in upcoming
    assert f'href="/m/{draft}"' not in upcoming  # not noticed: not hers to see
    assert f'href="/v/{vote_id}"' in upcoming and "1单元加装电梯" in upcoming
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = await client.get("/account/flats")
    assert "Coming up for your flats" in english.text and "Bench consultation" in english.text
    # The owner in the other stairwell unit is pointed to neither.
    client.cookies.set(i18n.LANGUAGE_COOKIE, "zh")
    await client.signin(world.phones["unit2_owner"])
    other = (await client.get("/account/flats")).text.split('id="upcoming"', 1)[1].split("</section>", 1)[0]
    assert f'href="/m/{unit_one}"' not in other and f'href="/v/{vote_id}"' not in other
    assert "目前没有" in other
