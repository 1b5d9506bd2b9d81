"""No 5xx anywhere: every GET route of the app's route table (so a new route is walked without an entry here),
with its own community's ids, another community's, missing, huge and malformed ones, and odd query values,
as an anonymous visitor and as the demo community's facilitator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from app.demo import DEMO_PASSWORD, load_demo
from community.tables import Building, Community, Compound, Flat, StairwellUnit
from deliberation.minutes.tables import Minutes
from deliberation.tables import AgendaItem, Attachment, Comment, Meeting, Notice
from votes.projects.tables import Project
from votes.tables import Proxy, Vote

HUGE = "99999999999999999999"
MISSING = "424242"
PARAM = re.compile(r"{(\w+):(\w+)}")
# Odd values for every query parameter a page reads (ids, filters, search words, keys).
QUERY = (
    f"?building={HUGE}&before={HUGE}&since={HUGE}&page={HUGE}&year={HUGE}&agenda_item={HUGE}&serial=%E2%80%AE1"
    "&stairwell=x&q=%22%3E%3Cscript%3E&key=x&kind=x&matter=-1&fmt=x&next=//evil.example&done=x&saved=x"
)
BAD_QUERY = "?q=%00&building=abc"


async def _foreign() -> dict[str, str]:
    """Another community with a meeting, an item, a comment and a flat: ids the demo's staff may not reach."""
    community = (await Community.insert(Community(slug="other", name="别处社区")).returning(Community.id))[0]["id"]
    meeting = (await Meeting.insert(Meeting(community=community, kind="bench", title="别处的会", status="noticed",
                                            starts_at=datetime.now(UTC))).returning(Meeting.id))[0]["id"]  # fmt: skip
    item = (await AgendaItem.insert(AgendaItem(meeting=meeting, position=1, title="别处的议题")).returning(AgendaItem.id))[0]["id"]
    compound = (await Compound.insert(Compound(community=community, name="别处")).returning(Compound.id))[0]["id"]
    building = (await Building.insert(Building(compound=compound, name="1号楼")).returning(Building.id))[0]["id"]
    unit = (await StairwellUnit.insert(StairwellUnit(building=building, name="1")).returning(StairwellUnit.id))[0]["id"]
    flat = (await Flat.insert(Flat(stairwell_unit=unit, floor=1, room="101", area=8000)).returning(Flat.id))[0]["id"]
    return {"slug": "other", "meeting_id": str(meeting), "item_id": str(item), "building_id": str(building),
            "flat_id": str(flat)}  # fmt: skip


async def _first(query: Any) -> str | None:
    row = await query.first()
    return None if row is None else str(row["id"])


async def _own(community_id: int) -> dict[str, str]:
    """Ids of the demo community's objects, where it has them."""
    meeting = await _first(Meeting.select(Meeting.id).where(Meeting.community == community_id).order_by(Meeting.id))
    found = {
        "slug": "demo",
        "meeting_id": meeting,
        "item_id": await _first(AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == int(meeting or 0)).order_by(AgendaItem.id)),
        "comment_id": await _first(Comment.select(Comment.id).where(Comment.meeting == int(meeting or 0)).order_by(Comment.id)),
        "attachment_id": await _first(Attachment.select(Attachment.id).order_by(Attachment.id)),
        "vote_id": await _first(Vote.select(Vote.id).where(Vote.community == community_id).order_by(Vote.id)),
        "proxy_id": await _first(Proxy.select(Proxy.id).order_by(Proxy.id)),
        "minutes_id": await _first(Minutes.select(Minutes.id).where(Minutes.community == community_id).order_by(Minutes.id)),
        "notice_id": await _first(Notice.select(Notice.id).order_by(Notice.id)),
        "project_id": await _first(Project.select(Project.id).where(Project.community == community_id).order_by(Project.id)),
        "building_id": await _first(Building.select(Building.id).where(Building.compound.community == community_id).order_by(Building.id)),
        "flat_id": await _first(Flat.select(Flat.id).where(Flat.stairwell_unit.building.compound.community == community_id).order_by(Flat.id)),
    }
    found["ref"] = found["minutes_id"]
    return {k: v for k, v in found.items() if v is not None}


def _values(name: str, kind: str, own: dict[str, str], foreign: dict[str, str]) -> list[str]:
    """The values one path parameter is tried with."""
    if name == "channel":  # a valid channel streams for ever: only ones that must be refused
        return ["x", "meeting-abc", f"meeting-{HUGE}", f"meeting-{MISSING}", f"vote-{HUGE}", f"phones-{MISSING}-zh", "%00"]
    if name == "file_path":
        return ["css/yishi.css", "..%2F..%2Fetc%2Fpasswd", "nope"]
    if kind == "int":
        values = [MISSING, HUGE, "-1", "abc", "0"]
    elif name == "slug":
        values = ["nowhere", "%00", "x" * 300]
    elif name == "fmt":
        values = ["csv", "xlsx", "pdf"]
    elif name == "ref":
        values = [MISSING, HUGE, f"{HUGE}.json", "abc.json", "%00", "1.json"]
    elif name == "part":
        values = ["queue", "agenda", "nope"]
    else:  # token, batch, code
        values = ["nope", "ABCDEFGH", "%00", "x" * 300]
    values += [v for v in (own.get(name), foreign.get(name)) if v is not None]
    return values


def _base(template: str, own: dict[str, str]) -> dict[str, str]:
    """Every parameter at its own community's value (a missing id where the demo has none)."""
    params = PARAM.findall(template)
    return {name: own.get(name, MISSING if kind == "int" else "nope") for name, kind in params}


def _paths(template: str, own: dict[str, str], foreign: dict[str, str]) -> list[str]:
    """Each parameter varied in turn, the others at their own community's value (or a missing id)."""
    params = PARAM.findall(template)
    if not params:
        return [template]
    base = {} if any(name == "channel" for name, _kind in params) else _base(template, own)
    paths = []
    for name, kind in params:
        for value in _values(name, kind, own, foreign):
            chosen = {**base, name: value}
            if all(n in chosen for n, _k in params):
                paths.append(PARAM.sub(lambda m, c=chosen: c[m.group(1)], template))  # type: ignore[misc]
    return list(dict.fromkeys(paths))


def get_routes(app: Any) -> list[str]:
    return sorted(route.path for route in app.routes if "GET" in getattr(route, "methods", set()))


@pytest.mark.parametrize("who", ["anonymous", "facilitator"])
async def test_no_get_route_answers_5xx(client, who):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    assert {"meeting_id", "item_id", "vote_id", "minutes_id", "notice_id", "project_id", "flat_id"} <= set(own)
    foreign = await _foreign()
    if who == "facilitator":
        await client.signin("13800000001", DEMO_PASSWORD)
    app = client._transport.app  # type: ignore[attr-defined]
    templates = get_routes(app)
    assert len(templates) > 60  # the whole table, not a handful
    failures: list[str] = []
    requested = 0
    answers: dict[int, int] = {}
    for template in templates:
        paths = _paths(template, own, foreign)
        for path in paths:
            response = await client.get(path)
            requested += 1
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} GET {path}")
        if not template.startswith("/live/"):
            for query in (QUERY, BAD_QUERY):
                path = PARAM.sub(lambda m: _base(template, own)[m.group(1)], template) + query
                response = await client.get(path)
                requested += 1
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} GET {path}")
    assert not failures, "\n".join(failures)
    print(f"{who}: {len(templates)} GET routes, {requested} requests, answers {sorted(answers.items())}")
    assert requested > 600 and answers.get(200, 0) > (60 if who == "facilitator" else 15)  # real pages reached
