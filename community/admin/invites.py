"""Accounts for proxy holders from outside the register: staff invite them (a one-time code, like a join slip),
the account is linked to the one proxy, and it expires when the proxy is revoked or the vote closes.
The votes package calls these (it knows proxies; this package does not import it)."""

from __future__ import annotations

from collections.abc import Sequence

from community import accounts
from community.admin import store
from community.admin.staffing import NO_PASSWORD, _issue_code, now
from community.audit import audit
from community.db import write_transaction
from community.errors import FormErrors
from community.i18n import lazy
from community.tables import Account, AccountCode, Membership, Person, StreetMembership


async def invite_account(actor: int, community_id: int, display_name: str, phone_text: str | None,
                         proxy_id: int) -> tuple[int, str | None]:  # fmt: skip
    """(account id, one-time code) for the proxy holder; no code when their phone already has an account.
    Inside no transaction: it opens its own."""
    phone = accounts.normalise_phone(phone_text or "")
    if phone is None:
        raise FormErrors({"proxy_phone": lazy("Please enter an 11-digit mobile number.")})
    existing = await store.account_by_phone(phone)
    async with write_transaction():
        if existing is not None:
            account_id, code = int(existing["id"]), None
        else:
            rows = await Account.insert(
                Account(phone=phone, display_name=display_name.strip() or phone, password_hash=NO_PASSWORD)
            ).returning(Account.id)
            account_id = int(rows[0]["id"])
            code = await _issue_code(account_id, "proxy", actor, community_id, proxy_id)
        await audit("proxy_invited", actor=actor, community=community_id, object_type="account", object_id=account_id,
                    proxy=proxy_id, new_account=existing is None)  # fmt: skip
    return account_id, code


async def expire_proxy_accounts(proxy_ids: Sequence[int], actor: int | None = None) -> int:
    """Deactivate the accounts made by invitations for these proxies, unless they have since become anything
    else (a resident in a register, staff); their sessions end and unused codes are withdrawn. Returns how many."""
    if not proxy_ids:
        return 0
    codes = await AccountCode.select(AccountCode.account, AccountCode.community).where(
        (AccountCode.purpose == "proxy") & AccountCode.proxy_id.is_in(list(proxy_ids))
    )
    expired = 0
    for row in codes:
        account_id = int(row["account"])
        kept = (
            await Person.exists().where(Person.account == account_id)
            or await Membership.exists().where(Membership.account == account_id)
            or await StreetMembership.exists().where(StreetMembership.account == account_id)
        )
        if kept:
            continue
        async with write_transaction():
            changed = await Account.update({Account.is_active: False}).where(
                (Account.id == account_id) & Account.is_active.eq(True) & Account.is_site_admin.eq(False)
            ).returning(Account.id)
            await AccountCode.update({AccountCode.revoked_at: now()}).where(
                (AccountCode.account == account_id) & AccountCode.used_at.is_null() & AccountCode.revoked_at.is_null()
            )
            await store.end_sessions(account_id)
            if changed:
                expired += 1
                await audit("proxy_account_expired", actor=actor, community=row["community"], object_type="account",
                            object_id=account_id)  # fmt: skip
    return expired
