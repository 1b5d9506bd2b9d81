"""Proof of posting, the pure part: which notices have it, what a posting states, and what the chain keeps.

Staff photograph a paper notice where they posted it (a stairwell's board, the compound's gate) and say where
and when; each photo's SHA-256 goes into the community's publication chain. A posting is keyed by the kind of
notice and its id, so any package's notice can carry proofs (`community.posting_store.register_target`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from community.i18n import lazy
from community.safetext import form_date, has_control_characters

SCHEMA: Final = "yishi.notice-posting/1"
PUBLICATION_KIND: Final = "notice_posting"
NOTICE_KINDS: Final[dict[str, str]] = {
    "meeting_notice": lazy("Notice of meeting"),
    "vote_notice": lazy("Notice of a vote"),
    "result_preliminary": lazy("Preliminary result"),
    "result_final": lazy("Final result"),
    "project_notice": lazy("Public notice of a project"),
}
MAX_PHOTOS: Final = 6
MAX_BYTES: Final = 8 * 1024 * 1024
PLACE_MAX: Final = 200

PLACE_MISSING = lazy("Please say where the notice was posted, such as “the board at the door of building 3”.")
PLACE_TOO_LONG = lazy("The place is too long (at most 200 characters).")
DAY_WRONG = lazy("Enter a date, such as 2026-12-01.")
TIME_WRONG = lazy("Enter a time, such as 09:30.")
IN_FUTURE = lazy("The notice cannot have been posted in the future.")
BEFORE_NOTICE = lazy("The notice cannot have been posted before it was published.")
NO_PHOTO = lazy("Please add at least one photo of the posted notice.")
TOO_MANY = lazy("At most 6 photos at a time.")
TOO_LARGE = lazy("A photo is larger than 8 MB. Please send a smaller one.")


@dataclass(frozen=True, slots=True)
class Posting:
    """What staff state about one posting, checked."""

    place: str
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """A stored photo as the chain records it: its fingerprint and size, never the picture itself."""

    sha256: str
    width: int
    height: int
    size: int


def parse_posting(
    place: str, day: str, at: str, photos: int, now: datetime, tz: ZoneInfo, published_at: datetime | None
) -> tuple[Posting | None, dict[str, str]]:
    """The posting from the form (place, day, optional time of day, number of photos chosen) or, per field, why
    not (English message ids). A posting happens between the notice's publication and now."""
    errors: dict[str, str] = {}
    place = " ".join(place.split())
    if not place:
        errors["place"] = PLACE_MISSING
    elif len(place) > PLACE_MAX:
        errors["place"] = PLACE_TOO_LONG
    elif has_control_characters(place):
        errors["place"] = PLACE_MISSING
    posted_day = form_date(day)
    if posted_day is None:
        errors["day"] = DAY_WRONG
    posted_time = time(12)
    if at.strip():
        try:
            posted_time = time.fromisoformat(at.strip())
        except ValueError:
            errors["time"] = TIME_WRONG
    if photos < 1:
        errors["photos"] = NO_PHOTO
    elif photos > MAX_PHOTOS:
        errors["photos"] = TOO_MANY
    if posted_day is None or errors.keys() & {"day", "time"}:
        return None, errors
    moment = datetime.combine(posted_day, posted_time.replace(tzinfo=None), tzinfo=tz)
    if posted_day > now.astimezone(tz).date() or (at.strip() and moment > now):
        errors["day"] = IN_FUTURE
    elif published_at is not None and posted_day < published_at.astimezone(tz).date():
        errors["day"] = BEFORE_NOTICE
    if errors:
        return None, errors
    return Posting(place, moment), errors


def chain_content(
    kind: str, notice_id: int, page: str, title: str, posting: Posting, photos: Sequence[PhotoFacts]
) -> dict[str, object]:
    """What the publication chain keeps of a posting: the notice, where and when, each photo's fingerprint."""
    return {
        "schema": SCHEMA,
        "kind": PUBLICATION_KIND,
        "page": page,
        "notice": {"kind": kind, "id": notice_id, "title": title},
        "place": posting.place,
        "posted_at": posting.posted_at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "photos": [{"sha256": p.sha256, "width": p.width, "height": p.height, "bytes": p.size} for p in photos],
    }


def fingerprint(sha256: str) -> str:
    """The short form printed under a photo, as under every publication: 12 hex digits in groups of four."""
    short = sha256[:12].upper()
    return " ".join(short[i : i + 4] for i in range(0, len(short), 4))
