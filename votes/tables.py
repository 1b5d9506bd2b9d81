"""Tables of the votes package (votes, electorate snapshots, ballots, paper ballots, proxies, receipts)."""

from typing import Any

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from community.tables import Account, Community, Person


class _KeptReference(LazyTableReference):
    """A lazy reference resolved once: Piccolo resolves it (looking through every app) whenever a query touches
    the column, which cost about half a millisecond per request."""

    def resolve(self) -> type[Table]:
        kept: type[Table] | None = self.__dict__.get("_kept")
        if kept is None:
            kept = self.__dict__["_kept"] = super().resolve()
        return kept


class Vote(Table):
    """One question put to the owners (Art. 278), to the residents' meeting, or as a non-binding poll."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    # A written consultation (书面征求意见) has no agenda item; a vote at a meeting has one. Meetings live in
    # deliberation, the floor above: votes stores the item's id and reads nothing of it (deliberation.meeting_votes).
    agenda_item: ForeignKey[Any] = ForeignKey(
        references=_KeptReference("AgendaItem", app_name="deliberation"), null=True, default=None,
        on_delete=OnDelete.set_null,
    )
    title = Varchar(length=200)
    question = Text(default="")
    kind = Varchar(length=16, default="owners")  # owners / poll / residents
    matter = Integer(null=True, default=None)  # Art. 278 item 1–9 for owners' votes
    options = JSON(default="[]")  # a poll's own options: ["方案一", "方案二", …]
    scope_kind = Varchar(length=32, default="community")  # community.roster.scope.ScopeKind
    scope_ids = JSON(default="[]")
    scope_label = Varchar(length=300, default="")
    opens_at = Timestamptz(null=True, default=None)  # None: opened by the facilitator
    closes_at = Timestamptz(null=True, default=None)  # None: closed by the facilitator
    status = Varchar(length=16, default="draft")  # draft / scheduled / open / closed
    overrides = JSON(default="{}")  # this vote's settings that differ from the community defaults
    settings = JSON(default="{}")  # the settings in force, frozen when the vote is published
    channels = JSON(default='["online"]')  # online / paper / meeting
    electorate_hash = Varchar(length=64, default="")
    entities = Integer(default=0)  # voting entities in the snapshot
    total_area = Integer(default=0)  # hundredths of m² in the snapshot
    result = JSON(null=True, default=None)  # `yishi tally` output (owners), or the regime's own result
    result_detail = JSON(null=True, default=None)  # opposing/abstaining figures the result page shows
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)


class VoteEntity(Table, tablename="vote_entity"):
    """One voting entity of the snapshot: the developer, one exact set of owners, or one household."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    key = Varchar(length=255)  # "developer", "owners:<opaque ids>", "flat:<unit>"
    number = Integer()  # 1…N in electorate order; the paper ballot's serial is made from it
    label = Varchar(length=255)  # its units, e.g. "3-2-601、3-2-602"
    area = Integer()  # hundredths of m², all its units together
    developer = Boolean(default=False)


class VoteFlat(Table, tablename="vote_flat"):
    """One flat of the electorate snapshot taken when the vote opened; later roster changes never alter it."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    entity = ForeignKey(references=VoteEntity, on_delete=OnDelete.cascade, null=False)
    position = Integer()
    unit = Varchar(length=120)  # "3-2-601": building-stairwell unit-room
    stairwell = Varchar(length=100)  # "3-2"
    floor = Integer()
    area = Integer()  # hundredths of m²
    developer_unsold = Boolean(default=False)
    owners = JSON(default="[]")  # opaque owner ids, as published in the record
    # Internal only, never published: {opaque id: person id}, the designated voter's person id, and
    # for residents' meetings the people living there.
    owner_persons = JSON(default="{}")
    designated_voter = Varchar(length=32, null=True, default=None)
    designated_person = Integer(null=True, default=None)
    resident_persons = JSON(default="[]")
    flat_id = Integer()  # the roster flat, for internal use (the roster never deletes flats)
    served = Boolean(default=False)  # ballot and silent-majority warning provably delivered


class VoteVoter(Table, tablename="vote_voter"):
    """Who is on a snapshot flat (owners; for residents' meetings also residents): finds a voter's flats
    without reading the whole electorate."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    person = Integer()
    flat = ForeignKey(references=VoteFlat, on_delete=OnDelete.cascade, null=False)
    relation = Varchar(length=8, default="owner")  # owner / resident


class Proxy(Table, tablename="vote_proxy"):
    """A written authorisation: an owner lets a proxy vote for their voting entity in this vote."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    entity = ForeignKey(references=VoteEntity, on_delete=OnDelete.cascade, null=False)
    owner_person = Integer()  # the authorising owner (a person id of the snapshot)
    owner_voter = Varchar(length=32)  # the owner's opaque id, the ballot's voter
    proxy_name = Varchar(length=100)
    proxy_phone = Varchar(length=20, null=True, default=None)
    proxy_account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    proxy_person = ForeignKey(references=Person, null=True, on_delete=OnDelete.set_null)
    proxy_key = Varchar(length=128)  # who the per-person limit counts: account, phone or name
    proxy_opaque = Varchar(length=32)  # the proxy as the published record shows it
    authorised_on = Date()
    matters = Text(default="")
    has_photo = Boolean(default=False)
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class ProxyPhoto(Table, tablename="vote_proxy_photo"):
    """A photo of the signed authorisation, kept apart so listing proxies never loads images."""

    id = Serial(primary_key=True)
    proxy = ForeignKey(references=Proxy, on_delete=OnDelete.cascade, null=False, unique=True)
    content_type = Varchar(length=32)
    data = Bytea()


class PaperBallot(Table, tablename="vote_paper_ballot"):
    """A returned paper ballot as a counter entered it; it counts only once a scrutineer confirms it."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    entity = ForeignKey(references=VoteEntity, on_delete=OnDelete.cascade, null=False)
    serial = Varchar(length=32)
    channel = Varchar(length=16, default="paper")  # paper / meeting
    choice = Varchar(length=32)
    signer = Varchar(length=32)  # the owner's opaque id (or "developer") who signed or authorised it
    proxy = ForeignKey(references=Proxy, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="entered")  # entered / confirmed / rejected
    outcome = Varchar(length=16, default="")  # counted / duplicate / spoiled_entity, once confirmed
    note = Varchar(length=300, default="")
    entered_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    entered_at = Timestamptz(default=TimestamptzNow())
    confirmed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    confirmed_at = Timestamptz(null=True, default=None)


class Ballot(Table, tablename="vote_ballot"):
    """One owner's ballot for a voting entity; UNIQUE (vote, entity, voter) in the database. The entity's
    choice is derived from all its ballots by `votes.households.entity_choice`."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    entity = ForeignKey(references=VoteEntity, on_delete=OnDelete.cascade, null=False)
    unit = Varchar(length=120)  # the unit the record's ballot names
    voter = Varchar(length=32)  # opaque owner id, "developer", or a household member's opaque id
    voter_person = Integer(null=True, default=None)
    choice = Varchar(length=32)  # agree / oppose / abstain / spoiled, or a poll option "o1"…
    channel = Varchar(length=16)  # online / paper / meeting
    proxy = ForeignKey(references=Proxy, null=True, on_delete=OnDelete.set_null)
    paper = ForeignKey(references=PaperBallot, null=True, on_delete=OnDelete.set_null)
    cast_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    version = Integer(default=1)  # raised by every allowed change
    nonce_hash = Varchar(length=64, default="")  # the confirm form's token: a repeated submit is idempotent
    cast_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BallotChange(Table, tablename="vote_ballot_change"):
    """An earlier choice of a ballot, kept when the vote allowed a change or a conflict spoiled it."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    ballot = ForeignKey(references=Ballot, on_delete=OnDelete.cascade, null=False)
    old_choice = Varchar(length=32)
    new_choice = Varchar(length=32)
    reason = Varchar(length=32)  # changed_by_voter / conflict_spoiled
    changed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    changed_at = Timestamptz(default=TimestamptzNow())


class Receipt(Table, tablename="vote_receipt"):
    """Proof that a ballot was recorded as cast; only a SHA-256 of the receipt code is stored."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    ballot = ForeignKey(references=Ballot, on_delete=OnDelete.cascade, null=False)
    code_hash = Varchar(length=64, unique=True)
    choice = Varchar(length=32)
    channel = Varchar(length=16)
    version = Integer(default=1)
    cast_at = Timestamptz(default=TimestamptzNow())
    superseded_at = Timestamptz(null=True, default=None)


class Conflict(Table, tablename="vote_conflict"):
    """A ballot entered twice, or an entity that voted online and on paper: flagged, resolved by the rule."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    entity = ForeignKey(references=VoteEntity, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=32)  # serial_twice / online_and_paper / paper_and_online
    serial = Varchar(length=32, default="")
    resolution = Varchar(length=32)  # first_counts / spoiled / refused
    detail = JSON(default="{}")
    flagged_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    flagged_at = Timestamptz(default=TimestamptzNow())


class VoteRecordFile(Table, tablename="vote_record"):
    """The published `yishi.vote-record/1` record with its stored result, written once at the close."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False, unique=True)
    body = Text()  # JSON text, exactly as served at /v/{id}/record.json
    created_at = Timestamptz(default=TimestamptzNow())


class Delivery(Table, tablename="vote_delivery"):
    """Evidence that the ballot with the silent-majority warning reached one flat: who delivered it, when and
    how. Only flats with such a record count as served (votes.delivery)."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=VoteFlat, on_delete=OnDelete.cascade, null=False, unique=True)
    method = Varchar(length=16)  # in_person / posted / in_app
    delivered_by = Varchar(length=100, default="")  # who delivered it; "" for an in-app read receipt
    delivered_at = Timestamptz()
    signed_by = Varchar(length=100, default="")  # in person: who signed for it
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # in-app: the owner who read it
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(default=TimestamptzNow())


class DeliveryPhoto(Table, tablename="vote_delivery_photo"):
    """The photo of a signed receipt or of the ballot posted at the door, kept apart so lists never load images."""

    id = Serial(primary_key=True)
    delivery = ForeignKey(references=Delivery, on_delete=OnDelete.cascade, null=False, unique=True)
    content_type = Varchar(length=32)
    data = Bytea()


class CanvassStatus(Table, tablename="vote_canvass"):
    """What staff knocking on doors (扫楼) last noted for one flat of an open vote: a status, a note and the next
    visit. Whether the flat has voted is never stored here; it is read from the ballots (votes.canvass)."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=VoteFlat, on_delete=OnDelete.cascade, null=False, unique=True)
    status = Varchar(length=16)  # not_contacted / contacted / promised / refused / unreachable / vacant
    note = Varchar(length=300, default="")
    next_visit = Date(null=True, default=None)
    updated_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())


class Reminder(Table, tablename="vote_reminder"):
    """One reminder to one flat that had not voted: an in-app notice to its owners' accounts, or a printed slip.
    UNIQUE (vote, flat, day) in the database: at most one a day per flat."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=VoteFlat, on_delete=OnDelete.cascade, null=False)
    day = Date()  # the community's local day
    method = Varchar(length=16)  # in_app / slip
    template = Varchar(length=32)
    sent_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    sent_at = Timestamptz(default=TimestamptzNow())


class Notice(Table, tablename="vote_notice"):
    """An in-app notice to one account (today: a reminder to vote), shown on "my votes" until it is opened."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    template = Varchar(length=32)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class VoteStage(Table, tablename="vote_stage"):
    """Where a closed vote's result stands (votes.queries): preliminary while its query window runs, then final.
    One row per closed vote, written by the close; a closed vote without one (closed before query windows
    existed) is final."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False, unique=True)
    stage = Varchar(length=16, default="preliminary")  # preliminary / final
    window_days = Integer(default=0)
    window_ends_at = Timestamptz(null=True, default=None)  # None: no window
    preliminary_at = Timestamptz(null=True, default=None)
    preliminary_seq = Integer(null=True, default=None)  # its place in the community's publication chain
    final_at = Timestamptz(null=True, default=None)
    final_seq = Integer(null=True, default=None)
    final_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # None: the vote clock
    history = JSON(default="[]")  # the record's public history (docs/vote-record.md), oldest first


class VoteQuery(Table, tablename="vote_query"):
    """An owner's query on a preliminary count, numbered per vote (UNIQUE (vote, number) in the database). The
    owner's own words stay with staff; the public sees its kind and the answer."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    number = Integer()
    kind = Varchar(length=16)  # votes.queries.QUERY_KINDS
    text = Text(default="")  # the owner's words: never published
    lodged_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    lodged_at = Timestamptz(default=TimestamptzNow())
    lodged_seq = Integer(null=True, default=None)
    status = Varchar(length=16, default="open")  # open / answered
    answer = Text(default="")  # public, checked for names and flat numbers
    answered_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    answered_at = Timestamptz(null=True, default=None)
    answered_seq = Integer(null=True, default=None)
    correction = Integer(null=True, default=None)  # the number of the correction the answer refers to


class VoteCorrection(Table, tablename="vote_correction"):
    """A correction of a preliminary count entered by one staff member with a public reason: a ballot added
    (a paper ballot found in the box) or taken out. It recounts; numbered per vote (UNIQUE (vote, number))."""

    id = Serial(primary_key=True)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False)
    number = Integer()
    kind = Varchar(length=16)  # add_ballot / remove_ballot
    reason = Text(default="")  # public, checked for names and flat numbers
    entity = Integer()  # the voting entity (vote_entity id) whose ballot changed
    ballot = JSON(default="{}")  # the ballot added or taken out: unit, voter, choice, channel, serial
    result_before = JSON(null=True, default=None)
    result_after = JSON(null=True, default=None)
    entered_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    entered_at = Timestamptz(default=TimestamptzNow())
    seq = Integer(null=True, default=None)
