"""Pure rules of the minutes: who may see, edit, sign and publish them, which sign-offs are due, valid input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from community.i18n import lazy
from community.roles import RULE, holds

KINDS: Final = ("minutes", "addendum", "notice")
SIGNING_ROLES: Final = ("recorder", "facilitator")
STAFF_ROLES: Final = RULE["see_staff_pages"].roles  # community.roles: the one list the roles page shows
NARRATIVE_MAX_LENGTH: Final = 20000
NOTICE_DAYS_MIN: Final = 3
NOTICE_DAYS_MAX: Final = 60
NOTICE_DAYS_DEFAULT: Final = 15

KIND_LABELS: Final[dict[str, str]] = {
    "minutes": lazy("Minutes"),
    "addendum": lazy("Addendum"),
    "notice": lazy("Result notice"),
}
SIGNING_ROLE_LABELS: Final[dict[str, str]] = {
    "recorder": lazy("Recorder"),
    "facilitator": lazy("Facilitator"),
}


def signing_roles(kind: str) -> tuple[str, ...]:
    """Minutes and addenda need both the recorder and the facilitator; a result notice the facilitator alone."""
    return ("facilitator",) if kind == "notice" else SIGNING_ROLES


def narrative_parts(kind: str, item_ids: Iterable[int]) -> tuple[str, ...]:
    """The parts of a draft the facilitator writes, in the order the page shows them."""
    if kind == "addendum":
        return ("correction",)
    if kind == "notice":
        return ("how_to_object", "summary")
    return ("summary", *(f"item-{item_id}" for item_id in item_ids))


@dataclass(frozen=True)
class Facts:
    """One account and one draft: its roles in the community and the draft's named facilitator and recorder."""

    account_id: int
    is_site_admin: bool
    roles: frozenset[str]
    facilitator_id: int | None
    recorder_id: int | None
    published: bool


@dataclass(frozen=True)
class Access:
    view_draft: bool
    edit: bool  # narrative parts and who signs
    sign_as: tuple[str, ...]  # roles this account signs for, from its own account only
    publish: bool


def access(f: Facts) -> Access:
    """Staff of the community read drafts; the community's facilitators (or the draft's own facilitator) edit
    and publish; only the named recorder and facilitator sign, each for themselves, never an admin for them."""
    named = f.account_id in (f.facilitator_id, f.recorder_id)
    staff = f.is_site_admin or bool(f.roles & STAFF_ROLES) or named
    organiser = f.is_site_admin or holds("publish_minutes", f.roles) or f.account_id == f.facilitator_id
    sign_as = tuple(
        role
        for role, holder in (("recorder", f.recorder_id), ("facilitator", f.facilitator_id))
        if holder is not None and holder == f.account_id and not f.published
    )
    return Access(view_draft=staff, edit=organiser and not f.published, sign_as=sign_as, publish=organiser and not f.published)


def missing_signoffs(kind: str, signed: Mapping[str, str], current_hash: str) -> list[str]:
    """Roles whose sign-off is missing or vouches for an earlier version of the draft."""
    return [role for role in signing_roles(kind) if signed.get(role) != current_hash]


def validate_narrative(text: str) -> dict[str, str]:
    if len(text) > NARRATIVE_MAX_LENGTH:
        return {"text": lazy("A part can have at most 20,000 characters.")}
    return {}


def validate_people(facilitator: int | None, recorder: int | None, eligible: Mapping[str, frozenset[int]]) -> dict[str, str]:
    """Two different people from the community's facilitators and recorders (or other staff for the recorder)."""
    errors: dict[str, str] = {}
    if facilitator is None or facilitator not in eligible.get("facilitator", frozenset()):
        errors["facilitator"] = lazy("Please choose a facilitator of this community.")
    if recorder is None or recorder not in eligible.get("recorder", frozenset()):
        errors["recorder"] = lazy("Please choose a staff member of this community as recorder.")
    if not errors and facilitator == recorder:
        errors["recorder"] = lazy("The recorder and the facilitator must be two different people.")
    return errors


def parse_notice_days(raw: str) -> tuple[int | None, dict[str, str]]:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not NOTICE_DAYS_MIN <= int(text) <= NOTICE_DAYS_MAX:
        return None, {"notice_days": lazy("The notice period is a whole number of days from 3 to 60.")}
    return int(text), {}


def item_status(stored: str, vote_closed: bool) -> str:
    """An agenda item whose vote has closed (passed, rejected or without a quorum) is decided in the minutes,
    even if nobody moved it on in the room; a deferred item stays deferred."""
    return "decided" if vote_closed and stored in ("pending", "discussing") else stored
