"""Minutes service: loading and access, the draft's content from the record, sign-offs, publication into the chain.

Starting, editing and discarding a draft is `drafts.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from community.accounts import CurrentUser, roles_in
from community.audit import audit as audit_log
from community.canonical import content_hash
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, NotFound
from community.i18n import lazy
from community.permissions import community_by_slug, require_role
from community.roles import holds
from community.tables import Membership
from deliberation.minutes import chain, gather, rules
from deliberation.minutes.assemble import all_votes, assemble, plain_text, with_signoffs
from deliberation.minutes.community import community_facts
from deliberation.minutes.facts import CorrectionFacts, MinutesFacts, VoteFacts
from deliberation.minutes.tables import Minutes, Publication, Signoff
from deliberation.tables import Meeting
from deliberation.text import excerpt
from votes.tables import Vote

NOT_FOUND = lazy("These minutes do not exist, or they are not published yet.")
PUBLISH_ATTEMPTS = 3


async def audit(community_id: int, actor: int | None, action: str, minutes_id: int, detail: dict[str, object] | None = None) -> None:
    await audit_log(action, actor=actor, community=community_id, object_type="minutes", object_id=minutes_id, details=detail or {})


# --- Loading and access -----------------------------------------------------------------------------------


async def load(minutes_id: int) -> dict[str, Any]:
    row = await Minutes.select(*Minutes.all_columns(), Minutes.community.slug, Minutes.community.name).where(
        Minutes.id == minutes_id
    ).output(load_json=True).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def access_for(user: CurrentUser | None, row: dict[str, Any]) -> rules.Access:
    if user is None:
        return rules.Access(view_draft=False, edit=False, sign_as=(), publish=False)
    facts = rules.Facts(
        account_id=user.id,
        is_site_admin=user.is_site_admin,
        roles=frozenset(await roles_in(user.id, int(row["community"]))),
        facilitator_id=row["facilitator"],
        recorder_id=row["recorder"],
        published=row["status"] == "published",
    )
    return rules.access(facts)


async def for_staff(user: CurrentUser, minutes_id: int, need: str = "view_draft") -> tuple[dict[str, Any], rules.Access]:
    """The minutes if the user may `need` ("view_draft", "edit", "publish"): 404 if not even visible, else 403."""
    row = await load(minutes_id)
    can = await access_for(user, row)
    if not can.view_draft:
        raise NotFound(NOT_FOUND)
    if need != "view_draft" and not getattr(can, need):
        if row["status"] == "published":
            raise Conflict(lazy("These minutes are published and can no longer change. Publish an addendum instead."))
        raise Forbidden("You are not allowed to see or do this.")
    return row, can


# --- The draft's content ----------------------------------------------------------------------------------


async def facts_for(row: dict[str, Any]) -> MinutesFacts:
    community = await community_facts(int(row["community"]))
    narrative = cast(dict[str, str], row["narrative"] or {})
    kind = str(row["kind"])
    meeting = None
    votes: tuple[VoteFacts, ...] = ()
    corrects = None
    if kind == "addendum":
        original = await Publication.select(
            Publication.minutes, Publication.title, Publication.sha256, Publication.published_at
        ).where(Publication.minutes == row["corrects"]).first()
        if original is not None:
            corrects = CorrectionFacts(
                int(original["minutes"]), str(original["title"]), str(original["sha256"]), original["published_at"]
            )
    elif row["meeting"] is not None:
        meeting = await gather.meeting_facts(int(row["meeting"]))
    elif row["vote"] is not None:
        votes = (await gather.vote_facts(int(row["vote"])),)
    return MinutesFacts(
        minutes_id=int(row["id"]),
        kind=kind,
        title=str(row["title"]),
        community=community,
        meeting=meeting,
        votes=votes,
        narrative=narrative,
        corrects=corrects,
        notice_days=row["notice_days"],
    )


@dataclass
class Draft:
    """A draft as its edit page shows it: the content as it would be published, and where the sign-offs stand."""

    row: dict[str, Any]
    can: rules.Access
    facts: MinutesFacts
    content: dict[str, object]
    hash: str
    signoffs: dict[str, dict[str, Any]]  # role → {"account", "name", "signed_at", "current"}
    missing: list[str]
    open_votes: list[str] = field(default_factory=list)
    parts: tuple[str, ...] = ()
    people: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        return rules.signing_roles(str(self.row["kind"]))

    @property
    def publishable(self) -> bool:
        return not self.missing and not self.open_votes


async def signoffs_of(minutes_id: int) -> list[dict[str, Any]]:
    return await Signoff.select(
        Signoff.role, Signoff.account, Signoff.content_hash, Signoff.signed_at, Signoff.account.display_name
    ).where(Signoff.minutes == minutes_id)


async def open_votes_of(row: dict[str, Any]) -> list[str]:
    """Titles of votes the minutes report that have not closed yet (they block publication)."""
    titles = []
    if row["meeting"] is not None:
        open_rows = await Vote.select(Vote.title).where(
            (Vote.agenda_item.meeting == row["meeting"]) & Vote.status.is_in(["scheduled", "open"])
        )
        titles += [str(r["title"]) for r in open_rows]
    return titles


async def eligible_people(community_id: int) -> dict[str, list[dict[str, Any]]]:
    """Who may be named: facilitators for the facilitator; any staff member for the recorder."""
    rows = await Membership.select(Membership.account.id, Membership.account.display_name, Membership.role).where(
        (Membership.community == community_id) & Membership.role.is_in(sorted(rules.STAFF_ROLES))
    ).order_by(Membership.account.display_name)
    people: dict[str, dict[int, dict[str, Any]]] = {"facilitator": {}, "recorder": {}}
    for r in rows:
        person = {"id": int(r["account.id"]), "name": r["account.display_name"]}
        if holds("publish_minutes", (r["role"],)):
            people["facilitator"][person["id"]] = person
        people["recorder"][person["id"]] = person
    return {role: list(found.values()) for role, found in people.items()}


async def draft(user: CurrentUser, minutes_id: int) -> Draft:
    row, can = await for_staff(user, minutes_id)
    facts = await facts_for(row)
    content = assemble(facts)
    current = content_hash(content)
    signed = {}
    for s in await signoffs_of(minutes_id):
        signed[str(s["role"])] = {
            "account": s["account"],
            "name": s["account.display_name"] or "",
            "signed_at": s["signed_at"],
            "current": s["content_hash"] == current,
            "hash": s["content_hash"],
        }
    missing = rules.missing_signoffs(str(row["kind"]), {r: str(v["hash"]) for r, v in signed.items()}, current)
    item_ids = [item.id for item in facts.meeting.items] if facts.meeting else []
    return Draft(
        row=row,
        can=can,
        facts=facts,
        content=content,
        hash=current,
        signoffs=signed,
        missing=missing,
        open_votes=await open_votes_of(row),
        parts=rules.narrative_parts(str(row["kind"]), item_ids),
        people=await eligible_people(int(row["community"])) if can.edit else {},
    )



# --- Sign-off and publication -----------------------------------------------------------------------------


async def sign(user: CurrentUser, minutes_id: int, role: str, seen_hash: str) -> None:
    """Sign off the version the user read (`seen_hash`); refused if the draft changed since it was shown."""
    row, can = await for_staff(user, minutes_id)
    if row["status"] != "draft":
        raise Conflict(lazy("These minutes are published and can no longer change. Publish an addendum instead."))
    if role not in rules.signing_roles(str(row["kind"])) or role not in can.sign_as:
        raise Forbidden(lazy("Only the named recorder and facilitator sign off, each from their own account."))
    current = content_hash(assemble(await facts_for(row)))
    if seen_hash != current:
        raise Conflict(lazy("The minutes changed after you opened them. Read them again before you sign off."))
    async with write_transaction():
        await Signoff.delete().where((Signoff.minutes == minutes_id) & (Signoff.role == role))
        await Signoff.insert(Signoff(minutes=minutes_id, role=role, account=user.id, content_hash=current, signed_at=now()))
        await audit(int(row["community"]), user.id, "minutes_signed", minutes_id, {"role": role, "sha256": current})


def _outcomes(facts: MinutesFacts) -> list[dict[str, object]]:
    return [
        {"vote": v.id, "title": v.title, "kind": v.kind, "outcome": str(v.result.get("outcome", ""))}
        for v in all_votes(facts)
    ]


def _summary(facts: MinutesFacts) -> str:
    text = facts.narrative.get("correction" if facts.kind == "addendum" else "summary", "")
    return excerpt(text, 300)


async def publish(user: CurrentUser, minutes_id: int) -> int:
    """Publish the signed draft: its content, chained to the community's previous publication. Returns its seq."""
    row, _can = await for_staff(user, minutes_id, "publish")
    facts = await facts_for(row)
    content = assemble(facts)
    current = content_hash(content)
    signed = {str(s["role"]): s for s in await signoffs_of(minutes_id)}
    missing = rules.missing_signoffs(str(row["kind"]), {r: str(s["content_hash"]) for r, s in signed.items()}, current)
    if missing:
        raise Conflict(lazy("Both the recorder and the facilitator must sign off this version before it is published."))
    if await open_votes_of(row):
        raise Conflict(lazy("A vote of this meeting is still open. Publish the minutes once it has closed."))
    final = with_signoffs(content, {role: signed[role]["signed_at"] for role in rules.signing_roles(str(row["kind"]))})
    community_id = int(row["community"])
    tz = ZoneInfo(get_config().timezone)
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            async with write_transaction():
                fresh = await Minutes.select(Minutes.status).where(Minutes.id == minutes_id).first()
                if fresh is None or fresh["status"] != "draft":
                    raise Conflict(lazy("These minutes have already been published."))
                published_at = now().replace(microsecond=0)
                ends_at = None
                if row["kind"] == "notice" and row["notice_days"]:
                    from votes.projects.lifecycle import notice_end

                    ends_at = notice_end(published_at, int(row["notice_days"]), tz)
                seq, digest = await chain.append(
                    community_id,
                    str(row["kind"]),
                    final,
                    published_at=published_at,
                    published_by=user.id,
                    title=str(row["title"]),
                    summary=_summary(facts),
                    buildings=cast(list[str], final["buildings"]),
                    outcomes=_outcomes(facts),
                    search_text=plain_text(final),
                    minutes=minutes_id,
                    ends_at=ends_at,
                )
                await Minutes.update({Minutes.status: "published", Minutes.published_at: published_at}).where(
                    Minutes.id == minutes_id
                )
                await audit(community_id, user.id, "minutes_published", minutes_id, {"seq": seq, "sha256": digest})
            return seq
        except Exception as exc:
            # Someone else took this place in the chain a moment ago: read the new end of the chain and retry.
            if not is_unique_violation(exc) or attempt == PUBLISH_ATTEMPTS - 1:
                if is_unique_violation(exc):
                    raise Conflict(lazy("Someone else published at the same moment. Please try again.")) from exc
                raise
    raise AssertionError("unreachable")


# --- Published minutes --------------------------------------------------------------------------------------


async def publication_of(minutes_id: int) -> dict[str, Any] | None:
    row = await Publication.select().where(Publication.minutes == minutes_id).first()
    if row is None:
        return None
    row = dict(row)
    row["data"] = json.loads(row["content"])
    return row


async def addenda_of(minutes_id: int) -> list[dict[str, Any]]:
    """Published addenda correcting these minutes, oldest first (the original's link to them)."""
    return await Publication.select(
        Publication.minutes, Publication.seq, Publication.title, Publication.published_at, Publication.sha256
    ).where((Publication.kind == "addendum") & (Publication.minutes.corrects == minutes_id)).order_by(Publication.seq)


# --- The staff's list ---------------------------------------------------------------------------------------


async def workspace(user: CurrentUser, slug: str) -> dict[str, Any]:
    """Drafts, published minutes and what still needs minutes or a result notice, for the community's staff."""
    community = await community_by_slug(slug)
    community_id = int(community["id"])
    roles = await require_role(user, community_id, *rules.STAFF_ROLES)
    organiser = user.is_site_admin or holds("publish_minutes", roles)
    minutes = await Minutes.select(
        Minutes.id, Minutes.kind, Minutes.title, Minutes.status, Minutes.meeting, Minutes.vote, Minutes.corrects,
        Minutes.created_at, Minutes.published_at,
    ).where(Minutes.community == community_id).order_by(Minutes.id, ascending=False)  # fmt: skip
    with_minutes = {int(m["meeting"]) for m in minutes if m["kind"] == "minutes" and m["meeting"] is not None}
    written = {int(m["vote"]) for m in minutes if m["kind"] == "minutes" and m["vote"] is not None}
    noticed = {int(m["vote"]) for m in minutes if m["kind"] == "notice" and m["vote"] is not None}
    meetings = await Meeting.select(Meeting.id, Meeting.title, Meeting.kind, Meeting.closed_at).where(
        (Meeting.community == community_id) & (Meeting.status == "closed")
    ).order_by(Meeting.closed_at, ascending=False)
    votes = await Vote.select(Vote.id, Vote.title, Vote.agenda_item, Vote.result, Vote.closed_at).where(
        (Vote.community == community_id) & (Vote.status == "closed")
    ).order_by(Vote.closed_at, ascending=False).output(load_json=True)
    return {
        "community": community,
        "organiser": organiser,
        "drafts": [m for m in minutes if m["status"] == "draft"],
        "published": [m for m in minutes if m["status"] == "published"],
        "meetings": [m for m in meetings if int(m["id"]) not in with_minutes],
        "consultations": [v for v in votes if v["agenda_item"] is None and int(v["id"]) not in written],
        "notices": [v for v in votes if int(v["id"]) not in noticed and (v["result"] or {}).get("outcome") == "passed"],
    }
