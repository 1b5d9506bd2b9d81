"""Pure rules of deliberation: meeting lifecycle, agenda lock, who may do what, edit window, queue.

Who a meeting covers and how many were present is `attendance_rules.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from community.i18n import lazy
from community.roles import RULE, holds

MeetingStatus = Literal["draft", "noticed", "in_session", "closed"]
MEETING_STATUSES: tuple[MeetingStatus, ...] = ("draft", "noticed", "in_session", "closed")
STATUS_LABELS: dict[str, str] = {
    "draft": lazy("Draft"),
    "noticed": lazy("Noticed"),
    "in_session": lazy("In session"),
    "closed": lazy("Closed"),
}

MEETING_KINDS: dict[str, str] = {
    "bench": lazy("Bench consultation"),
    "coordination": lazy("Coordination meeting"),
    "hearing": lazy("Hearing"),
    "owners": lazy("Owners' meeting"),
    "owners_interim": lazy("Interim owners' meeting"),
    "residents": lazy("Residents' meeting"),
    "evaluation": lazy("Evaluation meeting"),
}

# A meeting's scope fixes who is invited: the people attached to the flats it covers.
MEETING_SCOPE_KINDS: dict[str, str] = {
    "community": lazy("Whole community"),
    "compound": lazy("Compound"),
    "building": lazy("Building"),
    "stairwell_unit": lazy("Stairwell unit"),
}

GUEST_ROLES: dict[str, str] = {
    "expert": lazy("Expert"),
    "property_company": lazy("Property company"),
    "street_office": lazy("Street office"),
    "other": lazy("Other guest"),
}

ITEM_STATUSES: dict[str, str] = {
    "pending": lazy("Pending"),
    "discussing": lazy("Under discussion"),
    "decided": lazy("Decided"),
    "deferred": lazy("Deferred"),
}

POSITIONS: dict[str, str] = {
    "support": lazy("Support"),
    "oppose": lazy("Oppose"),
    "question": lazy("Question"),
    "suggestion": lazy("Suggestion"),
}

EDIT_WINDOW = timedelta(minutes=10)
COMMENT_LIMIT = 10  # comments per account …
COMMENT_LIMIT_WINDOW = timedelta(minutes=1)  # … in this window
SAME_AGAIN_WINDOW = timedelta(minutes=2)  # the same text from the same person again within this: sent twice, kept once
COMMENT_MAX_LENGTH = 2000
HIDE_REASON_MAX_LENGTH = 300
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20000
ORIGIN_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 20000
MIN_SPEAKING_LIMIT = 30
MAX_SPEAKING_LIMIT = 3600


# --- Lifecycle: draft → noticed → in session → closed ---------------------------------------------------

_TRANSITIONS: dict[str, tuple[MeetingStatus, MeetingStatus]] = {
    "publish_notice": ("draft", "noticed"),
    "start": ("noticed", "in_session"),
    "close": ("in_session", "closed"),
}


class RuleError(Exception):
    """An action the rules refuse; `message` is an English msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def next_status(status: str, action: str) -> MeetingStatus:
    """The status after `action` ("publish_notice", "start", "close"); RuleError if not allowed now."""
    transition = _TRANSITIONS.get(action)
    if transition is None:
        raise RuleError(lazy("This action is not known."))
    before, after = transition
    if status != before:
        messages = {
            "publish_notice": lazy("The notice has already been published."),
            "start": lazy("Only a noticed meeting can start its session."),
            "close": lazy("Only a meeting in session can be closed."),
        }
        raise RuleError(messages[action])
    return after


def agenda_editable(status: str) -> bool:
    """Items may be added, changed, moved and removed freely only while the meeting is a draft."""
    return status == "draft"


def item_needs_new_notice(status: str) -> bool:
    """Once noticed, an item can still be added, but only together with a new, dated notice."""
    return status in ("noticed", "in_session")


def details_editable(status: str) -> bool:
    """Kind, title, scope, venue and time are what the notice announced: fixed once it is published."""
    return status == "draft"


def people_editable(status: str) -> bool:
    """Facilitator, recorder and guests may change until the meeting is closed."""
    return status != "closed"


def comments_open(status: str) -> bool:
    """Residents discuss from the notice until the meeting closes."""
    return status in ("noticed", "in_session")


# --- Who may do what --------------------------------------------------------------------------------------

STAFF_ROLES = RULE["see_staff_pages"].roles  # community.roles: the one list the roles page shows


@dataclass(frozen=True)
class AccessFacts:
    """What is known about one account and one meeting."""

    account_id: int
    is_site_admin: bool
    roles: frozenset[str]  # the account's roles in the meeting's community
    status: str
    facilitator_id: int | None
    recorder_id: int | None
    attached: bool  # owns or lives in a flat of the scope (tenants included)
    verified: bool  # … with a verified link


@dataclass(frozen=True)
class Access:
    view: bool
    control: bool  # edit the meeting, agenda and notices; run the session: items, queue, timer, attendance, hiding
    record: bool  # write the recorder's notes
    comment: bool
    check_in: bool
    raise_hand: bool
    staff: bool


def access(f: AccessFacts) -> Access:
    """Community facilitators (and site admins) organise every meeting; the meeting's own facilitator runs it."""
    staff = f.is_site_admin or bool(f.roles & STAFF_ROLES)
    organiser = f.is_site_admin or holds("organise_meetings", f.roles)
    control = organiser or f.account_id == f.facilitator_id
    record = control or f.account_id == f.recorder_id
    published = f.status != "draft"
    view = staff or control or record or (published and f.attached)
    comment = view and comments_open(f.status) and (staff or f.attached or control or record)
    return Access(
        view=view,
        control=control,
        record=record,
        comment=comment,
        check_in=f.status in ("noticed", "in_session") and f.attached and f.verified,
        raise_hand=f.status == "in_session" and (f.attached or staff),
        staff=staff,
    )


# --- Comments ----------------------------------------------------------------------------------------------


def can_edit_comment(author_id: int | None, user_id: int, created_at: datetime, now: datetime, hidden: bool) -> bool:
    """The author may edit for ten minutes after posting, unless a facilitator has hidden the comment."""
    return author_id == user_id and not hidden and now - created_at <= EDIT_WINDOW


def over_comment_limit(recent_count: int) -> bool:
    """`recent_count` comments in the last COMMENT_LIMIT_WINDOW: may this account post one more?"""
    return recent_count >= COMMENT_LIMIT


def validate_comment(position: str, body: str, is_reply: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not is_reply and position not in POSITIONS:
        errors["position"] = lazy("Please choose support, oppose, question or suggestion.")
    if is_reply and position and position not in POSITIONS:
        errors["position"] = lazy("Please choose support, oppose, question or suggestion.")
    if not body.strip():
        errors["body"] = lazy("Please write your comment.")
    elif len(body) > COMMENT_MAX_LENGTH:
        errors["body"] = lazy("A comment can have at most 2,000 characters.")
    return errors


def validate_hide_reason(reason: str) -> dict[str, str]:
    if not reason.strip():
        return {"reason": lazy("Please give the reason for hiding this comment; it stays visible.")}
    if len(reason) > HIDE_REASON_MAX_LENGTH:
        return {"reason": lazy("The reason can have at most 300 characters.")}
    return {}


# --- Meeting and agenda forms -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingForm:
    kind: str
    title: str
    scope_kind: str
    scope_ids: tuple[int, ...]
    starts_at: datetime | None
    ends_at: datetime | None
    speaking_limit_minutes: int | None


def validate_meeting(form: MeetingForm, known_scope_ids: frozenset[int]) -> dict[str, str]:
    """Field errors of a meeting form; `known_scope_ids` are the community's ids for the chosen scope kind."""
    errors: dict[str, str] = {}
    if form.kind not in MEETING_KINDS:
        errors["kind"] = lazy("Please choose the kind of meeting.")
    if not form.title.strip():
        errors["title"] = lazy("Please enter a title.")
    elif len(form.title) > TITLE_MAX_LENGTH:
        errors["title"] = lazy("The title can have at most 200 characters.")
    if form.scope_kind not in MEETING_SCOPE_KINDS:
        errors["scope_kind"] = lazy("Please choose who the meeting is for.")
    elif form.scope_kind != "community":
        if not form.scope_ids:
            errors["scope_ids"] = lazy("Please tick at least one compound, building or stairwell unit.")
        elif not set(form.scope_ids) <= known_scope_ids:
            errors["scope_ids"] = lazy("Some of the ticked places do not belong to this community.")
    if form.starts_at is None:
        errors["starts_at"] = lazy("Please enter the date and time the meeting starts.")
    if form.ends_at is not None and form.starts_at is not None and form.ends_at <= form.starts_at:
        errors["ends_at"] = lazy("The meeting must end after it starts.")
    if form.speaking_limit_minutes is None or not (
        MIN_SPEAKING_LIMIT <= form.speaking_limit_minutes * 60 <= MAX_SPEAKING_LIMIT
    ):
        errors["speaking_limit"] = lazy("Speaking time is a whole number of minutes from 1 to 60.")
    return errors


def validate_item(title: str, description: str, origin: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = lazy("Please enter a title.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = lazy("The title can have at most 200 characters.")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = lazy("The description can have at most 20,000 characters.")
    if len(origin) > ORIGIN_MAX_LENGTH:
        errors["origin"] = lazy("The origin can have at most 300 characters.")
    return errors


def moved(order: Sequence[int], item_id: int, direction: str) -> list[int]:
    """`order` (ids, first to last) with `item_id` moved one place "up" or "down"; unchanged at either end."""
    ids = list(order)
    if item_id not in ids or direction not in ("up", "down"):
        return ids
    i = ids.index(item_id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return ids


# --- Speaking timer ---------------------------------------------------------------------------------------------


def spoken_seconds(elapsed_before: int, running_since: datetime | None, now: datetime) -> int:
    """Seconds spoken so far: earlier runs of the timer plus the current run, if it is running."""
    if running_since is None:
        return elapsed_before
    return elapsed_before + max(0, int((now - running_since).total_seconds()))


def format_clock(seconds: int) -> str:
    """m:ss (or h:mm:ss), never negative."""
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_input_value(moment: datetime | None, timezone: str) -> str:
    """The value a datetime-local input shows for `moment` in the community's time zone."""
    from zoneinfo import ZoneInfo

    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")
