"""The demo community (slug `demo`) and its accounts; loading it twice changes nothing."""

from __future__ import annotations

from community import accounts
from community.db import write_transaction
from community.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SLUG, DemoAccount, ensure_account
from community.roster_demo import load_roster_demo
from community.tables import Community

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DEMO_SLUG", "DemoAccount", "load_demo"]


async def load_demo() -> list[DemoAccount]:
    """Create the demo community and its accounts if missing; return the accounts to print."""
    community = await Community.select(Community.id).where(Community.slug == DEMO_SLUG).first()
    if community is None:
        async with write_transaction():
            rows = await Community.insert(
                Community(slug=DEMO_SLUG, name="幸福里社区", street="长宁街道")
            ).returning(Community.id)
        community_id = int(rows[0]["id"])
        accounts.forget_communities()
    else:
        community_id = int(community["id"])
    for spec in DEMO_ACCOUNTS:
        account_id = await ensure_account(spec)
        if spec.role in accounts.ROLES:
            await accounts.grant_role(account_id, community_id, spec.role)
    await load_roster_demo(community_id)
    from votes.demo import load_votes_demo

    await load_votes_demo(community_id)
    from votes.projects.demo import load_projects_demo

    await load_projects_demo(community_id)
    from deliberation.minutes.demo import load_minutes_demo

    await load_minutes_demo(community_id)
    return list(DEMO_ACCOUNTS)
