"""Tables of the projects package: projects, their votes, occupied flats and consents, objections and handling,
agreements and their signatures, funding, the works (milestones, their files, complaints) and running costs
(contract, entries, yearly ledgers)."""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
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

from community.tables import Account, Building, Community, Flat, Person, StairwellUnit
from votes.tables import Vote


class Project(Table):
    """Works on a stairwell unit (or a whole building) that the owners decide: an elevator, insulation, a roof…"""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    building = ForeignKey(references=Building, on_delete=OnDelete.cascade, null=False)
    # None: the project concerns the whole building (a roof); else one stairwell unit (an elevator).
    stairwell_unit = ForeignKey(references=StairwellUnit, null=True, default=None, on_delete=OnDelete.cascade)
    kind = Varchar(length=16)  # elevator / insulation / roof / pipes / other
    title = Varchar(length=200)
    description = Text(default="")
    # Feasibility facts.
    storeys = Integer(null=True, default=None)
    legal_title = Text(default="")  # land and building title, planning permission
    safety_notes = Text(default="")  # structure, fire escape, pipes to move
    # Budget in fen, and the cost-sharing scheme (votes.projects.terms.Terms as JSON).
    total = BigInt(default=0)
    subsidy = BigInt(default=0)
    fund = BigInt(default=0)  # maintenance-fund contribution, netted off like the subsidy
    scheme = Varchar(length=16, default="area")  # area / guangzhou / stairs / custom
    coefficients = JSON(default="{}")  # {"3": "0.7", …} for the custom scheme
    fixed = JSON(default="{}")  # {"<flat id>": fen}
    matter = Integer(null=True, default=None)  # the facilitator's Art. 278 item; None: the kind's default
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProjectVote(Table, tablename="project_vote"):
    """A vote put to the owners on a project; the latest one not superseded is the project's current vote."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    vote = ForeignKey(references=Vote, on_delete=OnDelete.cascade, null=False, unique=True)
    round = Integer(default=1)
    matter = Integer()
    # The budget and scheme voted on, as votes.projects.terms JSON; rewritten while the vote has not opened.
    terms = JSON(default="{}")
    # Set once the vote passed: the public notice runs from the close to notice_ends_at (exclusive).
    notice_days = Integer(null=True, default=None)
    notice_starts_at = Timestamptz(null=True, default=None)
    notice_ends_at = Timestamptz(null=True, default=None)
    # The SHA-256 of the notice's publication in the community's chain (deliberation.minutes.chain).
    notice_sha256 = Varchar(length=64, default="")
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    superseded_at = Timestamptz(null=True, default=None)


class OccupiedFlat(Table, tablename="project_occupied_flat"):
    """A flat whose own exclusive space the works occupy; its owner must consent individually.

    UNIQUE (project, flat) in the database.
    """

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    occupies = Varchar(length=300)  # what of the flat: "part of the balcony for the shaft"
    consent = Varchar(length=16, default="pending")  # pending / given / refused
    method = Varchar(length=16, default="")  # online / signed / in_person / other
    decided_on = Timestamptz(null=True, default=None)
    note = Varchar(length=300, default="")
    decided_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # the owner, online
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # staff, on paper
    marked_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    marked_at = Timestamptz(default=TimestamptzNow())


class Objection(Table, tablename="project_objection"):
    """A written objection lodged during the public notice; numbered per project (UNIQUE in the database)."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    project_vote = ForeignKey(references=ProjectVote, null=True, default=None, on_delete=OnDelete.set_null)
    number = Integer()
    channel = Varchar(length=16)  # online / paper / spoken
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # who lodged it online
    flat = ForeignKey(references=Flat, null=True, default=None, on_delete=OnDelete.set_null)
    objector = Varchar(length=100, default="")  # the name given on paper; never published
    affects = JSON(default="[]")  # light / noise / access / cost / other
    text = Text()
    received_at = Timestamptz(default=TimestamptzNow())
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="open")  # open / in_progress / resolved / withdrawn / unresolved
    created_at = Timestamptz(default=TimestamptzNow())


class ObjectionStep(Table, tablename="project_objection_step"):
    """One entry of an objection's handling log: talks, mediation, resolved, withdrawn, unresolved."""

    id = Serial(primary_key=True)
    objection = ForeignKey(references=Objection, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16)
    note = Text(default="")
    at = Timestamptz(default=TimestamptzNow())
    by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)


class ProjectAgreement(Table, tablename="project_agreement"):
    """One version of an approved project's cost-sharing agreement and no-objection sheet, generated from its
    cost shares. A new version voids the signatures of the one before (voided_at, void_reason).

    UNIQUE (project, version) in the database.
    """

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    version = Integer()
    # The facts the texts were generated from (votes.projects.agreements): terms and every flat's share and owners.
    terms = JSON(default="{}")
    sharers = JSON(default="[]")
    shares_sha256 = Varchar(length=64)  # of the terms and shares: differs from today's once the shares change
    texts = JSON(default="{}")  # {"agreement": {"zh": …, "en": …}, "no_objection": {…}}
    published_sha256 = Varchar(length=64, default="")  # the texts' publication in the community's chain
    started_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    started_at = Timestamptz(default=TimestamptzNow())
    voided_at = Timestamptz(null=True, default=None)
    void_reason = Varchar(length=32, default="")  # shares_changed / generated_again
    completed_at = Timestamptz(null=True, default=None)
    completed_sha256 = Varchar(length=64, default="")


class AgreementSignature(Table, tablename="project_agreement_signature"):
    """One owner's signature for one flat under one agreement version: online (the owner, with the fingerprint
    of the text they saw) or on paper (entered by one staff member, confirmed by another from the scan).

    UNIQUE (agreement, flat, person) in the database: nobody signs twice, nobody for another flat.
    """

    id = Serial(primary_key=True)
    agreement = ForeignKey(references=ProjectAgreement, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False)
    document = Varchar(length=16)  # agreement / no_objection
    channel = Varchar(length=16)  # online / paper
    language = Varchar(length=8, default="zh")  # the text the signer saw
    text_sha256 = Varchar(length=64)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # the owner, online
    signed_at = Timestamptz(default=TimestamptzNow())
    entered_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # paper
    confirmed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # paper, another person
    confirmed_at = Timestamptz(null=True, default=None)


class AgreementScan(Table, tablename="project_agreement_scan"):
    """The scan of a signed paper page, kept apart so lists of signatures never load images."""

    id = Serial(primary_key=True)
    signature = ForeignKey(references=AgreementSignature, on_delete=OnDelete.cascade, null=False, unique=True)
    content_type = Varchar(length=32)
    sha256 = Varchar(length=64)
    data = Bytea()


class FundingSource(Table, tablename="project_funding_source"):
    """Money for a project besides the owners' shares: a city or district subsidy with its condition, the
    maintenance fund's common part, other money; received once staff record it."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16)  # city / district / fund / other
    label = Varchar(length=100, default="")
    amount = BigInt()  # fen
    condition = Varchar(length=300, default="")
    received_on = Timestamptz(null=True, default=None)
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class FundingPayment(Table, tablename="project_funding_payment"):
    """What staff recorded of one flat's share: paid or not, and the part withdrawn from the flat's own
    maintenance-fund account. Never published flat by flat. UNIQUE (project, flat) in the database."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    share = BigInt(default=0)  # the share when last recorded, in fen
    paid = Boolean(default=False)
    paid_on = Timestamptz(null=True, default=None)
    from_fund = BigInt(default=0)
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(default=TimestamptzNow())


class FundingCompletion(Table, tablename="project_funding_completion"):
    """The moment a project's funding was complete, published once in the chain. UNIQUE (project)."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False, unique=True)
    completed_at = Timestamptz(default=TimestamptzNow())
    published_sha256 = Varchar(length=64, default="")


class Milestone(Table, tablename="project_milestone"):
    """A step of the works reached (votes.projects.works.MILESTONES), published in the community's chain.

    UNIQUE (project, kind) in the database: each step is reached once.
    """

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=32)
    reached_on = Timestamptz()  # noon of the day, in the community's time zone
    note = Text(default="")
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(default=TimestamptzNow())
    publication_seq = Integer(null=True, default=None)
    publication_sha256 = Varchar(length=64, default="")


class MilestoneFile(Table, tablename="project_milestone_file"):
    """A document (PDF) or photo of a milestone; `sha256` is the fingerprint of `data`, kept in the chain."""

    id = Serial(primary_key=True)
    milestone = ForeignKey(references=Milestone, on_delete=OnDelete.cascade, null=False)
    position = Integer(default=1)
    name = Varchar(length=200, default="")
    content_type = Varchar(length=32)
    sha256 = Varchar(length=64)
    width = Integer(default=0)
    height = Integer(default=0)
    size = Integer(default=0)
    data = Bytea()
    thumb = Bytea()


class WorksComplaint(Table, tablename="project_works_complaint"):
    """A resident's complaint during the works (noise, access…), handled like an objection; numbered per
    project (UNIQUE in the database)."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    number = Integer()
    channel = Varchar(length=16)  # online / paper / spoken
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # who lodged it online
    flat = ForeignKey(references=Flat, null=True, default=None, on_delete=OnDelete.set_null)
    complainant = Varchar(length=100, default="")  # the name given on paper; never published
    affects = JSON(default="[]")  # votes.projects.works.COMPLAINT_AFFECTS
    text = Text()
    received_at = Timestamptz(default=TimestamptzNow())
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="open")  # as objections: open / in_progress / resolved / withdrawn / unresolved
    created_at = Timestamptz(default=TimestamptzNow())


class WorksComplaintStep(Table, tablename="project_works_complaint_step"):
    """One entry of a complaint's handling log, with the objections' step kinds."""

    id = Serial(primary_key=True)
    complaint = ForeignKey(references=WorksComplaint, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16)
    note = Text(default="")
    at = Timestamptz(default=TimestamptzNow())
    by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)


class Upkeep(Table, tablename="project_upkeep"):
    """Running the lift: the maintenance contract, its yearly cost and how running costs are shared.

    One per project (UNIQUE in the database)."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False, unique=True)
    contractor = Varchar(length=200, default="")
    contract_from = Timestamptz(null=True, default=None)
    contract_to = Timestamptz(null=True, default=None)
    yearly_cost = BigInt(default=0)  # fen: what the contract and running are expected to cost a year
    scheme = Varchar(length=16, default="same")  # same (as the works) / area / guangzhou / stairs / custom
    coefficients = JSON(default="{}")  # {"3": "0.7", …} for the custom scheme
    updated_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())


class UpkeepEntry(Table, tablename="project_upkeep_entry"):
    """One running cost of a year (maintenance fee, repair, electricity, inspection), in fen."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    year = Integer()
    paid_on = Timestamptz()
    item = Varchar(length=200)
    amount = BigInt()
    recorded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(default=TimestamptzNow())


class UpkeepLedger(Table, tablename="project_upkeep_ledger"):
    """A year's running costs and every flat's share, as published to the stairwell and chained; frozen once
    published. UNIQUE (project, year) in the database."""

    id = Serial(primary_key=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=False)
    year = Integer()
    total = BigInt()
    content = JSON(default="{}")  # what the chain keeps: entries, scheme, shares by unit
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    publication_seq = Integer(null=True, default=None)
    publication_sha256 = Varchar(length=64, default="")
