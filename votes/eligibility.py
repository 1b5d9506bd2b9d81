"""Who may cast which ballot online: the voting entities an account may vote for, or why it may not."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from community.i18n import lazy
from votes.rules import DEVELOPER
from votes.settings import VoteKind

Reason = Literal[
    "designated", "unverified", "after_snapshot", "tenant", "tenant_poll", "outside_scope", "not_owner",
    "not_attached", "no_online",
]

REASONS: Final[dict[Reason, str]] = {
    "designated": lazy(
        "The co-owners of {unit} named another owner to vote for the flat. Only that owner's ballot counts."
    ),
    "unverified": lazy(
        "Your link to {unit} has not been verified yet. Ask the residents' committee or your grid worker to "
        "verify it; then you can vote."
    ),
    "after_snapshot": lazy(
        "You became an owner of a flat in this vote after it opened. Who may vote is fixed by the register on "
        "the day the vote opened, on every channel: the owner on that day votes for the flat."
    ),
    "tenant": lazy(
        "Tenants do not vote in owners' decisions. You can vote for an owner who authorises you in writing: "
        "ask the residents' committee to record the authorisation."
    ),
    "tenant_poll": lazy(
        "This poll asks only the owners of the flats concerned, so tenants do not answer it. Other polls are open "
        "to every resident."
    ),
    "outside_scope": lazy("This vote concerns only {scope}. Your flat is not part of it."),
    "not_owner": lazy(
        "Only verified owners of the flats concerned can vote. Your account is not linked to an owner in this "
        "community."
    ),
    "not_attached": lazy(
        "Only people registered as living in or owning the flats concerned can vote. Your account is not linked "
        "to such a flat."
    ),
    "no_online": lazy("This vote takes no ballots online. Please use your paper ballot or vote at the meeting."),
}


@dataclass(frozen=True, slots=True)
class ElectorFlat:
    """A snapshot flat as eligibility needs it."""

    unit: str
    flat_id: int
    entity_key: str
    owner_persons: Mapping[int, str]  # person id → opaque id
    designated_person: int | None = None
    developer_unsold: bool = False
    resident_persons: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class AccountLinks:
    """An account's standing in the community's current roster."""

    person_ids: frozenset[int]
    verified: frozenset[tuple[int, int]]  # (flat id, person id) with a verification not revoked
    owned_flats: frozenset[int] = frozenset()  # flats its people own now, anywhere in the community
    lived_flats: frozenset[int] = frozenset()  # flats its people rent or live in as family


@dataclass(frozen=True, slots=True)
class ProxyGrant:
    """A written authorisation this account holds: it votes for `owner_voter` of the entity."""

    proxy_id: int
    entity_key: str
    owner_voter: str
    owner_person: int


@dataclass(frozen=True, slots=True)
class Right:
    """The account may cast the ballot of `entity_key`, as `voter` for `unit` (through `proxy_id` if set)."""

    entity_key: str
    unit: str
    voter: str
    voter_person: int
    proxy_id: int | None = None
    units: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Eligibility:
    rights: tuple[Right, ...]
    reason: Reason | None
    reason_unit: str = ""

    @property
    def message(self) -> str:
        return REASONS[self.reason] if self.reason else ""


def _voter_allowed(flat: ElectorFlat, person: int) -> bool:
    return flat.designated_person is None or flat.designated_person == person


def eligibility(
    kind: VoteKind,
    flats: Sequence[ElectorFlat],
    links: AccountLinks,
    proxies: Sequence[ProxyGrant] = (),
    online: bool = True,
    opaque: Callable[[int], str] | None = None,
    electorate_flat_ids: frozenset[int] | None = None,
    residents: bool | None = None,
) -> Eligibility:
    """Every entity the account may vote for (its own, then those it holds a proxy for), or the reason none.

    Owners' votes and polls: a verified owner of a flat of the electorate, who is its designated voter if the
    co-owners named one. Residents' meetings: anyone verified as owning or living in a household of the
    electorate (tenants included); `opaque` gives their id in the record. `flats` may be just the snapshot
    flats the account is linked to; `electorate_flat_ids` then says which of its roster flats are in the vote.
    Polls are open to residents too unless the poll asks owners only (`residents`, by default only for a
    residents' meeting): a tenant then answers for the voting entity of the flat she lives in.
    """
    if residents is None:
        residents = kind == "residents"
    units_of: dict[str, list[str]] = {}
    for flat in flats:
        units_of.setdefault(flat.entity_key, []).append(flat.unit)
    rights: dict[str, Right] = {}
    reason: Reason | None = None
    reason_unit = ""

    def note(new: Reason, unit: str) -> None:
        nonlocal reason, reason_unit
        order: tuple[Reason, ...] = (
            "designated", "unverified", "after_snapshot", "tenant", "tenant_poll", "outside_scope", "not_owner",
            "not_attached",
        )
        if reason is None or order.index(new) < order.index(reason):
            reason, reason_unit = new, unit

    in_electorate = electorate_flat_ids if electorate_flat_ids is not None else frozenset(f.flat_id for f in flats)
    for flat in flats:
        if residents:
            people = (set(flat.owner_persons) | set(flat.resident_persons)) & links.person_ids
        else:
            people = set(flat.owner_persons) & links.person_ids
        for person in sorted(people):
            if (flat.flat_id, person) not in links.verified:
                note("unverified", flat.unit)
                continue
            if not residents and not _voter_allowed(flat, person):
                note("designated", flat.unit)
                continue
            if flat.entity_key in rights:
                continue
            if residents and not (kind != "residents" and flat.developer_unsold):
                voter = flat.owner_persons.get(person) or (opaque(person) if opaque else f"r{person}")
            elif flat.developer_unsold:
                voter = DEVELOPER
            else:
                voter = flat.owner_persons[person]
            rights[flat.entity_key] = Right(
                flat.entity_key, flat.unit, voter, person, units=tuple(units_of[flat.entity_key])
            )
    for grant in proxies:
        if grant.entity_key in rights:
            continue
        unit = next(
            (
                flat.unit
                for flat in flats
                if flat.entity_key == grant.entity_key
                and (grant.owner_voter == DEVELOPER or grant.owner_voter in flat.owner_persons.values())
                and (flat.developer_unsold or _voter_allowed(flat, grant.owner_person))
            ),
            None,
        )
        if unit is not None:
            rights[grant.entity_key] = Right(
                grant.entity_key,
                unit,
                grant.owner_voter,
                grant.owner_person,
                proxy_id=grant.proxy_id,
                units=tuple(units_of[grant.entity_key]),
            )
    if rights:
        if not online:
            return Eligibility((), "no_online")
        return Eligibility(tuple(rights.values()), None)
    if reason is None:
        if not residents and links.owned_flats & in_electorate:
            note("after_snapshot", "")
        elif not residents and links.lived_flats & in_electorate:
            note("tenant_poll" if kind == "poll" else "tenant", "")
        elif (links.owned_flats | (links.lived_flats if residents else frozenset())) - in_electorate:
            note("outside_scope", "")
        else:
            note("not_attached" if residents else "not_owner", "")
    return Eligibility((), reason, reason_unit)
