"""`yishi street create`, `yishi community create`, `yishi staff appoint|remove|list`: the services of the
pages, with their rules and messages."""

from __future__ import annotations

import io

from admin_helpers import make_place

from app.cli import build_parser
from community.admin import cli as admin_cli
from community.tables import Account, AuditLog, Community, Membership, StaffScope, Street


async def yishi(*argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    command = " ".join(argv[:2])
    out, err = io.StringIO(), io.StringIO()
    code = await admin_cli.run(command, args, out, err)
    return code, out.getvalue(), err.getvalue()


async def test_an_operator_creates_a_street_a_community_and_staff(make_account, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    await make_place(make_account)
    code, out, _ = await yishi("street", "create", "--slug", "jingan", "--name", "静安街道")
    assert code == 0 and "jingan" in out
    code, out, _ = await yishi("community", "create", "--street", "jingan", "--slug", "heping", "--name", "和平社区")
    assert code == 0 and "/c/heping" in out
    community = await Community.select().where(Community.slug == "heping").first()
    assert community["street"] == "静安街道"
    code, out, _ = await yishi("staff", "appoint", "--community", "xfl", "--phone", "13800000501", "--name", "新网格",
                               "--role", "grid_worker", "--scope", "building", "--part", "阳光花园/1", "--part", "阳光花园/3")
    assert code == 0 and "activation code" in out
    scopes = await StaffScope.select(StaffScope.building.name).where(StaffScope.membership.account.phone == "13800000501")
    assert sorted(r["building.name"] for r in scopes) == ["1", "3"]
    code, out, _ = await yishi("staff", "list", "--community", "xfl")
    assert code == 0 and "13800000501" in out and "building: 阳光花园 1, 阳光花园 3" in out
    code, out, _ = await yishi("staff", "remove", "--community", "xfl", "--phone", "13800000501", "--role", "grid_worker")
    assert code == 0
    assert not await Membership.exists().where(Membership.account.phone == "13800000501")
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).order_by(AuditLog.id)]
    assert actions == ["street_created", "community_created", "role_granted", "role_removed"]


async def test_the_same_rules_and_messages_as_the_pages(make_account, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    await make_place(make_account)
    before = (await Street.count(), await Membership.select().order_by(Membership.id), await Account.count())
    # A facilitator cannot create streets.
    code, _, err = await yishi("street", "create", "--slug", "x", "--name", "X", "--as", "13800000101")
    assert code == 1 and "not allowed" in err
    # Nor appoint outside their community.
    code, _, err = await yishi("staff", "appoint", "--community", "ak", "--phone", "13800000502", "--role", "volunteer",
                               "--as", "13800000101")
    assert code == 1 and "Only the community's facilitator" in err
    # The last facilitator stays.
    code, _, err = await yishi("staff", "remove", "--community", "xfl", "--phone", "13800000101", "--role", "facilitator")
    assert code == 1 and "last facilitator" in err
    # Recorders cover the whole community; a part outside the register is refused.
    code, _, err = await yishi("staff", "appoint", "--community", "xfl", "--phone", "13800000502", "--role", "recorder",
                               "--scope", "building", "--part", "阳光花园/1")
    assert code == 1 and "whole community" in err
    code, _, err = await yishi("staff", "appoint", "--community", "xfl", "--phone", "13800000502", "--role", "grid_worker",
                               "--scope", "building", "--part", "安康苑/9")
    assert code == 1 and "outside your own scope" in err
    code, _, err = await yishi("community", "create", "--street", "nowhere", "--slug", "y", "--name", "Y")
    assert code == 1 and "street_id" in err
    assert before == (await Street.count(), await Membership.select().order_by(Membership.id), await Account.count())


async def test_messages_are_chinese_by_default(make_account, monkeypatch):
    monkeypatch.delenv("LANG", raising=False)
    await make_place(make_account)
    code, _, err = await yishi("staff", "remove", "--community", "xfl", "--phone", "13800000101", "--role", "facilitator")
    assert code == 1 and "主持人" in err
