"""Administration services, part two: appointing and removing staff with their scopes, street staff,
one-time account codes (activation, password reset in person), and a user's own phone and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from community import accounts, passwords
from community.accounts import CurrentUser
from community.admin import core, store
from community.admin.core import RoleScope
from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.roster import codes
from community.tables import Account, AccountCode, Membership, SigninAttempt, StreetMembership

# An account made by an appointment has no password until its holder activates it with the code.
NO_PASSWORD = "!"  # noqa: S105 - not a hash: no password verifies against it
CODE_VALIDITY = {"activate": timedelta(days=14), "reset": timedelta(days=2), "proxy": timedelta(days=30)}
MAX_CODE_FAILURES_PER_CLIENT = 30


@dataclass(frozen=True)
class Appointment:
    """Appoint someone (by phone number; a new account when none has it) to a community role."""

    community_id: int
    role: str
    scope: RoleScope
    display_name: str
    phone: str


@dataclass(frozen=True)
class Appointed:
    membership_id: int
    account_id: int
    # The one-time activation code, when the appointment created the account: shown once.
    code: str | None


async def standing(user: CurrentUser, community_id: int) -> core.Standing:
    return await store.standing(user.id, user.is_site_admin, community_id)


async def require_appointer(user: CurrentUser, community_id: int) -> core.Standing:
    found = await standing(user, community_id)
    if not found.appoints:
        raise Forbidden(core.NOT_APPOINTER)
    return found


async def _issue_code(account_id: int, purpose: str, actor: int | None, community_id: int | None,
                      proxy_id: int | None = None) -> str:  # fmt: skip
    """Inside a write transaction: a fresh code for the account (earlier unused codes of it withdrawn)."""
    code = codes.new_code()
    await AccountCode.update({AccountCode.revoked_at: now()}).where(
        (AccountCode.account == account_id) & AccountCode.used_at.is_null() & AccountCode.revoked_at.is_null()
    )
    await AccountCode.insert(
        AccountCode(account=account_id, code_hash=store.code_hash(code), purpose=purpose, community=community_id,
                    proxy_id=proxy_id, created_by=actor, expires_at=now() + CODE_VALIDITY[purpose])  # fmt: skip
    )
    return code


async def appoint(user: CurrentUser, cmd: Appointment) -> Appointed:
    actor = await standing(user, cmd.community_id)
    refused = core.may_grant(actor, cmd.role, cmd.scope, await store.register(cmd.community_id))
    if refused is not None:
        if refused in (core.UNKNOWN_ROLE, core.WHOLE_ONLY, core.PICK_PARTS):
            raise FormErrors({"role" if refused == core.UNKNOWN_ROLE else "scope": refused})
        raise Forbidden(refused)
    phone = accounts.normalise_phone(cmd.phone)
    errors: dict[str, str] = {}
    if phone is None:
        errors["phone"] = lazy("Please enter an 11-digit mobile number.")
    existing = await store.account_by_phone(phone) if phone else None
    if existing is None and core.name_problem(cmd.display_name, 100):
        errors["display_name"] = core.name_problem(cmd.display_name, 100) or ""
    if errors:
        raise FormErrors(errors)
    assert phone is not None
    if existing is not None and await store.membership(cmd.community_id, int(existing["id"]), cmd.role):
        raise FormErrors({"phone": lazy("This person already has this role here. Change their scope instead.")})
    code = None
    try:
        async with write_transaction():
            if existing is None:
                rows = await Account.insert(
                    Account(phone=phone, display_name=cmd.display_name.strip(), password_hash=NO_PASSWORD)
                ).returning(Account.id)
                account_id = int(rows[0]["id"])
                code = await _issue_code(account_id, "activate", user.id, cmd.community_id)
            else:
                account_id = int(existing["id"])
            membership_id = await store.insert_membership(account_id, cmd.community_id, cmd.role, cmd.scope)
            await audit("role_granted", actor=user.id, community=cmd.community_id, object_type="account",
                        object_id=account_id, role=cmd.role, scope=_scope_json(cmd.scope),
                        new_account=existing is None)  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"phone": lazy("This person already has this role here. Change their scope instead.")}) from exc
        raise
    return Appointed(membership_id, account_id, code)


def _scope_json(scope: RoleScope) -> dict[str, Any]:
    return {"kind": scope.kind, "ids": sorted(scope.ids)}


async def _held(community_id: int, membership_id: int) -> store.StaffRole:
    found = await store.staff(community_id, membership_id)
    if not found:
        raise NotFound(lazy("This role does not exist (any more)."))
    return found[0]


async def change_scope(user: CurrentUser, community_id: int, membership_id: int, scope: RoleScope) -> None:
    held = await _held(community_id, membership_id)
    actor = await standing(user, community_id)
    register = await store.register(community_id)
    # Both the old scope and the new one must be within the actor's reach.
    refused = core.may_grant(actor, held.role, held.scope, register) if held.scope.ids else None
    refused = refused or core.may_grant(actor, held.role, scope, register)
    if refused is not None:
        if refused in (core.WHOLE_ONLY, core.PICK_PARTS):
            raise FormErrors({"scope": refused})
        raise Forbidden(refused)
    if scope == held.scope:
        return
    async with write_transaction():
        await store.replace_scope(membership_id, scope)
        await audit("scope_changed", actor=user.id, community=community_id, object_type="account",
                    object_id=held.account_id, role=held.role, old=_scope_json(held.scope), new=_scope_json(scope))  # fmt: skip


async def remove(user: CurrentUser, community_id: int, membership_id: int) -> None:
    held = await _held(community_id, membership_id)
    actor = await standing(user, community_id)
    refused = core.may_remove(actor, held.role, held.scope, await store.register(community_id),
                              await store.facilitator_count(community_id))  # fmt: skip
    if refused == core.LAST_FACILITATOR:
        raise Conflict(refused)
    if refused is not None:
        raise Forbidden(refused)
    async with write_transaction():
        # Roles are read from the database on every request: the removed role is gone at the next page.
        await Membership.delete().where(Membership.id == membership_id)
        if held.role == "facilitator" and await store.facilitator_count(community_id) < 1:
            raise Conflict(core.LAST_FACILITATOR)  # another removal won the race: roll back
        await audit("role_removed", actor=user.id, community=community_id, object_type="account",
                    object_id=held.account_id, role=held.role, scope=_scope_json(held.scope))  # fmt: skip


# --------------------------------------------------------------------------- street staff


async def appoint_street_staff(user: CurrentUser, street_id: int, display_name: str, phone_text: str) -> Appointed:
    if await store.street(street_id) is None:
        raise NotFound(lazy("This street does not exist."))
    refused = core.may_grant_street(user.is_site_admin, await store.street_ids_of(user.id), street_id)
    if refused:
        raise Forbidden(refused)
    phone = accounts.normalise_phone(phone_text)
    if phone is None:
        raise FormErrors({"phone": lazy("Please enter an 11-digit mobile number.")})
    existing = await store.account_by_phone(phone)
    if existing is None and core.name_problem(display_name, 100):
        raise FormErrors({"display_name": core.name_problem(display_name, 100) or ""})
    code = None
    already = FormErrors({"phone": lazy("This person already has this role here. Change their scope instead.")})
    try:
        async with write_transaction():
            if existing is None:
                rows = await Account.insert(
                    Account(phone=phone, display_name=display_name.strip(), password_hash=NO_PASSWORD)
                ).returning(Account.id)
                account_id = int(rows[0]["id"])
                code = await _issue_code(account_id, "activate", user.id, None)
            else:
                account_id = int(existing["id"])
                if await StreetMembership.exists().where(
                    (StreetMembership.account == account_id) & (StreetMembership.street == street_id)
                ):
                    raise already
            rows = await StreetMembership.insert(StreetMembership(account=account_id, street=street_id)).returning(
                StreetMembership.id
            )
            await audit("street_role_granted", actor=user.id, street=street_id, object_type="account",
                        object_id=account_id, role="street_staff")  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):  # the same person appointed twice at once (a double click)
            raise already from exc
        raise
    return Appointed(int(rows[0]["id"]), account_id, code)


async def remove_street_staff(user: CurrentUser, street_id: int, street_membership_id: int) -> None:
    refused = core.may_grant_street(user.is_site_admin, await store.street_ids_of(user.id), street_id)
    if refused:
        raise Forbidden(refused)
    row = await StreetMembership.select().where(
        (StreetMembership.id == street_membership_id) & (StreetMembership.street == street_id)
    ).first()
    if row is None:
        raise NotFound(lazy("This role does not exist (any more)."))
    async with write_transaction():
        await StreetMembership.delete().where(StreetMembership.id == street_membership_id)
        await audit("street_role_removed", actor=user.id, street=street_id, object_type="account",
                    object_id=int(row["account"]), role="street_staff")  # fmt: skip


# --------------------------------------------------------------------------- codes handed over in person


async def reset_password(user: CurrentUser, community_id: int, account_id: int) -> str:
    """Staff reset the password of someone of their community in person: a one-time code, old sessions ended."""
    actor = await standing(user, community_id)
    if not actor.appoints:
        raise Forbidden(core.NOT_APPOINTER)
    from community.tables import Person

    target = await Account.select(Account.id, Account.is_site_admin).where(Account.id == account_id).first()
    linked = await Person.exists().where((Person.account == account_id) & (Person.community == community_id))
    on_staff = await Membership.exists().where((Membership.account == account_id) & (Membership.community == community_id))
    if target is None or not (linked or on_staff):
        raise NotFound(lazy("This person is not known in this community."))
    if target["is_site_admin"] and not user.is_site_admin:
        raise Forbidden(core.ABOVE_OWN)
    async with write_transaction():
        code = await _issue_code(account_id, "reset", user.id, community_id)
        await store.end_sessions(account_id)
        await audit("password_reset", actor=user.id, community=community_id, object_type="account", object_id=account_id)
    return code


@dataclass(frozen=True)
class CodeHolder:
    code: str
    account_id: int
    display_name: str
    login: str
    purpose: str


async def _client_failures(client: str) -> int:
    since = now() - accounts.ATTEMPT_WINDOW
    key = "code-client:" + client
    return int(await SigninAttempt.count().where((SigninAttempt.key == key) & (SigninAttempt.at > since)))


async def look_up_code(typed: str, client: str) -> CodeHolder:
    if await _client_failures(client) >= MAX_CODE_FAILURES_PER_CLIENT:
        raise TooManyAttempts(lazy("Too many wrong codes from this network. Please wait 15 minutes and try again."))
    code = codes.normalise_code(typed)
    row = await store.code_row(code) if code else None
    if row is None or row["used_at"] is not None or row["revoked_at"] is not None or row["expires_at"] <= now():
        async with write_transaction():
            await SigninAttempt.insert(SigninAttempt(key="code-client:" + client))
        raise FormErrors({"code": lazy("This code is not valid (any more). Please ask the staff who gave it to you.")},
                         {"code": typed})  # fmt: skip
    assert code is not None
    return CodeHolder(code, int(row["account"]), str(row["account.display_name"]),
                      str(row["account.phone"] or row["account.username"] or ""), str(row["purpose"]))  # fmt: skip


async def redeem_code(typed: str, password: str, confirm: str, client: str) -> int:
    """Set the password of the code's account (activation or reset); return the account id to sign in."""
    holder = await look_up_code(typed, client)
    errors = accounts.validate_new_password(password, confirm, field="password")
    if errors:
        raise FormErrors(errors, {"code": typed})
    new_hash = await passwords.hash_password(password)
    async with write_transaction():
        changed = await AccountCode.update({AccountCode.used_at: now()}).where(
            (AccountCode.code_hash == store.code_hash(holder.code)) & AccountCode.used_at.is_null()
        ).returning(AccountCode.id)
        if not changed:
            raise FormErrors({"code": lazy("This code is not valid (any more). Please ask the staff who gave it to you.")})
        await Account.update({Account.password_hash: new_hash, Account.password_changed_at: now(),
                              Account.is_active: True}).where(Account.id == holder.account_id)  # fmt: skip
        await store.end_sessions(holder.account_id)
        await audit("account_activated" if holder.purpose != "reset" else "password_reset_used",
                    actor=holder.account_id, object_type="account", object_id=holder.account_id)  # fmt: skip
    return holder.account_id


# --------------------------------------------------------------------------- one's own account


async def change_phone(user: CurrentUser, phone_text: str, password: str) -> None:
    phone = accounts.normalise_phone(phone_text)
    row = await Account.select(Account.password_hash).where(Account.id == user.id).first()
    ok, _ = await passwords.verify_password(row["password_hash"] if row else None, password)
    errors: dict[str, str] = {}
    if phone is None:
        errors["phone"] = lazy("Please enter an 11-digit mobile number.")
    if not ok:
        errors["current_password"] = lazy("The current password is wrong.")
    if errors:
        raise FormErrors(errors, {"phone": phone_text})
    try:
        async with write_transaction():
            await Account.update({Account.phone: phone}).where(Account.id == user.id)
            await audit("phone_changed", actor=user.id, object_type="account", object_id=user.id)
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"phone": lazy("An account with this phone number or username already exists.")},
                             {"phone": phone_text}) from exc  # fmt: skip
        raise


async def end_session(user: CurrentUser, session_id: int) -> None:
    from community.tables import UserSession

    async with write_transaction():
        await UserSession.delete().where((UserSession.id == session_id) & (UserSession.account == user.id))
