"""Register uploads: check a file, keep it server-side between preview and apply, and apply it in the background."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import write_transaction
from community.errors import Conflict, NotFound
from community.i18n import lazy
from community.roster import plan as planning
from community.roster.files import load_register
from community.roster.importer import import_rows
from community.roster.plan import ImportPlan, plan_import
from community.roster.snapshot import load_snapshot
from community.roster.template import FlatRow, Problem
from community.tables import (
    RosterUpload,
)

log = logging.getLogger("yishi.roster")

UPLOAD_KEEP = timedelta(days=7)
# An apply that has not finished after this long died with its process; it may be started again.
APPLY_TIMEOUT = timedelta(minutes=10)


# --------------------------------------------------------------------------- checking a file


@dataclass(frozen=True)
class Checked:
    """A register file read and validated; `rows` only when there is no problem."""

    rows: list[FlatRow]
    problems: list[Problem]


_parsed: OrderedDict[str, Checked] = OrderedDict()
# Preview and apply read the same stored file; keeping the last few parses saves a second read.
_PARSED_KEEP = 4


async def check_file(filename: str, data: bytes) -> Checked:
    """Read and validate off the event loop (a large XLSX takes a second); recent results are kept."""
    digest = hashlib.sha256(data).hexdigest()
    cached = _parsed.get(digest)
    if cached is not None:
        _parsed.move_to_end(digest)
        return cached
    rows, problems = await asyncio.to_thread(load_register, filename, data)
    checked = Checked(planning.normalise_rows(rows), problems)
    _parsed[digest] = checked
    while len(_parsed) > _PARSED_KEEP:
        _parsed.popitem(last=False)
    return checked


async def preview(community_id: int, rows: Sequence[FlatRow]) -> tuple[ImportPlan, str]:
    """The plan for `rows` against the register now, and that register's fingerprint."""
    snapshot = await load_snapshot(community_id, rows)
    return plan_import(snapshot, rows), snapshot.fingerprint()


# --------------------------------------------------------------------------- uploads


async def store_upload(community_id: int, actor_id: int, filename: str, data: bytes) -> str:
    """Keep a validated upload until it is applied (or for UPLOAD_KEEP); returns its token."""
    token = secrets.token_urlsafe(24)
    async with write_transaction():
        await RosterUpload.delete().where(RosterUpload.created_at < now() - UPLOAD_KEEP)
        await RosterUpload.insert(
            RosterUpload(
                community=community_id,
                token=token,
                sha256=hashlib.sha256(data).hexdigest(),
                filename=filename[:255],
                data=data,
                created_by=actor_id,
            )
        )
    return token


async def get_upload(community_id: int, token: str, with_data: bool = False) -> dict[str, Any]:
    columns = [
        RosterUpload.id,
        RosterUpload.token,
        RosterUpload.sha256,
        RosterUpload.filename,
        RosterUpload.status,
        RosterUpload.created_at,
        RosterUpload.started_at,
        RosterUpload.finished_at,
        RosterUpload.result,
        RosterUpload.created_by.display_name,
    ]
    if with_data:
        columns.append(RosterUpload.data)
    row = (
        await RosterUpload.select(*columns)
        .where((RosterUpload.token == token) & (RosterUpload.community == community_id))
        .first()
    )
    if row is None:
        raise NotFound(lazy("This upload does not exist or has expired. Please upload the file again."))
    if row["status"] == "applying" and row["started_at"] is not None and now() - row["started_at"] > APPLY_TIMEOUT:
        row["status"] = "failed"
        row["result"] = {"reason": "interrupted"}
    if isinstance(row["result"], str):
        row["result"] = json.loads(row["result"] or "{}")
    return row


_progress: dict[str, tuple[int, int]] = {}
_tasks: set[asyncio.Task[None]] = set()


def progress_of(token: str) -> tuple[int, int] | None:
    """(done, total) of an apply running in this process; None when unknown (another process, or done)."""
    return _progress.get(token)


def running() -> list[asyncio.Task[None]]:
    """Applies still running in this process (tests and shutdown wait for them)."""
    return list(_tasks)


async def start_apply(
    community_id: int, token: str, actor_id: int, expected_fingerprint: str, remove: bool = True
) -> Literal["started", "busy", "stale"]:
    """Claim the upload (once: a second click finds it busy) and apply it in the background.

    "stale" when the register changed since the preview the user looked at; nothing is started then.
    """
    upload = await get_upload(community_id, token)
    if upload["status"] not in ("previewed", "failed"):
        return "busy"
    startable = RosterUpload.status.is_in(["previewed", "failed"]) | (
        (RosterUpload.status == "applying") & (RosterUpload.started_at < now() - APPLY_TIMEOUT)
    )
    async with write_transaction():
        claimed = await RosterUpload.update(
            {RosterUpload.status: "applying", RosterUpload.started_at: now(), RosterUpload.result: {}}
        ).where((RosterUpload.id == upload["id"]) & startable).returning(RosterUpload.id)
    if not claimed:
        return "busy"
    if (await load_snapshot(community_id)).fingerprint() != expected_fingerprint:
        async with write_transaction():
            await RosterUpload.update({RosterUpload.status: "previewed", RosterUpload.started_at: None}).where(
                RosterUpload.id == upload["id"]
            )
        return "stale"
    _progress[token] = (0, 0)
    task = asyncio.create_task(_apply(community_id, token, actor_id, expected_fingerprint, remove))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return "started"


async def _apply(community_id: int, token: str, actor_id: int, expected_fingerprint: str, remove: bool) -> None:
    status = "failed"
    result: dict[str, Any] = {"reason": "error"}
    try:
        upload = await get_upload(community_id, token, with_data=True)
        checked = await check_file(upload["filename"], bytes(upload["data"]))
        if checked.problems:
            result = {"reason": "problems"}
        else:

            def report(done: int, total: int) -> None:
                _progress[token] = (done, total)

            outcome = await import_rows(
                community_id,
                checked.rows,
                actor_id=actor_id,
                expected_fingerprint=expected_fingerprint,
                progress=report,
                source={"filename": upload["filename"], "sha256": upload["sha256"], "removals": remove},
                remove=remove,
            )
            status, result = "applied", {**outcome.as_dict(), "written": int(outcome.written)}
    except Conflict:
        result = {"reason": "stale"}
    except Exception:
        log.exception("roster import %s failed", token)
    finally:
        _progress.pop(token, None)
    try:
        async with write_transaction():
            await RosterUpload.update(
                {RosterUpload.status: status, RosterUpload.finished_at: now(), RosterUpload.result: result}
            ).where(RosterUpload.token == token)
    except Exception:
        log.exception("could not record the outcome of roster import %s", token)
