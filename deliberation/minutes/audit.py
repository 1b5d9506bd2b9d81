"""`yishi audit verify`: recompute every community's publication chain and every published vote's tally (minutes,
and a vote's preliminary result, corrections and final result)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from community.canonical import Link, verify_chain
from community.tables import Community
from deliberation.minutes import notice_files
from deliberation.minutes.chain import listing_of
from deliberation.minutes.gather import record_from_tables
from deliberation.minutes.tables import Publication
from votes.ballot_store import entity_choices
from votes.disclosure import is_pseudonymised, pseudonymise, unit_pseudonyms
from votes.privacy import record_salt
from votes.record import (
    RecordError,
    parse_record,
    record_to_json,
    result_to_json,
    tally_record,
)
from votes.record_compare import result_differences
from votes.regimes import poll_tally, poll_to_json, residents_tally, residents_to_json
from votes.result_stage import KINDS as RESULT_STEP_KINDS
from votes.settings import from_json
from votes.tables import Vote, VoteEntity, VoteRecordFile

CHAIN_PROBLEMS = {
    "sequence_gap": "a publication is missing from the chain",
    "previous_mismatch": "its link to the publication before it is broken",
    "content_unreadable": "its stored content cannot be read",
    "content_not_canonical": "its stored content was rewritten",
    "hash_mismatch": "its content no longer matches its SHA-256",
}


@dataclass
class Report:
    """What the audit checked and what no longer matches, one readable line per finding."""

    communities: int = 0
    publications: int = 0
    votes: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


def published_votes(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every vote a publication's content reports (a written consultation's, or those of a meeting's items)."""
    votes = list(content.get("votes") or [])
    meeting = content.get("meeting") or {}
    for item in meeting.get("items") or []:
        votes.extend(item.get("votes") or [])
    return votes


def _ballot_changes(published: Mapping[str, Any], database: Mapping[str, Any]) -> list[str]:
    """Units whose ballot differs between the published record and the database, in plain words."""
    def ballots(record: Mapping[str, Any]) -> dict[tuple[str, str], str]:
        return {(str(b["unit"]), str(b["voter"])): str(b["choice"]) for b in record.get("ballots") or []}

    before, after = ballots(published), ballots(database)
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(
                f"ballot of unit {key[0]}: published {before.get(key, '(none)')}, database {after.get(key, '(none)')}"
            )
    for name in ("electorate", "served", "settings"):
        if published.get(name) != database.get(name):
            changes.append(f"the {name} differs from the published record")
    return changes


async def _retally_other(vote: Mapping[str, Any]) -> dict[str, object] | None:
    """A residents' meeting or a poll counted again from its ballots, the way the votes package counts them."""
    vote_id = int(vote["id"])
    chosen = {str(entity): choice for entity, choice in (await entity_choices(vote_id)).items()}
    settings = from_json(cast(Mapping[str, object], vote["settings"] or {}))
    if vote["kind"] == "residents":
        return residents_to_json(residents_tally(int(vote["entities"]), list(chosen.values()), settings))
    if vote["kind"] == "poll":
        areas = {
            str(e["id"]): int(e["area"])
            for e in await VoteEntity.select(VoteEntity.id, VoteEntity.area).where(VoteEntity.vote == vote_id)
        }
        options = [str(o) for o in (vote["options"] or [])]
        return poll_to_json(options, poll_tally(options, areas, chosen))
    return None


async def check_vote(label: str, published: Mapping[str, Any], latest: bool = True) -> list[str]:
    """One published vote: its record recounts to its result, and (`latest`: no later publication corrected or
    finalised it) the database still counts the same."""
    findings: list[str] = []
    vote_id = int(published["id"])
    name = f"{label}, vote {vote_id} ({published.get('title', '')})"
    record = published.get("record")
    if record is not None:
        try:
            recounted = result_to_json(tally_record(parse_record(cast(Mapping[str, object], record))))
        except (RecordError, ValueError) as exc:
            findings.append(f"{name}: the published record cannot be counted: {exc}")
        else:
            for line in result_differences(record.get("result"), recounted):
                findings.append(f"{name}: the published record does not recount to its result: {line}")
    if not latest:  # a published correction (or the final result) later in the chain carries the count now
        return findings
    vote = await Vote.select(
        Vote.id, Vote.kind, Vote.result, Vote.settings, Vote.entities, Vote.options
    ).where(Vote.id == vote_id).output(load_json=True).first()
    if vote is None:
        return [*findings, f"{name}: the vote is no longer in the database"]
    stored = cast(Mapping[str, object] | None, vote["result"])
    for line in result_differences(published.get("result"), dict(stored or {})):
        findings.append(f"{name}: the stored result changed since publication: {line}")
    if vote["kind"] == "owners":
        database = await record_from_tables(vote_id)
        if database is None:
            return [*findings, f"{name}: its electorate or ballots can no longer be read"]
        recomputed = result_to_json(tally_record(database))
        for line in result_differences(dict(stored or {}), recomputed):
            findings.append(f"{name}: the ballots in the database no longer give the stored result: {line}")
        file = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first()
        if file is not None:
            try:
                body = json.loads(str(file["body"]))
            except ValueError:
                findings.append(f"{name}: the vote's stored record file is not valid JSON")
            else:
                for line in result_differences(body.get("result"), recomputed):
                    findings.append(f"{name}: the vote's stored record file differs from the ballots: {line}")
        if record is not None:
            # Minutes published since records are pseudonymised carry the public copy: compare like with like.
            current = record_to_json(database)
            real: dict[str, str] = {}
            if is_pseudonymised(record):
                real = {p: u for u, p in unit_pseudonyms(current, record_salt(vote_id)).items()}
                current = pseudonymise(current, record_salt(vote_id))
            for change in _ballot_changes(record, current):
                unit = change.split("unit ", 1)[-1].split(":", 1)[0]  # the operator reads the real flat
                findings.append(f"{name}: {change.replace(f'unit {unit}:', f'unit {real[unit]}:') if unit in real else change}")
    else:
        recomputed_other = await _retally_other(vote)
        if recomputed_other is not None and stored is not None and set(recomputed_other) == set(stored):
            for line in result_differences(dict(stored), recomputed_other):
                findings.append(f"{name}: the ballots in the database no longer give the stored result: {line}")
    return findings


def _address(row: Mapping[str, Any]) -> str:
    """Where a publication is read: its minutes page, a meeting notice's page, a project's notice."""
    if row["kind"] == "meeting_notice":
        return f"/notices/{row['notice']}"
    if row["kind"] in RESULT_STEP_KINDS:
        try:
            return f"/v/{int(json.loads(str(row['content']))['vote_id'])}/result"
        except (ValueError, KeyError, TypeError):
            return "a vote's result"
    if row["kind"] in ("notice_posting", "works_milestone", "upkeep_ledger"):  # their content names their page
        try:
            return str(json.loads(str(row["content"]))["page"])
        except (ValueError, KeyError, TypeError):
            return f"a {row['kind']}"
    if row["kind"] == "project_notice":
        try:
            return f"/p/{int(json.loads(str(row['content']))['project_id'])}/notice"
        except (ValueError, KeyError, TypeError):
            return "a project's notice"
    return f"/minutes/{row['minutes']}"


async def verify(slug: str | None = None) -> Report:
    report = Report()
    query = Community.select(Community.id, Community.slug).order_by(Community.slug)
    if slug is not None:
        query = query.where(Community.slug == slug)
    communities = await query
    for community in communities:
        report.communities += 1
        checked: set[int] = set()
        rows = await Publication.select(
            Publication.seq, Publication.kind, Publication.minutes, Publication.notice, Publication.published_at,
            Publication.content, Publication.previous, Publication.sha256, Publication.title, Publication.summary,
            Publication.outcomes, Publication.ends_at, Publication.buildings,
        ).where(Publication.community == community["id"]).order_by(Publication.seq).output(load_json=True)  # fmt: skip
        report.publications += len(rows)
        links = [
            Link(int(community["id"]), int(r["seq"]), str(r["kind"]), r["published_at"], str(r["content"]),
                 str(r["previous"]), str(r["sha256"]))  # fmt: skip
            for r in rows
        ]
        where = {int(r["seq"]): f"publication {r['seq']} ({_address(r)})" for r in rows}
        last_count = _latest_counts(rows)
        for problem in verify_chain(links):
            label = where.get(problem.seq, f"publication {problem.seq}")
            report.findings.append(
                f"{community['slug']}: {label}: {CHAIN_PROBLEMS.get(problem.problem, problem.problem)} ({problem.detail})"
            )
        report.findings += [f"{community['slug']}: {line}" for line in await notice_files.findings(int(community["id"]), rows, where)]
        for r in rows:
            try:
                content = json.loads(str(r["content"]))
            except ValueError:
                continue  # already reported by the chain check
            for name in listing_changes(content, r):
                report.findings.append(f"{community['slug']}: {where[int(r['seq'])]}: the board shows a {name} "
                                       "that differs from the published one")
            for published in published_votes(content):
                report.votes += 1
                checked.add(int(published["id"]))
                report.findings += await check_vote(f"{community['slug']}: {where[int(r['seq'])]}", published,
                                                    latest=last_count.get(int(published["id"])) == int(r["seq"]))
        # Closed votes not (yet) in any minutes: their stored record must still recount and match the ballots.
        for vote in await Vote.select(Vote.id, Vote.title).where(
            (Vote.community == community["id"]) & (Vote.status == "closed")
        ).order_by(Vote.id):
            if int(vote["id"]) in checked:
                continue
            report.votes += 1
            file = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote["id"]).first()
            record = json.loads(str(file["body"])) if file is not None else None
            published = {"id": vote["id"], "title": vote["title"], "record": record,
                         "result": record.get("result") if isinstance(record, dict) else None}
            if record is None:
                published.pop("result")
            report.findings += await check_vote(f"{community['slug']}: closed vote", published)
    return report


def _latest_counts(rows: list[dict[str, Any]]) -> dict[int, int]:
    """{vote id: the last publication carrying its count}: a preliminary result, or minutes published in the query
    window, are superseded by a later correction or the final result (votes.result_stage)."""
    latest: dict[int, int] = {}
    for r in rows:
        try:
            content = json.loads(str(r["content"]))
        except ValueError:
            continue
        for published in published_votes(content):
            latest[int(published["id"])] = int(r["seq"])
    return latest


def listing_changes(content: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    """Which of the board's listed fields differ from the hashed listing (publications that carry one)."""
    listing = content.get("listing")
    if not isinstance(listing, Mapping):
        return []
    shown = listing_of(str(row["title"]), str(row["summary"]), list(row["outcomes"] or []), row["ends_at"],
                       list(row["buildings"] or []))
    return [name for name in ("title", "summary", "outcomes", "ends_at", "buildings") if listing.get(name) != shown[name]]


async def _run(slug: str | None) -> Report:
    from community import db
    await db.open_pool()
    try:
        return await verify(slug)
    finally:
        await db.close_pool()


def verify_main(slug: str | None) -> int:
    """Print what was checked; exit 0 when all is intact, 1 naming each mismatch, 2 for an unknown community."""
    report = asyncio.run(_run(slug))
    if slug is not None and report.communities == 0:
        print(f"yishi audit verify: error: no community with the slug {slug!r}", file=sys.stderr)
        return 2
    for line in report.findings:
        print(f"MISMATCH {line}")
    summary = (
        f"{report.communities} {'community' if report.communities == 1 else 'communities'}, "
        f"{report.publications} {'publication' if report.publications == 1 else 'publications'}, "
        f"{report.votes} published {'vote' if report.votes == 1 else 'votes'} recounted"
    )
    if report.intact:
        print(f"audit: all intact ({summary})")
        return 0
    count = len(report.findings)
    print(f"audit: {count} {'mismatch' if count == 1 else 'mismatches'} found ({summary})")
    return 1
