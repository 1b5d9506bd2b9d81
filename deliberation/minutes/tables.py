"""Tables of the minutes package: minutes drafts with their narrative, sign-offs, and chained publications."""

from typing import Any

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from community.tables import Account, Community
from deliberation.tables import Meeting, Notice
from votes.tables import Vote


class Minutes(Table):
    """Minutes of a meeting or of a written consultation, an addendum correcting them, or a result notice.

    The record itself (meeting, agenda, notes, tallies) is read from the other tables when the draft is
    shown; only the facilitator's narrative lives here. Once published, nothing here changes again: the
    published text is the publication's content.
    """

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16, default="minutes")  # minutes / addendum / notice
    meeting = ForeignKey(references=Meeting, null=True, default=None, on_delete=OnDelete.set_null)
    # A written consultation without a meeting, or the vote a result notice announces.
    vote = ForeignKey(references=Vote, null=True, default=None, on_delete=OnDelete.set_null)
    # An addendum points at the minutes it corrects; the original never changes, its page finds the addenda.
    corrects: ForeignKey[Any] = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    facilitator = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    recorder = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    narrative = JSON(default="{}")  # {part: Markdown}: "summary", "item-<id>", "correction", "how_to_object"
    notice_days = Integer(null=True, default=None)  # a result notice: days it stays posted for objections
    status = Varchar(length=16, default="draft")  # draft / published
    # Public copies of a vote record replace unit labels by pseudonyms derived with this salt.
    redaction_salt = Varchar(length=64, default="")
    created_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)


class Signoff(Table, tablename="minutes_signoff"):
    """The recorder's or the facilitator's sign-off, from their own account, of one exact version of a draft."""

    id = Serial(primary_key=True)
    minutes = ForeignKey(references=Minutes, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=16)  # recorder / facilitator
    account = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    content_hash = Varchar(length=64)  # SHA-256 of the draft's canonical content when signed
    signed_at = Timestamptz(default=TimestamptzNow())


class Publication(Table):
    """One published text of a community's notice board, chained by SHA-256 to the one before it.

    `content` is the canonical JSON that was hashed; the other columns besides `sha256` and `previous`
    are derived from it for lists, filters and search, and are not part of the hash.
    """

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    seq = Integer()  # 1, 2, 3 … in the community's chain; UNIQUE (community, seq) in the database
    kind = Varchar(length=16)  # minutes / addendum / notice (of a result) / meeting_notice
    minutes = ForeignKey(references=Minutes, null=True, default=None, on_delete=OnDelete.set_null, unique=True)
    # A meeting notice (kind "meeting_notice"): the dated notice with its agenda that this publication carries.
    # Published once: a UNIQUE index in the migration (SQLite cannot add a UNIQUE column).
    notice = ForeignKey(references=Notice, null=True, default=None, on_delete=OnDelete.set_null)
    content = Text()
    sha256 = Varchar(length=64, unique=True)
    previous = Varchar(length=64)  # the previous publication's sha256; 64 zeros for the first
    published_at = Timestamptz()
    published_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    year = Integer()  # in the community's time zone, for the board's filter
    buildings = JSON(default="[]")  # building names it concerns, for the board's filter
    outcomes = JSON(default="[]")  # [{"vote", "title", "kind", "outcome"}]: the decisions, for lists
    search_text = Text(default="")
    ends_at = Timestamptz(null=True, default=None)  # a result notice: end of its objection period
