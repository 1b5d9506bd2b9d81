"""`yishi audit verify`: an intact chain passes; a changed ballot, result or published text is named (exit 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_minutes_world import build_world

from community.accounts import CurrentUser
from community.canonical import GENESIS, canonical_text, chain_hash
from community.tables import Community
from deliberation.minutes import audit, drafts, service
from deliberation.minutes.tables import Publication
from votes.tables import Ballot, Vote

ROOT = Path(__file__).resolve().parents[2]
# The same content and moment give the same hash on SQLite and PostgreSQL: stored, read back, recomputed.
FIXED_CONTENT = {
    "schema": "yishi.minutes/1",
    "title": "3号楼2单元加装电梯业主会议纪要",
    "summary": "Café 会议——“顺利”召开。",
    "meeting": {"attendance": {"households": 12, "households_present": 8, "area": 96000}},
    "votes": [{"id": 1, "result": {"outcome": "passed", "totals": {"headcount": 11, "area": "960.00"}}}],
}
FIXED_MOMENT = datetime(2026, 11, 22, 2, 3, 4, tzinfo=UTC)
FIXED_SHA256 = "7b20875b86bf6ebf103601ae9696128ac3baf62320a7b1bf2057ffd8ab2bf897"


def as_user(account_id: int) -> CurrentUser:
    return CurrentUser(account_id, "", None, None, False, 0)


async def published(world) -> int:
    facilitator, recorder = as_user(world.facilitator), as_user(world.recorder)
    minutes_id = await drafts.start_for_meeting(facilitator, world.slug, world.meeting_id)
    current = (await service.draft(facilitator, minutes_id)).hash
    await service.sign(recorder, minutes_id, "recorder", current)
    await service.sign(facilitator, minutes_id, "facilitator", current)
    await service.publish(facilitator, minutes_id)
    return minutes_id


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, against the test database (the environment carries its URL)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify", *args],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_same_content_hashes_the_same_after_a_round_trip_through_the_database():
    community = (await Community.insert(Community(slug="hash", name="哈希社区")).returning(Community.id))[0]["id"]
    await Publication.insert(
        Publication(community=community, seq=1, kind="minutes", content=canonical_text(FIXED_CONTENT),
                    sha256=FIXED_SHA256, previous=GENESIS, published_at=FIXED_MOMENT, title="纪要", year=2026)  # fmt: skip
    )
    row = await Publication.select().where(Publication.community == community).first()
    # 1 stands for the community id in the fixed digest: the id the database gave is not what we compare.
    recomputed = chain_hash(1, row["seq"], row["kind"], row["published_at"], row["previous"], FIXED_CONTENT)
    assert recomputed == FIXED_SHA256
    assert row["content"] == canonical_text(FIXED_CONTENT)
    assert row["published_at"] == FIXED_MOMENT


async def test_an_intact_database_passes(client):
    world = await build_world()
    await published(world)
    report = await audit.verify()
    assert report.intact, report.findings
    # The minutes' vote, and the world's other closed vote, which no minutes report yet: it is checked too.
    assert (report.publications, report.votes) == (1, 2)
    result = run_cli("--community", world.slug)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all intact" in result.stdout
    assert run_cli("--community", "no-such-place").returncode == 2


async def test_a_changed_ballot_is_named(client):
    world = await build_world()
    minutes_id = await published(world)
    await Ballot.update({Ballot.choice: "oppose"}).where((Ballot.vote == world.vote_id) & (Ballot.unit == "3-2-202"))
    report = await audit.verify(world.slug)
    assert not report.intact
    text = "\n".join(report.findings)
    assert f"vote {world.vote_id}" in text
    assert "ballot of unit 3-2-202: published agree, database oppose" in text
    assert "agreeing.headcount: stored 7, recomputed 6" in text
    result = run_cli()
    assert result.returncode == 1
    assert f"/minutes/{minutes_id}" in result.stdout and "3-2-202" in result.stdout
    assert "MISMATCH" in result.stdout


async def test_a_changed_stored_result_is_named(client):
    world = await build_world()
    await published(world)
    row = await Vote.select(Vote.result).where(Vote.id == world.vote_id).output(load_json=True).first()
    changed = {**row["result"], "outcome": "rejected"}
    await Vote.update({Vote.result: changed}).where(Vote.id == world.vote_id)
    findings = "\n".join((await audit.verify()).findings)
    assert "the stored result changed since publication: outcome: stored \"passed\", recomputed \"rejected\"" in findings
    assert "no longer give the stored result: outcome" in findings


async def test_a_changed_published_text_is_named(client):
    world = await build_world()
    minutes_id = await published(world)
    row = await Publication.select(Publication.content).where(Publication.minutes == minutes_id).first()
    await Publication.update({Publication.content: row["content"].replace("一楼住户担心采光。", "无人反对。")}).where(
        Publication.minutes == minutes_id
    )
    findings = "\n".join((await audit.verify()).findings)
    assert f"publication 1 (/minutes/{minutes_id}): its content no longer matches its SHA-256" in findings
    result = run_cli("--community", world.slug)
    assert result.returncode == 1 and "SHA-256" in result.stdout


async def test_a_rewritten_text_with_a_new_hash_breaks_the_next_link(client):
    world = await build_world()
    first = await published(world)
    facilitator, recorder = as_user(world.facilitator), as_user(world.recorder)
    second = await drafts.start_addendum(facilitator, first)
    await drafts.save_part(facilitator, second, "correction", "更正。")
    current = (await service.draft(facilitator, second)).hash
    await service.sign(recorder, second, "recorder", current)
    await service.sign(facilitator, second, "facilitator", current)
    await service.publish(facilitator, second)
    row = await Publication.select().where(Publication.minutes == first).first()
    import json

    content = json.loads(row["content"])
    content["summary"] = "伪造的概述"
    forged = chain_hash(world.community_id, 1, row["kind"], row["published_at"], row["previous"], content)
    await Publication.update({Publication.content: canonical_text(content), Publication.sha256: forged}).where(
        Publication.minutes == first
    )
    findings = "\n".join((await audit.verify()).findings)
    assert f"publication 2 (/minutes/{second}): its link to the publication before it is broken" in findings


@pytest.mark.parametrize(
    ("column", "value"),
    [("title", "改过的标题"), ("summary", "改过的摘要"), ("outcomes", [{"vote": 1, "outcome": "rejected"}]),
     ("ends_at", datetime(2031, 1, 1, tzinfo=UTC)), ("buildings", ["9"])],
)
async def test_every_listed_field_of_the_board_is_covered(client, column, value):
    world = await build_world()
    await published(world)
    await Publication.update({getattr(Publication, column): value}).where(Publication.seq == 1)
    report = await audit.verify()
    assert any(f"shows a {column} that differs" in line for line in report.findings), report.findings


async def test_a_closed_vote_not_yet_in_minutes_is_checked(client):
    world = await build_world()
    await published(world)
    from votes.tables import Vote, VoteRecordFile

    rows = await Vote.select(Vote.id).where(Vote.status == "closed").order_by(Vote.id)
    reported = {int(v["id"]) for p in await Publication.select(Publication.content) for v in audit.published_votes(json.loads(p["content"]))}
    unreported = [int(r["id"]) for r in rows if int(r["id"]) not in reported]
    assert unreported
    body = json.loads((await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == unreported[0]).first())["body"])
    body["result"]["outcome"] = "rejected" if body["result"]["outcome"] != "rejected" else "passed"
    await VoteRecordFile.update({VoteRecordFile.body: json.dumps(body)}).where(VoteRecordFile.vote == unreported[0])
    report = await audit.verify()
    assert any("closed vote" in line and str(unreported[0]) in line for line in report.findings), report.findings
