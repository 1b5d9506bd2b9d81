"""Tables of the concerns package: a concern, the steps of its handling, its photos, its ratings, and the
monthly summaries published on the notice board."""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from community.tables import Account, Building, Community, Compound, Flat, StairwellUnit
from deliberation.minutes.tables import Publication
from deliberation.tables import AgendaItem


class Concern(Table):
    """One concern a resident raised (or staff recorded for them). Reporter, phone, flat and photos are
    private: public pages and open data show kind, building, status and dates only."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=24)  # deliberation.concerns.core.KINDS
    channel = Varchar(length=12, default="app")  # app / phone / visit / box / meeting / other
    # Where: a flat (the reporter's own), a stairwell unit, or a common area of a compound (with a note).
    compound = ForeignKey(references=Compound, null=True, default=None, on_delete=OnDelete.set_null)
    building = ForeignKey(references=Building, null=True, default=None, on_delete=OnDelete.set_null)
    stairwell_unit = ForeignKey(references=StairwellUnit, null=True, default=None, on_delete=OnDelete.set_null)
    flat = ForeignKey(references=Flat, null=True, default=None, on_delete=OnDelete.set_null)
    place_note = Varchar(length=200, default="")
    text = Text()
    public_text = Boolean(default=False)  # the reporter allows the text on public pages
    reporter = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    reporter_name = Varchar(length=100, default="")  # recorded by staff for someone without an account
    reporter_phone = Varchar(length=20, default="")
    recorded_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="received")
    handler_kind = Varchar(length=24, default="")  # staff / property / street_dept / utility / owners_committee
    handler_account = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    handler_name = Varchar(length=100, default="")
    due_at = Timestamptz(null=True, default=None)  # the end of the due day (exclusive), in the community's zone
    opened_at = Timestamptz(default=TimestamptzNow())
    first_response_at = Timestamptz(null=True, default=None)  # the first step the reporter can see
    last_progress_at = Timestamptz(null=True, default=None)
    first_answer_at = Timestamptz(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)  # the latest answer
    answers = Integer(default=0)  # answers given so far; a rating belongs to one of them
    closed_at = Timestamptz(null=True, default=None)
    reopen_count = Integer(default=0)
    rating = Varchar(length=24, default="")  # the latest rating
    escalated_at = Timestamptz(null=True, default=None)
    agenda_item = ForeignKey(references=AgendaItem, null=True, default=None, on_delete=OnDelete.set_null)
    # Every change sets it (services.intake, store.update): with the count, it tells cached figures and open-data
    # files whether they are still current. Nullable, so that SQLite can add it to an existing table.
    updated_at = Timestamptz(null=True, default=None)


class ConcernStep(Table, tablename="concern_step"):
    """One entry of a concern's handling log: when, who, what was done. `visible`: the reporter sees it."""

    id = Serial(primary_key=True)
    concern = ForeignKey(references=Concern, on_delete=OnDelete.cascade, null=False)
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    action = Varchar(length=24)  # received / assigned / progress / answered / rated / reopened / closed / …
    text = Text(default="")
    visible = Boolean(default=True)
    detail = JSON(default="{}")


class ConcernPhoto(Table, tablename="concern_photo"):
    """A photo attached at intake: re-encoded, stored under a random name, shown only to the reporter and staff."""

    id = Serial(primary_key=True)
    concern = ForeignKey(references=Concern, on_delete=OnDelete.cascade, null=False)
    stored_name = Varchar(length=64)
    content_type = Varchar(length=32)
    size = Integer()
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ConcernRating(Table, tablename="concern_rating"):
    """The reporter's rating of one answer (UNIQUE (concern, answer) in the database: once per answer)."""

    id = Serial(primary_key=True)
    concern = ForeignKey(references=Concern, on_delete=OnDelete.cascade, null=False)
    answer = Integer()  # Concern.answers when it was rated
    rating = Varchar(length=24)  # satisfied / basically_satisfied / not_satisfied
    comment = Varchar(length=500, default="")
    rated_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    on_behalf = Boolean(default=False)  # staff recorded what the reporter said by phone or on a visit
    heard_by = Varchar(length=12, default="")  # phone / visit, when on behalf
    at = Timestamptz(default=TimestamptzNow())


class ConcernReport(Table, tablename="concern_report"):
    """A monthly summary (民情月报) published in the community's chain (UNIQUE (community, month))."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    month = Varchar(length=7)  # YYYY-MM
    publication = ForeignKey(references=Publication, null=True, default=None, on_delete=OnDelete.set_null)
    published_at = Timestamptz(default=TimestamptzNow())
