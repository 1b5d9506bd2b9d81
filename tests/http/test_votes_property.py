"""Property: whatever the owners do, on whichever channel, the closed vote's result equals an independent
reference count (the household rule written again here, then the pure Art. 278 tally).

Random electorates (co-owners, owners of several flats, designated voters, the developer), random settings
(co-owner rule, changes, spoiled ballots, silent majority) and random ballots online, on paper and by proxy,
in random order. Cases are drawn from a seeded generator, so a failure names its seed and replays exactly;
YISHI_PROPERTY_CASES sets how many run (default 60), on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field

from test_votes_casting import jpeg

from community import accounts
from community.accounts import CurrentUser
from community.errors import Conflict, Forbidden, FormErrors
from community.tables import Community
from votes import casting, counting, drafting, opening, paper, paper_ballots, proxies, services, turnout
from votes.deliveries import record_delivery
from votes.record import parse_record, result_to_json, tally_record
from votes.rules import DEVELOPER, Ballot, Flat, Settings, tally
from votes.tables import Vote, VoteFlat, VoteRecordFile
from votes.testing import RosterBuilder, let_voting_period_run

CASES = int(os.environ.get("YISHI_PROPERTY_CASES", "60"))
CHOICES = ("agree", "oppose", "abstain")


@dataclass
class Case:
    """One random community, vote and sequence of attempts, and the reference's own account of it."""

    seed: int
    rng: random.Random
    flats: dict[str, tuple[int, frozenset[int], int | None, bool]] = field(default_factory=dict)  # unit → area, owners, designated, developer
    settings: dict[str, str] = field(default_factory=dict)
    matter: int = 7
    # The reference: {entity key: {voter: choice}}; entity key as the record rule forms it.
    ballots: dict[object, dict[str, str]] = field(default_factory=dict)
    served: set[str] = field(default_factory=set)
    papered: set[tuple[object, str]] = field(default_factory=set)  # (entity, voter) who signed a paper copy

    def entity_of(self, unit: str) -> object:
        _area, owners, _designated, developer = self.flats[unit]
        return DEVELOPER if developer else owners

    def may_vote(self, unit: str, person: int | str) -> bool:
        _area, owners, designated, developer = self.flats[unit]
        if developer:
            return person == DEVELOPER
        return person in owners and designated in (None, person)

    def attempt(self, unit: str, voter: str, choice: str, channel: str) -> bool:
        """The household rule, written independently of votes.households; True if the attempt is accepted.

        Online: the voter's own ballot is replaced only when changes are allowed. Paper: each owner signs
        one copy of the flat's ballot (a second copy is refused at entry); a paper ballot after the same
        owner's online one is a conflict: it stands, or under "spoil" a differing one spoils theirs. A
        co-owner after the flat's first ballot is refused under "first", stored beside it under "spoil".
        """
        entity = self.entity_of(unit)
        held = self.ballots.setdefault(entity, {})
        rule, changes = self.settings["conflict"], self.settings["allow_change"] == "1"
        if channel == "paper" and (entity, voter) in self.papered:
            return False
        if voter in held:
            if channel == "online":
                if changes:
                    held[voter] = choice
                return changes
            self.papered.add((entity, voter))
            if rule == "spoil" and held[voter] != choice:
                held[voter] = "spoiled"
            return True
        if held and rule == "first":
            return False
        held[voter] = choice
        if channel == "paper":
            self.papered.add((entity, voter))
        return True

    def expected(self) -> dict[str, object]:
        flats = [
            Flat(unit, area, frozenset(str(p) for p in owners), None if designated is None else str(designated), developer)
            for unit, (area, owners, designated, developer) in self.flats.items()
        ]
        ballots = []
        for key, held in self.ballots.items():
            for voter, choice in held.items():
                unit = next(u for u in self.flats if self.entity_of(u) == key and self.may_vote(u, voter if voter == DEVELOPER else int(voter)))
                ballots.append(Ballot(unit, voter, choice))  # type: ignore[arg-type]
        settings = Settings(self.settings["spoiled_ballots"], self.settings["silent_majority"] == "1")  # type: ignore[arg-type]
        return result_to_json(tally(self.matter, flats, ballots, settings, frozenset(self.served)))


class Upload:
    """A photo as the form's file field brings it."""

    filename = "photo.jpg"

    async def read(self) -> bytes:
        return jpeg()


async def build(case: Case, index: int, make_account) -> tuple[int, dict[int, CurrentUser], CurrentUser, list[CurrentUser]]:
    """The community, its register and accounts; returns (community id, {person id: user}, facilitator, staff)."""
    rng = case.rng
    community_id = (await Community.insert(Community(slug=f"p{index}", name=f"性质{index}")).returning(Community.id))[0]["id"]
    phone = 13000000000 + index * 100

    async def user(name: str, role: str | None = None) -> CurrentUser:
        nonlocal phone
        phone += 1
        account = await make_account(phone=str(phone), name=name)
        if role:
            await accounts.grant_role(account, community_id, role)
        return CurrentUser(account, name, None, str(phone), False, 0)

    facilitator = await user("主持", "facilitator")
    staff = [await user("计票", "recorder"), await user("监票", "grid_worker")]
    b = RosterBuilder(community_id)
    stairwell = await b.stairwell("1", "1")
    people = {}
    for n in range(rng.randint(2, 6)):
        owner = await user(f"业主{n}")
        people[await b.person(f"业主{n}", account=owner.id)] = owner
    person_ids = sorted(people)
    for n in range(rng.randint(3, 7)):
        room = f"{n // 2 + 1}0{n % 2 + 1}"
        area = rng.choice((5000, 7000, 8888, 9000, 12000))
        developer = rng.random() < 0.15
        flat = await b.flat(stairwell, room, area, developer_unsold=developer)
        owners = frozenset() if developer else frozenset(rng.sample(person_ids, rng.choice((1, 1, 2)) if len(person_ids) > 1 else 1))
        for person in owners:
            await b.own(flat, person)
        designated = None
        if len(owners) > 1 and rng.random() < 0.3:
            designated = rng.choice(sorted(owners))
            await b.designate(flat, designated)
        case.flats[f"1-1-{room}"] = (area, owners, designated, developer)
    return community_id, people, facilitator, staff


async def run_case(index: int, make_account) -> Case:
    seed = 20261203 + index
    case = Case(seed, random.Random(seed))
    rng = case.rng
    community_id, people, facilitator, staff = await build(case, index, make_account)
    case.settings = {
        "conflict": rng.choice(("first", "spoil")),
        "allow_change": rng.choice(("0", "1")),
        "spoiled_ballots": rng.choice(("participate", "exclude")),
        "silent_majority": rng.choice(("0", "0", "1")),
    }
    case.matter = rng.randint(1, 9)
    form = {"title": f"表决{index}", "question": "是否同意？", "kind": "owners", "matter": str(case.matter), "scope": "",
            "channels": "online", **{"s_" + k: v for k, v in case.settings.items()}}
    form["scope"] = next(c.value for c in await drafting.scope_choices(community_id) if c.kind == "stairwell_unit")
    draft = await drafting.parse_vote_form(community_id, {**form, "channels": ["online", "paper"]})
    vote_id = await drafting.create_vote(facilitator, community_id, draft)
    await opening.publish_vote(facilitator, vote_id)
    vote = await services.get_vote(vote_id)
    snapshot = {r["unit"]: r for r in await VoteFlat.select(VoteFlat.unit, VoteFlat.owner_persons, VoteFlat.entity.key).where(
        VoteFlat.vote == vote_id).output(load_json=True)}
    if case.settings["silent_majority"] == "1":
        case.served = {u for u in case.flats if rng.random() < 0.5}
        for unit in sorted(case.served):  # each flat's delivery with its evidence
            await record_delivery(facilitator, vote_id, {"unit": unit, "method": "posted", "delivered_by": "张网格",
                                  "delivered_at": drafting.local_input(services.now())}, Upload())  # fmt: skip
    proxy_phone = f"19{index:04d}55500"
    proxy_holder = CurrentUser(await make_account(phone=proxy_phone, name="代理人"), "代理人", None, proxy_phone, False, 0)
    for step in range(rng.randint(0, 12)):
        unit = rng.choice(sorted(case.flats))
        _area, owners, _designated, developer = case.flats[unit]
        person: int | str = DEVELOPER if developer else rng.choice(sorted(owners))
        channel = "paper" if developer else rng.choice(("online", "online", "paper", "proxy"))
        choice = rng.choice(CHOICES + (("spoiled",) if channel == "paper" else ()))
        voter = DEVELOPER if developer else {int(p): o for o, p in snapshot[unit]["owner_persons"].items()}[int(person)]
        # A right to the voting entity through any of its units (one owner set may hold several flats).
        allowed = any(case.may_vote(u, person) for u in case.flats if case.entity_of(u) == case.entity_of(unit))
        key = snapshot[unit]["entity.key"]
        nonce = f"n{index}-{step}-{rng.random()}"
        accepted = True
        try:
            if channel == "online":
                own = (await casting.voter_view(people[int(person)], vote)).standing(key)
                await casting.cast(people[int(person)], vote_id, key, choice, nonce, own.version if own else 0)
            elif channel == "paper":
                entity = await paper_ballots.paper_entity(vote, await _number(vote_id, key))
                signer = next((s.value for s in entity.signers if s.voter == voter and s.proxy_id is None), "nobody")
                entered = await paper.enter(staff[0], vote_id, {"serial": entity.serial, "choice": choice, "signer": signer, "channel": "paper"})
                await paper.confirm(staff[1], vote_id, entered.paper_id)
            else:
                name = (await turnout.person_names({int(person)}))[int(person)]
                try:
                    await proxies.record_proxy(facilitator, vote_id, {
                        "unit": unit, "owner": name, "proxy_name": "代理人", "proxy_phone": proxy_phone,
                        "authorised_on": services.now().date().isoformat()}, None)
                except (Conflict, FormErrors):
                    continue  # no authorisation recorded (the limit, one per household, or it already voted)
                own = (await casting.voter_view(proxy_holder, vote)).standing(key)
                await casting.cast(proxy_holder, vote_id, key, choice, nonce, own.version if own else 0)
        except (Conflict, Forbidden, FormErrors):
            accepted = False
        if not allowed:
            assert not accepted, f"seed {seed}: {person} voted for {unit} without the right"
            continue
        expected = case.attempt(unit, voter if developer else str(person), choice, "online" if channel == "proxy" else channel)
        if channel != "proxy" or expected:
            assert accepted == expected, f"seed {seed} step {step}: {channel} {person} {unit} {choice}: accepted {accepted}"
    await let_voting_period_run(vote_id)
    await counting.close_vote(facilitator, vote_id)
    stored = (await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first())["result"]
    record = json.loads((await VoteRecordFile.select(VoteRecordFile.body).where(VoteRecordFile.vote == vote_id).first())["body"])
    assert result_to_json(tally_record(parse_record(record))) == stored, f"seed {seed}: the record does not recount"
    expected = case.expected()
    assert stored == expected, f"seed {seed}: settings {case.settings}, flats {case.flats}, ballots {case.ballots}"
    return case


async def _number(vote_id: int, key: str) -> int:
    from votes.tables import VoteEntity

    row = await VoteEntity.select(VoteEntity.number).where((VoteEntity.vote == vote_id) & (VoteEntity.key == key)).first()
    return int(row["number"])


async def test_every_channel_counts_as_the_reference_says(make_account):
    cases = [await run_case(index, make_account) for index in range(CASES)]
    # The generator must really reach what the property is about, or the test proves nothing.
    if CASES >= 20:
        households = [held for case in cases for held in case.ballots.values()]
        assert sum(len(held) > 1 for held in households) >= 3  # co-owners who both voted
        assert sum(len(set(held.values())) > 1 for held in households) >= 1  # …and disagreed
        assert {case.settings["conflict"] for case in cases} == {"first", "spoil"}
