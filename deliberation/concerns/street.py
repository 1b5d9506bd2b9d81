"""The street's view (街道): its communities side by side for a month, their ranking and hot topics, recent
decisions and publications, the escalated concerns its staff handle, and the street's open data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from community.accounts import CurrentUser
from community.config import get_config
from community.errors import NotFound
from community.i18n import lazy
from community.tables import Community, Street, StreetMembership
from deliberation.concerns import core, figures, reports, store
from deliberation.concerns.figures import MonthFigures, Ranked
from deliberation.concerns.services import now
from deliberation.minutes.tables import Publication

NO_STREET = lazy("This street does not exist.")
RECENT = 12


@dataclass(frozen=True)
class Side:
    """One community of the street, with its month's figures."""

    community: dict[str, Any]
    figures: MonthFigures
    open_overdue: int  # overdue now, whatever month it was opened in
    escalated_open: int  # escalated and not closed


@dataclass(frozen=True)
class StreetView:
    street: dict[str, Any]
    month: str
    previous: str
    following: str | None
    sides: list[Side]
    ranking: list[Ranked]
    hot: list[tuple[str, int]]
    publications: list[dict[str, Any]]
    escalated: list[dict[str, Any]]  # only for the street's staff and site administrators
    staff: bool


async def street_row(slug: str) -> dict[str, Any]:
    row = await Street.select().where(Street.slug == slug).first()
    if row is None:
        raise NotFound(NO_STREET)
    return row


async def communities_of(street_id: int) -> list[dict[str, Any]]:
    return await Community.select(
        Community.id, Community.slug, Community.name, Community.street, Community.street_ref, Community.timezone,
        Community.settings, Community.archived_at,
    ).where(Community.street_ref == street_id).order_by(Community.name).output(load_json=True)  # fmt: skip


def publication_url(row: dict[str, Any], slug: str) -> str:
    kind = str(row["kind"])
    if kind == "meeting_notice":
        return f"/notices/{row['notice']}"
    try:
        content = json.loads(str(row["content"]))
    except ValueError:
        content = {}
    if kind == "project_notice":
        return f"/p/{content.get('project_id', '')}/notice"
    if kind == "concern_report":
        return f"/c/{slug}/concerns/reports/{content.get('month', '')}"
    return f"/minutes/{row['minutes']}" if row["minutes"] is not None else f"/c/{slug}"


async def recent_publications(communities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    slugs = {int(c["id"]): str(c["slug"]) for c in communities}
    names = {int(c["id"]): str(c["name"]) for c in communities}
    rows = await Publication.select(
        Publication.community, Publication.kind, Publication.title, Publication.published_at, Publication.outcomes,
        Publication.minutes, Publication.notice, Publication.content,
    ).where(Publication.community.is_in(sorted(slugs) or [-1])).order_by(
        Publication.published_at, ascending=False).limit(RECENT).output(load_json=True)  # fmt: skip
    return [
        {"title": r["title"], "kind": r["kind"], "published_at": r["published_at"], "community": names[int(r["community"])],
         "url": publication_url(r, slugs[int(r["community"])]),
         "outcomes": [str(o.get("outcome", "")) for o in (r["outcomes"] or []) if isinstance(o, dict)]}  # fmt: skip
        for r in rows
    ]


async def street_page(user: CurrentUser | None, slug: str, month: str = "", at: datetime | None = None) -> StreetView:
    at = at or now()
    street = await street_row(slug)
    communities = await communities_of(int(street["id"]))
    zone = ZoneInfo(get_config().timezone)
    year, number = figures.parse_month(month) or figures.month_of(at, zone)
    end = figures.month_bounds(year, number, zone)[1]
    ids = [int(c["id"]) for c in communities]
    settings_of = {int(c["id"]): store.settings_of(c) for c in communities}
    by_community, month_facts = await reports.month_figures(ids, year, number, zone, settings_of, at)
    open_rows = await store.listed_open(ids)
    sides = []
    for c in communities:
        settings = settings_of[int(c["id"])]
        mine = open_rows.get(int(c["id"]), [])
        sides.append(Side(
            community=c,
            figures=by_community[int(c["id"])],
            open_overdue=sum(1 for r in mine if core.flags(store.timing_of(r), settings, at).overdue),
            escalated_open=sum(1 for r in mine if r["escalated_at"] is not None),
        ))  # fmt: skip
    staff = user is not None and (user.is_site_admin or bool(await StreetMembership.exists().where(
        (StreetMembership.account == user.id) & (StreetMembership.street == street["id"]))))  # fmt: skip
    current = figures.month_of(at, zone)
    return StreetView(
        street=street,
        month=f"{year:04d}-{number:02d}",
        previous="{:04d}-{:02d}".format(*figures.previous_month(year, number)),
        following=None if (year, number) >= current else end.astimezone(zone).strftime("%Y-%m"),
        sides=sides,
        ranking=figures.ranking([(str(s.community["slug"]), str(s.community["name"]), s.figures) for s in sides]),
        hot=figures.hot_topics(f for facts in month_facts.values() for f in facts),
        publications=await recent_publications(communities),
        escalated=await store.escalated_in(ids) if staff else [],
        staff=staff,
    )


async def street_csv(slug: str) -> bytes:
    street = await street_row(slug)
    communities = {int(c["id"]): str(c["slug"]) for c in await communities_of(int(street["id"]))}
    return await store.open_data(communities, ZoneInfo(get_config().timezone), with_community=True)
