"""The stages of a closed vote's result (rules in votes.queries): what the close publishes (the preliminary result
with its query window, or the final one without a window), the stage as pages read it, and the history and
publications every later step (votes.query_store, votes.corrections, votes.result_final) adds to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from community import publications
from community.audit import audit as audit_log
from community.clock import now
from community.config import get_config
from community.prepared import PLACEHOLDER_IDS, Prepared
from community.tables import Community
from votes import queries
from votes.disclosure import pseudonymise
from votes.events import VoteResultFinal
from votes.privacy import record_salt
from votes.queries import QueryWindows, outcome_of, parse_windows
from votes.tables import Vote, VoteQuery, VoteRecordFile, VoteStage

# A vote as votes.services.VoteInfo gives it (this module sits below the service, which calls it at the close).
VoteInfo = Any

SCHEMA: Final = "yishi.vote-result/1"
# The kinds of publication the result stages add to a community's chain (docs/publications.md).
PRELIMINARY: Final = "vote_preliminary"
QUERY: Final = "vote_query"
ANSWER: Final = "vote_answer"
CORRECTION: Final = "vote_correction"
FINAL: Final = "vote_final"
KINDS: Final = (PRELIMINARY, QUERY, ANSWER, CORRECTION, FINAL)
# Those that carry the vote's result and record (checked by `yishi audit verify` like minutes).
RESULT_KINDS: Final = (PRELIMINARY, CORRECTION, FINAL)


async def audit(vote: VoteInfo, actor: int | None, action: str, detail: dict[str, object]) -> None:
    await audit_log(action, actor=actor, community=vote.community_id, object_type="vote", object_id=vote.id, details=detail)


def tz() -> ZoneInfo:
    return ZoneInfo(get_config().timezone)


def iso(moment: datetime) -> str:
    """To the second, in UTC: the same instant reads back the same from either database."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class StageInfo:
    """Where a closed vote's result stands; `legacy`: closed before query windows existed (final)."""

    vote_id: int
    stage: str
    window_days: int = 0
    window_ends_at: datetime | None = None
    preliminary_at: datetime | None = None
    final_at: datetime | None = None
    history: tuple[Mapping[str, Any], ...] = ()
    legacy: bool = False

    @property
    def final(self) -> bool:
        return self.stage == "final"

    def lodging(self, at: datetime | None = None) -> bool:
        return queries.may_lodge(self.stage, self.window_ends_at, at or now())

    def last_day(self) -> Any:
        return queries.last_day(self.window_ends_at, tz()) if self.window_ends_at is not None else None


async def query_windows(community_id: int) -> QueryWindows:
    """The community's query windows (Community.settings["procedure"]["query_days"], set on the procedure page)."""
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = (row or {}).get("settings") or {}
    section = stored.get("procedure") if isinstance(stored, dict) else None
    days = section.get("query_days") if isinstance(section, dict) else None
    windows, _errors = parse_windows(days if isinstance(days, dict) else {})
    return windows


# Built once (community.prepared): every result page reads it.
_STAGE = Prepared(lambda vote_id: VoteStage.select().where(VoteStage.vote == vote_id).output(load_json=True),
                  PLACEHOLDER_IDS[0])


async def stage_of(vote: VoteInfo) -> StageInfo | None:
    """None while the vote is not closed."""
    if vote.status != "closed":
        return None
    rows = await _STAGE.run(vote.id)
    row = rows[0] if rows else None
    if row is None:
        return StageInfo(vote.id, "final", final_at=vote.closed_at, legacy=True)
    return StageInfo(
        vote.id, str(row["stage"]), int(row["window_days"]), row["window_ends_at"], row["preliminary_at"],
        row["final_at"], tuple(row["history"] or ()),
    )  # fmt: skip


async def final_at(vote_id: int, closed_at: datetime | None) -> datetime | None:
    """When the vote's final result was published (None: not yet); a vote closed before query windows existed
    was final at its close."""
    row = await VoteStage.select(VoteStage.stage, VoteStage.final_at).where(VoteStage.vote == vote_id).first()
    if row is None:
        return closed_at
    return row["final_at"] if row["stage"] == "final" else None


async def finals_at(closed: Mapping[int, datetime | None]) -> dict[int, datetime | None]:
    """final_at for many closed votes ({vote id: its closed_at}) in one statement."""
    if not closed:
        return {}
    rows = await VoteStage.select(VoteStage.vote, VoteStage.stage, VoteStage.final_at).where(VoteStage.vote.is_in(list(closed)))
    stages = {int(r["vote"]): r for r in rows}
    return {
        vote_id: closed_at if (row := stages.get(vote_id)) is None else (row["final_at"] if row["stage"] == "final" else None)
        for vote_id, closed_at in closed.items()
    }


# --- the history and the published result ----------------------------------------------------------------------


async def add_history(vote_id: int, entry: dict[str, object], counted: dict[str, object] | None = None) -> dict[str, object] | None:
    """Inside a write transaction: one more step of the result's public history, kept with the stage and written
    into the vote record (its optional `history`, which counting ignores). `counted`: a record just counted (the
    close's, a correction's), which replaces the stored one. The record as now stored, or None (no record)."""
    row = await VoteStage.select(VoteStage.history).where(VoteStage.vote == vote_id).output(load_json=True).first()
    history = [*cast(list[dict[str, Any]], (row or {}).get("history") or []), entry]
    await VoteStage.update({VoteStage.history: history}).where(VoteStage.vote == vote_id)
    if counted is None:
        file = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first()
        if file is None:
            return None
        record, first = json.loads(str(file["body"])), False
    else:  # held in memory: neither written first nor read back (some 14 MB at 100,000 flats)
        record, first = counted, not await VoteRecordFile.exists().where(VoteRecordFile.vote == vote_id)
    record["history"] = history
    text = json.dumps(record, ensure_ascii=False)
    if first:  # the close
        await VoteRecordFile.insert(VoteRecordFile(vote=vote_id, body=text))
    else:
        await VoteRecordFile.update({VoteRecordFile.body: text}).where(VoteRecordFile.vote == vote_id)
    return cast(dict[str, object], record)


async def published_vote(vote: VoteInfo, record: Mapping[str, object] | None = None) -> dict[str, object]:
    """The vote as a result publication carries it: its result and, for an owners' vote, the public
    (pseudonymised) record with its history, which recounts to that result (`yishi recount`). `record`: the
    stored record when the caller holds it (add_history's), else it is read."""
    row = await Vote.select(Vote.result).where(Vote.id == vote.id).output(load_json=True).first()
    if record is None:
        file = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote.id).first()
        record = json.loads(str(file["body"])) if file is not None else None
    public = pseudonymise(record, record_salt(vote.id)) if record is not None else None
    return {"id": vote.id, "title": vote.title, "kind": vote.kind, "matter": vote.matter,
            "result": (row or {}).get("result"), "record": public}  # fmt: skip


async def publish(vote: VoteInfo, kind: str, body: Mapping[str, object], actor: int | None, moment: datetime,
                  ends_at: datetime | None = None, record: Mapping[str, object] | None = None) -> int:  # fmt: skip
    """Inside a write transaction: one step of the result in the community's chain; its place there. `record`: the
    vote record as add_history has just stored it (not read back)."""
    content = {"schema": SCHEMA, "kind": kind, "vote_id": vote.id, **body}
    if kind in RESULT_KINDS:
        content["votes"] = [await published_vote(vote, record)]
    seq, _digest = await publications.append(
        vote.community_id, kind, content, published_at=moment, published_by=actor, title=vote.title, summary=kind,
        ends_at=ends_at,
    )  # fmt: skip
    return seq


# --- the close: the preliminary result (or the final one, without a window) ------------------------------------


async def begin(vote: VoteInfo, actor: int | None, record: dict[str, object] | None) -> VoteResultFinal | None:
    """Inside the close's transaction, once the result is stored: the vote record (an owners' vote's, else None)
    stored with its history, the preliminary result with its query window, or (a window of 0 days) the final
    result at once — then the event to publish after commit."""
    row = await Vote.select(Vote.result, Vote.closed_at).where(Vote.id == vote.id).output(load_json=True).first()
    assert row is not None
    days = (await query_windows(vote.community_id)).for_kind(vote.kind)
    moment = now()
    ends = queries.window_end(row["closed_at"] or moment, days, tz())
    outcome = outcome_of(row["result"])
    if ends is None:
        await VoteStage.insert(VoteStage(vote=vote.id, stage="final", window_days=0, final_at=moment, final_by=actor,
                                         history=[]))  # fmt: skip
        stored = await add_history(vote.id, {"event": "final", "at": iso(moment), "outcome": outcome,
                                             "query_window_days": 0}, record)  # fmt: skip
        seq = await publish(vote, FINAL, {"stage": "final", "query_window": {"days": 0, "ends_at": None},
                                          "queries": 0, "corrections": 0}, actor, moment, record=stored)  # fmt: skip
        await VoteStage.update({VoteStage.final_seq: seq}).where(VoteStage.vote == vote.id)
        await audit(vote, actor, "vote_result_final", {"seq": seq, "outcome": outcome})
        return VoteResultFinal(vote.id, actor)
    await VoteStage.insert(VoteStage(vote=vote.id, stage="preliminary", window_days=days, window_ends_at=ends,
                                     preliminary_at=moment, history=[]))  # fmt: skip
    stored = await add_history(vote.id, {"event": "preliminary", "at": iso(moment), "outcome": outcome,
                                         "query_window_days": days, "query_window_ends_at": iso(ends)}, record)  # fmt: skip
    seq = await publish(vote, PRELIMINARY, {"stage": "preliminary", "query_window": {"days": days, "ends_at": iso(ends)}},
                        actor, moment, ends_at=ends, record=stored)  # fmt: skip
    await VoteStage.update({VoteStage.preliminary_seq: seq}).where(VoteStage.vote == vote.id)
    await audit(vote, actor, "vote_result_preliminary", {"seq": seq, "outcome": outcome, "query_window_ends_at": iso(ends)})
    return None


async def open_queries(vote_id: int) -> int:
    return int(await VoteQuery.count().where((VoteQuery.vote == vote_id) & (VoteQuery.status == "open")))


def stage_line(stage: StageInfo | None) -> dict[str, object]:
    """What a page says about the stage: its label, and the window's last day while it runs."""
    if stage is None:
        return {}
    return {"stage": stage.stage, "label": queries.STAGE_LABELS[stage.stage],
            "until": stage.last_day() if not stage.final else None}  # fmt: skip
