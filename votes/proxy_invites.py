"""Accounts for proxy holders from outside the register: the facilitator invites the holder of one recorded
authorisation (a one-time code, handed over like a join slip); the account votes only through that proxy and
expires when the proxy is revoked or the vote closes (community.admin.invites)."""

from __future__ import annotations

from dataclasses import dataclass

from community.accounts import CurrentUser
from community.admin import invites
from community.db import write_transaction
from community.errors import Conflict, NotFound
from community.i18n import lazy
from votes.events import VoteClosed
from votes.services import get_vote, require_facilitator
from votes.tables import Proxy


@dataclass(frozen=True)
class Invitation:
    name: str
    code: str | None  # None: their phone number already had an account, now linked


async def invite(user: CurrentUser, vote_id: int, proxy_id: int) -> Invitation:
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    if vote.status != "open":
        raise Conflict(lazy("Authorisations can be changed only while the vote is open."))
    proxy = await Proxy.select().where((Proxy.id == proxy_id) & (Proxy.vote == vote.id)).first()
    if proxy is None or proxy["revoked_at"] is not None:
        raise NotFound(lazy("This authorisation does not exist."))
    if proxy["proxy_account"] is not None:
        raise Conflict(lazy("This proxy already has an account."))
    account_id, code = await invites.invite_account(user.id, vote.community_id, str(proxy["proxy_name"]),
                                                    proxy["proxy_phone"], proxy_id)  # fmt: skip
    async with write_transaction():
        await Proxy.update({Proxy.proxy_account: account_id}).where(Proxy.id == proxy_id)
    return Invitation(str(proxy["proxy_name"]), code)


async def expire_for_vote(vote_id: int, actor: int | None = None) -> None:
    """After a vote closes: the invited proxy holders' accounts end with it."""
    rows = await Proxy.select(Proxy.id).where(Proxy.vote == vote_id)
    await invites.expire_proxy_accounts([int(r["id"]) for r in rows], actor)


async def on_vote_closed(event: VoteClosed) -> None:
    await expire_for_vote(event.vote_id, event.actor)
