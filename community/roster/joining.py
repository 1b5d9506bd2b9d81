"""Claiming a join slip's code on a phone, which links an account to the person the register names (guessing
limited per code and per client, in the database). Printing the slips is `slips.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from community import accounts, ratelimit
from community.accounts import CurrentUser
from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.roster import codes
from community.roster.places import FlatPlace, people_on, places, places_of_person, relation_among
from community.tables import JoinCode, Person

# Wrong or unknown codes from one address (community.ratelimit.JOIN_CODE_PER_CLIENT). Generous, because a meeting
# room shares one address; 31⁸ possible codes make guessing hopeless at this rate anyway.
MAX_CODE_FAILURES_PER_CLIENT = ratelimit.JOIN_CODE_PER_CLIENT.most

STATE_MESSAGES = {
    "used": lazy(
        "This code has already been used. If you did not use it yourself, please tell your residents' committee."
    ),
    "expired": lazy("This code has expired. Please ask your residents' committee for a new slip."),
    "revoked": lazy("This code has been withdrawn. Please ask your residents' committee for a new slip."),
    "locked": lazy(
        "This code is locked after too many wrong passwords. Please ask your residents' committee for a new slip."
    ),
}
UNKNOWN_CODE = lazy("This code is not valid. Check the letters and digits on your slip and try again.")
TAKEN = lazy(
    "The person on this slip is already linked to another account. Please ask your residents' committee."
)


# --------------------------------------------------------------------------- claiming a code


@dataclass(frozen=True)
class CodeInfo:
    """What the join page may show about a code: never the person's whole name."""

    id: int
    code: str
    state: str
    community_id: int
    community: str
    person_id: int
    person_name: str  # for the account's display name; pages show `masked_name`
    person_account: int | None
    relation: str
    places: list[FlatPlace]
    expires_at: datetime
    verified: bool

    @property
    def masked_name(self) -> str:
        return codes.mask_name(self.person_name)

    @property
    def display_code(self) -> str:
        return codes.format_code(self.code)


async def lookup(text: str, client: str) -> CodeInfo:
    """The code typed or scanned; NotFound (counted against the client) if there is no such code."""
    await ratelimit.check((ratelimit.JOIN_CODE_PER_CLIENT, client))
    code = codes.normalise_code(text)
    row = None
    if code is not None:
        row = await JoinCode.select(
            JoinCode.id,
            JoinCode.code,
            JoinCode.community,
            JoinCode.community.name,
            JoinCode.person,
            JoinCode.person.name,
            JoinCode.person.account,
            JoinCode.flat,
            JoinCode.expires_at,
            JoinCode.used_at,
            JoinCode.revoked_at,
            JoinCode.failed_attempts,
        ).where(JoinCode.code == code).first()
    if row is None:
        await ratelimit.failed((ratelimit.JOIN_CODE_PER_CLIENT, client))
        raise NotFound(UNKNOWN_CODE)
    person_id = int(row["person"])
    if row["flat"] is not None:
        flat_places = [p for p in (await places([int(row["flat"])])).values() if p.active]
    else:
        flat_places = await places_of_person(person_id)
    people = await people_on([p.id for p in flat_places])
    links = [p for fid in people for p in people[fid] if p.person_id == person_id]
    return CodeInfo(
        id=int(row["id"]),
        code=str(row["code"]),
        state=codes.code_state(
            now=now(),
            expires_at=row["expires_at"],
            used_at=row["used_at"],
            revoked_at=row["revoked_at"],
            failed_attempts=int(row["failed_attempts"]),
        ),
        community_id=int(row["community"]),
        community=str(row["community.name"]),
        person_id=person_id,
        person_name=str(row["person.name"]),
        person_account=row["person.account"],
        relation=relation_among(person_id, links),
        places=flat_places,
        expires_at=row["expires_at"],
        verified=any(p.verified for p in links),
    )


def _require_valid(info: CodeInfo) -> None:
    if info.state != "valid":
        raise Conflict(STATE_MESSAGES[info.state])


def _require_free(info: CodeInfo, account_id: int | None) -> None:
    """A person already linked to an account can be claimed only by that account."""
    if info.person_account is not None and info.person_account != account_id:
        raise Conflict(TAKEN)


async def claim(info: CodeInfo, account_id: int) -> None:
    """Use the code for this account: the register's person is linked to it (once; all or nothing)."""
    async with write_transaction():
        moment = now()
        done = await JoinCode.update({JoinCode.used_at: moment, JoinCode.used_by: account_id}).where(
            (JoinCode.id == info.id)
            & JoinCode.used_at.is_null()
            & JoinCode.revoked_at.is_null()
            & (JoinCode.expires_at > moment)
            & (JoinCode.failed_attempts < codes.MAX_FAILED_ATTEMPTS)
        ).returning(JoinCode.id)
        if not done:
            raise Conflict(lazy("This code can no longer be used. Please ask your residents' committee for a new slip."))
        person = await Person.select(Person.account).where(Person.id == info.person_id).first()
        if person is None:
            raise NotFound(UNKNOWN_CODE)
        if person["account"] is not None and int(person["account"]) != account_id:
            raise Conflict(TAKEN)
        await Person.update({Person.account: account_id}).where(Person.id == info.person_id)
        await audit("join_code_claimed", actor=account_id, community=info.community_id, object_type="person", object_id=info.person_id, details={"code": info.id, "verified": info.verified})


async def claim_signed_in(info: CodeInfo, user: CurrentUser) -> None:
    _require_valid(info)
    _require_free(info, user.id)
    await claim(info, user.id)


async def claim_with_new_account(info: CodeInfo, phone: str, password: str, confirm: str) -> int:
    """Create an account (named as the register names the person) and claim the code with it."""
    _require_valid(info)
    _require_free(info, None)
    errors: dict[str, str] = {}
    if accounts.normalise_phone(phone) is None:
        errors["phone"] = lazy("Please enter an 11-digit mobile number.")
    errors.update(accounts.validate_new_password(password, confirm, field="password"))
    if errors:
        raise FormErrors(errors, {"phone": phone})
    try:
        account_id = await accounts.create_account(display_name=info.person_name, password=password, phone=phone)
    except FormErrors as exc:
        if "phone" in exc.errors:
            raise FormErrors(
                {"phone": lazy("This phone number already has an account. Sign in with it below instead.")},
                {"phone": phone},
            ) from exc
        raise
    await claim(info, account_id)
    return account_id


async def claim_with_existing_account(info: CodeInfo, identifier: str, password: str, client: str) -> int:
    """Sign in with an existing account and claim the code; wrong passwords count against the code too."""
    _require_valid(info)
    try:
        account_id = await accounts.authenticate(identifier, password, client)
    except FormErrors:
        async with write_transaction():
            await JoinCode.update({JoinCode.failed_attempts: JoinCode.failed_attempts + 1}).where(
                JoinCode.id == info.id
            )
        raise
    _require_free(info, account_id)
    await claim(info, account_id)
    return account_id

