"""`yishi street create`, `yishi community create`, `yishi staff appoint|remove|list`: the same services,
rules and messages as the pages. They act as the account named by --as (default: the first site
administrator, since whoever runs commands on the server has that power anyway).

Exit 0 when done, 1 with the reason (translated like the pages: Chinese unless LANG starts with "en")."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from community import i18n
from community.accounts import CurrentUser
from community.admin import core, services, staffing, store
from community.admin.core import RoleScope
from community.errors import DomainError, FormErrors
from community.roster import codes
from community.tables import Account


def _say(exc: DomainError) -> str:
    if isinstance(exc, FormErrors):
        return "; ".join(f"{field}: {i18n.gettext(message)}" for field, message in exc.errors.items())
    return i18n.gettext(exc.message).format(**exc.params) if exc.params else i18n.gettext(exc.message)


async def _actor(login: str | None) -> CurrentUser | None:
    query = Account.select(Account.id, Account.display_name, Account.username, Account.phone, Account.is_site_admin)
    if login:
        row = await store.account_by_login(login)
        row = await query.where(Account.id == row["id"]).first() if row else None
    else:
        row = await query.where(Account.is_site_admin.eq(True) & Account.is_active.eq(True)).order_by(Account.id).first()
    if row is None:
        return None
    return CurrentUser(int(row["id"]), str(row["display_name"]), row["username"], row["phone"],
                       bool(row["is_site_admin"]), session_id=0)  # fmt: skip


async def _scope(community_id: int, kind: str, names: list[str]) -> RoleScope:
    """A scope from register names: "阳光花园", "阳光花园/1" or "阳光花园/1/2" per compound, building or unit."""
    if kind == "community":
        return RoleScope()
    wanted = {tuple(n.split("/")) for n in names}
    found: set[int] = set()
    for part in await store.register_parts(community_id):
        if part.kind == kind and part.path in wanted:
            found.add(part.id)
            wanted.discard(part.path)
    if wanted:
        raise FormErrors({"part": core.OUTSIDE_SCOPE})
    return RoleScope(kind, frozenset(found))  # type: ignore[arg-type]


async def run(command: str, args: Any, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    i18n.set_language("en" if os.environ.get("LANG", "").startswith("en") else i18n.DEFAULT_LANGUAGE)
    prog = f"yishi {command}"
    actor = await _actor(getattr(args, "as_login", None))
    if actor is None:
        print(f"{prog}: no such account to act as (create the administrator first: /setup or yishi createadmin)", file=err)
        return 1
    try:
        return await _run(command, args, actor, out)
    except DomainError as exc:
        print(f"{prog}: {_say(exc)}", file=err)
        return 1


async def _community(slug: str) -> dict[str, Any]:
    row = await store.community(slug)
    if row is None:
        from community.errors import NotFound

        raise NotFound("This community does not exist.")
    return row


async def _run(command: str, args: Any, actor: CurrentUser, out: TextIO) -> int:
    if command == "street create":
        street_id = await services.create_street(actor, services.StreetForm(args.slug, args.name, args.address))
        print(f"street {args.slug} created (id {street_id})", file=out)
        return 0
    if command == "community create":
        street = next((s for s in await store.streets() if s["slug"] == args.street), None)
        cmd = services.CommunityForm(street["id"] if street else None, args.slug, args.name, args.address, args.timezone)
        await services.create_community(actor, cmd)
        print(f"community {args.slug} created: /c/{args.slug}", file=out)
        return 0
    community = await _community(args.community)
    community_id = int(community["id"])
    if command == "staff list":
        parts = await store.register_parts(community_id)
        names = {(p.kind, p.id): p.label for p in parts}
        await staffing.require_appointer(actor, community_id)
        for s in await store.staff(community_id):
            where = "community" if s.scope.whole else s.scope.kind + ": " + ", ".join(
                sorted(names.get((s.scope.kind, i), "?") for i in s.scope.ids))
            login = s.phone or s.username or ""
            print(f"{login:<14} {s.display_name:<10} {s.role:<14} {where}", file=out)
        return 0
    if command == "staff appoint":
        scope = await _scope(community_id, args.scope, args.part or [])
        done = await staffing.appoint(actor, staffing.Appointment(community_id, args.role, scope, args.name or "", args.phone))
        print(f"{args.phone} appointed {args.role} in {args.community}", file=out)
        if done.code:
            print(f"activation code (shown once; use it at /activate): {codes.format_code(done.code)}", file=out)
        return 0
    if command == "staff remove":
        account = await store.account_by_login(args.phone)
        membership_id = await store.membership(community_id, int(account["id"]), args.role) if account else None
        if membership_id is None:
            raise FormErrors({"phone": "This role does not exist (any more)."})
        await staffing.remove(actor, community_id, membership_id)
        print(f"{args.phone} is no longer {args.role} in {args.community}", file=out)
        return 0
    raise ValueError(command)
