"""The permission matrix: every GET route of the running app, as every kind of visitor, on its own
community's objects and on another community's. The expected answer of each cell lives in
permission_matrix.toml beside this file; a route missing there fails the test, so every new page is
classified the day it is added.

Cells: "allow" (the page, or a redirect elsewhere than sign-in), "deny" (403, 404, or sent to sign in).
Set YISHI_MATRIX_DUMP=path to write what was observed (for reviewing a change, never to copy blindly).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from test_no_5xx import PARAM, _foreign, _own, get_routes

from app.demo import DEMO_PASSWORD, load_demo
from community import accounts
from community.roles import RULE, roles_of
from community.tables import Community
from votes.testing import scope_staff

MATRIX = Path(__file__).with_name("permission_matrix.toml")
ROLES = {
    "anonymous": None,
    "owner": "13900000001",
    "tenant": "13900000003",
    "grid_worker": "13800000003",
    "building_lead": "13800000004",
    "recorder": "13800000002",
    "facilitator": "13800000001",
    "counter": "13700000011",
    "scrutineer": "13700000012",
    "volunteer": "13700000013",
    "other_facilitator": "13700000009",
    "admin": "admin",
}
# Rules no GET route enforces alone (a draft's named people, a concern's place and handler count too): their
# pure checks are walked role by role in tests/unit/test_roles_registry.py.
PURE_CHECKED = {"publish_minutes", "record_concerns", "see_all_concerns", "handle_concerns", "dispatch_concerns"}
# Visitors the demo has no account for: made by the test, their role over the whole demo community.
DUTIES = ("counter", "scrutineer", "volunteer")
# Who a class of page is for; every other visitor is refused.
CLASSES = {
    "public": set(ROLES),
    "signed_in": set(ROLES) - {"anonymous"},
    "residents": {"owner", "tenant", "grid_worker", "building_lead", "recorder", "facilitator", "admin"},
    "staff": {"grid_worker", "building_lead", "recorder", "facilitator", "admin"},
    "office": {"recorder", "facilitator", "admin"},
    "facilitator": {"facilitator", "admin"},
    "paper_desk": {"grid_worker", "building_lead", "recorder", "facilitator", "counter", "scrutineer", "admin"},
    "canvass": {"grid_worker", "building_lead", "recorder", "facilitator", "volunteer", "admin"},
    "admin": {"admin"},
    "nobody": set(),
}


def allowed(entry: dict[str, Any]) -> set[str]:
    """The visitors a matrix entry lets in: a class name or an explicit list."""
    who = entry["own"]
    return set(who) if isinstance(who, list) else CLASSES[who]


def allowed_elsewhere(entry: dict[str, Any]) -> set[str]:
    """On another community's object: its own facilitator and the administrator by the same rule, the demo's
    people only where anyone (or any account) may look."""
    who = allowed(entry)
    there = {"outsider"} if who >= CLASSES["signed_in"] else set()
    return there | ({"anonymous"} & who) | ({"admin"} & who) | ({"facilitator"} if "facilitator" in who else set())


def by_rule(entry: dict[str, Any]) -> set[str] | None:
    """The visitors the entry's rule(s) of community.roles let in: those whose role it names, and the
    administrator (None: the entry names no rule)."""
    if "rule" not in entry:
        return None
    keys = [entry["rule"]] if isinstance(entry["rule"], str) else entry["rule"]
    return {visitor for visitor in ROLES if visitor in roles_of(*keys)} | {"admin"}


def test_every_route_that_names_a_rule_lets_in_exactly_its_roles():
    """The matrix (checked against the server below) and the registry the roles page is drawn from agree;
    every rule is checked here on a route or, for rules no GET route enforces alone, on the pure checks
    (tests/unit/test_roles_registry.py)."""
    matrix: dict[str, dict[str, Any]] = tomllib.loads(MATRIX.read_text(encoding="utf-8"))
    wrong = [f"{route}: own={sorted(allowed(entry))}, rule={sorted(by_rule(entry) or ())}"
             for route, entry in matrix.items() if by_rule(entry) is not None and allowed(entry) != by_rule(entry)]  # fmt: skip
    assert not wrong, "\n".join(wrong)
    named = {key for entry in matrix.values() for key in ([entry["rule"]] if isinstance(entry.get("rule"), str) else entry.get("rule", []))}
    assert set(RULE) - named == PURE_CHECKED, "rules checked on no route of the matrix"
    assert named <= set(RULE)


def classify(response: Any) -> str:
    if response.status_code in (401, 403, 404):
        return "deny"
    if response.status_code in (301, 302, 303, 307):
        return "deny" if "/signin" in response.headers.get("location", "") else "allow"
    if response.status_code < 300:
        return "allow"
    return str(response.status_code)


async def test_every_get_route_answers_each_visitor_as_the_matrix_says(client, make_account):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    foreign = await _foreign()
    other = await make_account(phone=ROLES["other_facilitator"], name="别处主持人", password=DEMO_PASSWORD)
    await accounts.grant_role(other, int((await Community.select(Community.id).where(Community.slug == "other").first())["id"]), "facilitator")
    for role in DUTIES:
        account = await make_account(phone=ROLES[role], name=role, password=DEMO_PASSWORD)
        await accounts.grant_role(account, community_id, role)
        await scope_staff(account, community_id, role)  # the whole community
    matrix: dict[str, dict[str, str]] = tomllib.loads(MATRIX.read_text(encoding="utf-8"))
    app = client._transport.app  # type: ignore[attr-defined]
    templates = [t for t in get_routes(app) if not t.startswith(("/live/", "/static/"))]
    unlisted = [t for t in templates if t not in matrix]
    assert not unlisted, "routes without an entry in permission_matrix.toml:\n" + "\n".join(unlisted)

    observed: dict[str, dict[str, str]] = {}
    wrong: list[str] = []
    cells = 0
    for role, login in ROLES.items():
        client.cookies.clear()
        if login is not None:
            await client.signin(login, DEMO_PASSWORD)
        for template in templates:
            entry = matrix[template]
            params = PARAM.findall(template)
            if any(name not in own for name, _kind in params):
                continue  # the demo has no such object: the no-5xx walk covers the route
            path = PARAM.sub(lambda m: own[m.group(1)], template)
            got = classify(await client.get(path))
            observed.setdefault(template, {})[role] = got
            expected = "allow" if role in allowed(entry) else "deny"
            cells += 1
            if got != expected:
                wrong.append(f"{role:18} GET {path}: {got}, expected {expected}")
            # The same page with another community's object: demo people are outsiders there, the other
            # community's facilitator is its facilitator.
            if any(name in foreign for name, _kind in params):
                foreign_path = PARAM.sub(lambda m: foreign.get(m.group(1), own[m.group(1)]), template)
                got_foreign = classify(await client.get(foreign_path))
                observed[template][role + "@other"] = got_foreign
                there = {"anonymous": "anonymous", "admin": "admin", "other_facilitator": "facilitator"}.get(role, "outsider")
                expected_foreign = "allow" if there in allowed_elsewhere(entry) else "deny"
                cells += 1
                if got_foreign != expected_foreign:
                    wrong.append(f"{role:18} GET {foreign_path}: {got_foreign}, expected {expected_foreign} (other community)")
    if os.environ.get("YISHI_MATRIX_DUMP"):
        Path(os.environ["YISHI_MATRIX_DUMP"]).write_text(json.dumps(observed, indent=1, ensure_ascii=False))  # noqa: ASYNC240
    print(f"{len(templates)} GET routes × {len(ROLES)} visitors: {cells} cells")
    assert cells > 500
    assert not wrong, "\n".join(wrong)


OUTSIDERS = ("anonymous", "tenant", "other_facilitator")


async def database_state() -> str:
    """A fingerprint of every row of every table and of the upload directory: a refused request must leave
    both as they were."""
    import hashlib

    from piccolo.conf.apps import Finder

    digest = hashlib.sha256()
    for table in sorted(Finder().get_table_classes(), key=lambda t: t._meta.tablename):
        if table._meta.tablename in ("user_session", "signin_attempt", "live_message"):
            continue  # signing the visitors in and counting refused attempts is what these hold
        for row in await table.select().order_by(table._meta.primary_key):
            digest.update(repr(sorted(row.items())).encode())
    uploads = Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads")
    for path in sorted(uploads.rglob("*")) if uploads.exists() else ():  # noqa: ASYNC240 - a test's small dir
        digest.update(f"{path}:{path.stat().st_size}".encode())
    return digest.hexdigest()


async def test_state_changing_routes_refuse_outsiders_and_change_nothing(client, make_account, tmp_path):
    """Every POST route, as an anonymous visitor, a tenant and another community's facilitator, with an
    empty form on the demo community's objects: those the matrix does not let in are refused, and the
    database is exactly as before."""
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    await _foreign()
    other = await make_account(phone=ROLES["other_facilitator"], name="别处主持人", password=DEMO_PASSWORD)
    await accounts.grant_role(other, int((await Community.select(Community.id).where(Community.slug == "other").first())["id"]), "facilitator")
    matrix: dict[str, dict[str, Any]] = tomllib.loads(MATRIX.read_text(encoding="utf-8"))  # noqa: ASYNC240
    app = client._transport.app  # type: ignore[attr-defined]
    templates = sorted(route.path for route in app.routes if "POST" in getattr(route, "methods", set()))
    unlisted = [t for t in templates if f"POST {t}" not in matrix]
    assert not unlisted, "POST routes without an entry in permission_matrix.toml:\n" + "\n".join(unlisted)
    observed: dict[str, dict[str, str]] = {}
    wrong: list[str] = []
    cells = 0
    for role in OUTSIDERS:
        client.cookies.clear()
        if ROLES[role] is not None:
            await client.signin(ROLES[role], DEMO_PASSWORD)
        for template in templates:
            if template in ("/signout",):
                continue  # would end the visitor's own session mid-walk
            params = PARAM.findall(template)
            if any(name not in own for name, _kind in params):
                continue
            path = PARAM.sub(lambda m: own[m.group(1)], template)
            who = matrix[f"POST {template}"]["own"]
            let_in = role in (set(who) if isinstance(who, list) else CLASSES[who])
            before = await database_state()
            got = classify(await client.post_form(path, {}))
            observed.setdefault(template, {})[role] = got
            cells += 1
            if not let_in:
                if got != "deny":
                    wrong.append(f"{role:18} POST {path}: {got}, expected a refusal")
                elif await database_state() != before:
                    wrong.append(f"{role:18} POST {path}: refused, but the database changed")
    if os.environ.get("YISHI_MATRIX_DUMP"):
        Path(os.environ["YISHI_MATRIX_DUMP"] + ".post").write_text(json.dumps(observed, indent=1))  # noqa: ASYNC240
    print(f"{len(templates)} POST routes × {len(OUTSIDERS)} outsiders: {cells} cells")
    assert cells > 150
    assert not wrong, "\n".join(wrong)
