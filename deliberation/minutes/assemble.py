"""The minutes' content, assembled from plain facts (`facts.py`) about a meeting or a written consultation and its votes.

The content is language-independent data (codes, numbers, dates, the texts people wrote); pages translate
the labels when they show it. It is what sign-offs vouch for and what a publication hashes, so it holds
no residents' names: staff appear by role, owners only as the opaque ids of the vote records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from community.canonical import CanonicalError, iso
from deliberation.minutes.facts import (
    CommunityFacts,
    MeetingFacts,
    MinutesFacts,
    NoteFacts,
    SectionFacts,
    VoteFacts,
)

CONTENT_SCHEMA: Final = "yishi.minutes/1"
REMEDY_BASIS: Final = "spc-2009-7-art-12"  # SPC interpretation 法释〔2009〕7号 Art. 12: revoke within one year
NOTE_FIELDS: Final = ("positions_heard", "objections", "agreed_points", "open_points")


def _when(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _section(section: SectionFacts) -> dict[str, object]:
    return {
        "title": section.title,
        "paragraphs": list(section.paragraphs),
        "tables": [{"header": list(header), "rows": [list(row) for row in rows]} for header, rows in section.tables],
        "data": dict(section.data),
    }


def vote_content(vote: VoteFacts) -> dict[str, object]:
    """One decision: question, electorate, ballots, counting, the stored result and its record, settings applied."""
    return {
        "id": vote.id,
        "title": vote.title,
        "question": vote.question,
        "kind": vote.kind,
        "matter": vote.matter,
        "scope": vote.scope_label,
        "window": {
            "opens_at": _when(vote.opens_at),
            "closes_at": _when(vote.closes_at),
            "opened_at": _when(vote.opened_at),
            "closed_at": _when(vote.closed_at),
        },
        "channels": list(vote.channels),
        "settings": dict(vote.settings),
        "electorate": {"entities": vote.entities, "area": vote.total_area, "hash": vote.electorate_hash},
        "ballots": {
            "returned": vote.ballots.returned,
            "by_channel": {channel: count for channel, count in vote.ballots.by_channel},
            "by_choice": {choice: count for choice, count in vote.ballots.by_choice},
            "served": vote.ballots.served,
        },
        "counting": {
            "counters": sorted(vote.counting.counters),
            "scrutineers": sorted(vote.counting.scrutineers),
            "paper_entered": vote.counting.paper_entered,
            "paper_confirmed": vote.counting.paper_confirmed,
            "paper_rejected": vote.counting.paper_rejected,
            "rejection_reasons": list(vote.counting.rejection_reasons),
            "conflicts": [{"kind": kind, "resolution": resolution} for kind, resolution in vote.counting.conflicts],
        },
        "options": list(vote.options),
        "result": dict(vote.result),
        "result_detail": dict(vote.result_detail) if vote.result_detail is not None else None,
        "record": dict(vote.record) if vote.record is not None else None,
        "sections": {
            language: [_section(section) for section in sections] for language, sections in sorted(vote.sections.items())
        },
    }


def _notes(notes: NoteFacts | None) -> dict[str, str]:
    if notes is None:
        return dict.fromkeys(NOTE_FIELDS, "")
    return {name: getattr(notes, name).strip() for name in NOTE_FIELDS}


def _meeting_content(meeting: MeetingFacts, narrative: Mapping[str, str]) -> dict[str, object]:
    attendance = meeting.attendance
    return {
        "id": meeting.id,
        "kind": meeting.kind,
        "title": meeting.title,
        "scope": {"kind": meeting.scope_kind, "places": list(meeting.scope_places)},
        "time": {
            "starts_at": _when(meeting.starts_at),
            "ends_at": _when(meeting.ends_at),
            "started_at": _when(meeting.started_at),
            "closed_at": _when(meeting.closed_at),
        },
        "place": {"venue": meeting.venue, "address": meeting.venue_address},
        "roles": {"facilitator": meeting.facilitator, "recorder": meeting.recorder},
        "guests": [{"role": role, "organisation": organisation} for role, organisation in meeting.guests],
        "attendance": {
            "households": attendance.households,
            "households_present": attendance.households_present,
            "area": attendance.area,
            "area_present": attendance.area_present,
            "by_unit": [
                {
                    "unit": unit.label,
                    "households": unit.households,
                    "households_present": unit.households_present,
                    "area": unit.area,
                    "area_present": unit.area_present,
                }
                for unit in attendance.by_unit
            ],
            "by_method": {method: count for method, count in attendance.by_method},
        },
        "notices": [
            {"number": notice.number, "published_at": iso(notice.published_at), "items": list(notice.items)}
            for notice in meeting.notices
        ],
        "items": [
            {
                "id": item.id,
                "position": item.position,
                "title": item.title,
                "description": item.description,
                "status": item.status,
                "noticed_in": item.noticed_in,
                "notes": _notes(item.notes),
                "narrative": narrative.get(f"item-{item.id}", "").strip(),
                "votes": [vote_content(vote) for vote in item.votes],
                **({"concerns": [
                    {"number": c.number, "kind": c.kind, "building": c.building, "unit": c.unit} for c in item.concerns
                ]} if item.concerns else {}),  # absent, not empty, so minutes assembled before keep their hash
            }
            for item in meeting.items
        ],
    }


def all_votes(facts: MinutesFacts) -> list[VoteFacts]:
    """Every vote the minutes report, in the order they appear."""
    votes = list(facts.votes)
    if facts.meeting is not None:
        for item in facts.meeting.items:
            votes.extend(item.votes)
    return votes


def buildings(facts: MinutesFacts) -> list[str]:
    """The buildings the minutes concern, for the notice board's filter."""
    names: set[str] = set(facts.meeting.buildings) if facts.meeting is not None else set()
    for vote in all_votes(facts):
        names.update(vote.buildings)
    return sorted(names)


def assemble(facts: MinutesFacts) -> dict[str, object]:
    """The content of a draft, exactly as it would be published (sign-offs are added at publication)."""
    votes = all_votes(facts)
    content: dict[str, object] = {
        "schema": CONTENT_SCHEMA,
        "kind": facts.kind,
        "minutes": facts.minutes_id,
        "title": facts.title,
        "community": {"slug": facts.community.slug, "name": facts.community.name, "street": facts.community.street},
        "form": "meeting" if facts.meeting is not None else "written",
        "meeting": _meeting_content(facts.meeting, facts.narrative) if facts.meeting is not None else None,
        "votes": [vote_content(vote) for vote in facts.votes],
        "summary": facts.narrative.get("summary", "").strip(),
        "buildings": buildings(facts),
        # The remedy notice goes with every decision of the owners (Art. 278); other minutes record no such right.
        "remedy": {"basis": REMEDY_BASIS, "years": 1} if any(v.kind == "owners" for v in votes) else None,
    }
    if facts.kind == "addendum" and facts.corrects is not None:
        content["corrects"] = {
            "minutes": facts.corrects.minutes_id,
            "title": facts.corrects.title,
            "sha256": facts.corrects.sha256,
            "published_at": iso(facts.corrects.published_at),
        }
        content["correction"] = facts.narrative.get("correction", "").strip()
    if facts.kind == "notice":
        content["notice"] = {
            "days": facts.notice_days,
            "how_to_object": facts.narrative.get("how_to_object", "").strip(),
        }
    return content


def with_signoffs(content: Mapping[str, object], signoffs: Mapping[str, datetime]) -> dict[str, object]:
    """The published content: the draft as signed, with when each role signed it."""
    return {
        **content,
        "signoffs": [{"role": role, "signed_at": iso(moment)} for role, moment in sorted(signoffs.items())],
    }


def plain_text(content: Mapping[str, object]) -> str:
    """Every string in the content, for the notice board's search (not hashed, derived again when needed)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            if value and len(value) != 64:  # skip hashes: nobody searches for them
                found.append(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key != "record":  # the record is units and opaque ids; searching it only adds noise
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(content)
    return "\n".join(found)


NOTICE_SCHEMA: Final = "yishi.meeting-notice/1"


def meeting_notice_content(
    community: CommunityFacts, meeting_id: int, number: int, noticed_at: datetime, snapshot: Mapping[str, object]
) -> dict[str, object]:
    """What a meeting notice publishes: the meeting and its agenda as noticed, with no one's name (guests
    appear by role and organisation; the facilitator and the recorder by role only, on the meeting's pages)."""

    def text(key: str, source: Mapping[str, object] = snapshot) -> str:
        return "" if source.get(key) is None else str(source.get(key))

    def moment(key: str) -> str | None:
        value = snapshot.get(key)
        if not value:
            return None
        try:
            return iso(datetime.fromisoformat(str(value)))  # one form whichever engine stored the meeting
        except (ValueError, CanonicalError):
            return str(value)

    guests = snapshot.get("guests")
    items = snapshot.get("items")
    places = snapshot.get("scope_places")
    return {
        "schema": NOTICE_SCHEMA,
        "kind": "meeting_notice",
        "meeting_id": meeting_id,
        "number": number,
        "title": text("title"),
        "community": {"slug": community.slug, "name": community.name, "street": community.street},
        "meeting_kind": text("kind"),
        "starts_at": moment("starts_at"),
        "ends_at": moment("ends_at"),
        "venue": {"name": text("venue"), "address": text("venue_address")},
        "scope": {"kind": text("scope_kind"), "places": [str(p) for p in places] if isinstance(places, list) else []},
        "guests": [
            {"role": text("role", g), "organisation": text("organisation", g)}
            for g in (guests if isinstance(guests, list) else [])
            if isinstance(g, Mapping)
        ],
        "items": [
            {"position": int(str(i.get("position") or n)), "title": text("title", i), "description": text("description", i)}
            for n, i in enumerate(items if isinstance(items, list) else [], start=1)
            if isinstance(i, Mapping)
        ],
        "noticed_at": iso(noticed_at),
        "notice_days": days if isinstance(days := snapshot.get("notice_days"), int) else None,  # the period in force
    }
