"""The manage page over a large electorate (issue 15): stairwell units and non-voters a page at a time, with plain
?page=N links, floors only for the chosen unit once they are many."""

from __future__ import annotations

import re

import pytest
from test_votes_casting import make_world, vote_form

from votes import controllers


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def _open_community_vote(client) -> int:
    await client.signin("13800000009")
    response = await client.post_form("/c/test/votes", vote_form(scope="community"))
    assert response.status_code == 303, response.text
    vote_id = int(response.headers["location"].split("/")[2])
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    return vote_id


def _units(html: str) -> list[str]:
    table = html.split('class="vunits"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)</th>', table)


def _non_voter_units(html: str) -> list[str]:
    section = html.split('id="non-voters"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<tr><td class="vnowrap">([^<]+)</td>', section)


async def test_units_and_non_voters_come_a_page_at_a_time(client, world, monkeypatch):
    monkeypatch.setattr(controllers, "UNITS_PER_PAGE", 1)
    monkeypatch.setattr(controllers, "NON_VOTERS_PER_PAGE", 4)
    vote_id = await _open_community_vote(client)
    first = await client.get(f"/v/{vote_id}/manage")
    assert first.status_code == 200
    assert _units(first.text) == ["3-1"]
    assert "第 1 页，共 2 页" in first.text and 'href="?units_page=2#participation-heading"' in first.text
    second = await client.get(f"/v/{vote_id}/manage?units_page=2")
    assert _units(second.text) == ["3-2"]
    assert 'href="?units_page=1#participation-heading"' in second.text
    assert _units((await client.get(f"/v/{vote_id}/manage?units_page=99")).text) == ["3-2"]  # the last page
    assert _units((await client.get(f"/v/{vote_id}/manage?units_page=x")).text) == ["3-1"]

    # Nobody has voted: the seven flats, four on the first page and three on the second, none twice.
    page_one = _non_voter_units(first.text)
    page_two = _non_voter_units((await client.get(f"/v/{vote_id}/manage?page=2")).text)
    assert len(page_one) == 4 and len(page_two) == 3
    assert not set(page_one) & set(page_two)
    assert 'href="?page=2#non-voters"' in first.text


async def test_the_pages_keep_the_chosen_stairwell(client, world, monkeypatch):
    monkeypatch.setattr(controllers, "NON_VOTERS_PER_PAGE", 2)
    vote_id = await _open_community_vote(client)
    page = await client.get(f"/v/{vote_id}/manage?stairwell=3-2")
    assert all(unit.startswith("3-2") for unit in _non_voter_units(page.text))
    assert 'href="?stairwell=3-2&amp;page=2#non-voters"' in page.text


async def test_floors_are_listed_for_one_unit_once_they_are_many(client, world, monkeypatch):
    monkeypatch.setattr(controllers, "FLOORS_SHOWN", 2)
    vote_id = await _open_community_vote(client)
    everything = await client.get(f"/v/{vote_id}/manage")
    assert 'class="vfloors"' not in everything.text
    assert "楼层太多" in everything.text
    one = await client.get(f"/v/{vote_id}/manage?stairwell=3-1")
    assert 'class="vfloors"' in one.text
