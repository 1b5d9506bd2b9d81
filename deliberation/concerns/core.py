"""Pure rules of residents' concerns: kinds, channels, states and their transitions, what may be typed, who may
rate, the red and yellow flags, and the community's settings. No I/O; the current time is an argument.

A concern is received → assigned (dispatched to a handler with a due date) → in progress → answered → closed;
"not satisfied" reopens it (reopened → assigned or in progress → answered again). The first response is the
first step the reporter can see after intake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from community.i18n import gettext, lazy

KINDS: Final[Mapping[str, str]] = {
    "repair": lazy("Repair"),
    "environment": lazy("Environment and hygiene"),
    "safety": lazy("Safety"),
    "parking": lazy("Parking and traffic"),
    "neighbour_dispute": lazy("Neighbour dispute"),
    "proposal": lazy("Elevator or renovation proposal"),
    "elderly": lazy("Services for the elderly"),
    "other": lazy("Other"),
}
# The heat table's column heads: one short word each.
KIND_SHORT: Final[Mapping[str, str]] = {
    "repair": lazy("Repairs"),
    "environment": lazy("Environment"),
    "safety": lazy("Safety"),
    "parking": lazy("Parking"),
    "neighbour_dispute": lazy("Disputes"),
    "proposal": lazy("Proposals"),
    "elderly": lazy("Elderly"),
    "other": lazy("Other"),
}
# Never on a public page, never with a building in open data.
PRIVATE_KINDS: Final = frozenset({"neighbour_dispute"})

CHANNELS: Final[Mapping[str, str]] = {
    "app": lazy("On Yishi"),
    "phone": lazy("By phone"),
    "visit": lazy("On a door-to-door visit"),
    "box": lazy("Suggestion box"),
    "meeting": lazy("At a meeting"),
    "other": lazy("Other"),
}
STAFF_CHANNELS: Final = ("phone", "visit", "box", "meeting", "other")

STATUSES: Final[Mapping[str, str]] = {
    "received": lazy("Awaiting dispatch"),
    "assigned": lazy("Assigned"),
    "in_progress": lazy("In progress"),
    "answered": lazy("Answered"),
    "closed": lazy("Case closed"),
    "reopened": lazy("Reopened"),
}
OPEN_STATUSES: Final = frozenset({"received", "assigned", "in_progress", "reopened"})

HANDLER_KINDS: Final[Mapping[str, str]] = {
    "staff": lazy("Community staff"),
    "property": lazy("Property company"),
    "street_dept": lazy("Street department"),
    "utility": lazy("Utility"),
    "owners_committee": lazy("Owners' committee"),
}

RATINGS: Final[Mapping[str, str]] = {
    "satisfied": lazy("Satisfied"),
    "basically_satisfied": lazy("Basically satisfied"),
    "not_satisfied": lazy("Not satisfied"),
}
GOOD_RATINGS: Final = frozenset({"satisfied", "basically_satisfied"})
HEARD_BY: Final[Mapping[str, str]] = {"phone": lazy("By phone"), "visit": lazy("On a visit")}

STEP_LABELS: Final[Mapping[str, str]] = {
    "received": lazy("Concern received"),
    "assigned": lazy("Dispatched"),
    "progress": lazy("Progress"),
    "answered": lazy("Answer"),
    "rated": lazy("Rated"),
    "reopened": lazy("Reopened"),
    "closed": lazy("Case closed"),
    "auto_closed": lazy("Closed without a rating"),
    "escalated": lazy("Escalated to the street"),
    "topic": lazy("Put on a meeting's agenda"),
    "note": lazy("Internal note"),
}

TEXT_MAX: Final = 2000
COMMENT_MAX: Final = 500
NAME_MAX: Final = 100
NOTE_MAX: Final = 200
MAX_PHOTOS: Final = 3

# --- Messages (English msgids, translated where shown) ------------------------------------------------------

NO_TEXT = lazy("Please describe the concern.")
TEXT_TOO_LONG = lazy("The text can have at most 2,000 characters.")
NO_KIND = lazy("Please choose what kind of concern it is.")
NO_PLACE = lazy("Please choose where it is: your building or a common area.")
NOTE_TOO_LONG = lazy("The place can have at most 200 characters.")
NO_CHANNEL = lazy("Please choose how the concern was received.")
NAME_TOO_LONG = lazy("The name can have at most 100 characters.")
BAD_PHONE = lazy("Please enter a phone number of digits only (5 to 20).")
TOO_MANY_PHOTOS = lazy("At most 3 photos can be attached.")
NO_STEP_TEXT = lazy("Please write what was done.")
NO_ANSWER = lazy("Please write the answer the resident will read.")
NO_HANDLER = lazy("Please choose who handles the concern.")
HANDLER_OUTSIDE = lazy("This handler is not a staff member of this community. Choose one from the list.")
NO_HANDLER_NAME = lazy("Please name the body that handles it (for example the property company's name).")
NO_DUE = lazy("Please enter the date by which it is to be handled.")
DUE_PAST = lazy("The due date cannot be in the past.")
NO_RATING = lazy("Please choose satisfied, basically satisfied or not satisfied.")
COMMENT_TOO_LONG = lazy("The comment can have at most 500 characters.")
NO_HEARD_BY = lazy("Please say whether the resident answered by phone or on a visit.")
NOT_REPORTER = lazy("Only the resident who raised this concern can rate it (or staff recording their answer).")
NOT_ANSWERED = lazy("This concern has not been answered yet: it can be rated once it has an answer.")
ALREADY_RATED = lazy("This answer has already been rated.")
CLOSED = lazy("This concern is closed and can no longer change.")
WRONG_STATE = lazy("This cannot be done while the concern is in its present state.")
ALREADY_ESCALATED = lazy("This concern has already been escalated to the street.")
NO_REASON = lazy("Please say why the street should take it over.")
AUTO_ESCALATED = lazy("The resident was not satisfied again: the concern went to the street.")

_PHONE: Final = re.compile(r"^[0-9]{5,20}$")


# --- Settings -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """A community's concern settings (Community.settings["concerns"])."""

    auto_close_days: int = 7  # an answer not rated for this many days closes the concern
    red_hours: int = 24  # nobody has responded within this many hours: red
    yellow_days: int = 3  # no progress reported for this many days: yellow
    escalate_after: int = 2  # "not satisfied" this many times: the concern goes to the street


SETTING_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "auto_close_days": (1, 60),
    "red_hours": (1, 168),
    "yellow_days": (1, 30),
    "escalate_after": (1, 5),
}
SETTING_ERRORS: Final[Mapping[str, str]] = {
    "auto_close_days": lazy("Enter a whole number of days from 1 to 60."),
    "red_hours": lazy("Enter a whole number of hours from 1 to 168."),
    "yellow_days": lazy("Enter a whole number of days from 1 to 30."),
    "escalate_after": lazy("Enter a whole number from 1 to 5."),
}


def parse_settings(values: Mapping[str, object]) -> tuple[Settings, dict[str, str]]:
    """Settings from stored JSON or a form; anything missing keeps its default, anything wrong is an error."""
    found: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, (low, high) in SETTING_RANGES.items():
        raw = values.get(name)
        if raw is None or raw == "":
            continue
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            errors[name] = SETTING_ERRORS[name]
            continue
        found[name] = int(text)
    return Settings(**found), errors


def settings_to_json(settings: Settings) -> dict[str, int]:
    return {name: int(getattr(settings, name)) for name in SETTING_RANGES}


# --- Intake and handling: what may be typed -------------------------------------------------------------------


def check_text(text: str, missing: str = NO_TEXT) -> str | None:
    if not text.strip():
        return missing
    if len(text) > TEXT_MAX:
        return TEXT_TOO_LONG
    return None


def validate_intake(kind: str, has_place: bool, place_note: str, text: str, photos: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = NO_KIND
    if not has_place:
        errors["place"] = NO_PLACE
    if len(place_note) > NOTE_MAX:
        errors["place_note"] = NOTE_TOO_LONG
    problem = check_text(text)
    if problem:
        errors["text"] = problem
    if photos > MAX_PHOTOS:
        errors["photos"] = TOO_MANY_PHOTOS
    return errors


def validate_on_behalf(channel: str, name: str, phone: str) -> dict[str, str]:
    """What staff type for a concern received by phone, in person, in the box or at a meeting."""
    errors: dict[str, str] = {}
    if channel not in STAFF_CHANNELS:
        errors["channel"] = NO_CHANNEL
    if len(name) > NAME_MAX:
        errors["reporter_name"] = NAME_TOO_LONG
    if phone and not _PHONE.match(phone):
        errors["reporter_phone"] = BAD_PHONE
    return errors


def clean_phone(raw: str) -> str:
    """Spaces, dashes and brackets dropped; +86 / 0086 dropped from a mobile number."""
    digits = re.sub(r"[\s\-()]", "", raw)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def validate_dispatch(handler_kind: str, handler_ok: bool, handler_name: str, due_on: date | None,
                      today: date) -> dict[str, str]:  # fmt: skip
    """`handler_ok`: for community staff, the chosen account is staff of this community."""
    errors: dict[str, str] = {}
    if handler_kind not in HANDLER_KINDS:
        errors["handler"] = NO_HANDLER
    elif handler_kind == "staff" and not handler_ok:
        errors["handler"] = HANDLER_OUTSIDE
    elif handler_kind != "staff" and not handler_name.strip():
        errors["handler_name"] = NO_HANDLER_NAME
    if len(handler_name) > NAME_MAX:
        errors["handler_name"] = NAME_TOO_LONG
    if due_on is None:
        errors["due_on"] = NO_DUE
    elif due_on < today:
        errors["due_on"] = DUE_PAST
    return errors


def validate_rating(rating: str, comment: str, on_behalf: bool, heard_by: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if rating not in RATINGS:
        errors["rating"] = NO_RATING
    if len(comment) > COMMENT_MAX:
        errors["comment"] = COMMENT_TOO_LONG
    if on_behalf and heard_by not in HEARD_BY:
        errors["heard_by"] = NO_HEARD_BY
    return errors


# --- States ---------------------------------------------------------------------------------------------------

# action → {status it may be taken from: status it leads to}
TRANSITIONS: Final[Mapping[str, Mapping[str, str]]] = {
    "assign": {s: "assigned" for s in ("received", "assigned", "in_progress", "reopened")},
    "progress": {s: "in_progress" for s in ("assigned", "in_progress", "reopened")},
    "answer": {s: "answered" for s in ("assigned", "in_progress", "reopened")},
    "rate_good": {"answered": "closed"},
    "rate_bad": {"answered": "reopened"},
    "auto_close": {"answered": "closed"},
}


def next_status(status: str, action: str) -> str | None:
    """The status after `action`, or None if it cannot be taken now."""
    return TRANSITIONS.get(action, {}).get(status)


def require_transition(status: str, action: str) -> str:
    """The next status; the reason it is refused as a ValueError carrying an English msgid."""
    after = next_status(status, action)
    if after is None:
        raise ValueError(CLOSED if status == "closed" else WRONG_STATE)
    return after


@dataclass(frozen=True)
class RatingCheck:
    """What deciding on a rating needs to know."""

    status: str
    answers: int
    rated_answers: frozenset[int]
    is_reporter: bool
    may_record_for_reporter: bool  # staff handling it, recording an answer heard by phone or on a visit
    on_behalf: bool


def rating_refusal(check: RatingCheck) -> str | None:
    """None if this rating may be stored; else why not (an English msgid)."""
    if check.on_behalf:
        if not check.may_record_for_reporter:
            return NOT_REPORTER
    elif not check.is_reporter:
        return NOT_REPORTER
    if check.answers in check.rated_answers:
        return ALREADY_RATED
    if check.status != "answered" or check.answers == 0:
        return NOT_ANSWERED
    return None


def after_rating(rating: str, reopen_count: int, settings: Settings) -> tuple[str, int, bool]:
    """(status, reopen count, whether it now goes to the street) after a rating of the latest answer."""
    if rating in GOOD_RATINGS:
        return "closed", reopen_count, False
    reopened = reopen_count + 1
    return "reopened", reopened, reopened >= settings.escalate_after


def auto_close_due(status: str, answered_at: datetime | None, settings: Settings, now: datetime) -> bool:
    """An answer nobody rated for `auto_close_days` closes the concern."""
    return status == "answered" and answered_at is not None and now - answered_at >= timedelta(days=settings.auto_close_days)


# --- Flags ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    status: str
    opened_at: datetime
    first_response_at: datetime | None
    last_progress_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class Flags:
    red: bool  # nobody has responded within red_hours
    yellow: bool  # no progress reported for yellow_days
    overdue: bool  # past its due date without an answer

    @property
    def any(self) -> bool:
        return self.red or self.yellow or self.overdue


def flags(t: Timing, settings: Settings, now: datetime) -> Flags:
    still_open = t.status in OPEN_STATUSES
    red = still_open and t.first_response_at is None and now - t.opened_at >= timedelta(hours=settings.red_hours)
    since = t.last_progress_at or t.first_response_at or t.opened_at
    yellow = (
        t.status in ("assigned", "in_progress", "reopened") and not red
        and now - since >= timedelta(days=settings.yellow_days)
    )  # fmt: skip
    overdue = still_open and t.due_at is not None and now >= t.due_at
    return Flags(red, yellow, overdue)


def may_escalate(status: str, escalated: bool) -> str | None:
    if escalated:
        return ALREADY_ESCALATED
    if status == "closed":
        return CLOSED
    return None


def building_label(name: str) -> str:
    """"3" → 3号楼 / Building 3; a name that already says what it is ("3号楼") stays as it is."""
    return name if name.endswith(("楼", "栋", "幢", "座")) else gettext("Building %(b)s") % {"b": name}


def unit_label(name: str) -> str:
    return name if name.endswith("单元") else gettext("Unit %(u)s") % {"u": name}


def visible_to_public(kind: str) -> bool:
    return kind not in PRIVATE_KINDS
