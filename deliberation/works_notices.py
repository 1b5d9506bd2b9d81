"""What the works of projects put on a community's public notice board: each milestone reached and each yearly
ledger of running costs, linking to the project's public notice (votes.projects). Public: no names."""

from __future__ import annotations

from typing import Any

from community import i18n
from community.config import get_config
from community.contributions import NoticeEntry
from community.sqljson import Nested, nested
from deliberation.contributions import NoticeRead
from votes.projects.tables import Milestone, UpkeepLedger
from votes.projects.works import MILESTONE_LABELS
from votes.shares import format_fen

RECENT = 20  # the board lists the latest few; the project's notice has them all


async def notice_entries(community_id: int) -> list[NoticeEntry]:
    milestones = await Milestone.select(
        Milestone.project, Milestone.kind, Milestone.reached_on, Milestone.recorded_at,
        Milestone.project.title.as_alias("title"), Milestone.project.building.name.as_alias("building"),
    ).where(Milestone.project.community == community_id).order_by(Milestone.recorded_at, ascending=False).limit(RECENT)  # fmt: skip
    ledgers = await UpkeepLedger.select(
        UpkeepLedger.project, UpkeepLedger.year, UpkeepLedger.total, UpkeepLedger.published_at,
        UpkeepLedger.project.title.as_alias("title"), UpkeepLedger.project.building.name.as_alias("building"),
    ).where(UpkeepLedger.project.community == community_id).order_by(UpkeepLedger.published_at, ascending=False).limit(RECENT)  # fmt: skip
    return _entries(milestones, ledgers)


def _entries(milestones: list[dict[str, Any]], ledgers: list[dict[str, Any]]) -> list[NoticeEntry]:
    tz = get_config().timezone
    entries = [
        NoticeEntry(
            kind="works",
            title=i18n.gettext("%(title)s: %(step)s") % {"title": m["title"], "step": i18n.gettext(MILESTONE_LABELS.get(m["kind"], m["kind"]))},
            url=f"/p/{m['project']}/notice#milestone-{m['kind']}",
            published_at=m["recorded_at"],
            summary=i18n.format_date(m["reached_on"], tz),
            buildings=(str(m["building"]),),
        )
        for m in milestones
    ]
    entries += [
        NoticeEntry(
            kind="upkeep",
            title=i18n.gettext("%(title)s: running costs of %(year)s") % {"title": r["title"], "year": r["year"]},
            url=f"/p/{r['project']}/notice#ledger-{r['year']}",
            published_at=r["published_at"],
            summary=i18n.gettext("Total ¥%(amount)s, shared by every flat of the stairwell.") % {"amount": format_fen(int(r["total"]))},
            buildings=(str(r["building"]),),
        )
        for r in ledgers
    ]
    return entries


_PROJECT = {"title": ("wp.title", None), "building": ("wb.name", None)}


def _subqueries(postgres: bool) -> dict[str, Nested]:
    def of(alias: str, table: str, columns: tuple[Any, ...], order: str) -> Nested:
        return nested(postgres, alias, columns, f"FROM {table} {alias} JOIN project wp ON wp.id = {alias}.project "  # noqa: S608
                      f"JOIN building wb ON wb.id = wp.building WHERE wp.community = c.id", order=order, limit=RECENT,
                      extra=_PROJECT)  # fmt: skip

    return {
        "milestones": of("wm", "project_milestone", (Milestone.project, Milestone.kind, Milestone.reached_on,
                                                     Milestone.recorded_at), "wm.recorded_at DESC"),
        "ledgers": of("wl", "project_upkeep_ledger", (UpkeepLedger.project, UpkeepLedger.year, UpkeepLedger.total,
                                                      UpkeepLedger.published_at), "wl.published_at DESC"),
    }  # fmt: skip


async def _read_entries(_community_id: int, rows: dict[str, list[dict[str, Any]]]) -> list[NoticeEntry]:
    return _entries(rows["milestones"], rows["ledgers"])


# The same entries, read within the notice board's own statement (deliberation.minutes.board_read).
NOTICE_READ = NoticeRead(_subqueries, _read_entries)
