"""What the minutes pages and records show: published content (or a draft for staff), who may see which choices."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, cast

from markupsafe import Markup

from community import accounts, i18n, templating
from community.accounts import CurrentUser, roles_in
from community.canonical import fingerprint
from community.errors import NotFound
from community.i18n import lazy
from community.qr import qr_svg
from community.roles import holds
from community.safetext import xml_text
from deliberation import rules as meeting_rules
from deliberation.concerns import core as concern_core
from deliberation.minutes import rules, service
from deliberation.minutes.assemble import NOTE_FIELDS, assemble
from deliberation.minutes.audit import published_votes
from deliberation.minutes.board import FeedEntry
from deliberation.minutes.present import countdown, percent_text
from deliberation.minutes.tables import Publication
from deliberation.text import excerpt, render_markdown
from votes import matters
from votes.counting import record_text
from votes.disclosure import disclosure_of, is_pseudonymised, pseudonymise, shows_choices
from votes.explain import explain
from votes.explanation import Explanation
from votes.privacy import viewer_of
from votes.rules import parse_area
from votes.settings import VoteKind, from_json

RECORDS_SCHEMA: Final = "yishi.minutes-records/1"

NOTE_LABELS: Final[dict[str, str]] = {
    "positions_heard": lazy("Positions heard"),
    "objections": lazy("Objections"),
    "agreed_points": lazy("Agreed points"),
    "open_points": lazy("Open points"),
}
CONFLICT_LABELS: Final[dict[str, str]] = {
    "serial_twice": lazy("The same paper ballot was entered twice"),
    "online_and_paper": lazy("A household voted online and on paper"),
    "paper_and_online": lazy("A household voted on paper and online"),
}
RESOLUTION_LABELS: Final[dict[str, str]] = {
    "first_counts": lazy("the first valid ballot counts"),
    "spoiled": lazy("counted as a spoiled ballot"),
    "refused": lazy("the second ballot was refused"),
}
ATTENDANCE_METHODS: Final[dict[str, str]] = {"qr": lazy("checked in by QR code"), "paper": lazy("signed the paper sheet")}
ROLE_LABELS: Final[dict[str, str]] = {**accounts.ROLE_LABELS, "staff": lazy("Staff member")}
FORM_LABELS: Final[dict[str, str]] = {"meeting": lazy("Meeting"), "written": lazy("Written consultation")}


def moment(value: object) -> datetime | None:
    """A timestamp of the content ("2026-11-22T02:03:12Z") as a datetime for the date filters."""
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def area_text(value: object) -> str:
    """An area of the content, integer hundredths or a decimal string, in the locale's format."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return i18n.format_area(value)
    if isinstance(value, str):
        return i18n.format_area(parse_area(value))
    return ""


def settings_lines(kind: str, settings: Mapping[str, object]) -> list[tuple[str, str]]:
    """The settings a vote applied, in plain words (the votes package's own descriptions)."""
    return matters.describe_settings(cast(VoteKind, kind), from_json(settings))


def explain_vote(vote: Mapping[str, object]) -> Explanation | None:
    """A published owners' vote's result in plain words (the same explanation as its result page)."""
    result = vote.get("result")
    if vote.get("kind") != "owners" or not isinstance(result, Mapping) or not result.get("checks"):
        return None
    detail = vote.get("result_detail")
    settings = vote.get("settings")
    return explain(
        cast(Mapping[str, object], result),
        cast(Mapping[str, object], detail) if isinstance(detail, Mapping) else None,
        from_json(cast(Mapping[str, object], settings) if isinstance(settings, Mapping) else {}),
    )


def threshold_sentence(kind: str, matter: int | None) -> str:
    return matters.threshold_sentence(cast(VoteKind, kind), matter)


GLOBALS: Final[dict[str, Any]] = {
    "markdown": render_markdown,
    "excerpt": excerpt,
    "moment": moment,
    "area_text": area_text,
    "percent_text": percent_text,
    "countdown": countdown,
    "settings_lines": settings_lines,
    "threshold_sentence": threshold_sentence,
    "explain_vote": explain_vote,
    "MEETING_KINDS": meeting_rules.MEETING_KINDS,
    "SCOPE_KINDS": meeting_rules.MEETING_SCOPE_KINDS,
    "GUEST_ROLES": meeting_rules.GUEST_ROLES,
    "ITEM_STATUSES": meeting_rules.ITEM_STATUSES,
    "MATTERS": matters.MATTERS,
    "VOTE_KINDS": matters.KIND_LABELS,
    "CHANNEL_LABELS": matters.CHANNEL_LABELS,
    "CHOICE_LABELS": matters.CHOICE_LABELS,
    "OUTCOME_LABELS": matters.OUTCOME_LABELS,
    "ROLE_LABELS": ROLE_LABELS,
    "KIND_LABELS": rules.KIND_LABELS,
    "SIGNING_ROLE_LABELS": rules.SIGNING_ROLE_LABELS,
    "NOTE_FIELDS": NOTE_FIELDS,
    "NOTE_LABELS": NOTE_LABELS,
    "CONFLICT_LABELS": CONFLICT_LABELS,
    "RESOLUTION_LABELS": RESOLUTION_LABELS,
    "ATTENDANCE_METHODS": ATTENDANCE_METHODS,
    "FORM_LABELS": FORM_LABELS,
    "CONCERN_KINDS": concern_core.KINDS,
    "concern_building": concern_core.building_label,
    "concern_unit": concern_core.unit_label,
}


@dataclass
class MinutesView:
    """One minutes page: the content to show and everything around it."""

    id: int
    row: dict[str, Any]
    content: dict[str, Any]
    published: bool
    url: str
    qr: Markup
    can: rules.Access
    publication: dict[str, Any] | None = None
    addenda: list[dict[str, Any]] = field(default_factory=list)
    choices_visible: dict[int, dict[str, Any] | None] = field(default_factory=dict)  # vote id: its named record
    may_correct: bool = False  # a facilitator of the community may start an addendum
    now: datetime = field(default_factory=service.now)

    @property
    def last_day(self) -> datetime | None:
        """The last whole day of a notice period that ends (exclusively) at midnight."""
        ends_at = self.publication.get("ends_at") if self.publication else None
        return ends_at - timedelta(seconds=1) if ends_at else None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.publication["sha256"]) if self.publication else ""

    @property
    def description(self) -> str:
        """One line for link previews (WeChat shows it under the title): the decisions, else the summary."""
        parts = []
        for vote in published_votes(self.content):
            outcome = str((vote.get("result") or {}).get("outcome", ""))
            label = matters.OUTCOME_LABELS.get(outcome)
            parts.append(f"{vote.get('title', '')}: {i18n.gettext(label) if label else outcome}")
        text = "; ".join(parts) or excerpt(str(self.content.get("summary") or self.content.get("correction") or ""), 200)
        return text or i18n.gettext("Minutes published on the community notice board.")


async def may_see_choices(user: CurrentUser | None, community_id: int, vote: Mapping[str, Any]) -> bool:
    """Per-household choices: only for a vote published as open (votes.disclosure), to its electorate and the
    community's staff; a secret vote's choices to nobody."""
    disclosure = disclosure_of(cast(Mapping[str, object] | None, vote.get("settings")))
    if disclosure != "open":
        return False
    return shows_choices(disclosure, "closed", await viewer_of(user, community_id, int(vote["id"])))


async def minutes_view(user: CurrentUser | None, minutes_id: int, base: str) -> MinutesView:
    row = await service.load(minutes_id)
    can = await service.access_for(user, row)
    url = f"{base}/minutes/{minutes_id}"
    publication = await service.publication_of(minutes_id) if row["status"] == "published" else None
    if publication is not None:
        content = cast(dict[str, Any], publication["data"])
    elif can.view_draft:
        content = assemble(await service.facts_for(row))
    else:
        raise NotFound(service.NOT_FOUND)
    community_id = int(row["community"])
    visible = {int(v["id"]): await _named(v) for v in published_votes(content) if await may_see_choices(user, community_id, v)}
    return MinutesView(
        id=minutes_id,
        row=row,
        content=content,
        published=publication is not None,
        url=url,
        qr=qr_svg(url),
        can=can,
        publication=publication,
        addenda=await service.addenda_of(minutes_id) if publication is not None else [],
        choices_visible=visible,
        may_correct=user is not None
        and publication is not None
        and row["kind"] != "notice"
        and (user.is_site_admin or holds("publish_minutes", await roles_in(user.id, community_id))),
    )


async def _published(minutes_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await service.load(minutes_id)
    publication = await service.publication_of(minutes_id)
    if publication is None:
        raise NotFound(service.NOT_FOUND)
    return row, publication


async def _public_record(user: CurrentUser | None, row: dict[str, Any], vote: Mapping[str, Any]) -> dict[str, Any] | None:
    record = vote.get("record")
    if record is None:
        return None
    if await may_see_choices(user, int(row["community"]), vote):
        return await _named(vote)
    if is_pseudonymised(record):
        return dict(record)
    return pseudonymise(record, str(row["redaction_salt"] or row["id"]))


async def _named(vote: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record with real unit labels: minutes published before records were pseudonymised in the chain
    carry it; newer ones carry the public copy, and the named one is the vote's own stored file."""
    record = cast(Mapping[str, object] | None, vote.get("record"))
    if record is None or not is_pseudonymised(record):
        return dict(record) if record is not None else None
    text = await record_text(int(vote["id"]))
    return cast(dict[str, Any], json.loads(text)) if text is not None else None


async def records_document(user: CurrentUser | None, minutes_id: int, base: str) -> dict[str, Any]:
    """Every owners' vote record of published minutes, each with its stored result (`yishi recount` checks each)."""
    row, publication = await _published(minutes_id)
    records = []
    for vote in published_votes(publication["data"]):
        record = await _public_record(user, row, vote)
        if record is not None:
            records.append(
                {"vote": int(vote["id"]), "url": f"{base}/minutes/{minutes_id}/votes/{vote['id']}.json", "record": record}
            )
    return {
        "schema": RECORDS_SCHEMA,
        "minutes": f"{base}/minutes/{minutes_id}",
        "publication": {
            "seq": publication["seq"],
            "sha256": publication["sha256"],
            "previous": publication["previous"],
            "published_at": publication["published_at"].isoformat(),
        },
        "records": records,
    }


async def vote_record(user: CurrentUser | None, minutes_id: int, vote_id: int) -> dict[str, Any]:
    """One vote's `yishi.vote-record/1` record with its "result", as `yishi recount FILE` reads it."""
    row, publication = await _published(minutes_id)
    for vote in published_votes(publication["data"]):
        if int(vote["id"]) == vote_id:
            record = await _public_record(user, row, vote)
            if record is not None:
                return record
    raise NotFound(service.NOT_FOUND)


def render_feed(community: Mapping[str, Any], entries: list[FeedEntry], base: str) -> str:
    """The Atom document (rendered outside a page: no user, no CSRF, no language switcher)."""
    updated = max((e.updated for e in entries), default=community.get("created_at"))
    template = templating.environment().get_template("noticeboard/feed.xml")
    document = template.render(community=community, entries=entries, base=base, updated=updated, html_lang=i18n.html_lang())
    # Whatever was stored (older rows, imports): a character XML cannot carry would make the feed unreadable.
    return xml_text(document)


def css_string(text: str) -> str:
    """`text` as a CSS string literal: quotes, backslashes, angle brackets and control characters escaped."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text)
    return f'"{escaped}"'


async def print_stylesheet(user: CurrentUser | None, minutes_id: int) -> str:
    """The page-margin text of the printed minutes: community and fingerprint on every sheet (or "Draft")."""
    row = await service.load(minutes_id)
    publication = await Publication.select(Publication.sha256).where(Publication.minutes == minutes_id).first()
    if publication is not None:
        label = i18n.gettext("%(name)s · fingerprint %(fp)s") % {
            "name": row["community.name"],
            "fp": fingerprint(str(publication["sha256"])),
        }
    elif (await service.access_for(user, row)).view_draft:
        label = i18n.gettext("Draft: not published")
    else:
        raise NotFound(service.NOT_FOUND)
    return page_margin_css(label)


def page_margin_css(label: str) -> str:
    """A print stylesheet writing `label` in the bottom margin of every sheet (the CSP allows no inline style)."""
    return "@page {\n  @bottom-left { content: " + css_string(label) + "; font-size: 9pt; color: #333; }\n}\n"
