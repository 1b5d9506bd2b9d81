"""The works after a passed vote, pure: milestones in their order, what each depends on, what the chain keeps of
one, and complaints during the works (handled with the objections' steps: votes.projects.lifecycle)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from community.i18n import lazy

# In the order a stairwell usually meets them; `DEPENDS_ON` says which must come first.
MILESTONES: Final[tuple[str, ...]] = (
    "design", "pipeline_survey", "joint_review", "contract_signed", "construction_start",
    "construction_complete", "inspection", "registration", "in_operation",
)  # fmt: skip
MILESTONE_LABELS: Final[dict[str, str]] = {
    "design": lazy("Design"),
    "pipeline_survey": lazy("Pipeline survey"),
    "joint_review": lazy("Joint review and permit"),
    "contract_signed": lazy("Contract signed"),
    "construction_start": lazy("Construction started"),
    "construction_complete": lazy("Construction complete"),
    "inspection": lazy("Special-equipment inspection passed"),
    "registration": lazy("Registration certificate issued"),
    "in_operation": lazy("In operation"),
}
# Design and the survey of the pipes under the shaft may run side by side; everything after waits for both.
DEPENDS_ON: Final[dict[str, tuple[str, ...]]] = {
    "design": (),
    "pipeline_survey": (),
    "joint_review": ("design", "pipeline_survey"),
    "contract_signed": ("joint_review",),
    "construction_start": ("contract_signed",),
    "construction_complete": ("construction_start",),
    "inspection": ("construction_complete",),
    "registration": ("inspection",),
    "in_operation": ("registration",),
}
# From the start of construction the works need the project approved (notice over, objections settled, consents).
NEEDS_APPROVAL: Final = frozenset(MILESTONES[MILESTONES.index("construction_start"):])

NOTE_MAX: Final = 2000
MAX_FILES: Final = 6
MAX_FILE_BYTES: Final = 10 * 1024 * 1024
SCHEMA: Final = "yishi.project-milestone/1"
PUBLICATION_KIND: Final = "works_milestone"  # Publication.kind holds 16 characters

NOT_A_STEP = lazy("Please choose one of the offered steps.")
ALREADY = lazy("This step has already been recorded.")
TOO_EARLY = lazy("This step cannot be recorded before the steps it depends on.")
NOT_APPROVED = lazy(
    "Construction can start only once the project is approved: the public notice over, every objection settled "
    "and every occupied flat's owner consenting."
)
NOT_PASSED = lazy("Milestones of the works are recorded once the owners have passed the project.")
BUILDING = lazy(
    "Construction has started on the budget and the shares the owners passed: they are no longer put to a new vote."
)
DAY_WRONG = lazy("Enter a date, such as 2026-12-01.")
IN_FUTURE = lazy("The date cannot be in the future.")
BEFORE_DEPENDENCY = lazy("This step cannot be dated before a step it depends on.")
NOTE_TOO_LONG = lazy("This text is too long (at most 2000 characters).")
TOO_MANY_FILES = lazy("At most 6 files at a time.")
FILE_TOO_LARGE = lazy("A file is larger than 10 MB. Please send a smaller one.")


def available(reached: Mapping[str, date]) -> tuple[str, ...]:
    """The steps that may be recorded now: not yet reached, everything they depend on reached."""
    return tuple(k for k in MILESTONES if k not in reached and all(d in reached for d in DEPENDS_ON[k]))


def check_milestone(kind: str, day: date | None, note: str, reached: Mapping[str, date], today: date,
                    passed: bool, approved: bool) -> dict[str, str]:  # fmt: skip
    """Why this milestone cannot be recorded, as {field: English msgid}; empty when it can.

    A step comes after every step it depends on (recorded before it, dated the same day or later), never in the
    future, and from the start of construction only for an approved project."""
    errors: dict[str, str] = {}
    if not passed:
        errors["kind"] = NOT_PASSED
    elif kind not in MILESTONES:
        errors["kind"] = NOT_A_STEP
    elif kind in reached:
        errors["kind"] = ALREADY
    elif any(d not in reached for d in DEPENDS_ON[kind]):
        errors["kind"] = TOO_EARLY
    elif kind in NEEDS_APPROVAL and not approved:
        errors["kind"] = NOT_APPROVED
    if day is None:
        errors["day"] = DAY_WRONG
    elif day > today:
        errors["day"] = IN_FUTURE
    elif kind in DEPENDS_ON and any(d in reached and day < reached[d] for d in DEPENDS_ON[kind]):
        errors["day"] = BEFORE_DEPENDENCY
    if len(note) > NOTE_MAX:
        errors["note"] = NOTE_TOO_LONG
    return errors


def stage(reached: Mapping[str, date]) -> str | None:
    """The furthest step reached, in the milestones' order; None before the first."""
    done = [k for k in MILESTONES if k in reached]
    return done[-1] if done else None


def construction_started(reached: Mapping[str, date]) -> bool:
    """From here the passed vote's budget and shares are being built: a new vote on them is no longer offered."""
    return "construction_start" in reached


def works_running(reached: Mapping[str, date]) -> bool:
    """Construction has started and the lift does not run yet: residents may lodge complaints online."""
    return "construction_start" in reached and "in_operation" not in reached


def in_operation(reached: Mapping[str, date]) -> bool:
    return "in_operation" in reached


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A milestone's document or photo as the chain records it: name, type, size and fingerprint."""

    name: str
    content_type: str
    sha256: str
    size: int


def milestone_content(project_id: int, title: str, place: str, kind: str, day: date, note: str,
                      files: Sequence[FileFacts]) -> dict[str, object]:  # fmt: skip
    """What the publication chain keeps of a milestone: the project, the step, its day and note, each file's
    fingerprint. Nothing personal."""
    return {
        "schema": SCHEMA,
        "kind": PUBLICATION_KIND,
        "page": f"/p/{project_id}/notice",
        "project_id": project_id,
        "title": title,
        "place": place,
        "milestone": kind,
        "reached_on": day.isoformat(),
        "note": note,
        "files": [{"name": f.name, "content_type": f.content_type, "sha256": f.sha256, "bytes": f.size} for f in files],
    }


def clean_file_name(name: str) -> str:
    """A file's name as shown beside it: no directories, no control characters, at most 100 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if ch.isprintable())
    return kept.strip()[:100]


# --- Complaints during the works ---------------------------------------------------------------------------------

COMPLAINT_AFFECTS: Final[dict[str, str]] = {
    "noise": lazy("Noise"),
    "access": lazy("Access"),
    "dust": lazy("Dust and dirt"),
    "safety": lazy("Safety"),
    "other": lazy("Other"),
}
COMPLAINT_MAX_LENGTH: Final = 4000
COMPLAINT_MISSING = lazy("Please describe the problem: what happens, where and when.")
COMPLAINT_TOO_LONG = lazy("The complaint is too long (at most 4000 characters).")
AFFECTS_MISSING = lazy("Please tick what the works affect.")


def check_complaint(text: str, affects: Sequence[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = COMPLAINT_MISSING
    elif len(text) > COMPLAINT_MAX_LENGTH:
        errors["text"] = COMPLAINT_TOO_LONG
    if not affects or any(a not in COMPLAINT_AFFECTS for a in affects):
        errors["affects"] = AFFECTS_MISSING
    return errors
