"""The demo community (slug `demo`) and its accounts; loading it twice changes nothing."""

from __future__ import annotations

from community import accounts
from community.demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_SLUG,
    DEMO_STREET_SLUG,
    DemoAccount,
    ensure_account,
    ensure_demo_community,
)
from community.roster_demo import load_roster_demo

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DEMO_SLUG", "DEMO_STREET_SLUG", "DemoAccount", "ensure_demo_community", "load_demo"]


async def load_demo() -> list[DemoAccount]:
    """Create the demo community and its accounts if missing; return the accounts to print."""
    community_id = await ensure_demo_community()
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
    from deliberation.concerns.demo import load_concerns_demo

    await load_concerns_demo(community_id)
    return list(DEMO_ACCOUNTS)
