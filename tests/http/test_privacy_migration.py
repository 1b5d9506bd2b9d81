"""Votes and community defaults stored with "named_ballots" become secret votes, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

from community.tables import Community
from votes import services
from votes.tables import Vote

MIGRATION = "votes.piccolo_migrations.votes_2026_12_03t23_00_00_000000"


async def test_named_ballots_become_secret_and_nothing_else_changes():
    rows = await Community.insert(
        Community(slug="old", name="老社区", settings={"votes": {"named_ballots": True, "proxy_limit": 2}, "x": 1})
    ).returning(Community.id)
    community_id = int(rows[0]["id"])
    old = {"spoiled_ballots": "participate", "silent_majority": False, "allow_change": False, "proxy_limit": 3,
           "show_live": False, "named_ballots": True, "conflict": "first", "parking": "exclude"}  # fmt: skip
    closed = await Vote.insert(
        Vote(community=community_id, title="旧表决", status="closed", settings=old, overrides={"named_ballots": "0"})
    ).returning(Vote.id)
    draft = await Vote.insert(Vote(community=community_id, title="草稿", status="draft")).returning(Vote.id)
    manager = await importlib.import_module(MIGRATION).forwards()
    for step in manager.raw:
        await step()
    stored = await Vote.select(Vote.settings, Vote.overrides).where(Vote.id == closed[0]["id"]).output(load_json=True).first()
    assert stored["settings"] == {**{k: v for k, v in old.items() if k != "named_ballots"}, "disclosure": "secret"}
    assert stored["overrides"] == {"disclosure": "secret"}
    untouched = await Vote.select(Vote.settings, Vote.overrides).where(Vote.id == draft[0]["id"]).output(load_json=True).first()
    assert untouched["overrides"] == {} and not untouched["settings"]
    community = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    assert community["settings"] == {"votes": {"proxy_limit": 2, "disclosure": "secret"}, "x": 1}
    assert (await services.get_vote(int(closed[0]["id"]))).settings.disclosure == "secret"
