"""The ballot first: on the vote page the question, the owner's share and the choices come before who votes, when,
and how the vote is counted, which are one tap away; the confirm step repeats the choice in large words.
(e2e/test_phone_e2e.py checks the choices are on a phone's first screen.)"""

from __future__ import annotations

import re

from test_projects_flow import expected_shares, new_project
from test_projects_flow import open_vote as open_project_vote
from test_votes_casting import entity_key, open_vote, world  # noqa: F401 - the fixture

from votes.projects.testing import make_world as make_project_world
from votes.projects.views import money


def position(html: str, needle: str) -> int:
    found = html.find(needle)
    assert found >= 0, needle
    return found


async def test_question_then_choices_then_the_rules_folded(client, world):  # noqa: F811
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    page = (await client.get(f"/v/{vote_id}")).text
    main = page[page.index("<main"):]
    question = position(main, "是否同意加装电梯？")
    choices = position(main, 'name="choice"')
    rules = position(main, "本次表决的计票规则")
    assert question < choices < rules
    # The counting rules and the legal text are folded away, one tap below the ballot.
    folded = re.search(r"<details class=\"vrules\"( open)?>", main)
    assert folded and not folded.group(1)
    assert position(main, "《民法典》第二百七十八条") > choices


async def test_confirm_repeats_the_choice_in_large_words_and_the_receipt_links_once(client, world):  # noqa: F811
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    key = await entity_key(vote_id, "3-2-101")
    step1 = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": "oppose"},
                                   headers={"HX-Request": "true"})  # fmt: skip
    choice = re.search(r'<p class="vconfirm-choice vconfirm-oppose"[^>]*>([^<]+)</p>', step1.text)
    assert choice and choice.group(1) == "反对"
    assert "您选择的是" in step1.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)
    form = {"entity": key, "choice": "oppose", "nonce": nonce, "version": "0"}
    swapped = await client.post_form(f"/v/{vote_id}/cast", form, headers={"HX-Request": "true"})
    assert 'id="receipt-code"' in swapped.text and "查询回执" not in swapped.text  # the page's link stays below
    page = (await client.get(f"/v/{vote_id}")).text
    assert page.count("查询回执</a>") == 1


async def test_the_owners_share_is_on_the_ballot_before_the_choices_and_how_it_is_computed_is_folded(client, make_account):
    place = await make_project_world(make_account)
    project_id = await new_project(client, place)
    vote_id = await open_project_vote(client, place, project_id)
    await client.signin(place.phones["top_owner"])
    page = (await client.get(f"/v/{vote_id}")).text
    share = re.search(r'<div class="pballot-share">.*?</div>', page, re.S).group(0)
    assert "您应分摊" in share and position(page, "您应分摊") < position(page, 'name="choice"')
    assert re.search(r'<details class="pexplain-box">\s*<summary>计算过程</summary>', share)
    amount = re.search(r'<span class="pshare-amount"><span class="pmoney">¥([0-9,.]+)</span></span>', share).group(1)
    assert amount == money(expected_shares(place)["3-2-601"])
