"""Reading the record for the minutes: meetings, notices, notes, attendance and votes, as plain facts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

from community import i18n
from community.tables import Building, Membership
from deliberation import contributions
from deliberation.attendance_rules import attendance_summary
from deliberation.concerns.core import visible_to_public
from deliberation.concerns.tables import Concern
from deliberation.minutes.facts import (
    AttendanceFacts,
    BallotFacts,
    ConcernFacts,
    CountingFacts,
    ItemFacts,
    MeetingFacts,
    NoteFacts,
    NoticeFacts,
    SectionFacts,
    UnitAttendance,
    VoteFacts,
)
from deliberation.minutes.rules import item_status
from deliberation.tables import AgendaItem, Attendance, ItemNote, Meeting, MeetingGuest, Notice
from votes.disclosure import pseudonymise
from votes.privacy import record_salt
from votes.record import VoteRecord, decode_json, record_to_json
from votes.rules import Ballot as RuleBallot
from votes.rules import Flat as RuleFlat
from votes.rules import Settings, SpoiledBallots
from votes.tables import Ballot, PaperBallot, Proxy, Vote, VoteFlat, VoteRecordFile
from votes.tables import Conflict as BallotConflict

# Roles in the order a counter's or scrutineer's role is named: the most specific first.
ROLE_ORDER = ("recorder", "grid_worker", "building_lead", "facilitator")


def loaded(value: object) -> Any:
    """A JSON column's value, whether the engine gave text (SQLite) or already decoded data."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


async def role_of(account_ids: set[int], community_id: int) -> dict[int, str]:
    """One role code per account, as the minutes name people: by role, never by name."""
    if not account_ids:
        return {}
    rows = await Membership.select(Membership.account, Membership.role).where(
        Membership.account.is_in(sorted(account_ids)) & (Membership.community == community_id)
    )
    held: dict[int, set[str]] = {}
    for row in rows:
        held.setdefault(int(row["account"]), set()).add(str(row["role"]))
    result = {}
    for account in account_ids:
        roles = held.get(account, set())
        result[account] = next((role for role in ROLE_ORDER if role in roles), "staff")
    return result


# --- Votes ----------------------------------------------------------------------------------------------


async def record_from_tables(vote_id: int) -> VoteRecord | None:
    """An owners' vote's record rebuilt from its electorate snapshot and counted ballots (None for other kinds).

    Built independently of the votes package's own count, so an audit compares two computations.
    """
    vote = await Vote.select(Vote.id, Vote.kind, Vote.matter, Vote.title, Vote.settings).where(
        Vote.id == vote_id
    ).output(load_json=True).first()
    if vote is None or vote["kind"] != "owners" or vote["matter"] is None:
        return None
    settings = cast(Mapping[str, object], vote["settings"] or {})
    silent = settings.get("silent_majority") is True
    spoiled: SpoiledBallots = "exclude" if settings.get("spoiled_ballots") == "exclude" else "participate"
    flats = await VoteFlat.select(
        VoteFlat.unit, VoteFlat.area, VoteFlat.owners, VoteFlat.designated_voter, VoteFlat.developer_unsold, VoteFlat.served
    ).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position).output(load_json=True)
    ballots = await Ballot.select(Ballot.unit, Ballot.voter, Ballot.choice, Ballot.channel, Ballot.proxy).where(
        Ballot.vote == vote_id
    ).order_by(Ballot.id)
    proxy_ids = sorted({int(b["proxy"]) for b in ballots if b["proxy"] is not None})
    proxies = {
        int(p["id"]): str(p["proxy_opaque"])
        for p in (await Proxy.select(Proxy.id, Proxy.proxy_opaque).where(Proxy.id.is_in(proxy_ids)) if proxy_ids else [])
    }
    return VoteRecord(
        matter=int(vote["matter"]),
        settings=Settings(spoiled_ballots=spoiled, silent_majority=silent),
        flats=tuple(
            RuleFlat(
                unit=str(f["unit"]),
                area=int(f["area"]),
                owners=frozenset(str(o) for o in (f["owners"] or [])),
                designated_voter=f["designated_voter"],
                developer_unsold=bool(f["developer_unsold"]),
            )
            for f in flats
        ),
        ballots=tuple(
            RuleBallot(
                unit=str(b["unit"]),
                voter=str(b["voter"]),
                choice=b["choice"],
                channel=b["channel"],
                proxy=proxies.get(int(b["proxy"])) if b["proxy"] is not None else None,
            )
            for b in ballots
        ),
        served=frozenset(str(f["unit"]) for f in flats if f["served"]) if silent else frozenset(),
        vote_id=f"v-{vote_id}",
        title=str(vote["title"]),
    )


async def stored_record(vote_id: int, result: Mapping[str, object] | None) -> dict[str, object] | None:
    """The record as the votes package stored it at the close, else rebuilt from the tables with the stored result."""
    row = await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first()
    if row is not None:
        return decode_json(str(row["body"]))
    record = await record_from_tables(vote_id)
    if record is None or result is None:
        return None
    body = record_to_json(record)
    body["result"] = dict(result)
    return body


async def public_record(vote_id: int, result: Mapping[str, object] | None) -> dict[str, object] | None:
    """The stored record with units and owners by the same pseudonyms as /v/{id}/record.json."""
    record = await stored_record(vote_id, result)
    return None if record is None else pseudonymise(record, record_salt(vote_id))


async def vote_buildings(vote_id: int) -> tuple[str, ...]:
    flat_ids = [int(r["flat_id"]) for r in await VoteFlat.select(VoteFlat.flat_id).where(VoteFlat.vote == vote_id)]
    if not flat_ids:
        return ()
    from community.tables import Flat

    rows = await Flat.select(Flat.stairwell_unit.building.name).where(Flat.id.is_in(flat_ids)).distinct()
    return tuple(sorted({str(r["stairwell_unit.building.name"]) for r in rows}))


async def contributed_sections(vote_id: int) -> dict[str, tuple[SectionFacts, ...]]:
    """What other packages add to a vote's minutes, in every interface language (the content keeps both)."""
    found: dict[str, tuple[SectionFacts, ...]] = {}
    for code in i18n.LANGUAGES:
        with i18n.language(code):
            sections = await contributions.minutes_sections(vote_id)
        found[code] = tuple(SectionFacts(s.title, tuple(s.paragraphs), tuple(s.tables), dict(s.data)) for s in sections)
    if not any(found.values()):
        return {}
    return found


async def counting_facts(vote_id: int, community_id: int) -> CountingFacts:
    papers = await PaperBallot.select(
        PaperBallot.status, PaperBallot.note, PaperBallot.entered_by, PaperBallot.confirmed_by
    ).where(PaperBallot.vote == vote_id).order_by(PaperBallot.id)
    entered_by = {int(p["entered_by"]) for p in papers if p["entered_by"] is not None}
    confirmed_by = {int(p["confirmed_by"]) for p in papers if p["confirmed_by"] is not None}
    roles = await role_of(entered_by | confirmed_by, community_id)
    conflicts = await BallotConflict.select(BallotConflict.kind, BallotConflict.resolution).where(
        BallotConflict.vote == vote_id
    ).order_by(BallotConflict.id)
    status = Counter(str(p["status"]) for p in papers)
    return CountingFacts(
        counters=tuple(sorted(roles[a] for a in entered_by)),
        scrutineers=tuple(sorted(roles[a] for a in confirmed_by)),
        paper_entered=len(papers),
        paper_confirmed=status.get("confirmed", 0),
        paper_rejected=status.get("rejected", 0),
        rejection_reasons=tuple(str(p["note"]) for p in papers if p["status"] == "rejected" and p["note"]),
        conflicts=tuple((str(c["kind"]), str(c["resolution"])) for c in conflicts),
    )


async def vote_facts(vote_id: int) -> VoteFacts:
    vote = await Vote.select().where(Vote.id == vote_id).output(load_json=True).first()
    assert vote is not None
    ballots = await Ballot.select(Ballot.channel, Ballot.choice).where(Ballot.vote == vote_id)
    served = int(await VoteFlat.count().where((VoteFlat.vote == vote_id) & VoteFlat.served.eq(True)))
    result = cast(Mapping[str, object], vote["result"] or {})
    return VoteFacts(
        id=int(vote["id"]),
        title=str(vote["title"]),
        question=str(vote["question"] or ""),
        kind=str(vote["kind"]),
        matter=vote["matter"],
        scope_label=str(vote["scope_label"] or ""),
        opens_at=vote["opens_at"],
        closes_at=vote["closes_at"],
        opened_at=vote["opened_at"],
        closed_at=vote["closed_at"],
        channels=tuple(str(c) for c in (vote["channels"] or [])),
        settings=cast(Mapping[str, object], vote["settings"] or {}),
        entities=int(vote["entities"]),
        total_area=int(vote["total_area"]),
        electorate_hash=str(vote["electorate_hash"] or ""),
        result=result,
        result_detail=cast(Mapping[str, object] | None, vote["result_detail"]),
        # A vote still open has no record yet: its ballots are counted, and published, only at the close. The
        # minutes are public and chained for ever: their copy is the pseudonymised one (votes.disclosure).
        record=await public_record(vote_id, result) if vote["kind"] == "owners" and vote["status"] == "closed" else None,
        options=tuple(str(o) for o in (vote["options"] or [])),
        ballots=BallotFacts(
            returned=len(ballots),
            by_channel=tuple(sorted(Counter(str(b["channel"]) for b in ballots).items())),
            by_choice=tuple(sorted(Counter(str(b["choice"]) for b in ballots).items())),
            served=served,
        ),
        counting=await counting_facts(vote_id, int(vote["community"])),
        sections=await contributed_sections(vote_id),
        buildings=await vote_buildings(vote_id),
    )


# --- Meetings -------------------------------------------------------------------------------------------


async def notice_facts(meeting_id: int) -> tuple[NoticeFacts, ...]:
    rows = await Notice.select(Notice.number, Notice.published_at, Notice.snapshot).where(
        Notice.meeting == meeting_id
    ).order_by(Notice.number).output(load_json=True)
    notices = []
    for row in rows:
        snapshot = cast(Mapping[str, Any], row["snapshot"] or {})
        titles = tuple(str(item.get("title", "")) for item in snapshot.get("items", []))
        notices.append(NoticeFacts(int(row["number"]), row["published_at"], titles))
    return tuple(notices)


async def attendance_facts(meeting: Mapping[str, Any]) -> tuple[AttendanceFacts, tuple[str, ...]]:
    """Households and area present, per stairwell unit, and the names of the buildings the meeting covers."""
    from deliberation.session import scope_places

    places = await scope_places(dict(meeting))
    present = await Attendance.select(Attendance.flat, Attendance.method).where(Attendance.meeting == meeting["id"])
    summary = attendance_summary(places, [int(r["flat"]) for r in present])
    in_scope = {p.flat_id for p in places}
    building_ids = sorted({p.building_id for p in places})
    names = (
        tuple(sorted({str(b["name"]) for b in await Building.select(Building.name).where(Building.id.is_in(building_ids))}))
        if building_ids
        else ()
    )
    methods = Counter(str(r["method"]) for r in present if int(r["flat"]) in in_scope)
    facts = AttendanceFacts(
        households=summary.total.households,
        households_present=summary.total.households_present,
        area=summary.total.area,
        area_present=summary.total.area_present,
        by_unit=tuple(
            UnitAttendance(
                u.unit_label, u.count.households, u.count.households_present, u.count.area, u.count.area_present
            )
            for u in summary.units
        ),
        by_method=tuple(sorted(methods.items())),
    )
    return facts, names


async def meeting_facts(meeting_id: int) -> MeetingFacts:
    from deliberation.meetings import scope_label, scope_options

    meeting = await Meeting.select(
        *Meeting.all_columns(), Meeting.venue.name, Meeting.venue.address
    ).where(Meeting.id == meeting_id).first()
    assert meeting is not None
    _kind_label, places = scope_label(meeting, await scope_options(int(meeting["community"])))
    guests = await MeetingGuest.select(MeetingGuest.role, MeetingGuest.organisation).where(
        MeetingGuest.meeting == meeting_id
    ).order_by(MeetingGuest.id)
    notices = await notice_facts(meeting_id)
    items = await AgendaItem.select().where(AgendaItem.meeting == meeting_id).order_by(AgendaItem.position).order_by(
        AgendaItem.id
    )
    notes = {
        int(n["item"]): n
        for n in await ItemNote.select().where(ItemNote.item.is_in([int(i["id"]) for i in items] or [-1]))
    }
    votes_by_item: dict[int, list[int]] = {}
    closed_items: set[int] = set()
    for row in await Vote.select(Vote.id, Vote.agenda_item, Vote.status).where(
        Vote.agenda_item.is_in([int(i["id"]) for i in items] or [-1]) & (Vote.status != "draft")
    ).order_by(Vote.id):
        votes_by_item.setdefault(int(row["agenda_item"]), []).append(int(row["id"]))
        if row["status"] == "closed":
            closed_items.add(int(row["agenda_item"]))
    concerns_by_item: dict[int, list[ConcernFacts]] = {}
    for row in await Concern.select(
        Concern.id, Concern.kind, Concern.agenda_item, Concern.building.name, Concern.stairwell_unit.name
    ).where(Concern.agenda_item.is_in([int(i["id"]) for i in items] or [-1])).order_by(Concern.id):
        public_place = visible_to_public(str(row["kind"]))  # a neighbour dispute is never placed in public
        concerns_by_item.setdefault(int(row["agenda_item"]), []).append(ConcernFacts(
            int(row["id"]), str(row["kind"]), str(row["building.name"] or "") if public_place else "",
            str(row["stairwell_unit.name"] or "") if public_place else ""))  # fmt: skip
    item_facts = []
    for item in items:
        title = str(item["title"])
        noticed_in = next((n.number for n in notices if title in n.items), None)
        note = notes.get(int(item["id"]))
        item_facts.append(
            ItemFacts(
                id=int(item["id"]),
                position=int(item["position"]),
                title=title,
                description=str(item["description"] or ""),
                status=item_status(str(item["status"]), int(item["id"]) in closed_items),
                noticed_in=noticed_in,
                notes=NoteFacts(
                    str(note["positions_heard"] or ""),
                    str(note["objections"] or ""),
                    str(note["agreed_points"] or ""),
                    str(note["open_points"] or ""),
                )
                if note
                else None,
                votes=tuple([await vote_facts(vote_id) for vote_id in votes_by_item.get(int(item["id"]), [])]),
                concerns=tuple(concerns_by_item.get(int(item["id"]), ())),
            )
        )
    attendance, buildings = await attendance_facts(meeting)
    return MeetingFacts(
        id=int(meeting["id"]),
        kind=str(meeting["kind"]),
        title=str(meeting["title"]),
        scope_kind=str(meeting["scope_kind"]),
        scope_places=tuple(places),
        starts_at=meeting["starts_at"],
        ends_at=meeting["ends_at"],
        started_at=meeting["started_at"],
        closed_at=meeting["closed_at"],
        venue=str(meeting["venue.name"] or ""),
        venue_address=str(meeting["venue.address"] or ""),
        facilitator=meeting["facilitator"] is not None,
        recorder=meeting["recorder"] is not None,
        guests=tuple((str(g["role"]), str(g["organisation"] or "")) for g in guests),
        attendance=attendance,
        notices=notices,
        items=tuple(item_facts),
        buildings=buildings,
    )
