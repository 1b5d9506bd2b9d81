"""Figures of a community's concerns for its staff, the monthly summary (民情月报) published in the community's
publication chain and shown on its notice board, and the community's open data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.accounts import CurrentUser
from community.audit import audit
from community.canonical import fingerprint, iso
from community.contributions import NoticeEntry
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, NotFound
from community.i18n import gettext as _
from community.i18n import lazy
from community.sqljson import Nested, converter, nested
from deliberation.concerns import core, figures, store
from deliberation.concerns.figures import Heat, MonthFigures
from deliberation.concerns.services import NOT_ALLOWED, now
from deliberation.concerns.standing import Standing
from deliberation.concerns.tables import ConcernReport
from deliberation.contributions import NoticeRead
from deliberation.minutes import chain
from deliberation.minutes.tables import Publication

SCHEMA = "yishi.concerns-month/1"
KIND = "concern_report"
NOT_ENDED = lazy("A month's summary can be published once the month has ended.")
ALREADY = lazy("The summary of this month has already been published.")
NO_REPORT = lazy("This summary does not exist, or it has not been published.")
NO_COMMUNITY = lazy("This community does not exist.")


@dataclass(frozen=True)
class FiguresView:
    community: dict[str, Any]
    standing: Standing
    figures: MonthFigures
    heat: Heat
    month: str
    previous: str
    following: str | None
    settings: core.Settings
    published: bool
    ended: bool


MONTHS = store.Cache(128)


async def month_figures(community_ids: list[int], year: int, month: int, zone: Any, settings: dict[int, core.Settings],
                        at: datetime) -> tuple[dict[int, MonthFigures], dict[int, list[figures.Facts]]]:  # fmt: skip
    """Each community's figures for the month, and the facts they come from. Kept while no concern of the month
    changes, for the current minute (flags and windows move with the clock)."""
    start, end = figures.month_bounds(year, month, zone)
    current, facts = await store.versioned_facts(community_ids, start, end)
    key = (tuple(sorted(community_ids)), year, month, str(zone), tuple(sorted(settings.items())), at.replace(second=0, microsecond=0))
    found = MONTHS.get(key, current)
    if found is None:
        found = MONTHS.put(key, current, {
            c: figures.month_figures(facts.get(c, []), year, month, zone, settings[c], at) for c in community_ids})  # fmt: skip
    return found, facts


def _month_or_current(month: str, at: datetime, zone: Any) -> tuple[int, int]:
    return figures.parse_month(month) or figures.month_of(at, zone)


async def figures_page(user: CurrentUser, slug: str, month: str = "", at: datetime | None = None) -> FiguresView:
    at = at or now()
    community = await store.community(slug)
    if community is None:
        raise NotFound(NO_COMMUNITY)
    standing = await store.standing(user, community)
    if not (standing.staff or standing.street_staff):
        raise Forbidden(NOT_ALLOWED)
    zone = store.zone(community)
    year, number = _month_or_current(month, at, zone)
    start, end = figures.month_bounds(year, number, zone)
    settings = store.settings_of(community)
    community_id = int(community["id"])
    found, facts_of = await month_figures([community_id], year, number, zone, {community_id: settings}, at)
    facts = facts_of.get(community_id, [])
    label = f"{year:04d}-{number:02d}"
    current = figures.month_of(at, zone)
    return FiguresView(
        community=community,
        standing=standing,
        figures=found[community_id],
        heat=figures.heat_table(facts, await store.building_order([int(community["id"])]), include_private=True),
        month=label,
        previous="{:04d}-{:02d}".format(*figures.previous_month(year, number)),
        following=None if (year, number) >= current else end.astimezone(zone).strftime("%Y-%m"),
        settings=settings,
        published=bool(await ConcernReport.exists().where(
            (ConcernReport.community == community["id"]) & (ConcernReport.month == label)
        )),  # fmt: skip
        ended=at >= end,
    )


def report_content(community: dict[str, Any], month: MonthFigures, heat: Heat, disputes: int,
                   at: datetime) -> dict[str, Any]:  # fmt: skip
    """What the chain stores and hashes: counts and whole-number rates, no names, no text, disputes as a count."""
    return {
        "schema": SCHEMA,
        "community": {"id": int(community["id"]), "slug": str(community["slug"]), "name": str(community["name"]),
                      "street": str(community.get("street") or "")},  # fmt: skip
        "month": month.label,
        "as_of": iso(at),
        "received": month.received,
        "by_kind": dict(month.by_kind),
        "by_channel": dict(month.by_channel),
        "heat": {
            "buildings": list(heat.rows),
            "kinds": list(heat.kinds),
            "cells": [[row, kind, heat.count(row, kind)] for row in heat.rows for kind in heat.kinds if heat.count(row, kind)],
        },
        "neighbour_disputes": disputes,
        "median_first_response_minutes": month.median_first_response_minutes,
        "rates": {name: getattr(month, name).as_json() for name in (
            "response", "answered_on_time", "first_handling", "resolution", "satisfaction", "on_time_closure")},
        "open": month.open_now,
        "overdue": month.overdue,
        "escalated": month.escalated,
    }  # fmt: skip


async def publish_month(user: CurrentUser, slug: str, month: str, at: datetime | None = None) -> str:
    """Publish a finished month's summary as the community's next publication; the month published."""
    at = at or now()
    view = await figures_page(user, slug, month, at)
    if not view.standing.dispatcher:
        raise Forbidden(NOT_ALLOWED)
    if not view.ended:
        raise Conflict(NOT_ENDED)
    if view.published:
        raise Conflict(ALREADY)
    community = view.community
    zone = store.zone(community)
    start, end = figures.month_bounds(view.figures.year, view.figures.month, zone)
    facts = (await store.facts([int(community["id"])], start, end)).get(int(community["id"]), [])
    public_heat = figures.heat_table(facts, await store.building_order([int(community["id"])]), include_private=False)
    disputes = sum(1 for f in facts if f.kind in core.PRIVATE_KINDS)
    content = report_content(community, view.figures, public_heat, disputes, at)
    title = _("Residents' concerns: summary of %(month)s") % {"month": view.month}
    summary = _("%(n)s received; satisfaction %(s)s; first-handling rate %(f)s.") % {
        "n": view.figures.received, "s": view.figures.satisfaction.percent, "f": view.figures.first_handling.percent}
    try:
        async with write_transaction():
            seq, _digest = await chain.append(int(community["id"]), KIND, content, published_at=at, published_by=user.id,
                                              title=title, summary=summary, search_text=title + "\n" + summary)  # fmt: skip
            publication = await Publication.select(Publication.id).where(
                (Publication.community == community["id"]) & (Publication.seq == seq)).first()  # fmt: skip
            await ConcernReport.insert(ConcernReport(community=community["id"], month=view.month, published_at=at,
                                                     publication=publication["id"] if publication else None))  # fmt: skip
            await audit("concern_report_published", actor=user.id, community=int(community["id"]),
                        object_type="concern_report", month=view.month, seq=seq)  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc) or is_unique_violation(exc.__cause__ or exc):
            raise Conflict(ALREADY) from exc
        raise
    return view.month


@dataclass(frozen=True)
class ReportView:
    community: dict[str, Any]
    content: dict[str, Any]
    published_at: datetime
    seq: int
    fingerprint: str


async def report(slug: str, month: str) -> ReportView:
    """A published summary as it was published (public)."""
    community = await store.community(slug)
    if community is None or figures.parse_month(month) is None:
        raise NotFound(NO_REPORT)
    row = await ConcernReport.select(
        ConcernReport.publication.content, ConcernReport.publication.published_at, ConcernReport.publication.seq,
        ConcernReport.publication.sha256,
    ).where((ConcernReport.community == community["id"]) & (ConcernReport.month == month)).first()  # fmt: skip
    if row is None or row["publication.content"] is None:
        raise NotFound(NO_REPORT)
    return ReportView(community, json.loads(str(row["publication.content"])), row["publication.published_at"],
                      int(row["publication.seq"]), fingerprint(str(row["publication.sha256"])))  # fmt: skip


async def notice_entries(community_id: int) -> list[NoticeEntry]:
    """The published monthly summaries, for the community's notice board and feed."""
    rows = await ConcernReport.select(
        ConcernReport.month, ConcernReport.community.slug, ConcernReport.publication.title,
        ConcernReport.publication.summary, ConcernReport.publication.published_at,
    ).where((ConcernReport.community == community_id) & ConcernReport.publication.is_not_null()).order_by(
        ConcernReport.month, ascending=False).limit(12)  # fmt: skip
    return _entries(rows)


def _entries(rows: list[dict[str, Any]]) -> list[NoticeEntry]:
    return [
        NoticeEntry(kind=KIND, title=str(r["publication.title"]), url=f"/c/{r['community.slug']}/concerns/reports/{r['month']}",
                    published_at=r["publication.published_at"], summary=str(r["publication.summary"] or ""))  # fmt: skip
        for r in rows
    ]


async def community_csv(slug: str) -> bytes:
    community = await store.community(slug)
    if community is None:
        raise NotFound(NO_COMMUNITY)
    return await store.open_data({int(community["id"]): str(community["slug"])}, store.zone(community), False)


def _subqueries(postgres: bool) -> dict[str, Nested]:
    return {"reports": nested(postgres, "r", (ConcernReport.month,), "FROM concern_report r JOIN publication rp ON rp.id = "
                              "r.publication JOIN community rc ON rc.id = r.community WHERE r.community = c.id",
                              order="r.month DESC", limit=12, extra={
                                  "community.slug": ("rc.slug", None), "publication.title": ("rp.title", None),
                                  "publication.summary": ("rp.summary", None),
                                  "publication.published_at": ("rp.published_at", converter(Publication.published_at))})}  # fmt: skip


async def _read_entries(_community_id: int, rows: dict[str, list[dict[str, Any]]]) -> list[NoticeEntry]:
    return _entries(rows["reports"])


# The same entries, read within the notice board's own statement (deliberation.minutes.board_read).
NOTICE_READ = NoticeRead(_subqueries, _read_entries)
