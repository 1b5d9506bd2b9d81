"""The demo community's slug and accounts (the README lists them), created once whatever loads first."""

from __future__ import annotations

from dataclasses import dataclass

from community import accounts
from community.db import write_transaction
from community.tables import Account, Community, Street

DEMO_SLUG = "demo"
DEMO_STREET_SLUG = "changning"
DEMO_PASSWORD = "yishi-demo-2026"  # noqa: S105 - the demo password is published in the README


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    role: str  # a community role, "admin" or "resident"
    note: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "系统管理员", "admin", "site administrator"),
    DemoAccount("13800000001", "王秀兰", "facilitator", "facilitator (居委会主任)"),
    DemoAccount("13800000002", "李文静", "recorder", "recorder (记录员)"),
    DemoAccount("13800000003", "张建国", "grid_worker", "grid worker (网格员)"),
    DemoAccount("13800000004", "陈德明", "building_lead", "building lead (楼栋长)"),
    DemoAccount("13900000001", "赵淑芬", "resident", "resident, owner"),
    DemoAccount("13900000002", "刘志强", "resident", "resident, owner"),
    DemoAccount("13900000003", "孙丽华", "resident", "resident, tenant"),
)


async def ensure_account(spec: DemoAccount) -> int:
    is_phone = spec.login.isdigit()
    query = Account.select(Account.id)
    query = query.where(Account.phone == spec.login) if is_phone else query.where(Account.username == spec.login)
    row = await query.first()
    if row:
        return int(row["id"])
    return await accounts.create_account(
        display_name=spec.name,
        password=DEMO_PASSWORD,
        username=None if is_phone else spec.login,
        phone=spec.login if is_phone else None,
        is_site_admin=spec.role == "admin",
    )


async def ensure_demo_community() -> int:
    """The demo street (长宁街道) and community (幸福里社区), created if missing; the community's id."""
    street = await Street.select(Street.id).where(Street.slug == DEMO_STREET_SLUG).first()
    community = await Community.select(Community.id).where(Community.slug == DEMO_SLUG).first()
    if street is not None and community is not None:
        return int(community["id"])
    async with write_transaction():
        if street is None:
            street_rows = await Street.insert(Street(slug=DEMO_STREET_SLUG, name="长宁街道")).returning(Street.id)
            street_id = int(street_rows[0]["id"])
        else:
            street_id = int(street["id"])
        if community is None:
            rows = await Community.insert(
                Community(slug=DEMO_SLUG, name="幸福里社区", street="长宁街道", street_ref=street_id)
            ).returning(Community.id)
            community_id = int(rows[0]["id"])
        else:
            community_id = int(community["id"])
            await Community.update({Community.street_ref: street_id}).where(
                (Community.id == community_id) & Community.street_ref.is_null()
            )
    accounts.forget_communities()
    return community_id
