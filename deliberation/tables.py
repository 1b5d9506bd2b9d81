"""Tables of the deliberation package: meetings, venues, notices, agenda, comments, attendance, speakers, notes."""

from typing import Any

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from community.tables import Account, Community, Flat


class Venue(Table):
    """A community's own list of places to meet (its "deliberation halls")."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)
    address = Varchar(length=200, default="")
    capacity = Integer(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Meeting(Table):
    """A bench consultation, coordination meeting, hearing, owners' or residents' meeting, or evaluation."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=32)  # bench / coordination / hearing / owners / residents / evaluation
    title = Varchar(length=200)
    scope_kind = Varchar(length=32, default="community")  # community.roster.scope.ScopeKind
    scope_ids = JSON(default="[]")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    facilitator = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorder = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="draft")  # draft / noticed / in_session / closed
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    venue = ForeignKey(references=Venue, null=True, on_delete=OnDelete.set_null)
    # The agenda item under discussion. Not a foreign key: agenda items already point at their meeting.
    current_item = Integer(null=True, default=None)
    speaking_limit = Integer(default=180)  # seconds per speaker
    # Opens the projector view on a laptop nobody is signed in to; the facilitator can replace it.
    projector_key = Varchar(length=64, default="")
    started_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class MeetingGuest(Table, tablename="meeting_guest"):
    """Someone invited by name besides the residents of the scope: an expert, the property company, the street office."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)
    role = Varchar(length=32)  # expert / property_company / street_office / other
    organisation = Varchar(length=200, default="")


class AgendaItem(Table, tablename="agenda_item"):
    """One item of a meeting's agenda; owners' votes may attach to it."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    position = Integer(default=0)
    title = Varchar(length=200)
    description = Text(default="")  # Markdown, sanitised when rendered
    status = Varchar(length=16, default="pending")  # pending / discussing / decided / deferred
    origin = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Notice(Table, tablename="meeting_notice"):
    """A published, dated notice of a meeting with its agenda as it stood; every notice stays on record."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    number = Integer()  # 1 for the first notice, 2 for the first supplementary notice, …
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    # {"title", "kind", "starts_at", "ends_at", "venue", "scope", "items": [{"position", "title", "description", "origin"}]}
    snapshot = JSON(default="{}")


class Attachment(Table, tablename="agenda_attachment"):
    """An image or PDF attached to an agenda item; images are stored downscaled, with a thumbnail."""

    id = Serial(primary_key=True)
    item = ForeignKey(references=AgendaItem, on_delete=OnDelete.cascade, null=False)
    original_name = Varchar(length=200)
    stored_name = Varchar(length=64, unique=True)  # random, never derived from the uploaded name
    content_type = Varchar(length=64)
    size = Integer()
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    uploaded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    # SHA-256 of the stored file (what is served), hex; a published notice's content carries it (docs/publications.md).
    sha256 = Varchar(length=64, default="")


class Comment(Table, tablename="agenda_comment"):
    """A position on an agenda item from someone attached to the scope; replies are one level deep."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    item = ForeignKey(references=AgendaItem, on_delete=OnDelete.cascade, null=False)
    parent: ForeignKey[Any] = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.cascade)
    author = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    position = Varchar(length=16)  # support / oppose / question / suggestion
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    hidden_at = Timestamptz(null=True, default=None)
    hidden_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    hidden_reason = Varchar(length=300, default="")
    pinned = Boolean(default=False)  # shown first on the projector
    off_projector = Boolean(default=False)  # kept off the projector, still shown on phones


class Attendance(Table, tablename="meeting_attendance"):
    """A household (flat) present at a meeting: checked in by QR code or marked on paper by the facilitator."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    method = Varchar(length=8)  # qr / paper
    attendee_name = Varchar(length=100, default="")
    marked_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    at = Timestamptz(default=TimestamptzNow())


class SpeakerRequest(Table, tablename="speaker_request"):
    """A raised hand: waiting in the queue, speaking (with its timer), then done, withdrawn or removed."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    item = Integer(null=True, default=None)  # the agenda item under discussion when the hand went up
    position = Integer(default=0)
    status = Varchar(length=16, default="waiting")  # waiting / speaking / done / withdrawn / removed
    raised_at = Timestamptz(default=TimestamptzNow())
    called_at = Timestamptz(null=True, default=None)
    timer_started_at = Timestamptz(null=True, default=None)
    timer_elapsed = Integer(default=0)  # seconds spoken before the timer's current run
    finished_at = Timestamptz(null=True, default=None)


class ItemNote(Table, tablename="agenda_item_note"):
    """The recorder's notes on one agenda item; the minutes are written from them."""

    id = Serial(primary_key=True)
    item = ForeignKey(references=AgendaItem, on_delete=OnDelete.cascade, null=False, unique=True)
    positions_heard = Text(default="")
    objections = Text(default="")
    agreed_points = Text(default="")
    open_points = Text(default="")
    updated_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())
