"""Project kinds and their default Art. 278 matter (with the reason shown), community settings, and labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from community.i18n import lazy

ProjectKind = Literal["elevator", "insulation", "roof", "pipes", "other"]
PROJECT_KINDS: Final[tuple[ProjectKind, ...]] = get_args(ProjectKind)

KIND_LABELS: Final[dict[str, str]] = {
    "elevator": lazy("Add an elevator"),
    "insulation": lazy("Exterior wall insulation"),
    "roof": lazy("Roof"),
    "pipes": lazy("Pipes"),
    "other": lazy("Other works"),
}

# Matters a project's vote may be put under: using or raising the fund, altering the building, changing
# the use of common parts, other major matters. Items 1–4 (rules, covenant, committee, manager) never fit works.
PROJECT_MATTERS: Final[tuple[int, ...]] = (5, 6, 7, 8, 9)
INSULATION_MATTERS: Final[tuple[int, ...]] = (5, 7)

DEFAULT_NOTICE_DAYS: Final = 15
MIN_NOTICE_DAYS: Final = 1
MAX_NOTICE_DAYS: Final = 90


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """A community's settings for projects: how long the public notice runs, and the item insulation falls under."""

    notice_days: int = DEFAULT_NOTICE_DAYS
    insulation_matter: int = 7


def parse_settings(data: Mapping[str, object] | None) -> tuple[ProjectSettings, dict[str, str]]:
    """Settings from stored JSON or a form, and {field: English msgid} for values that are not acceptable.

    A missing or empty value keeps the default; a bad one is reported and the default used.
    """
    data = data or {}
    errors: dict[str, str] = {}
    notice_days = DEFAULT_NOTICE_DAYS
    raw = data.get("notice_days")
    if raw not in (None, ""):
        number = _whole_number(raw)
        if number is None or not MIN_NOTICE_DAYS <= number <= MAX_NOTICE_DAYS:
            errors["notice_days"] = lazy("Enter a number of days from 1 to 90.")
        else:
            notice_days = number
    insulation = 7
    raw = data.get("insulation_matter")
    if raw not in (None, ""):
        number = _whole_number(raw)
        if number not in INSULATION_MATTERS:
            errors["insulation_matter"] = lazy("Choose item 5 or item 7.")
        else:
            insulation = number
    return ProjectSettings(notice_days, insulation), errors


def settings_to_json(settings: ProjectSettings) -> dict[str, int]:
    return {"notice_days": settings.notice_days, "insulation_matter": settings.insulation_matter}


def _whole_number(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    return None


@dataclass(frozen=True, slots=True)
class MatterChoice:
    """The Art. 278 item a project's vote is put under, why, and whether the facilitator may choose another."""

    matter: int
    default: int
    reason: str  # English msgid explaining the default
    fixed: bool  # the law leaves no choice (adding an elevator)

    @property
    def overridden(self) -> bool:
        return self.matter != self.default


def default_matter(kind: str, settings: ProjectSettings) -> tuple[int, str]:
    """(Art. 278 item, the reason in plain words) for a kind of works, as docs/rules.md explains."""
    if kind == "elevator":
        return 7, lazy(
            "Adding an elevator rebuilds the building and its facilities: Civil Code Art. 278, item 7. At least "
            "three quarters of the participating owners, by headcount and by floor area, must agree."
        )
    if kind == "insulation":
        if settings.insulation_matter == 5:
            return 5, lazy(
                "This community treats exterior wall insulation as a use of the building maintenance fund: "
                "Civil Code Art. 278, item 5. More than half of the participating owners, by headcount and by "
                "floor area, must agree."
            )
        return 7, lazy(
            "This community treats exterior wall insulation as altering the building: Civil Code Art. 278, "
            "item 7. At least three quarters of the participating owners, by headcount and by floor area, "
            "must agree."
        )
    if kind in ("roof", "pipes"):
        return 5, lazy(
            "Repairs of common parts such as the roof or the pipes are usually paid from the building "
            "maintenance fund: Civil Code Art. 278, item 5. If the works alter the building, choose item 7."
        )
    return 9, lazy(
        "Other major matters of the owners' common rights: Civil Code Art. 278, item 9. Choose another item "
        "if it describes the works better."
    )


def matter_choice(kind: str, settings: ProjectSettings, chosen: int | None) -> MatterChoice:
    """The item in force: the default, or the facilitator's choice among PROJECT_MATTERS (never for elevators)."""
    default, reason = default_matter(kind, settings)
    fixed = kind == "elevator"
    matter = default if fixed or chosen not in PROJECT_MATTERS else chosen
    assert matter is not None
    return MatterChoice(matter=matter, default=default, reason=reason, fixed=fixed)


# --- Occupied flats: the owner's individual consent ---------------------------------------------------------------

ConsentState = Literal["pending", "given", "refused"]
CONSENT_STATES: Final[tuple[ConsentState, ...]] = get_args(ConsentState)
CONSENT_LABELS: Final[dict[str, str]] = {
    "pending": lazy("Consent pending"),
    "given": lazy("Consent given"),
    "refused": lazy("Consent refused"),
}
# How a consent or refusal reached the committee.
CONSENT_METHODS: Final[dict[str, str]] = {
    "online": lazy("Online, by the owner"),
    "signed": lazy("Signed statement"),
    "in_person": lazy("In person, before staff"),
    "other": lazy("Other written form"),
}

# --- Objections during the public notice ---------------------------------------------------------------------------

AFFECTS: Final[dict[str, str]] = {
    "light": lazy("Light"),
    "noise": lazy("Noise"),
    "access": lazy("Access"),
    "cost": lazy("Cost"),
    "other": lazy("Other"),
}
OBJECTION_CHANNELS: Final[dict[str, str]] = {
    "online": lazy("Online"),
    "paper": lazy("On paper"),
    "spoken": lazy("Spoken, written down by staff"),
}
STEP_KINDS: Final[dict[str, str]] = {
    "talks": lazy("Talks"),
    "mediation": lazy("Mediation"),
    "resolved": lazy("Resolved"),
    "withdrawn": lazy("Withdrawn"),
    "unresolved": lazy("Unresolved"),
}
OBJECTION_STATUS_LABELS: Final[dict[str, str]] = {
    "open": lazy("Awaiting handling"),
    "in_progress": lazy("Being handled"),
    "resolved": lazy("Resolved"),
    "withdrawn": lazy("Withdrawn"),
    "unresolved": lazy("Unresolved"),
}

WITHDRAWN_ONLINE: Final = lazy("Withdrawn online by the resident who lodged it.")

OBJECTION_MAX_LENGTH: Final = 4000
STEP_NOTE_MAX_LENGTH: Final = 2000
