"""What a vote's disclosure setting promises is what every page and file does: the public record names no
flat, the named record only for whom the setting allows, the setting printed on the ballot and fixed once
published."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from test_votes_casting import cast_online, make_world, open_vote, stairwell_scope, vote_form
from test_votes_results import close, vote_as

from community.tables import AuditLog
from votes.record import parse_record
from votes.tables import Vote
from votes.tally_cli import recount_main, tally_main

UNITS = ("3-2-101", "3-2-102", "3-2-201", "3-2-202", "3-2-301", "3-2-302")


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def closed_vote(client, world, **changes: str) -> int:
    vote_id = await open_vote(client, world, matter="3", **changes)
    await vote_as(client, "13900000101", vote_id, "3-2-101", "oppose")  # 王一: 3-2-101 and 3-2-301, one entity
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")  # 李乙, the designated co-owner
    await close(client, vote_id)
    return vote_id


async def test_the_public_record_of_a_secret_vote_names_no_flat_and_recounts(client, world, tmp_path, capsys):
    vote_id = await closed_vote(client, world)
    response = await client.get(f"/v/{vote_id}/record.json")  # nobody signed in
    assert response.status_code == 200
    assert not any(unit in response.text for unit in UNITS)
    public = response.json()
    assert public["schema"] == "yishi.vote-record/1"
    # The structure the count depends on is kept: one owner of two flats, a designated co-owner, the developer.
    owners = Counter(tuple(flat["owners"]) for flat in public["electorate"])
    assert sorted(owners.values()) == [1, 1, 1, 1, 2] or sorted(owners.values()) == [1, 1, 1, 2]
    assert sum(1 for flat in public["electorate"] if flat.get("developer_unsold")) == 1
    assert sum(1 for flat in public["electorate"] if flat.get("designated_voter")) == 1
    stored = (await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first())["result"]
    path = tmp_path / "public.json"
    path.write_text(response.text, encoding="utf-8")
    assert recount_main([str(path)]) == 0 and "result matches" in capsys.readouterr().out
    assert tally_main([str(path)]) == 0
    tallied = json.loads(capsys.readouterr().out)
    assert tallied == {key: stored[key] for key in tallied}
    # The same file for everyone, every time (the pseudonyms are keyed per vote, not per request).
    assert (await client.get(f"/v/{vote_id}/record.json")).text == response.text
    # The named record: not for the public, not for an owner of a secret vote.
    assert (await client.get(f"/v/{vote_id}/record-named.json")).status_code == 403
    await client.signin("13900000101")
    assert (await client.get(f"/v/{vote_id}/record-named.json")).status_code == 403
    assert (await client.get(f"/v/{vote_id}/record.json")).text == response.text
    await client.post_form("/signout")
    # The staff who ran it may, for an audit; the download is logged.
    await client.signin("13800000009")
    named = await client.get(f"/v/{vote_id}/record-named.json")
    assert named.status_code == 200 and "3-2-101" in named.text
    assert parse_record(named.text).flats and await AuditLog.count().where(AuditLog.action == "vote_named_record_read") == 1


@pytest.mark.parametrize(("language", "secret_line", "open_line"), [
    ("zh", "无记名投票：任何人都看不到某户如何表决", "公开表决（依本小区议事规则）"),
    ("en", "Secret ballot: nobody sees how a flat voted", "Open ballot, as the community's rules require"),
])  # fmt: skip
async def test_the_ballot_states_the_disclosure(client, world, language, secret_line, open_line):
    secret = await open_vote(client, world, channels="paper")
    opened = await open_vote(client, world, channels="paper", s_disclosure="open", title="公开表决")
    client.cookies.set("yishi_lang", language)
    await client.signin("13900000101")
    assert secret_line in (await client.get(f"/v/{secret}")).text
    assert open_line in (await client.get(f"/v/{opened}")).text
    step = await client.post_form(f"/v/{secret}/choose", {"entity": (await _key(secret, "3-2-101")), "choice": "agree"})
    assert secret_line in step.text  # the confirmation step says it again
    await client.post_form("/signout")
    await client.signin("13800000009")
    # The printed paper ballot is always Chinese (a legal document).
    assert "无记名投票：任何人都看不到某户如何表决" in (await client.get(f"/v/{secret}/paper/print")).text
    assert "公开表决（依本小区议事规则）" in (await client.get(f"/v/{opened}/paper/print")).text


async def _key(vote_id: int, unit: str) -> str:
    from test_votes_casting import entity_key

    return await entity_key(vote_id, unit)


async def test_an_open_vote_shows_choices_to_its_owners_after_the_close_and_never_to_the_public(client, world):
    vote_id = await open_vote(client, world, matter="3", s_disclosure="open")
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "oppose")
    assert (await client.get(f"/v/{vote_id}/record-named.json")).status_code == 404  # not before the close
    await client.post_form("/signout")
    await close(client, vote_id)
    public = await client.get(f"/v/{vote_id}/record.json")
    assert public.status_code == 200 and "3-2-101" not in public.text
    assert (await client.get(f"/v/{vote_id}/record-named.json")).status_code == 403
    await client.signin("13900000106")  # 钱外 owns 3-1-101, outside this vote
    assert (await client.get(f"/v/{vote_id}/record-named.json")).status_code == 403
    await client.post_form("/signout")
    await client.signin("13900000104")  # 李乙, an owner in the vote
    named = await client.get(f"/v/{vote_id}/record-named.json")
    assert named.status_code == 200
    assert any(b["unit"] == "3-2-101" and b["choice"] == "oppose" for b in named.json()["ballots"])
    result = (await client.get(f"/v/{vote_id}/result")).text
    assert "/record-named.json" in result
    assert await AuditLog.count().where(AuditLog.action == "vote_named_record_read") == 0  # open: nothing secret


async def test_the_disclosure_is_fixed_once_the_vote_is_published(client, world):
    await client.signin("13800000009")
    form = vote_form(scope=await stairwell_scope(world.community_id), opens_at="2099-01-01T09:00", closes_at="2099-02-01T09:00")
    response = await client.post_form("/c/test/votes", form)
    vote_id = int(response.headers["location"].split("/")[2])
    # In draft it may change.
    assert (await client.post_form(f"/v/{vote_id}/edit", {**form, "s_disclosure": "open"})).status_code == 303
    assert (await client.post_form(f"/v/{vote_id}/edit", {**form, "s_disclosure": "secret"})).status_code == 303
    assert (await client.post_form(f"/v/{vote_id}/publish")).status_code == 303
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "scheduled"
    # A later change of the community default does not change it either.
    saved = await client.post_form("/c/test/votes/settings", {"disclosure": "open"})
    assert saved.status_code == 303
    refused = await client.post_form(f"/v/{vote_id}/edit", {**form, "s_disclosure": "open"})
    assert refused.status_code == 422 and "印在表决票上" in refused.text
    stored = await Vote.select(Vote.overrides).where(Vote.id == vote_id).output(load_json=True).first()
    assert stored["overrides"]["disclosure"] == "secret"
    page = (await client.get(f"/v/{vote_id}")).text
    assert "无记名投票：任何人都看不到某户如何表决" in page
