"""community.roles is the one list of who may do what: every appointable role grants something, the pure checks
answer each role exactly as the list says, no check names a role itself, and no rule is shown that no check
reads. (The checks made over HTTP are compared with the list in tests/http/test_permission_matrix.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from community.admin.core import COMMUNITY_ROLES, RANK, WHOLE_COMMUNITY_ROLES
from community.roles import AREAS, RULE, RULES, granting_nothing, holds
from deliberation import rules as meeting_rules
from deliberation.concerns.standing import Place, Standing
from deliberation.minutes import rules as minutes_rules

ROOT = Path(__file__).resolve().parents[2]
# Checked below role by role (tests/http/test_permission_matrix.py lists the same set).
PURE_CHECKED = {"publish_minutes", "record_concerns", "see_all_concerns", "handle_concerns", "dispatch_concerns"}


def test_every_appointable_role_grants_something() -> None:
    assert granting_nothing() == frozenset()
    for role in ("counter", "scrutineer", "volunteer"):
        assert [r.key for r in RULES if role in r.roles], role


def test_the_rules_are_well_formed() -> None:
    assert len(RULE) == len(RULES)
    for rule in RULES:
        assert rule.roles and rule.roles <= set(COMMUNITY_ROLES), rule.key
        assert rule.scoped <= rule.roles, rule.key
        assert not rule.scoped & WHOLE_COMMUNITY_ROLES, f"{rule.key}: facilitators and recorders are never scoped"
        assert rule.area in AREAS, rule.key
        assert all(r in RANK for r in rule.roles)


def test_counters_enter_scrutineers_check_volunteers_canvass() -> None:
    assert holds("enter_paper", {"counter"}) and not holds("check_paper", {"counter"})
    assert holds("check_paper", {"scrutineer"}) and not holds("enter_paper", {"scrutineer"})
    assert holds("canvass", {"volunteer"})
    for role in ("counter", "scrutineer", "volunteer"):
        assert not holds("see_staff_pages", {role}) and not holds("see_roster", {role}), role
        assert role in RULE["enter_paper"].scoped | RULE["check_paper"].scoped | RULE["canvass"].scoped


@pytest.mark.parametrize("role", COMMUNITY_ROLES)
def test_meetings_answer_each_role_as_the_list_says(role: str) -> None:
    facts = meeting_rules.AccessFacts(account_id=1, is_site_admin=False, roles=frozenset({role}), status="draft",
                                      facilitator_id=2, recorder_id=3, attached=False, verified=False)  # fmt: skip
    can = meeting_rules.access(facts)
    assert can.staff == can.view == (role in RULE["see_staff_pages"].roles)
    assert can.control == (role in RULE["organise_meetings"].roles)


@pytest.mark.parametrize("role", COMMUNITY_ROLES)
def test_minutes_answer_each_role_as_the_list_says(role: str) -> None:
    facts = minutes_rules.Facts(account_id=1, is_site_admin=False, roles=frozenset({role}), facilitator_id=2,
                                recorder_id=3, published=False)  # fmt: skip
    can = minutes_rules.access(facts)
    assert can.view_draft == (role in RULE["see_staff_pages"].roles)
    assert can.edit == can.publish == (role in RULE["publish_minutes"].roles)


@pytest.mark.parametrize("role", COMMUNITY_ROLES)
def test_concerns_answer_each_role_as_the_list_says(role: str) -> None:
    """One account with one role, its scope building 1 (in compound 10) where the rule scopes the role; a
    concern in building 1 and one in building 2 of another compound, neither raised by nor dispatched to it."""
    scoped = role in RULE["handle_concerns"].scoped | RULE["record_concerns"].scoped
    standing = Standing(community_id=1, account_id=7, roles=frozenset({role}),
                        buildings=frozenset({1}) if scoped else None, compounds=frozenset({10}) if scoped else frozenset())  # fmt: skip
    inside = Place(1, building_id=1, compound_id=10, reporter_id=None, handler_id=None, escalated=False)
    outside = Place(1, building_id=2, compound_id=20, reporter_id=None, handler_id=None, escalated=True)

    def may(key: str, place: Place) -> bool:
        rule = RULE[key]
        return role in rule.roles and (place is inside or role not in rule.scoped)

    assert standing.staff == (role in RULE["record_concerns"].roles)
    for place in (inside, outside):
        assert standing.may_record_at(place.building_id, place.compound_id) == may("record_concerns", place)
        assert standing.sees_as_staff(place) == (may("record_concerns", place) or may("see_all_concerns", place))
        assert standing.handles(place) == may("handle_concerns", place)
    assert standing.sees_as_staff(outside) == (role in RULE["see_all_concerns"].roles)
    assert standing.dispatcher == (role in RULE["dispatch_concerns"].roles)


def test_street_staff_handle_only_escalated_concerns_as_the_list_says() -> None:
    street = Standing(community_id=1, account_id=7, street_staff=True)
    escalated = Place(1, building_id=2, compound_id=20, reporter_id=None, handler_id=None, escalated=True)
    assert RULE["handle_concerns"].street and street.handles(escalated)
    assert not street.handles(Place(1, 2, 20, None, None, escalated=False))


# --- No check names a role itself; every rule is read by a check. -----------------------------------------

# Modules that define roles rather than check them: the registry, the appointment rules and their store, the
# demo and test set-ups that grant roles, the tables.
DEFINERS = {
    "community/roles.py", "community/admin/core.py", "community/admin/store.py", "community/admin/staffing.py",
    "community/admin/cli.py", "community/accounts.py", "community/tables.py", "community/demo_accounts.py",
    "community/roster_demo.py", "app/demo.py", "votes/testing.py", "votes/projects/testing.py",
}


def _sources() -> dict[str, ast.Module]:
    found = {}
    for package in ("app", "community", "deliberation", "votes"):
        for path in (ROOT / package).rglob("*.py"):
            rel = str(path.relative_to(ROOT))
            if "piccolo_migrations" in path.parts or rel in DEFINERS or path.name == "demo.py":
                continue
            found[rel] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _role(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in COMMUNITY_ROLES


def test_no_check_names_a_community_role_itself() -> None:
    """`"facilitator" in roles`, `role == "recorder"`, `frozenset({"grid_worker", …})` and
    `require_role(user, community, "facilitator")` outside the registry would be a rule the roles page does not
    show. (paper_desk's per-vote counter and scrutineer, a meeting's or a draft's named facilitator and
    recorder, are people of one vote or meeting, not community roles: their calls take no user.)"""
    wrong = []
    for rel, tree in _sources().items():
        imports_require_role = any(
            isinstance(n, ast.ImportFrom) and n.module == "community.permissions" and any(a.name == "require_role" for a in n.names)
            for n in ast.walk(tree)
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and (_role(node.left) or any(_role(c) for c in node.comparators)):
                if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) or (
                    isinstance(node.left, ast.Subscript) and "role" in ast.unparse(node.left)
                ):
                    wrong.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, (ast.Set, ast.List, ast.Tuple)) and any(_role(e) for e in node.elts):
                if sum(_role(e) for e in node.elts) >= 2 and isinstance(node, ast.Set):
                    wrong.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.Call) and imports_require_role and ast.unparse(node.func).endswith("require_role"):
                if any(_role(a) for a in node.args[2:]):
                    wrong.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert not wrong, "role sets outside community/roles.py:\n" + "\n".join(wrong)


def test_every_rule_is_read_by_a_check() -> None:
    """A rule the roles page shows but no code reads would be a promise nobody keeps."""
    read: set[str] = set()
    for tree in _sources().values():
        read |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert set(RULE) - read == set()

