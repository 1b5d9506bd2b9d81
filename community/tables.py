"""Tables of the app package: streets, communities, accounts, roles and their scopes, sessions, sign-in
attempts, one-time codes, site settings, audit log, proofs that notices were posted."""

from piccolo.columns import (
    JSON,
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


class Street(Table):
    """A 街道 (sub-district office): it groups communities and has staff of its own."""

    id = Serial(primary_key=True)
    slug = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    address = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Community(Table):
    """A 社区 served by this deployment; its slug appears in public URLs (/c/{slug})."""

    id = Serial(primary_key=True)
    slug = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    # The street's name as shown on pages; kept equal to street_ref's name by community.admin.
    street = Varchar(length=200, default="")
    settings = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    street_ref = ForeignKey(references=Street, null=True, on_delete=OnDelete.set_null)
    address = Varchar(length=300, default="")
    timezone = Varchar(length=64, default="")  # "" means the deployment's YISHI_TIMEZONE
    # An archived community is read-only: its pages and publications stay, nothing changes any more.
    archived_at = Timestamptz(null=True, default=None)


class Account(Table):
    """A person who can sign in, with a phone number and/or a username."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True, null=True, default=None)
    phone = Varchar(length=20, unique=True, null=True, default=None)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=255)
    is_site_admin = Boolean(default=False)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    password_changed_at = Timestamptz(default=TimestamptzNow())
    # 大字模式: the account's choice, used on a device that has made none of its own.
    large_text = Boolean(default=False)


class Membership(Table):
    """A role an account holds in one community (facilitator, recorder, grid worker, building lead)."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=32)
    created_at = Timestamptz(default=TimestamptzNow())
    # "community", "compound", "building" or "stairwell_unit" (the StaffScope rows say which ones);
    # "" for rows from before scopes: grid workers and building leads then cover their StaffScope buildings.
    scope_kind = Varchar(length=16, default="")


class StreetMembership(Table, tablename="street_membership"):
    """A role an account holds at street level (street staff: 街道工作人员) for every community of the street."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=32, default="street_staff")
    created_at = Timestamptz(default=TimestamptzNow())


class UserSession(Table, tablename="user_session"):
    """A server-side session; the cookie carries a random token, the table only its SHA-256."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    user_agent = Varchar(length=255, default="")


class SigninAttempt(Table, tablename="signin_attempt"):
    """A failed sign-in, kept briefly to limit guessing per account and per client."""

    id = Serial(primary_key=True)
    key = Varchar(length=128, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class AuditLog(Table, tablename="audit_log"):
    """Who did what, when: verification, role changes, hidden comments, ballots entered."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    actor = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    street = ForeignKey(references=Street, null=True, on_delete=OnDelete.set_null)
    action = Varchar(length=64)
    object_type = Varchar(length=64, default="")
    object_id = Integer(null=True, default=None)
    detail = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow())


# --- The roster: compound → building → stairwell unit → flat, and the people attached to flats. ---


class Compound(Table):
    """A 小区 within a community."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)


class Building(Table):
    """A 楼栋, named as the register names it ("3" or "3号楼")."""

    id = Serial(primary_key=True)
    compound = ForeignKey(references=Compound, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=50)


class StairwellUnit(Table, tablename="stairwell_unit"):
    """A 单元: one stairwell and the flats on it; elevator votes are decided here."""

    id = Serial(primary_key=True)
    building = ForeignKey(references=Building, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=50)


class Person(Table):
    """Someone named in the register (owner, tenant, family), linked to an account once they join."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)
    id_suffix = Varchar(length=8, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None)
    # name+ID suffix, else name+phone, else name+compound (docs/roster.md); unique per community.
    identity_key = Varchar(length=255)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    is_developer = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Flat(Table):
    """A 户: an exclusive part with its area in integer hundredths of m²."""

    id = Serial(primary_key=True)
    stairwell_unit = ForeignKey(references=StairwellUnit, on_delete=OnDelete.cascade, null=False)
    floor = Integer()
    room = Varchar(length=20)
    area = Integer()  # hundredths of m²
    area_source = Varchar(length=16, default="registered")  # registered / surveyed / contract
    usage = Varchar(length=16, default="residential")  # residential / commercial / parking
    developer_unsold = Boolean(default=False)
    designated_voter = ForeignKey(references=Person, null=True, on_delete=OnDelete.set_null)
    # A flat dropped from a newer register is deactivated, never deleted: snapshots keep their own copy.
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class Ownership(Table):
    """A person owns (or co-owns) a flat, as the register says."""

    id = Serial(primary_key=True)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False)
    # The phone as this row of the register gives it: one person may be listed with different numbers.
    phone = Varchar(length=20, null=True, default=None)


class Residency(Table):
    """A person lives in a flat without owning it (tenant or family)."""

    id = Serial(primary_key=True)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False)
    relation = Varchar(length=16, default="tenant")  # tenant / family


class Verification(Table):
    """A facilitator or grid worker checked that a person belongs to a flat; revocable with a reason."""

    id = Serial(primary_key=True)
    flat = ForeignKey(references=Flat, on_delete=OnDelete.cascade, null=False)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False)
    method = Varchar(length=32)  # certificate / register / contract / other
    note = Varchar(length=500, default="")
    verified_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    verified_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    revoke_reason = Varchar(length=500, default="")


class JoinCode(Table, tablename="join_code"):
    """A one-time code printed on a join slip; claiming it links an account to the person."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    code = Varchar(length=16, unique=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False)
    flat = ForeignKey(references=Flat, null=True, on_delete=OnDelete.cascade)
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    used_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    revoked_at = Timestamptz(null=True, default=None)
    failed_attempts = Integer(default=0)
    # The slips printed together; the printable page shows one batch.
    batch = Varchar(length=32, default="", index=True)


class RoleScope(Table, tablename="role_scope"):
    """Superseded by StaffScope (its rows were copied there); kept so that existing databases migrate."""

    id = Serial(primary_key=True)
    membership = ForeignKey(references=Membership, on_delete=OnDelete.cascade, null=False)
    building = ForeignKey(references=Building, on_delete=OnDelete.cascade, null=False)


class StaffScope(Table, tablename="staff_scope"):
    """One part of the register a staff role covers: exactly one of compound, building or stairwell unit,
    as the membership's scope_kind says. No rows and scope_kind "community": the whole community."""

    id = Serial(primary_key=True)
    membership = ForeignKey(references=Membership, on_delete=OnDelete.cascade, null=False)
    compound = ForeignKey(references=Compound, on_delete=OnDelete.cascade, null=True, default=None)
    building = ForeignKey(references=Building, on_delete=OnDelete.cascade, null=True, default=None)
    stairwell_unit = ForeignKey(references=StairwellUnit, on_delete=OnDelete.cascade, null=True, default=None)


class AccountCode(Table, tablename="account_code"):
    """A one-time code handed over in person: activate a new staff account, reset a forgotten password, or
    accept an invitation as a proxy holder. Only its SHA-256 is stored; the code is shown once."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    code_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=16)  # activate / reset / proxy
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.cascade)
    proxy_id = Integer(null=True, default=None)  # votes.tables.Proxy, for purpose "proxy"
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    failed_attempts = Integer(default=0)


class SiteSetting(Table, tablename="site_setting"):
    """Settings of the whole installation, by key (the first-run set-up code's hash)."""

    id = Serial(primary_key=True)
    key = Varchar(length=64, unique=True)
    value = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class RosterUpload(Table, tablename="roster_upload"):
    """An uploaded register kept server-side, so "apply" applies exactly the file that was previewed."""

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    token = Varchar(length=64, unique=True)
    sha256 = Varchar(length=64)
    filename = Varchar(length=255, default="")
    data = Bytea()
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=16, default="previewed")  # previewed / applying / applied / failed
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    result = JSON(default="{}")  # counts when applied, the reason when failed


class LiveMessage(Table, tablename="live_message"):
    """A live update too large for a PostgreSQL NOTIFY payload (8000 bytes); listeners fetch it by id."""

    id = Serial(primary_key=True)
    channel = Varchar(length=100)
    event = Varchar(length=50)
    data = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class NoticePosting(Table, tablename="notice_posting"):
    """Proof that a paper notice was posted: where and when, by whom; its photos' fingerprints are chained.

    Keyed by the kind of notice and its id (community.postings.NOTICE_KINDS), whatever package owns it.
    """

    id = Serial(primary_key=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, null=False)
    notice_kind = Varchar(length=32)
    notice_id = Integer(index=True)
    place = Varchar(length=200)
    posted_at = Timestamptz()
    uploaded_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    uploaded_at = Timestamptz(default=TimestamptzNow())
    publication_seq = Integer(null=True, default=None)
    publication_sha256 = Varchar(length=64, default="")


class NoticePostingPhoto(Table, tablename="notice_posting_photo"):
    """One photo of a posted notice, re-encoded at phone size; `sha256` is the fingerprint of `data`."""

    id = Serial(primary_key=True)
    posting = ForeignKey(references=NoticePosting, on_delete=OnDelete.cascade, null=False)
    position = Integer(default=1)
    content_type = Varchar(length=32)
    sha256 = Varchar(length=64)
    width = Integer(default=0)
    height = Integer(default=0)
    size = Integer(default=0)
    data = Bytea()
    thumb = Bytea()
