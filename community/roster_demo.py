"""Demo roster of the demo community: a register imported through the ordinary import, verified and joined
people, role scopes. Deterministic (fixed seed) and idempotent: loading it twice changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass

from community.db import write_transaction
from community.roster import importer
from community.roster.identity import person_key, tenant_key
from community.roster.snapshot import load_snapshot
from community.roster.template import FlatKey, FlatRow, PersonRef
from community.tables import Account, Building, Flat, Membership, Person, StaffScope, Verification

SEED = 2026
# (compound, ((building, area of plan A, area of plan B), …)) in hundredths of m²: flats x01 are plan A,
# x02 plan B, the same in both stairwell units.
COMPOUNDS: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = (
    ("阳光花园", (("1", 8956, 6723), ("2", 8956, 6723), ("3", 11240, 9875), ("4", 7680, 6035))),
    ("和平新村", (("1", 9512, 7248), ("2", 9512, 7248), ("3", 11864, 8490))),
)
UNITS = ("1", "2")
FLOORS = range(1, 7)
UNSOLD: frozenset[FlatKey] = frozenset(("和平新村", "3", "2", room) for room in ("501", "502", "601", "602"))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "桂英", "建华", "志明", "淑珍", "玉兰", "海燕", "国强", "晓东", "丽娟", "红梅", "文博", "俊杰",
    "佳怡", "思远", "德华", "秀珍", "凤英", "春梅", "立新", "卫东", "海涛", "晓燕", "玉梅", "国庆", "淑英",
    "振华", "建平", "丽萍", "志刚", "美玲", "永红", "金凤",
)
PHONE_PREFIXES = ("135", "137", "150", "158", "186", "189")


@dataclass(frozen=True)
class DemoPerson:
    """A named person of the demo register who has an account (by login) or is verified."""

    flat: FlatKey
    person: str  # Person.identity_key
    login: str | None = None
    method: str | None = None
    note: str = ""


# The demo accounts in the register: 赵淑芬 owns two flats in two buildings; 刘志强 co-owns one as its
# designated voter; 孙丽华 rents one.
ZHAO = PersonRef("赵淑芬", "4021", "13900000001")
LIU = PersonRef("刘志强", "3318", "13900000002")
LIU_SPOUSE = PersonRef("王丽", "5562", "13900000012")
SUN_FLAT: FlatKey = ("阳光花园", "1", "2", "201")
FIXED_OWNERS: dict[FlatKey, tuple[tuple[PersonRef, ...], str | None]] = {
    ("阳光花园", "1", "1", "301"): ((ZHAO,), None),
    ("阳光花园", "3", "2", "502"): ((ZHAO,), None),
    ("阳光花园", "2", "1", "402"): ((LIU, LIU_SPOUSE), "刘志强"),
    # Co-owned without a designated voter.
    ("阳光花园", "1", "1", "502"): ((PersonRef("陈建平", "7710", "13500012345"), PersonRef("黄美玲", "0925")), None),
}


def demo_register() -> tuple[list[FlatRow], list[DemoPerson]]:
    """The register rows, and who among its people has an account or is verified."""
    rng = random.Random(SEED)
    used: set[tuple[str, str, str]] = set()
    rows: list[FlatRow] = []
    people: list[DemoPerson] = []

    def draw(compound: str) -> PersonRef:
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            kind = rng.random()
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}" if rng.random() < 0.6 else None
            ref = PersonRef(name, f"{rng.randrange(10**4):04d}", phone) if kind < 0.9 else PersonRef(name, None, phone)
            identity = ref.identity_key(compound)
            # Namesakes are fine in a register, but a demo should not merge two strangers into one owner.
            if identity not in used and name not in {"赵淑芬", "刘志强", "孙丽华", "王丽"}:
                used.add(identity)
                return ref

    for compound, buildings in COMPOUNDS:
        for building, area_a, area_b in buildings:
            for unit in UNITS:
                for floor in FLOORS:
                    for number, area in ((1, area_a), (2, area_b)):
                        room = f"{floor}{number:02d}"
                        key = (compound, building, unit, room)
                        owners: tuple[PersonRef, ...] = ()
                        voter: str | None = None
                        tenants: tuple[str, ...] = ()
                        if key in FIXED_OWNERS:
                            owners, voter = FIXED_OWNERS[key]
                        elif key not in UNSOLD:
                            owners = (draw(compound),)
                            if rng.random() < 0.2:
                                owners += (draw(compound),)
                                voter = owners[0].name if rng.random() < 0.5 else None
                            if rng.random() < 0.12:
                                tenants = (rng.choice(SURNAMES) + rng.choice(GIVEN),)
                        if key == SUN_FLAT:
                            tenants = ("孙丽华",)
                        rows.append(
                            FlatRow(
                                line=0,
                                compound=compound,
                                building=building,
                                unit=unit,
                                floor=floor,
                                room=room,
                                area=area,
                                area_source="registered" if rng.random() < 0.85 else "surveyed",
                                usage="residential",
                                owners=owners,
                                designated_voter=voter,
                                developer_unsold=key in UNSOLD,
                                tenants=tenants,
                            )
                        )
                        for owner in owners:
                            pkey = person_key(owner.identity_key(compound))
                            if owner in (ZHAO, LIU):
                                login = owner.phone
                                people.append(DemoPerson(key, pkey, login, "certificate", ""))
                            elif rng.random() < 0.4:
                                method = rng.choice(("certificate", "certificate", "certificate", "register", "contract"))
                                people.append(DemoPerson(key, pkey, None, method, ""))
                        for name in tenants:
                            if name == "孙丽华":
                                people.append(
                                    DemoPerson(key, tenant_key(name, key), "13900000003", "other", "租赁合同（已备案）")
                                )
                            elif rng.random() < 0.3:
                                people.append(DemoPerson(key, tenant_key(name, key), None, "other", "租赁合同"))
    return rows, people


# Grid worker: the first two buildings of 阳光花园; building lead: its building 1.
ROLE_SCOPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("13800000003", "grid_worker", ("1", "2")),
    ("13800000004", "building_lead", ("1",)),
)
SCOPE_COMPOUND = "阳光花园"
VERIFIER = "13800000001"


async def load_roster_demo(community_id: int) -> None:
    """Import the demo register (only into an empty roster), then link, verify and scope what is missing."""
    if not await Flat.exists().where(Flat.stairwell_unit.building.compound.community == community_id):
        rows, _people = demo_register()
        await importer.import_rows(community_id, rows, source={"source": "demo"})
    _rows, people = demo_register()

    accounts = {
        str(r["phone"]): int(r["id"])
        for r in await Account.select(Account.id, Account.phone).where(Account.phone.is_not_null())
    }
    person_ids = {
        str(r["identity_key"]): (int(r["id"]), r["account"])
        for r in await Person.select(Person.id, Person.identity_key, Person.account).where(
            Person.community == community_id
        )
    }
    snapshot = await load_snapshot(community_id)
    flat_ids = {key: stored.id for key, stored in snapshot.flats.items()}
    checked = {
        (int(r["flat"]), int(r["person"]))
        for r in await Verification.select(Verification.flat, Verification.person).where(
            Verification.person.community == community_id
        )
    }
    verifier = accounts.get(VERIFIER)

    links: list[tuple[int, int]] = []
    verifications: list[Verification] = []
    for demo in people:
        found = person_ids.get(demo.person)
        flat_id = flat_ids.get(demo.flat)
        if found is None or flat_id is None:
            continue  # the register was changed by hand: leave it as it is
        person_id, account = found
        if demo.login and account is None and demo.login in accounts:
            links.append((person_id, accounts[demo.login]))
        # Any earlier verification, even revoked, means staff have dealt with it: never redo it.
        if demo.method and (flat_id, person_id) not in checked:
            checked.add((flat_id, person_id))
            verifications.append(
                Verification(flat=flat_id, person=person_id, method=demo.method, note=demo.note, verified_by=verifier)
            )

    buildings = {
        str(r["name"]): int(r["id"])
        for r in await Building.select(Building.id, Building.name).where(
            (Building.compound.community == community_id) & (Building.compound.name == SCOPE_COMPOUND)
        )
    }
    scopes: list[StaffScope] = []
    scoped: list[int] = []
    for login, role, names in ROLE_SCOPES:
        account_id = accounts.get(login)
        membership = (
            await Membership.select(Membership.id)
            .where(
                (Membership.account == account_id)
                & (Membership.community == community_id)
                & (Membership.role == role)
            )
            .first()
            if account_id is not None
            else None
        )
        if membership is None:
            continue
        present = {
            int(r["building"])
            for r in await StaffScope.select(StaffScope.building).where(StaffScope.membership == membership["id"])
            if r["building"] is not None
        }
        scopes += [
            StaffScope(membership=membership["id"], building=buildings[name])
            for name in names
            if name in buildings and buildings[name] not in present
        ]
        scoped.append(int(membership["id"]))

    if not (links or verifications or scopes):
        return
    async with write_transaction():
        for person_id, account_id in links:
            await Person.update({Person.account: account_id}).where(Person.id == person_id)
        if verifications:
            await Verification.insert(*verifications)
        if scopes:
            await StaffScope.insert(*scopes)
        if scoped:
            await Membership.update({Membership.scope_kind: "building"}).where(Membership.id.is_in(scoped))





async def load_roster_demo_community() -> int:
    """The demo community with its accounts, roles and roster only, without the other packages' demo data
    (meetings, votes, minutes): what the roster's own tests start from. Returns the community's id."""
    from community import accounts
    from community.demo_accounts import DEMO_ACCOUNTS, ensure_account, ensure_demo_community

    community_id = await ensure_demo_community()
    for spec in DEMO_ACCOUNTS:
        account_id = await ensure_account(spec)
        if spec.role in accounts.ROLES:
            await accounts.grant_role(account_id, community_id, spec.role)
    await load_roster_demo(community_id)
    return community_id
