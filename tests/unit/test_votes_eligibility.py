"""Who may vote online for which voting entity, and the reason when nobody may."""

from __future__ import annotations

import pytest

from votes.eligibility import AccountLinks, ElectorFlat, ProxyGrant, eligibility
from votes.rules import DEVELOPER

FLATS = [
    ElectorFlat("3-2-101", 1, "owners:p1", {1: "p1"}),
    ElectorFlat("3-2-201", 3, "owners:p1", {1: "p1"}),
    ElectorFlat("3-2-102", 2, "owners:p2,p3", {2: "p2", 3: "p3"}, designated_person=3),
    ElectorFlat("3-2-301", 4, DEVELOPER, {9: "p9"}, developer_unsold=True),
    ElectorFlat("3-2-302", 5, "owners:p4", {4: "p4"}, resident_persons=frozenset({7})),
]


def links(people: set[int], verified: set[tuple[int, int]] | None = None, owned: set[int] = frozenset(),
          lived: set[int] = frozenset()) -> AccountLinks:  # fmt: skip
    verified = verified if verified is not None else {(f.flat_id, p) for f in FLATS for p in people}
    return AccountLinks(frozenset(people), frozenset(verified), frozenset(owned), frozenset(lived))


def test_owner_of_two_flats_gets_one_right_for_the_entity() -> None:
    result = eligibility("owners", FLATS, links({1}))
    assert [(r.entity_key, r.unit, r.voter, r.units) for r in result.rights] == [
        ("owners:p1", "3-2-101", "p1", ("3-2-101", "3-2-201"))
    ]
    assert result.reason is None


@pytest.mark.parametrize(
    ("account", "reason", "unit"),
    [
        (links({1}, verified=set()), "unverified", "3-2-101"),
        (links({2}), "designated", "3-2-102"),
        (links({7}, lived={5}), "tenant", ""),
        (links({8}, owned={99}), "outside_scope", ""),
        (links(set()), "not_owner", ""),
    ],
)
def test_reasons_for_refusal(account: AccountLinks, reason: str, unit: str) -> None:
    result = eligibility("owners", FLATS, account)
    assert result.rights == () and result.reason == reason and result.reason_unit == unit
    assert result.message


def test_designated_voter_and_developer_representative_may_vote() -> None:
    assert [r.voter for r in eligibility("owners", FLATS, links({3})).rights] == ["p3"]
    assert [r.voter for r in eligibility("owners", FLATS, links({9})).rights] == [DEVELOPER]


def test_residents_meeting_lets_verified_tenants_vote_for_their_household() -> None:
    result = eligibility("residents", FLATS, links({7}), opaque=lambda person: f"r{person}")
    assert [(r.entity_key, r.voter) for r in result.rights] == [("owners:p4", "r7")]
    unattached = eligibility("residents", FLATS, links(set()))
    assert unattached.reason == "not_attached"


def test_proxy_votes_for_the_owner() -> None:
    grant = ProxyGrant(proxy_id=5, entity_key="owners:p2,p3", owner_voter="p3", owner_person=3)
    result = eligibility("owners", FLATS, links({7}, lived={5}), [grant])
    assert [(r.entity_key, r.unit, r.voter, r.proxy_id) for r in result.rights] == [("owners:p2,p3", "3-2-102", "p3", 5)]


def test_own_right_takes_precedence_over_a_proxy_for_the_same_entity() -> None:
    grant = ProxyGrant(proxy_id=5, entity_key="owners:p1", owner_voter="p1", owner_person=1)
    result = eligibility("owners", FLATS, links({1}), [grant])
    assert [r.proxy_id for r in result.rights] == [None]


def test_no_online_channel() -> None:
    result = eligibility("owners", FLATS, links({1}), online=False)
    assert result.rights == () and result.reason == "no_online"
