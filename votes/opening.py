"""Publishing a vote: the electorate snapshot frozen when it opens, now or at its opening time."""

from __future__ import annotations

from collections.abc import Sequence

from community import events
from community.accounts import CurrentUser
from community.bulk_sql import STATISTICS_AFTER, fetch_tuples, refresh_statistics, write_many
from community.clock import now
from community.db import write_transaction
from community.errors import Conflict
from community.i18n import lazy
from community.roster.scope import Scope, flats_in_scope
from votes import period_checks
from votes import settings as vote_settings
from votes.electorate import RosterFlat, Snapshot, SnapshotProblem, build_snapshot
from votes.events import VoteOpened
from votes.lifecycle import publish_target, window_errors
from votes.participation import natural_key
from votes.services import VoteInfo, audit, get_vote, lock_vote, opaque_ids, require_facilitator
from votes.settings import VoteSettings
from votes.tables import Vote


async def publish_vote(user: CurrentUser, vote_id: int) -> str:
    """Publish a draft: it opens now (freezing the electorate) or at its opening time. Returns the new status."""
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    if vote.status not in ("draft", "scheduled"):
        raise Conflict(lazy("This vote has already been published."))
    opening_now = None if vote.status == "scheduled" else vote.opens_at  # "open now" on a scheduled vote
    await period_checks.check_window(vote.community_id, vote.kind, vote.matter, opening_now, vote.closes_at, now())
    if vote.status == "scheduled":
        await open_vote_as(vote, actor=user.id)
        return "open"
    errors = window_errors(vote.opens_at, vote.closes_at, now())
    if errors:
        raise Conflict(next(iter(errors.values())))
    target = publish_target(vote.opens_at, now())
    if target == "open":
        await open_vote_as(vote, actor=user.id)
    else:
        await _snapshot(vote)  # a roster that cannot be counted is reported now, not at the opening time
        async with write_transaction():
            row = await lock_vote(vote_id, exclusive=True)
            if row["status"] != "draft":
                raise Conflict(lazy("This vote has already been published."))
            # The disclosure is printed on the ballots from now on: a later change of the community's default
            # must not alter it (votes.disclosure).
            fixed = {**vote.overrides, "disclosure": vote.settings.disclosure}
            await Vote.update({Vote.status: "scheduled", Vote.published_at: now(), Vote.overrides: fixed}).where(Vote.id == vote_id)
            await audit(vote.community_id, user.id, "vote_scheduled", vote_id)
    return target


async def load_roster(vote: VoteInfo) -> list[RosterFlat]:
    """The roster flats of the vote's scope, in building/unit/floor/room order (plain rows: 100,000 flats)."""
    # A community-wide vote takes every active flat, which the statement below already selects.
    in_scope = None
    if vote.scope_kind != "community":
        in_scope = set(await flats_in_scope(Scope(vote.community_id, vote.scope_kind, vote.scope_ids)))
        if not in_scope:
            return []
    rows = await fetch_tuples(
        "SELECT f.id, f.stairwell_unit, c.name, b.name, u.name, f.room, f.floor, f.area, f.usage, f.developer_unsold, "
        "f.designated_voter FROM flat f JOIN stairwell_unit u ON u.id = f.stairwell_unit "
        "JOIN building b ON b.id = u.building JOIN compound c ON c.id = b.compound "
        "WHERE c.community = {} AND f.active = {}",
        vote.community_id,
        True,
    )
    owners: dict[int, list[int]] = {}
    for flat_id, person in await fetch_tuples(
        "SELECT o.flat, o.person FROM ownership o JOIN person p ON p.id = o.person WHERE p.community = {}",
        vote.community_id,
    ):
        owners.setdefault(flat_id, []).append(person)
    residents: dict[int, list[int]] = {}
    if vote_settings.residents_answer(vote.kind, vote.settings):  # tenants answer residents' meetings and polls
        for flat_id, person in await fetch_tuples(
            "SELECT r.flat, r.person FROM residency r JOIN person p ON p.id = r.person WHERE p.community = {}",
            vote.community_id,
        ):
            residents.setdefault(flat_id, []).append(person)
    flats = [
        RosterFlat(
            flat_id=r[0],
            stairwell_unit_id=r[1],
            compound=r[2],
            building=r[3],
            stairwell=r[4],
            room=r[5],
            floor=r[6],
            area=r[7],
            usage=r[8],
            developer_unsold=bool(r[9]),
            owner_persons=tuple(owners.get(r[0], ())),
            designated_person=r[10],
            resident_persons=tuple(residents.get(r[0], ())),
        )
        for r in rows
        if in_scope is None or r[0] in in_scope
    ]
    flats.sort(key=lambda f: (f.compound, natural_key(f.building), natural_key(f.stairwell), f.floor, natural_key(f.room)))
    return flats


async def _snapshot(vote: VoteInfo) -> tuple[Snapshot, VoteSettings]:
    """The electorate as the roster stands now, and the settings in force; Conflict if it cannot be counted."""
    roster = await load_roster(vote)
    in_force = vote_settings.effective(vote.kind, vote.community_defaults, vote.overrides)
    try:
        snapshot = build_snapshot(
            vote.kind,
            roster,
            opaque_ids("p", vote.id),
            include_parking=in_force.parking == "include",
        )
    except SnapshotProblem as problem:
        if not problem.units:
            raise Conflict(lazy("The scope of this vote contains no flats. Check the scope and the roster.")) from problem
        units = "、".join(problem.units[:10]) + (" …" if len(problem.units) > 10 else "")
        raise Conflict(
            lazy("Some flats in the scope have no registered owner: {units}. Complete the roster first."), units=units
        ) from problem
    return snapshot, in_force


async def open_vote_as(vote: VoteInfo, actor: int | None) -> None:
    """Freeze the electorate and the settings, and open the vote."""
    snapshot, in_force = await _snapshot(vote)
    async with write_transaction():
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] not in ("draft", "scheduled"):
            return  # opened by someone else meanwhile
        await _store_snapshot(vote.id, snapshot)
        moment = now()
        await Vote.update(
            {
                Vote.status: "open",
                Vote.settings: vote_settings.to_json(in_force),
                Vote.electorate_hash: snapshot.electorate_hash,
                Vote.entities: len(snapshot.entities),
                Vote.total_area: snapshot.total_area,
                Vote.opened_at: moment,
                Vote.published_at: vote.published_at or moment,
            }
        ).where(Vote.id == vote.id)
        await audit(vote.community_id, actor, "vote_opened", vote.id, {"electorate_hash": snapshot.electorate_hash})
    if len(snapshot.flats) >= STATISTICS_AFTER:  # the vote's pages join these tables from now on
        await refresh_statistics("vote_entity", "vote_flat", "vote_voter")
    await events.publish(VoteOpened(vote.id))


async def _store_snapshot(vote_id: int, snapshot: Snapshot) -> None:
    """Entities, flats and who is on each flat, inside the opening's write transaction (executemany; COPY on
    PostgreSQL)."""
    await write_many(
        "INSERT INTO vote_entity (vote, key, number, label, area, developer) VALUES ({}, {}, {}, {}, {}, {})",
        [(vote_id, e.key, e.number, _entity_label(e.units), e.area, e.developer) for e in snapshot.entities],
    )
    entity_ids = {key: id_ for id_, key in await fetch_tuples("SELECT id, key FROM vote_entity WHERE vote = {}", vote_id)}
    await write_many(
        "INSERT INTO vote_flat (vote, entity, position, unit, stairwell, floor, area, developer_unsold, owners, "
        "owner_persons, designated_voter, designated_person, resident_persons, flat_id, served) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        [
            (
                vote_id, entity_ids[f.entity_key], f.position, f.unit, f.stairwell, f.floor, f.area,
                f.developer_unsold, _strings_json(f.owners), _owner_persons_json(f.owner_persons), f.designated_voter,
                f.designated_person, str(list(f.resident_persons)), f.flat_id, False,
            )
            for f in snapshot.flats
        ],
    )
    flat_ids = {
        position: id_ for id_, position in await fetch_tuples("SELECT id, position FROM vote_flat WHERE vote = {}", vote_id)
    }
    await write_many(
        "INSERT INTO vote_voter (vote, person, flat, relation) VALUES ({}, {}, {}, {})",
        [
            (vote_id, person, flat_ids[f.position], relation)
            for f in snapshot.flats
            for relation, people in (("owner", [p for _o, p in f.owner_persons]), ("resident", f.resident_persons))
            for person in people
        ],
    )


# The JSON columns' text exactly as json.dumps writes it, without its call per value (300,000 of them per opening):
# opaque ids are letters and hex digits, which JSON needs no escape for, and a list of integers prints as JSON.
def _strings_json(ids: Sequence[str]) -> str:
    return "[" + ", ".join([f'"{opaque}"' for opaque in ids]) + "]"


def _owner_persons_json(pairs: Sequence[tuple[str, int]]) -> str:
    return "{" + ", ".join([f'"{opaque}": {person}' for opaque, person in pairs]) + "}"


def _entity_label(units: Sequence[str]) -> str:
    label = "、".join(units)
    if len(label) <= 255:
        return label
    return label[:240].rsplit("、", 1)[0] + f" … ({len(units)})"
