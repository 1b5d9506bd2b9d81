"""Concerns that need a collective decision become a topic: an agenda item of a bench consultation, made through
the meetings service (so the agenda's rules apply: a noticed meeting gets a supplementary notice). The item and
the concerns link to each other, the reporters read it in their concern's log, and the item's description —
which the notice and the minutes carry — lists the concerns it answers (kind, place, date; never a name).

Also the public list of concerns: kind, building, status and dates; the text only where its reporter allowed
it; neighbour disputes never."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community import i18n
from community.accounts import CurrentUser
from community.audit import audit
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import gettext as _
from community.i18n import lazy
from community.sqljson import Nested, aggregate
from deliberation import agenda
from deliberation.access import meeting_for
from deliberation.concerns import core, store
from deliberation.concerns.services import NOT_ALLOWED, NOT_FOUND, now
from deliberation.concerns.tables import Concern
from deliberation.contributions import ItemLink, ItemLinkRead
from deliberation.tables import Meeting

NO_CONCERNS = lazy("Choose at least one concern.")
NOT_BENCH = lazy("Choose a bench consultation of this community that is not closed.")
DISPUTE = lazy("A neighbour dispute is never made public, so it cannot become an agenda item.")
ON_AGENDA = lazy("One of these concerns is already on a meeting's agenda.")
ITEM_LINK = lazy("Residents' concerns behind this item")
PAGE_SIZE = 50


async def bench_meetings(community_id: int) -> list[dict[str, Any]]:
    return await Meeting.select(Meeting.id, Meeting.title, Meeting.status, Meeting.starts_at).where(
        (Meeting.community == community_id) & (Meeting.kind == "bench") & (Meeting.status != "closed")
    ).order_by(Meeting.starts_at, ascending=False)  # fmt: skip


@dataclass(frozen=True)
class Topic:
    community_id: int
    meeting_id: int | None
    concern_ids: tuple[int, ...]
    title: str


def _place(row: dict[str, Any]) -> str:
    if row["building.name"]:
        unit = f" {core.unit_label(str(row['stairwell_unit.name']))}" if row["stairwell_unit.name"] else ""
        return core.building_label(str(row["building.name"])) + unit
    return _("Common area of %(compound)s") % {"compound": row["compound.name"] or ""}


def describe(rows: list[dict[str, Any]]) -> str:
    """The item's description: one line per concern, as the notice and the minutes will show it."""
    lines = [_("Raised by residents:")]
    for r in rows:
        day = i18n.format_date(r["opened_at"], get_config().timezone)
        line = _("No. %(id)s · %(kind)s · %(place)s · received %(day)s") % {
            "id": r["id"], "kind": _(core.KINDS[str(r["kind"])]), "place": _place(r).strip(), "day": day}
        if r["public_text"]:
            line += " — " + " ".join(str(r["text"]).split())[:200]
        lines.append("- " + line)
    return "\n".join(lines)


async def make_topic(user: CurrentUser, cmd: Topic, at: datetime | None = None) -> tuple[int, int]:
    """Add the agenda item and link the concerns to it; (meeting id, item id)."""
    at = at or now()
    community = await store.community_by_id(cmd.community_id)
    if community is None:
        raise NotFound(NOT_FOUND)
    if not (await store.standing(user, community)).dispatcher:
        raise Forbidden(NOT_ALLOWED)
    errors: dict[str, str] = {}
    if not cmd.concern_ids:
        errors["concerns"] = NO_CONCERNS
    meeting = None
    if cmd.meeting_id is not None:
        meeting = await Meeting.select(Meeting.id, Meeting.kind, Meeting.status).where(
            (Meeting.id == cmd.meeting_id) & (Meeting.community == cmd.community_id)).first()  # fmt: skip
    if meeting is None or meeting["kind"] != "bench" or meeting["status"] == "closed":
        errors["meeting"] = NOT_BENCH
    if errors:
        raise FormErrors(errors, {"title": cmd.title})
    rows = await Concern.select(
        Concern.id, Concern.kind, Concern.opened_at, Concern.text, Concern.public_text, Concern.agenda_item,
        Concern.building.name, Concern.stairwell_unit.name, Concern.compound.name,
    ).where(Concern.id.is_in(sorted(set(cmd.concern_ids))) & (Concern.community == cmd.community_id)).order_by(Concern.id)  # fmt: skip
    if len(rows) != len(set(cmd.concern_ids)):
        raise NotFound(NOT_FOUND)
    if any(r["kind"] in core.PRIVATE_KINDS for r in rows):
        raise Conflict(DISPUTE)
    if any(r["agenda_item"] is not None for r in rows):
        raise Conflict(ON_AGENDA)
    ctx = await meeting_for(user, int(meeting["id"]), "control")  # type: ignore[index]
    origin = _("Residents' concerns No. %(ids)s") % {"ids": ", ".join(str(r["id"]) for r in rows)}
    item_id = await agenda.add_item(ctx, {"title": cmd.title.strip(), "description": describe(rows), "origin": origin[:300]})
    async with write_transaction():
        for r in rows:
            current = await store.concern_for_update(int(r["id"]), cmd.community_id)
            if current is None:
                continue
            changes: dict[Any, Any] = {Concern.agenda_item: item_id, Concern.last_progress_at: at}
            if current["first_response_at"] is None:
                changes[Concern.first_response_at] = at
            await store.update(int(r["id"]), changes)
            await store.add_step(int(r["id"]), at, user.id, "topic", cmd.title.strip(), meeting=ctx.id, item=item_id)
        await audit("concerns_to_agenda", actor=user.id, community=cmd.community_id, object_type="agenda_item",
                    object_id=item_id, concerns=[int(r["id"]) for r in rows], meeting=ctx.id)  # fmt: skip
    return ctx.id, item_id


async def item_links(item_ids: list[int]) -> dict[int, list[ItemLink]]:
    """An agenda item made from concerns links to the public list of them."""
    rows = await Concern.select(Concern.agenda_item, Concern.community.slug).where(
        Concern.agenda_item.is_in(item_ids or [-1])).distinct()  # fmt: skip
    return _links(rows)


def _links(rows: list[dict[str, Any]]) -> dict[int, list[ItemLink]]:
    return {int(r["agenda_item"]): [ItemLink(ITEM_LINK, f"/c/{r['community.slug']}/concerns/public?item={r['agenda_item']}")]
            for r in rows}  # fmt: skip


def _subquery(postgres: bool, items: str) -> Nested:
    found = ("SELECT DISTINCT c.agenda_item AS agenda_item, cm.slug AS slug FROM concern c "  # noqa: S608
             f"JOIN community cm ON cm.id = c.community WHERE c.agenda_item IN ({items})")  # fmt: skip
    return Nested(aggregate(postgres, ("x.agenda_item", "x.slug"), f"FROM ({found}) x"), ("agenda_item", "community.slug"),
                  (None, None))  # fmt: skip


# The same links, read within the meeting page's own statement (deliberation.phone_reads).
ITEM_LINK_READ = ItemLinkRead(_subquery, _links)


@dataclass(frozen=True)
class PublicList:
    community: dict[str, Any]
    rows: list[dict[str, Any]]
    item: dict[str, Any] | None
    page: int
    pages: int


async def public_list(slug: str, item: int | None, page: int) -> PublicList:
    community = await store.community(slug)
    if community is None:
        raise NotFound(lazy("This community does not exist."))
    where = (Concern.community == community["id"]) & Concern.kind.not_in(sorted(core.PRIVATE_KINDS))
    item_row = None
    if item is not None:
        from deliberation.tables import AgendaItem

        item_row = await AgendaItem.select(AgendaItem.id, AgendaItem.title, AgendaItem.meeting).where(
            (AgendaItem.id == item) & (AgendaItem.meeting.community == community["id"])).first()  # fmt: skip
        if item_row is None:
            raise NotFound(lazy("This agenda item does not exist."))
        where = where & (Concern.agenda_item == item)
    total = int(await Concern.count().where(where))
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 1), pages)
    rows = await Concern.select(
        Concern.id, Concern.kind, Concern.status, Concern.opened_at, Concern.closed_at, Concern.public_text,
        Concern.text, Concern.building.name, Concern.agenda_item,
    ).where(where).order_by(Concern.opened_at, ascending=False).order_by(Concern.id, ascending=False).offset(
        (page - 1) * PAGE_SIZE).limit(PAGE_SIZE)  # fmt: skip
    for r in rows:
        if not r["public_text"]:
            r["text"] = ""
    return PublicList(community, rows, item_row, page, pages)
