"""The one list of who may do what: every role set the server checks is read from RULES, and /c/{slug}/roles shows it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from community.admin.core import APPOINTING_COMMUNITY_ROLES, COMMUNITY_ROLES
from community.i18n import lazy


@dataclass(frozen=True)
class Rule:
    """One thing staff may see or do, and which community roles may. Checks name a rule by its key (`holds`,
    `permissions.require_rule`, `RULE[key].roles`); tests/unit/test_roles_registry.py fails on a check that
    names a role itself, and on a rule no check reads."""

    key: str
    area: str  # the heading the roles page groups it under (AREAS)
    label: str
    roles: frozenset[str]
    # Limited to the parts of the register the role's scope covers (compounds, buildings, stairwell units).
    scoped: frozenset[str] = frozenset()
    street: bool = False  # street staff may too (for their street's communities)


STAFF: Final = frozenset({"facilitator", "recorder", "grid_worker", "building_lead"})
FACILITATOR: Final = frozenset({"facilitator"})
AREA_SCOPED: Final = frozenset({"grid_worker", "building_lead"})

AREAS: Final[Mapping[str, str]] = {
    "community": lazy("Register and staff"),
    "meetings": lazy("Meetings and minutes"),
    "concerns": lazy("Residents' concerns"),
    "votes": lazy("Votes and projects"),
}

RULES: Final[tuple[Rule, ...]] = (
    # Register and staff
    Rule("see_roster", "community", lazy("See the register of flats and owners"), STAFF, scoped=AREA_SCOPED),
    Rule("import_roster", "community", lazy("Import and export the register (every phone number)"), FACILITATOR),
    Rule("verify", "community", lazy("Verify residents and print join slips"), frozenset({"facilitator", "grid_worker"}),
         scoped=frozenset({"grid_worker"})),
    Rule("appoint_staff", "community", lazy("Appoint and remove staff, change their scopes, reset passwords in person"),
         APPOINTING_COMMUNITY_ROLES, street=True),
    Rule("see_audit", "community", lazy("Read the audit log"), frozenset({"facilitator", "recorder"}), street=True),
    # Meetings and minutes
    Rule("see_staff_pages", "meetings",
         lazy("See the staff side: every meeting, vote and project (drafts too), draft minutes, the manage pages"), STAFF),
    Rule("organise_meetings", "meetings",
         lazy("Create meetings and run them: agenda, notices, the session, attendance; venues and the procedure"),
         FACILITATOR),
    Rule("publish_minutes", "meetings",
         lazy("Write, publish and correct minutes and result notices; be named a meeting's facilitator"), FACILITATOR),
    Rule("post_notices", "meetings", lazy("Add photos of a paper notice as posted (proof of posting)"), STAFF,
         scoped=AREA_SCOPED),
    # Residents' concerns
    Rule("record_concerns", "concerns",
         lazy("See residents' concerns and record those received by phone, on a visit or at a meeting"), STAFF,
         scoped=AREA_SCOPED),
    Rule("see_all_concerns", "concerns", lazy("See every concern of the community"), frozenset({"facilitator", "recorder"})),
    Rule("handle_concerns", "concerns",
         lazy("Handle concerns (log progress, answer); street staff: those escalated to the street"),
         frozenset({"facilitator", "grid_worker", "building_lead"}), scoped=AREA_SCOPED, street=True),
    Rule("dispatch_concerns", "concerns", lazy("Dispatch concerns to staff; topics, monthly figures, settings"),
         FACILITATOR),
    # Votes and projects
    Rule("run_votes", "votes", lazy("Create, publish and close votes; their settings and proxies"), FACILITATOR),
    Rule("run_projects", "votes", lazy("Create and edit elevator and renovation projects, their terms and notices"),
         FACILITATOR),
    Rule("enter_paper", "votes", lazy("Enter paper ballots at the counting desk"), STAFF | {"counter"},
         scoped=AREA_SCOPED | {"counter"}),
    Rule("check_paper", "votes",
         lazy("Confirm or reject paper ballots (never in a vote where they entered any)"), STAFF | {"scrutineer"},
         scoped=AREA_SCOPED | {"scrutineer"}),
    Rule("canvass", "votes", lazy("Canvass door to door for an open vote and send reminders"), STAFF | {"volunteer"},
         scoped=AREA_SCOPED | {"volunteer"}),
)
RULE: Final[Mapping[str, Rule]] = {r.key: r for r in RULES}
# The desks a counter or a scrutineer opens: either rule lets them in, each form asks for its own.
PAPER_DESK: Final = ("enter_paper", "check_paper")


def holds(key: str, roles: Iterable[str]) -> bool:
    """Does one of `roles` (an account's roles in one community) grant the rule? Site administrators are
    checked by the caller."""
    return not RULE[key].roles.isdisjoint(roles)


def roles_of(*keys: str) -> frozenset[str]:
    """Every role that grants one of these rules."""
    return frozenset().union(*(RULE[k].roles for k in keys))


def granting_nothing() -> frozenset[str]:
    """Community roles no rule names (an appointable role must grant something: tests check this is empty)."""
    return frozenset(COMMUNITY_ROLES) - roles_of(*RULE)
