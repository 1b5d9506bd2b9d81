"""Accounts service: create accounts, sign in with limits, server-side sessions, passwords, roles."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from community import known, passwords, ratelimit, streets
from community.admin.core import COMMUNITY_ROLES
from community.admin.core import ROLE_LABELS as ROLE_LABELS
from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import is_postgres, is_unique_violation, write_transaction
from community.errors import FormErrors
from community.i18n import lazy
from community.tables import Account, Community, Membership, UserSession

SESSION_COOKIE = "yishi_session"
SESSION_LIFETIME = timedelta(days=30)
# Refresh last_seen at most this often, so reading pages does not write on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=10)

# The limits on guessing passwords live in community.ratelimit, with those on join and receipt codes.
ATTEMPT_WINDOW = ratelimit.WINDOW
MAX_FAILURES_PER_ACCOUNT = ratelimit.PASSWORD_PER_ACCOUNT.most
MAX_FAILURES_PER_CLIENT = ratelimit.PASSWORD_PER_CLIENT.most

# The community roles and their names live with the rules that grant them (community.admin.core).
ROLES = COMMUNITY_ROLES

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in account as pages and services need it."""

    id: int
    display_name: str
    username: str | None
    phone: str | None
    is_site_admin: bool
    session_id: int
    large_text: bool = False


def normalise_phone(raw: str) -> str | None:
    """An 11-digit mainland mobile number without spaces, dashes or +86; None if it is not one."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _PHONE_RE.match(digits) else None


def mask_phone(phone: str | None) -> str:
    """138****1234: lists never show a whole phone number."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def valid_username(username: str) -> bool:
    return bool(_USERNAME_RE.match(username))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_new_password(password: str, confirm: str, field: str = "new_password") -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(password) < passwords.MIN_LENGTH:
        errors[field] = lazy("The password must have at least 8 characters.")
    elif len(password) > passwords.MAX_LENGTH:
        errors[field] = lazy("The password is too long.")
    elif password != confirm:
        errors["confirm_password"] = lazy("The two passwords do not match.")
    return errors


async def create_account(
    *,
    display_name: str,
    password: str,
    username: str | None = None,
    phone: str | None = None,
    is_site_admin: bool = False,
) -> int:
    """Create an account; FormErrors if a field is wrong or the phone/username is taken."""
    errors: dict[str, str] = {}
    display_name = display_name.strip()
    if not display_name:
        errors["display_name"] = lazy("Please enter a name.")
    elif len(display_name) > 100:
        errors["display_name"] = lazy("The name is too long.")
    if username is not None and not _USERNAME_RE.match(username):
        errors["username"] = lazy("A username has 3 to 32 letters, digits, dots, dashes or underscores.")
    normalised_phone = None
    if phone is not None:
        normalised_phone = normalise_phone(phone)
        if normalised_phone is None:
            errors["phone"] = lazy("Please enter an 11-digit mobile number.")
    if username is None and phone is None:
        errors["phone"] = lazy("Please enter an 11-digit mobile number.")
    errors.update(validate_new_password(password, password, field="password"))
    if errors:
        raise FormErrors(errors)
    password_hash = await passwords.hash_password(password)
    try:
        async with write_transaction():
            rows = await Account.insert(
                Account(
                    username=username,
                    phone=normalised_phone,
                    display_name=display_name,
                    password_hash=password_hash,
                    is_site_admin=is_site_admin,
                )
            ).returning(Account.id)
    except Exception as exc:
        if is_unique_violation(exc):
            field = "phone" if phone is not None else "username"
            raise FormErrors({field: lazy("An account with this phone number or username already exists.")}) from exc
        raise
    return int(rows[0]["id"])


def _account_subject(identifier: str) -> str:
    """The account a password is tried for, as typed (an unknown one is limited just the same)."""
    phone = normalise_phone(identifier)
    return phone if phone else identifier.strip().lower()


async def _find_account(identifier: str) -> dict[str, Any] | None:
    identifier = identifier.strip()
    phone = normalise_phone(identifier)
    query = Account.select().where(Account.is_active.eq(True))
    if phone:
        query = query.where(Account.phone == phone)
    else:
        query = query.where(Account.username == identifier)
    return await query.first()


async def authenticate(identifier: str, password: str, client: str) -> int:
    """Check credentials within the attempt limits; return the account id.

    The same message for an unknown account and a wrong password, so nobody can probe
    which phone numbers have accounts.
    """
    targets = ((ratelimit.PASSWORD_PER_ACCOUNT, _account_subject(identifier)), (ratelimit.PASSWORD_PER_CLIENT, client))
    await ratelimit.check(*targets)
    account = await _find_account(identifier) if identifier.strip() else None
    ok, new_hash = await passwords.verify_password(account["password_hash"] if account else None, password)
    if not ok or account is None:
        await ratelimit.failed(*targets)
        raise FormErrors({"identifier": lazy("Wrong phone number, username or password.")}, {"identifier": identifier})
    if new_hash is not None:
        async with write_transaction():
            await Account.update({Account.password_hash: new_hash}).where(Account.id == account["id"])
    return int(account["id"])


async def start_session(account_id: int, user_agent: str, old_token: str | None = None) -> str:
    """Create a fresh session (a new id at every sign-in) and drop the old one; return the cookie token."""
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        if old_token:
            await UserSession.delete().where(UserSession.token_hash == _token_hash(old_token))
        await UserSession.insert(
            UserSession(
                token_hash=_token_hash(token),
                account=account_id,
                expires_at=now() + SESSION_LIFETIME,
                user_agent=user_agent[:255],
            )
        )
        # Old expired sessions are cleaned here rather than by a separate job.
        await UserSession.delete().where(UserSession.expires_at < now())
        await ratelimit.forget_old()
    return token


async def load_session(token: str | None) -> CurrentUser | None:
    return (await session_and_known(token))[0]


async def session_and_known(token: str | None) -> tuple[CurrentUser | None, known.Known | None]:
    """The signed-in account, and what a request may know of it (community.known): its roles in every
    community and its links to flats come in the same statement, so pages need not read them again."""
    if not token:
        return None, None
    rows = await UserSession.raw(known.session_sql(is_postgres()), _token_hash(token))
    row = rows[0] if rows else None
    if row is None or row["expires_at"] < now() or not row["is_active"]:
        return None, None
    if now() - row["last_seen_at"] > SESSION_TOUCH_INTERVAL:
        async with write_transaction():
            await UserSession.update(
                {UserSession.last_seen_at: now(), UserSession.expires_at: now() + SESSION_LIFETIME}
            ).where(UserSession.id == row["id"])
    return CurrentUser(
        id=row["account_id"],
        display_name=row["display_name"],
        username=row["username"],
        phone=row["phone"],
        is_site_admin=bool(row["is_site_admin"]),
        session_id=row["id"],
        large_text=bool(row["large_text"]),
    ), known.from_row(row)


async def end_session(token: str | None) -> None:
    if token:
        async with write_transaction():
            await UserSession.delete().where(UserSession.token_hash == _token_hash(token))


async def change_password(user: CurrentUser, current: str, new: str, confirm: str, client: str) -> None:
    """Change the password; other sessions of the account are signed out. A wrong current password counts
    against the account and the client like a failed sign-in (a borrowed phone must not become a way to guess)."""
    targets = (
        (ratelimit.PASSWORD_PER_ACCOUNT, _account_subject(user.phone or user.username or f"id:{user.id}")),
        (ratelimit.PASSWORD_PER_CLIENT, client),
    )
    await ratelimit.check(*targets)
    row = await Account.select(Account.password_hash).where(Account.id == user.id).first()
    ok, _ = await passwords.verify_password(row["password_hash"] if row else None, current)
    errors: dict[str, str] = {}
    if not ok:
        await ratelimit.failed(*targets)
        errors["current_password"] = lazy("The current password is wrong.")
    errors.update(validate_new_password(new, confirm))
    if errors:
        raise FormErrors(errors)
    new_hash = await passwords.hash_password(new)
    async with write_transaction():
        await Account.update({Account.password_hash: new_hash, Account.password_changed_at: now()}).where(
            Account.id == user.id
        )
        await UserSession.delete().where((UserSession.account == user.id) & (UserSession.id != user.session_id))
        await audit("password_changed", actor=user.id, object_type="account", object_id=user.id)


async def roles_in(account_id: int, community_id: int) -> set[str]:
    """The account's roles in the community: as read with this request's session when it is that account's."""
    held = known.roles_in(account_id, community_id)
    if held is not None:
        return held
    rows = await Membership.select(Membership.role).where(
        (Membership.account == account_id) & (Membership.community == community_id)
    )
    return {r["role"] for r in rows}


async def grant_role(account_id: int, community_id: int, role: str, actor: int | None = None) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")
    async with write_transaction():
        exists = await Membership.exists().where(
            (Membership.account == account_id) & (Membership.community == community_id) & (Membership.role == role)
        )
        if not exists:
            await Membership.insert(Membership(account=account_id, community=community_id, role=role))
            await audit("role_granted", actor=actor, community=community_id, object_type="account", object_id=account_id, details={"role": role})


async def is_street_staff(account_id: int) -> bool:
    from community.tables import StreetMembership

    return bool(await StreetMembership.exists().where(StreetMembership.account == account_id))


async def memberships(account_id: int) -> list[dict[str, Any]]:
    """The account's roles, with community slug and name, for the account page."""
    return await Membership.select(
        Membership.role, Membership.community.slug, Membership.community.name
    ).where(Membership.account == account_id).order_by(Membership.community.name)


_communities_cache: tuple[float, list[dict[str, Any]]] | None = None
# The landing page lists communities on every visit; they change a few times a year, so a short
# in-process cache saves a database round trip per view. Other processes see a change within this time.
COMMUNITIES_CACHE_SECONDS = 5.0


async def list_communities() -> list[dict[str, Any]]:
    global _communities_cache
    now_mono = time.monotonic()
    if _communities_cache is not None and now_mono - _communities_cache[0] < COMMUNITIES_CACHE_SECONDS:
        return _communities_cache[1]
    rows = await Community.select(Community.slug, Community.name, Community.street).order_by(Community.name)
    _communities_cache = (now_mono, rows)
    return rows


def forget_communities() -> None:
    """Call after creating, renaming or moving a community, or renaming a street."""
    global _communities_cache
    _communities_cache = None
    streets.forget()


async def remember_text_size(account_id: int, large: bool) -> None:
    """The account's 大字模式 choice, so a new device (or a cleared browser) starts with it."""
    async with write_transaction():
        await Account.update({Account.large_text: large}).where(Account.id == account_id)
