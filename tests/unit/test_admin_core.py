"""The pure rules of administration: ranks, scopes within scopes, the last facilitator, slugs."""

from __future__ import annotations

import pytest

from community.admin import core
from community.admin.core import Register, RoleScope, Standing

# Compound 1: buildings 10, 11 (units 100, 101 in 10; 110 in 11). Compound 2: building 20 (unit 200).
REGISTER = Register(compound_of_building={10: 1, 11: 1, 20: 2}, building_of_unit={100: 10, 101: 10, 110: 11, 200: 20})
FACILITATOR = Standing(roles={"facilitator": RoleScope()})
STREET = Standing(street_staff=True)
ADMIN = Standing(is_site_admin=True)
GRID = Standing(roles={"grid_worker": RoleScope("building", frozenset({10}))})


def scope(kind: str, *ids: int) -> RoleScope:
    return RoleScope(kind, frozenset(ids))  # type: ignore[arg-type]


@pytest.mark.parametrize("actor", [FACILITATOR, STREET, ADMIN])
@pytest.mark.parametrize("role", core.COMMUNITY_ROLES)
def test_appointers_grant_every_community_role_up_to_their_own(actor, role):
    chosen = RoleScope() if role in core.WHOLE_COMMUNITY_ROLES else scope("building", 10)
    assert core.may_grant(actor, role, chosen, REGISTER) is None


def test_people_who_do_not_appoint_grant_nothing():
    for actor in (GRID, Standing(roles={"recorder": RoleScope()}), Standing()):
        assert core.may_grant(actor, "volunteer", scope("building", 10), REGISTER) == core.NOT_APPOINTER


def test_nobody_grants_a_role_above_their_own():
    assert core.RANK["street_staff"] > core.RANK["facilitator"]
    assert core.may_grant(FACILITATOR, "street_staff", RoleScope(), REGISTER) == core.UNKNOWN_ROLE
    assert core.may_grant(FACILITATOR, "site_admin", RoleScope(), REGISTER) == core.UNKNOWN_ROLE
    # A facilitator limited to part of the community (not possible through the pages, but the rule holds).
    partial = Standing(roles={"facilitator": scope("compound", 1)})
    assert core.may_grant(partial, "grid_worker", scope("building", 20), REGISTER) == core.OUTSIDE_SCOPE
    assert core.may_grant(partial, "grid_worker", scope("stairwell_unit", 110), REGISTER) is None
    assert core.may_grant(partial, "grid_worker", RoleScope(), REGISTER) == core.OUTSIDE_SCOPE


def test_scopes_must_be_parts_of_this_register():
    assert core.may_grant(FACILITATOR, "grid_worker", scope("building", 99), REGISTER) == core.OUTSIDE_SCOPE
    assert core.may_grant(FACILITATOR, "grid_worker", scope("compound", 3), REGISTER) == core.OUTSIDE_SCOPE


def test_the_shape_of_a_scope_fits_the_role():
    assert core.may_grant(FACILITATOR, "recorder", scope("building", 10), REGISTER) == core.WHOLE_ONLY
    assert core.may_grant(FACILITATOR, "facilitator", scope("compound", 1), REGISTER) == core.WHOLE_ONLY
    assert core.may_grant(FACILITATOR, "grid_worker", scope("building"), REGISTER) == core.PICK_PARTS
    assert core.may_grant(FACILITATOR, "grid_worker", RoleScope(), REGISTER) is None


def test_the_last_facilitator_stays():
    assert core.may_remove(FACILITATOR, "facilitator", RoleScope(), REGISTER, 1) == core.LAST_FACILITATOR
    assert core.may_remove(ADMIN, "facilitator", RoleScope(), REGISTER, 1) == core.LAST_FACILITATOR
    assert core.may_remove(FACILITATOR, "facilitator", RoleScope(), REGISTER, 2) is None
    assert core.may_remove(FACILITATOR, "grid_worker", scope("building", 10), REGISTER, 1) is None


def test_what_a_scope_reaches():
    assert REGISTER.buildings(scope("compound", 1)) == {10, 11}
    assert REGISTER.buildings(scope("stairwell_unit", 110, 200)) == {11, 20}
    assert REGISTER.buildings(RoleScope()) is None
    assert REGISTER.units(scope("building", 10)) == {100, 101}
    assert REGISTER.within(scope("stairwell_unit", 100), scope("building", 10))
    assert not REGISTER.within(scope("building", 10), scope("stairwell_unit", 100))
    assert REGISTER.within(scope("building", 10, 11), scope("compound", 1))
    assert not REGISTER.within(RoleScope(), scope("compound", 1, 2))


def test_street_staff_are_appointed_within_their_street():
    assert core.may_grant_street(True, [], 5) is None
    assert core.may_grant_street(False, [5], 5) is None
    assert core.may_grant_street(False, [4], 5) == core.NOT_ALLOWED


@pytest.mark.parametrize(("slug", "ok"), [("xingfuli", True), ("a", True), ("x-1", True), ("Bad", False),
                                           ("-x", False), ("x-", False), ("admin", False), ("a" * 65, False)])
def test_slugs(slug, ok):
    assert (core.slug_problem(slug) is None) == ok
