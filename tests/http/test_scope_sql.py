"""A staff member limited to some buildings: their vote pages filtered, counted and paged in SQL
(votes.privacy.VoteView) list exactly what the old filter in Python gave (the whole vote's lists, kept to the flats,
entities and stairwell units of their buildings), on a vote with an owner of a flat inside and one outside, co-owned
flats and developer stock; and no name, unit or ballot of an entity outside appears on any of their pages."""

from __future__ import annotations

import json
import re

import pytest
from test_turnout_sql import _varied_vote

from community import accounts
from community.db import write_transaction
from community.errors import Conflict, Forbidden
from community.querycount import counting
from community.roster.scope import Scope
from community.tables import Building, Flat, Ownership, Person, Verification
from votes import canvass, canvass_store, deliveries, paper_ballots, privacy, reminders, services, turnout
from votes.bulk import fetch_tuples
from votes.rules import Measure
from votes.tables import Delivery, Notice, Reminder, VoteFlat
from votes.testing import scope_staff

GRID = "13800000411"
FACILITATOR = "13900000499"


async def _straddle(community_id: int) -> None:
    """The owner of the last flat of building 1 owns the first flat of building 2 too (alone): one entity
    across the scope's edge."""
    del community_id
    flats = [int(r["id"]) for r in await Flat.select(Flat.id).order_by(Flat.id)]
    inside, outside = flats[47], flats[48]
    owner = await Ownership.select(Ownership.person).where(Ownership.flat == inside).first()
    assert owner is not None
    async with write_transaction():
        await Ownership.delete().where(Ownership.flat == outside)
        await Verification.delete().where(Verification.flat == outside)
        await Ownership.insert(Ownership(flat=outside, person=owner["person"]))
        await Verification.insert(Verification(flat=outside, person=owner["person"], method="register", note="", revoke_reason=""))


@pytest.fixture
async def limited(make_account):
    """(the vote, the grid worker's view, the old view's sets: vote_flat ids, entity ids, stairwell labels)."""
    vote_id = await _varied_vote("exclude", 5, _straddle)
    vote = await services.get_vote(vote_id)
    buildings = [int(r["id"]) for r in await Building.select(Building.id).order_by(Building.id)]
    scope = (buildings[1], buildings[3])
    grid = await make_account(phone=GRID, name="网格员")
    await accounts.grant_role(grid, vote.community_id, "grid_worker")
    await scope_staff(grid, vote.community_id, "grid_worker", scope)
    facilitator = await make_account(phone=FACILITATOR, name="主持人")
    await accounts.grant_role(facilitator, vote.community_id, "facilitator")
    view = privacy.VoteView(vote_id, frozenset(scope))
    # The old path: every flat of the vote read, and the building of each looked up.
    rows = await VoteFlat.select(VoteFlat.id, VoteFlat.flat_id, VoteFlat.entity, VoteFlat.stairwell).where(VoteFlat.vote == vote_id)
    building_of = await privacy.building_of_flats(int(r["flat_id"]) for r in rows)
    mine = [r for r in rows if building_of[int(r["flat_id"])] in scope]
    old = (frozenset(int(r["id"]) for r in mine), frozenset(int(r["entity"]) for r in mine), frozenset(str(r["stairwell"]) for r in mine))
    assert 0 < len(old[0]) < len(rows)
    return vote, view, old


async def test_the_lists_in_sql_are_the_old_lists_kept_to_the_buildings(limited):
    vote, view, (flats, entities, stairwells) = limited
    by_id = {int(r[0]): r for r in await fetch_tuples(
        "SELECT id, unit, entity, stairwell FROM vote_flat WHERE vote = {} ORDER BY position", vote.id)}  # fmt: skip
    units = {str(by_id[f][1]) for f in flats}
    straddling = {e for e in entities if any(int(r[2]) == e and f not in flats for f, r in by_id.items())}
    assert straddling, "an entity with flats on both sides of the scope's edge"
    assert await turnout.stairwells(vote.id, view) == sorted(stairwells, key=turnout.natural_key)
    # Non-voters: all of them, kept to the buildings, then paged.
    everyone, _total = await turnout.non_voters(vote, limit=10**6)
    kept = [(n.unit, n.names, n.serial) for n in everyone if n.unit in units]
    for offset in (0, 7, len(kept) - 3):
        shown, total = await turnout.non_voters(vote, limit=7, offset=offset, view=view)
        assert total == len(kept) and [(n.unit, n.names, n.serial) for n in shown] == kept[offset : offset + 7]
    one = sorted(stairwells)[0]
    shown, total = await turnout.non_voters(vote, one, limit=1000, view=view)
    assert [n.unit for n in shown] == [u for u, _n, _s in kept if by_id_unit_stairwell(by_id, u) == one]
    # Who to visit first: canvass.visit_order over the waiting flats in view, in electorate order.
    waiting_rows = await fetch_tuples(
        "SELECT f.id, f.entity, e.area FROM vote_flat f JOIN vote_entity e ON e.id = f.entity WHERE f.vote = {}"
        " AND NOT EXISTS (SELECT 1 FROM vote_ballot b WHERE b.vote = f.vote AND b.entity = f.entity) ORDER BY f.position",
        vote.id)  # fmt: skip
    area = sum(r[0] for r in await fetch_tuples("SELECT area FROM vote_entity WHERE vote = {}", vote.id))
    for missing in (Measure(0, 0), Measure(3, 0), Measure(4, 2000), Measure(30, area // 3), Measure(1, area)):
        waiting: dict[int, canvass.Candidate] = {}
        for index, (_f, entity, e_area) in enumerate(r for r in waiting_rows if int(r[0]) in flats):
            waiting.setdefault(int(entity), canvass.Candidate(int(entity), int(e_area), index))
        plan = canvass.visit_order(list(waiting.values()), missing)
        visits, total, needed, by_area = await canvass_store.visit_plan(vote, view, missing)
        assert (visits, total, needed, by_area) == (list(plan.visits[: canvass_store.PLAN_SHOWN]), len(plan.visits),
                                                   plan.needed, plan.by_area)  # fmt: skip
    # Ballots to print: the entities with a flat in view, in electorate order.
    order: list[int] = []
    for _id, _unit, entity, _s in by_id.values():
        if int(entity) in entities and int(entity) not in order:
            order.append(int(entity))
    assert [b.entity_id for b in await paper_ballots.printable(vote, None, view)] == order
    assert [b.entity_id for b in await paper_ballots.printable(vote, one, view)] == [
        e for e in dict.fromkeys(int(r[2]) for r in by_id.values() if r[3] == one) if e in entities]
    # Deliveries: recorded and still to serve.
    served = sorted(by_id)[::9]
    async with write_transaction():
        for flat in served:
            await Delivery.insert(Delivery(vote=vote.id, flat=flat, method="posted", delivered_by="网格员",
                                           delivered_at=services.now()))  # fmt: skip
    assert [int(d["flat"]) for d in await deliveries.deliveries_of(vote, view)] == [
        int(d["flat"]) for d in await deliveries.deliveries_of(vote) if int(d["flat"]) in flats]
    assert await deliveries.units_to_serve(vote, view) == [
        u for u in await deliveries.units_to_serve(vote) if u in units]
    # Single objects, looked up through the vote.
    inside, outside = min(flats), min(set(by_id) - flats)
    assert await view.sees_vote_flat(inside) and not await view.sees_vote_flat(outside)
    assert await view.entities_seen(int(r[2]) for r in by_id.values()) == set(entities)


def by_id_unit_stairwell(by_id, unit):  # type: ignore[no-untyped-def]
    return next(str(r[3]) for r in by_id.values() if r[1] == unit)


async def test_reminders_go_to_the_flats_in_view_only(limited, make_account):
    vote, view, (flats, _entities, _stairwells) = limited
    owners = {int(r[0]): json.loads(r[1]) if isinstance(r[1], str) else r[1]
              for r in await fetch_tuples("SELECT id, owner_persons FROM vote_flat WHERE vote = {}", vote.id)}  # fmt: skip
    # Some owners joined: one of every 5 flats in view, and the second owner of a co-owned one.
    joined = sorted({int(sorted(owners[f].values())[-1]) for f in sorted(flats)[::5]})
    for n, person in enumerate(joined):
        await Person.update({Person.account: await make_account(phone=f"1390000{n:04d}")}).where(Person.id == person)
    accounts = {int(r["id"]): int(r["account"]) for r in await Person.select(Person.id, Person.account).where(Person.account.is_not_null())}
    user = await _user(GRID)
    sent = await reminders.send(user, vote.id, {"template": "friendly"})
    rows = await Reminder.select(Reminder.flat, Reminder.method).where(Reminder.vote == vote.id)
    # The rule of the pure core (canvass.reminder_targets), flat by flat over the flats in view: never one that
    # voted; in the app when an owner has an account, else a slip; each account notified once.
    voted = set(await canvass_store.voted_by_entity(vote.id))
    entity_of = {int(r[0]): int(r[1]) for r in await fetch_tuples("SELECT id, entity FROM vote_flat WHERE vote = {}", vote.id)}
    targets = canvass.reminder_targets(
        [(f, tuple(accounts[int(p)] for p in owners[f].values() if int(p) in accounts)) for f in sorted(flats)],
        voted=frozenset(f for f in flats if entity_of[f] in voted), reminded_today=frozenset())  # fmt: skip
    assert {int(r["flat"]): r["method"] for r in rows} == {t.flat: t.method for t in targets}
    notified = {int(r["account"]) for r in await Notice.select(Notice.account).where(Notice.vote == vote.id)}
    assert notified == {a for t in targets for a in t.accounts}
    assert sent.in_app > 0 and len(await Notice.select(Notice.id).where(Notice.vote == vote.id)) == len(notified)
    with pytest.raises(Conflict):  # once a day
        await reminders.send(user, vote.id, {"template": "friendly"})
    waiting = {f for f in flats if entity_of[f] not in voted}
    assert {int(r["flat"]) for r in rows} == waiting
    assert sent.slips + sent.in_app == len(waiting)
    # Today's slips, paged in SQL: the pages are slices of the whole list, the flats without an account's.
    _vote, whole, total = await reminders.slips(user, vote.id)
    assert total == len(whole.items) == sent.slips > 10
    assert [f.id for f, _t in whole.items] == sorted(int(r["flat"]) for r in rows if r["method"] == "slip")
    _vote, second, again = await reminders.slips(user, vote.id, 2, 5)
    assert again == total and second.items == whole.items[5:10] and second.pages == -(-total // 5)
    # Sent at one moment: their order among themselves is the database's either way.
    assert sorted(int(r["flat"]) for r in await reminders.log(vote, view)) == sorted(
        int(r["flat"]) for r in await reminders.log(vote, privacy.EVERYTHING))


async def _user(phone: str):  # type: ignore[no-untyped-def]
    from community.accounts import CurrentUser
    from community.tables import Account

    row = await Account.select(Account.id).where(Account.phone == phone).first()
    assert row is not None
    return CurrentUser(int(row["id"]), "", None, phone, False, 0)


async def test_a_vote_outside_the_buildings_is_forbidden_and_a_draft_shows_nothing(limited):
    vote, _view, _old = limited
    user = await _user(GRID)
    assert (await privacy.vote_view(user, vote.community_id, vote.id)).buildings
    nowhere = await Building.insert(Building(compound=(await Building.select(Building.compound).first())["compound"], name="99")).returning(Building.id)  # type: ignore[index]
    await scope_staff(user.id, vote.community_id, "grid_worker", (int(nowhere[0]["id"]),))
    with pytest.raises(Forbidden):
        await privacy.vote_view(user, vote.community_id, vote.id)
    # A vote not yet opened: forbidden unless its flats include one of the buildings; no flat seen either way.
    with pytest.raises(Forbidden):
        await privacy.vote_view(user, vote.community_id, vote.id + 1, draft=Scope(vote.community_id, "flats", (1, 2)))
    empty = await privacy.vote_view(user, vote.community_id, vote.id + 1, draft=Scope(vote.community_id, "flats", ()))
    assert await empty.stairwells() == frozenset()


async def test_a_draft_vote_reads_no_register_flat_for_staff_who_see_everything(limited, make_account):
    vote, _view, _old = limited
    facilitator = await make_account(username="draft-facilitator")
    await accounts.grant_role(facilitator, vote.community_id, "facilitator")
    user = accounts.CurrentUser(facilitator, "", None, None, False, 0)
    with counting() as found:
        view = await privacy.vote_view(user, vote.community_id, vote.id + 1, draft=Scope(vote.community_id, "community", ()))
    assert view is privacy.EVERYTHING
    assert not [s for s in found.statements if "flat" in s.lower()], found


async def test_a_grid_worker_sees_no_entity_outside_on_any_page_and_reaches_none(client, limited):
    vote, view, (flats, entities, _stairwells) = limited
    rows = await fetch_tuples("SELECT id, unit, entity, stairwell, owner_persons FROM vote_flat WHERE vote = {}", vote.id)
    # Entities wholly outside (one with a flat inside shows its ballot, whose label names all its flats).
    outside = [r for r in rows if int(r[2]) not in entities]
    names = {int(r["id"]): str(r["name"]) for r in await Person.select(Person.id, Person.name)}
    import json

    outside_names = {names[int(p)] for r in outside for p in (json.loads(r[4]) if isinstance(r[4], str) else r[4]).values()}
    inside_stairwell = str(next(r[3] for r in rows if int(r[0]) in flats))
    await client.signin(GRID)
    assert (await client.post_form(f"/v/{vote.id}/reminders", {"template": "friendly"})).status_code == 303
    pages = [f"/v/{vote.id}/manage", f"/v/{vote.id}/manage?page=2", f"/v/{vote.id}/manage?stairwell={inside_stairwell}",
             f"/v/{vote.id}/paper", f"/v/{vote.id}/paper?q=101", f"/v/{vote.id}/paper/print",
             f"/v/{vote.id}/paper/print?stairwell={inside_stairwell}", f"/v/{vote.id}/canvass",
             f"/v/{vote.id}/canvass?page=2", f"/v/{vote.id}/canvass/sheet?stairwell={inside_stairwell}",
             f"/v/{vote.id}/reminders/slips"]  # fmt: skip
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        html = response.text
        for r in outside:
            assert not re.search(rf"(?<![\d-]){re.escape(str(r[1]))}(?!\d)", html), (url, r[1])
        for name in outside_names:
            assert not re.search(rf"{re.escape(name)}(?!\d)", html), (url, name)
    out = next(r for r in outside)
    assert (await client.get(f"/v/{vote.id}/canvass/sheet?stairwell={out[3]}")).status_code == 404 or str(out[3]) == inside_stairwell
    assert (await client.post_form(f"/v/{vote.id}/canvass/{out[0]}", {"status": "visited", "note": "", "next_visit": ""})).status_code == 404
