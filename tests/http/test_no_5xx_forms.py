"""No 5xx from any form, whatever it is sent: every POST form the demo's pages show (found by walking the pages
each visitor can reach), sent back as the page has it and then with every field set to hostile values (empty,
negative, huge, malformed, control characters, overlong, repeated) and with bad files, as an owner, a grid worker,
the facilitator and the administrator (a refused form adds or removes no row anywhere); and every POST route of
the route table sent an empty form and a form of hostile values under the field names the app reads."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from piccolo.conf.apps import Finder
from test_no_5xx import HUGE, PARAM, _base, _own

from app.demo import DEMO_PASSWORD, load_demo
from community import db
from community.tables import Account, Community
from deliberation.tables import AgendaItem, Comment, Meeting
from votes.projects.tables import Project
from votes.tables import Vote

# Values every field of a form is set to, one set at a time (what a hand-made request or a broken client sends).
HOSTILE: tuple[str | list[str], ...] = (
    "",
    "-1",
    HUGE,
    "3000000000",  # over PostgreSQL's integer, under SQLite's
    "abc",
    "1e309",
    "NaN",
    "0.0000001",
    "2026-02-30T25:61",
    "9999-12-31T23:59",  # the last minute a datetime holds: a time zone's offset goes past it
    "0001-01-01",
    "1" + "0" * 400,
    "\x00\x07",
    "\u202e1-1-101",
    "<script>alert(1)</script>{{7*7}}",
    "x" * 20_000,
    ["1", "2"],  # the field twice
)
HTMX: tuple[str | list[str], ...] = ("", HUGE, "abc", "2026-02-30T25:61")
# Files sent to every form that uploads one, under each of its file fields: not what they say they are, broken,
# empty, or named to climb out of the upload folder.
UPLOADS: tuple[tuple[str, bytes, str], ...] = (
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"not a png", "image/png"),
    ("register.xlsx", b"PK\x03\x04" + b"not a workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("register.csv", "楼号,单元,房号\n".encode("gbk") + b"\xff\xfe\x00\x01", "text/csv"),
    ("empty.pdf", b"", "application/pdf"),
    ("../../etc/passwd", b"root:x:0:0", "text/plain"),
)
FILE = "\x00file"  # stands for a file field among a form's fields; never sent as text
# Forms not sent: signing out (or ending a session) would end the walk; the language and text size set a cookie.
SKIP_ACTIONS = ("/signout", "/lang", "/text-size", "/account/sessions/")
VISITORS = {"owner": "13900000001", "grid_worker": "13800000003", "facilitator": "13800000001", "admin": "admin"}
PAGES_PER_SHAPE = 2  # pages of one shape (/v/N/…) walked per visitor: every kind of page, not every object
MAX_PAGES = 500
# Forms that end what the others work on (archiving the community, closing a vote, deleting) go last.
ENDING = re.compile(r"archive|delete|remove|close|void|withdraw|cancel|end|revoke|finish|publish")


def _order(action: str) -> tuple[bool, str]:
    return bool(ENDING.search(action)), action


class _Forms(HTMLParser):
    """The POST forms of a page: (action, [(name, value)], whether it uploads files); and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]], bool]] = []
        self.links: list[str] = []
        self._current: tuple[str, list[tuple[str, str]], bool] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = (a.get("action", ""), [], "multipart" in a.get("enctype", ""))
            self.forms.append(self._current)
        if self._current is None:
            return
        fields = self._current[1]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "radio":  # the checked choice, else the first
                given = [n for n, (name, _v) in enumerate(fields) if name == a["name"]]
                if given and "checked" in a:
                    fields[given[0]] = (a["name"], a.get("value", "on"))
                elif not given:
                    fields.append((a["name"], a.get("value", "on")))
                return
            if kind == "checkbox" and "checked" not in a:
                return
            fields.append((a["name"], FILE if kind == "file" else a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            fields.append((a["name"], ""))
        elif tag == "option" and self._select and ("selected" in a or fields[-1][1] == ""):
            fields[-1] = (self._select, a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.append((a["name"], ""))
        elif tag == "button" and a.get("name"):
            fields.append((a["name"], a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._current is not None and self._textarea:
            self._current[1][-1] = (self._textarea, self._current[1][-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _read(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def _hostile(fields: list[tuple[str, str]], value: str | list[str]) -> list[tuple[str, str]]:
    names = list(dict.fromkeys(name for name, _v in fields if name != "_csrf_token"))
    values = value if isinstance(value, list) else [value]
    return [(name, v) for name in names for v in values]


async def _post(client, action: str, fields: list[tuple[str, str]], upload: tuple[str, bytes, str] | None = None,  # type: ignore[no-untyped-def]
                htmx: bool = False):
    body: dict[str, list[str]] = {}
    for name, value in fields:
        if name != "_csrf_token" and value != FILE:
            body.setdefault(name, []).append(value)
    body["_csrf_token"] = [await client.csrf()]
    files = [(name, upload) for name, value in fields if value == FILE] if upload else None
    headers = {"Referer": "http://testserver.local/", **({"HX-Request": "true"} if htmx else {})}
    return await client.post(action, data=body, files=files, headers=headers)


# Rows a refused form may add: the record of a failed attempt, kept for rate limits.
ATTEMPTS = {"signin_attempt"}


async def _rows() -> dict[str, int]:
    """How many rows each table has, in one statement."""
    names = sorted(table._meta.tablename for table in Finder().get_table_classes())
    sql = " UNION ALL ".join(f"SELECT '{name}' AS name, COUNT(*) AS n FROM \"{name}\"" for name in names)  # noqa: S608
    return {str(row["name"]): int(row["n"]) for row in await db.engine().run_ddl(sql)}


def _target(page: str, action: str) -> str:
    """Where a form on `page` posts to: its action, resolved against the page (an empty action is the page)."""
    target = urlsplit(urljoin(f"http://testserver.local{page}", action or page))
    return target.path + (f"?{target.query}" if target.query else "")


async def _walk(client, starts: list[str]) -> dict[tuple[str, bool], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """The POST forms of every page reachable from `starts` (a few pages of each shape): {(action, multipart): fields}."""
    queue, seen, shapes, form_shapes = list(starts), set(), Counter(), Counter()  # type: ignore[var-annotated]
    forms: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = urlsplit(queue.pop(0)).path
        shape = re.sub(r"\d+", "N", path)
        if path in seen or (shapes[shape] >= PAGES_PER_SHAPE and path not in starts) or path.startswith(("/static/", "/live/")):
            continue
        seen.add(path)
        shapes[shape] += 1
        response = await client.get(path)
        assert response.status_code < 500, f"GET {path}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", "") or response.status_code != 200:
            continue
        page = _read(response.text)
        for action, fields, multipart in page.forms:
            target = _target(path, action)
            form_shapes[re.sub(r"\d+", "N", target)] += 1
            if form_shapes[re.sub(r"\d+", "N", target)] <= PAGES_PER_SHAPE:  # two flats' payment forms, not forty
                forms.setdefault((target, multipart), fields)
        queue += [link for link in page.links if urlsplit(link).path not in seen]
    return forms


async def _meeting_under_way(community_id: int) -> tuple[int, int]:
    """A community-wide bench consultation in session on its first item, with a comment to reply to."""
    facilitator = await Account.select(Account.id).where(Account.phone == VISITORS["facilitator"]).first()
    meeting = (await Meeting.insert(Meeting(
        community=community_id, kind="bench", title="全小区板凳会", scope_kind="community", scope_ids="[]",
        starts_at=datetime.now(UTC), started_at=datetime.now(UTC), status="in_session",
        facilitator=facilitator["id"] if facilitator else None,
    )).returning(Meeting.id))[0]["id"]  # fmt: skip
    item = (await AgendaItem.insert(AgendaItem(meeting=meeting, position=1, title="楼道堆物", status="discussing"))
            .returning(AgendaItem.id))[0]["id"]  # fmt: skip
    await Meeting.update({Meeting.current_item: item}).where(Meeting.id == meeting)
    await Comment.insert(Comment(meeting=meeting, item=item, author=facilitator["id"] if facilitator else None,
                                 position="question", body="大家怎么看？", created_at=datetime.now(UTC)))  # fmt: skip
    return int(meeting), int(item)


async def _starts(who: str, community_id: int) -> list[str]:
    """Where a visitor's walk starts: their own pages, and the objects of the demo their forms work on."""
    starts: list[str] = {"owner": ["/account", "/meetings", "/votes", "/concerns", "/roster", "/c/demo"],
              "facilitator": ["/c/demo/meetings", "/c/demo/votes", "/c/demo/projects", "/c/demo/concerns",
                              "/c/demo/roster", "/c/demo/staff", "/c/demo/venues", "/c/demo/procedure", "/account"],
              "grid_worker": ["/c/demo/votes", "/c/demo/roster", "/c/demo/concerns", "/c/demo/meetings"],
              "admin": ["/admin", "/admin/communities/demo", "/c/demo/staff"]}[who]  # fmt: skip
    if who == "owner":  # a meeting of the whole community under way: the owner's comment and reply forms
        meeting, item = await _meeting_under_way(community_id)
        starts += [f"/m/{meeting}", f"/m/{meeting}/items/{item}"]
        # Every vote's result (a query in its window) and every project (an objection, the agreement to sign).
        starts += [f"/v/{r['id']}/result" for r in await Vote.select(Vote.id).order_by(Vote.id)]
        starts += [f"/p/{r['id']}{page}" for r in await Project.select(Project.id).order_by(Project.id)
                   for page in ("", "/agreement", "/funding")]  # fmt: skip
    if who in ("facilitator", "grid_worker"):  # every vote and meeting of the demo, whatever its state: their desks have the most forms
        starts += [f"/v/{r['id']}/{page}" for r in await Vote.select(Vote.id).order_by(Vote.id)
                   for page in ("manage", "paper", "proxies", "canvass", "edit")]  # fmt: skip
        starts += [f"/m/{r['id']}/{page}" for r in await Meeting.select(Meeting.id).order_by(Meeting.id)
                   for page in ("control", "manage", "attendance", "notes", "edit")]  # fmt: skip
    return starts


@pytest.mark.parametrize("who", list(VISITORS))
async def test_no_form_answers_5xx_whatever_it_is_sent(client, who):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    await client.signin(VISITORS[who], DEMO_PASSWORD)
    starts = await _starts(who, community_id)
    forms = await _walk(client, starts)
    failures: list[str] = []
    answers: Counter[int] = Counter()
    queue = sorted(forms, key=lambda form: _order(form[0]))
    while queue:
        action, multipart = queue.pop(0)
        if action.startswith(SKIP_ACTIONS):
            continue
        fields = forms[(action, multipart)]
        uploads = UPLOADS if any(value == FILE for _name, value in fields) else ()
        # As the page has it, with hostile values and bad files; then a few again as htmx sends them (a refusal then
        # answers with the form's fragment: other templates).
        for variant, htmx in [*((v, False) for v in [None, *HOSTILE, *uploads]), *((v, True) for v in HTMX)]:
            upload = variant if isinstance(variant, tuple) else None
            # With a file, the empty text fields say something, so the file is what the form is judged on.
            sent = (fields if variant is None else [(n, v or "楼道灯坏了") for n, v in fields] if upload
                    else _hostile(fields, variant))  # type: ignore[arg-type]  # fmt: skip
            before = await _rows()
            response = await _post(client, action, sent, upload, htmx)
            answers[response.status_code] += 1
            if 400 <= response.status_code < 500:
                after = await _rows()
                grown = {name: after[name] - n for name, n in before.items() if after[name] != n and name not in ATTEMPTS}
                if grown:
                    failures.append(f"{response.status_code} POST {action} with {str(variant)[:40]!r} changed rows: {grown}")
            if response.status_code >= 500:
                failures.append(f"{response.status_code} POST {action} ({'multipart form' if multipart else 'form'}) "
                                f"with {str(variant)[:40]!r}: {response.text[:200]}")  # fmt: skip
            elif variant is None and response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
                # A step that answers with the next form (choose, then confirm): that form is walked too.
                for next_action, next_fields, next_multipart in _read(response.text).forms:
                    key = (_target(action, next_action), next_multipart)
                    if key not in forms:
                        forms[key] = next_fields
                        queue = sorted([*queue, key], key=lambda form: _order(form[0]))
        # Still signed in: a form that signed the visitor out would leave the rest of the walk unchecked.
        assert (await client.get("/account")).status_code == 200, f"signed out after {action}"
    # What the forms stored, hostile values included, shows on the pages again without a 5xx (a date stored in
    # year 9999 would fail on every page that moves it into the community's time zone).
    await _walk(client, starts)
    print(f"{who}: {len(forms)} forms, {sum(answers.values())} posts, answers {sorted(answers.items())}")
    assert len(forms) >= {"owner": 12, "grid_worker": 10, "facilitator": 40, "admin": 8}[who], sorted(forms)
    assert not failures, "\n".join(failures)


def _names_read() -> list[str]:
    """Field names the app reads from forms (form.get("…") and friends), to send to routes no page links to."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names: set[str] = set()
    pattern = re.compile(r"""(?:form|data|values)\.get(?:all|list)?\(\s*["']([a-zA-Z_0-9]+)["']""")
    for package in ("app", "community", "deliberation", "votes"):
        for path in (root / package).rglob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


async def _post_routes(client) -> list[str]:  # type: ignore[no-untyped-def]
    """The demo loaded, the facilitator signed in, and every POST route of the route table with the demo's own ids."""
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    await client.signin(VISITORS["facilitator"], DEMO_PASSWORD)
    app = client._transport.app  # type: ignore[attr-defined]
    templates = sorted(route.path for route in app.routes if "POST" in getattr(route, "methods", set()))
    return [PARAM.sub(lambda m, t=template: _base(t, own)[m.group(1)], template) for template in templates]  # type: ignore[misc]


async def test_no_post_route_answers_5xx_to_an_empty_or_hostile_form(client):
    """Every POST route of the route table, as the facilitator, with the demo's own ids: an empty form, and the
    field names the app reads all set to each hostile value."""
    paths = await _post_routes(client)
    assert len(paths) > 60, paths
    names = _names_read()
    assert len(names) > 50, names
    failures: list[str] = []
    answers: Counter[int] = Counter()
    for path in sorted(paths, key=_order):
        if path.startswith(SKIP_ACTIONS):
            continue
        for variant in ["", *HOSTILE]:
            sent: list[tuple[str, Any]] = [] if variant == "" else _hostile([(n, "") for n in names], variant)
            response = await _post(client, path, sent)
            answers[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} POST {path} with {str(variant)[:40]!r}: {response.text[:200]}")
        if (await client.get("/account")).status_code != 200:  # a form that signed out: sign in again
            await client.signin(VISITORS["facilitator"], DEMO_PASSWORD)
    print(f"{len(paths)} POST routes, {sum(answers.values())} posts, answers {sorted(answers.items())}")
    assert not failures, "\n".join(failures)


async def test_no_post_route_takes_a_form_without_its_csrf_token(client):
    """Every POST route, signed in as the facilitator, sent a form without the CSRF token, or with another
    session's: 403, and no row added or removed anywhere."""
    paths = await _post_routes(client)
    forged = "0" * 64
    before = await _rows()
    failures = []
    for path in paths:
        for data in ({"title": "伪造"}, {"title": "伪造", "_csrf_token": forged}):
            response = await client.post(path, data=data, headers={"Referer": "http://testserver.local/"})
            if response.status_code != 403:
                failures.append(f"{response.status_code} POST {path} {sorted(data)}")
        response = await client.post(path, data={"title": "伪造"}, headers={"x-csrftoken": forged, "HX-Request": "true"})
        if response.status_code != 403:
            failures.append(f"{response.status_code} POST {path} (htmx, forged header)")
    after = await _rows()
    assert not failures, "\n".join(failures)
    assert {name: after[name] - n for name, n in before.items() if after[name] != n} == {}
