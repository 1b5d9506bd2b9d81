"""Administration services, part one: first-run set-up, streets and communities. Commands in (frozen
dataclasses), domain errors out; every change is audited."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from community import accounts, passwords
from community.accounts import CurrentUser
from community.admin import core, store
from community.audit import audit
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import is_unique_violation, write_transaction
from community.errors import Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.roster import codes
from community.tables import Account, Community, SigninAttempt, Street

log = logging.getLogger("yishi")

SETUP_CODE_KEY = "setup_code"

# Once an administrator exists, set-up is done for good: remembered per process so pages do not ask.
_setup_done = False


# --------------------------------------------------------------------------- first-run set-up


async def setup_needed() -> bool:
    global _setup_done
    if _setup_done:
        return False
    if await store.admin_exists():
        _setup_done = True
        return False
    return True


def forget_setup_state(done: bool = False) -> None:
    """Tests: pretend a fresh process (done=False) or one that has seen an administrator (done=True)."""
    global _setup_done
    _setup_done = done


async def new_setup_code() -> str | None:
    """At start: when no administrator exists, a fresh one-time set-up code (its hash stored, the code
    returned to print in the server's log); None once set up."""
    if await store.admin_exists():
        return None
    code = codes.new_code()
    async with write_transaction():
        await store.set_setting(SETUP_CODE_KEY, store.code_hash(code))
    return code


# Wrong set-up codes from one address within accounts.ATTEMPT_WINDOW before it must wait.
MAX_SETUP_CODE_FAILURES = 20


async def setup_code_matches(typed: str, client: str) -> bool:
    """The typed code is the one printed in the log; wrong ones are counted per client address."""
    key = "setup-client:" + client
    since = now() - accounts.ATTEMPT_WINDOW
    if await SigninAttempt.count().where((SigninAttempt.key == key) & (SigninAttempt.at > since)) >= MAX_SETUP_CODE_FAILURES:
        raise TooManyAttempts(lazy("Too many wrong codes from this network. Please wait 15 minutes and try again."))
    normalised = codes.normalise_code(typed)
    stored = await store.get_setting(SETUP_CODE_KEY)
    if normalised is not None and stored and secrets.compare_digest(store.code_hash(normalised), stored):
        return True
    async with write_transaction():
        await SigninAttempt.insert(SigninAttempt(key=key))
    return False


@dataclass(frozen=True)
class SetUp:
    admin_username: str
    admin_name: str
    password: str
    confirm: str
    street_slug: str
    street_name: str
    community_slug: str
    community_name: str
    community_address: str = ""
    timezone: str = ""


def _timezone_problem(tz: str) -> str | None:
    if not tz:
        return None
    try:
        ZoneInfo(tz)
    except Exception:
        return lazy("Unknown time zone. Use a name like Asia/Shanghai.")
    return None


def _place_errors(prefix: str, slug: str, name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    problem = core.slug_problem(slug)
    if problem:
        errors[f"{prefix}slug"] = problem
    problem = core.name_problem(name)
    if problem:
        errors[f"{prefix}name"] = problem
    return errors


async def set_up(cmd: SetUp) -> int:
    """Create the administrator, the first street and its first community; return the administrator's id."""
    if not await setup_needed():
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    errors = _place_errors("street_", cmd.street_slug, cmd.street_name)
    errors |= _place_errors("community_", cmd.community_slug, cmd.community_name)
    tz = _timezone_problem(cmd.timezone)
    if tz:
        errors["timezone"] = tz
    errors |= accounts.validate_new_password(cmd.password, cmd.confirm, field="password")
    if not accounts.valid_username(cmd.admin_username):
        errors["admin_username"] = lazy("A username has 3 to 32 letters, digits, dots, dashes or underscores.")
    problem = core.name_problem(cmd.admin_name, 100)
    if problem:
        errors["admin_name"] = problem
    if errors:
        raise FormErrors(errors)
    password_hash = await passwords.hash_password(cmd.password)
    # One transaction: the administrator, the street and the community exist together or not at all.
    async with write_transaction():
        if await store.admin_exists():  # another set-up finished first
            raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
        admin_rows = await Account.insert(
            Account(username=cmd.admin_username, display_name=cmd.admin_name.strip(), password_hash=password_hash,
                    is_site_admin=True)  # fmt: skip
        ).returning(Account.id)
        admin_id = int(admin_rows[0]["id"])
        street_rows = await Street.insert(Street(slug=cmd.street_slug, name=cmd.street_name.strip())).returning(Street.id)
        street_id = int(street_rows[0]["id"])
        community_rows = await Community.insert(
            Community(
                slug=cmd.community_slug,
                name=cmd.community_name.strip(),
                street=cmd.street_name.strip(),
                street_ref=street_id,
                address=cmd.community_address.strip(),
                timezone=cmd.timezone,
            )
        ).returning(Community.id)
        await store.set_setting(SETUP_CODE_KEY, None)
        await audit("site_set_up", actor=admin_id, street=street_id, community=int(community_rows[0]["id"]))
    accounts.forget_communities()
    forget_setup_state(done=True)
    return admin_id


# --------------------------------------------------------------------------- streets


def require_admin(user: CurrentUser) -> None:
    if not user.is_site_admin:
        raise Forbidden(core.NOT_ALLOWED)


@dataclass(frozen=True)
class StreetForm:
    slug: str
    name: str
    address: str = ""


async def create_street(user: CurrentUser, cmd: StreetForm) -> int:
    require_admin(user)
    errors = _place_errors("", cmd.slug, cmd.name)
    if errors:
        raise FormErrors(errors)
    try:
        async with write_transaction():
            rows = await Street.insert(Street(slug=cmd.slug, name=cmd.name.strip(), address=cmd.address.strip())).returning(
                Street.id
            )
            street_id = int(rows[0]["id"])
            await audit("street_created", actor=user.id, street=street_id, object_type="street", object_id=street_id,
                        slug=cmd.slug, name=cmd.name.strip())  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"slug": lazy("This address is already taken.")}) from exc
        raise
    return street_id


async def rename_street(user: CurrentUser, street_id: int, name: str, address: str) -> None:
    require_admin(user)
    row = await store.street(street_id)
    if row is None:
        raise NotFound(lazy("This street does not exist."))
    problem = core.name_problem(name)
    if problem:
        raise FormErrors({"name": problem})
    async with write_transaction():
        await Street.update({Street.name: name.strip(), Street.address: address.strip()}).where(Street.id == street_id)
        await Community.update({Community.street: name.strip()}).where(Community.street_ref == street_id)
        await audit("street_renamed", actor=user.id, street=street_id, object_type="street", object_id=street_id,
                    old=row["name"], new=name.strip())  # fmt: skip
    accounts.forget_communities()


# --------------------------------------------------------------------------- communities


@dataclass(frozen=True)
class CommunityForm:
    street_id: int | None
    slug: str
    name: str
    address: str = ""
    timezone: str = ""


async def _street_or_error(street_id: int | None) -> dict[str, Any]:
    row = await store.street(street_id) if street_id is not None else None
    if row is None:
        raise FormErrors({"street_id": lazy("Choose a street from the list.")})
    return row


async def create_community(user: CurrentUser, cmd: CommunityForm) -> int:
    require_admin(user)
    errors = _place_errors("", cmd.slug, cmd.name)
    tz = _timezone_problem(cmd.timezone)
    if tz:
        errors["timezone"] = tz
    if errors:
        raise FormErrors(errors)
    street = await _street_or_error(cmd.street_id)
    try:
        async with write_transaction():
            rows = await Community.insert(
                Community(slug=cmd.slug, name=cmd.name.strip(), street=street["name"], street_ref=street["id"],
                          address=cmd.address.strip(), timezone=cmd.timezone)  # fmt: skip
            ).returning(Community.id)
            community_id = int(rows[0]["id"])
            await audit("community_created", actor=user.id, community=community_id, street=street["id"],
                        object_type="community", object_id=community_id, slug=cmd.slug, name=cmd.name.strip())  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"slug": lazy("This address is already taken.")}) from exc
        raise
    accounts.forget_communities()
    return community_id


async def update_community(user: CurrentUser, community_id: int, cmd: CommunityForm) -> None:
    """Rename, change address or time zone, or move the community to another street (the slug stays)."""
    require_admin(user)
    row = await store.community_by_id(community_id)
    if row is None:
        raise NotFound(lazy("This community does not exist."))
    errors: dict[str, str] = {}
    problem = core.name_problem(cmd.name)
    if problem:
        errors["name"] = problem
    tz = _timezone_problem(cmd.timezone)
    if tz:
        errors["timezone"] = tz
    if errors:
        raise FormErrors(errors)
    street = await _street_or_error(cmd.street_id)
    changes = {k: v for k, v in (("name", cmd.name.strip()), ("address", cmd.address.strip()),
                                 ("timezone", cmd.timezone), ("street_ref", street["id"])) if row[k] != v}  # fmt: skip
    if not changes:
        return
    async with write_transaction():
        await Community.update(
            {Community.name: cmd.name.strip(), Community.address: cmd.address.strip(), Community.timezone: cmd.timezone,
             Community.street_ref: street["id"], Community.street: street["name"]}  # fmt: skip
        ).where(Community.id == community_id)
        action = "community_moved" if "street_ref" in changes else "community_changed"
        await audit(action, actor=user.id, community=community_id, street=street["id"], object_type="community",
                    object_id=community_id, changes={k: [row[k], v] for k, v in changes.items()})  # fmt: skip
    accounts.forget_communities()


async def set_archived(user: CurrentUser, community_id: int, archived: bool) -> None:
    require_admin(user)
    row = await store.community_by_id(community_id)
    if row is None:
        raise NotFound(lazy("This community does not exist."))
    if (row["archived_at"] is not None) == archived:
        return
    async with write_transaction():
        await Community.update({Community.archived_at: now() if archived else None}).where(Community.id == community_id)
        await audit("community_archived" if archived else "community_unarchived", actor=user.id,
                    community=community_id, street=row["street_ref"], object_type="community", object_id=community_id)  # fmt: skip
    _archived_cache.clear()


# A state-changing request checks whether its community is archived; a short per-process cache spares a
# query per form post. Another process sees an archive within this time.
ARCHIVED_CACHE_SECONDS = 5.0
_archived_cache: dict[str | int, tuple[float, bool]] = {}


async def is_archived(slug: str) -> bool:
    return await _cached_archived(slug, lambda: store.archived(slug))


async def is_archived_id(community_id: int) -> bool:
    return await _cached_archived(community_id, lambda: store.archived_id(community_id))


async def _cached_archived(key: str | int, lookup: Callable[[], Awaitable[bool]]) -> bool:
    hit = _archived_cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < ARCHIVED_CACHE_SECONDS:
        return hit[1]
    value = await lookup()
    _archived_cache[key] = (time.monotonic(), value)
    return value

