"""The XSS corpus in the fields the first corpus test leaves out: replies and hide reasons, attachment file names,
the recorder's item notes, minutes, projects and their objections, residents' concerns and their handling
log, proxies, compound, street and community names. Each role's pages are then walked in Chromium by
following the links they show (every page that shows a planted field is reachable that way), and any dialog,
script run, CSP violation or injected element fails."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PHONE, Server, signin
from playwright.sync_api import Browser
from test_xss_e2e import CORPUS, PAYLOADS, _check, _watch

# Fields limited in length get a slice of the corpus: every payload still goes into some field of each kind.
SHORT = 100

# Kinds of field planted here, in addition to the ten of test_xss_e2e.
KINDS = (
    "reply", "hide reason", "attachment file name", "item notes", "minutes title and summary", "project texts",
    "objection and its handling", "concern texts and handling log", "proxy name", "compound, street and community names",
)


def _slices(limit: int) -> list[str]:
    """The corpus cut into pieces of at most `limit` characters, each payload whole in one of them."""
    pieces, current = [], ""
    for payload in PAYLOADS:
        if current and len(current) + len(payload) > limit:
            pieces.append(current)
            current = ""
        current += payload[:limit]
    return [*pieces, current]


def _plant(database: Path) -> dict[str, int]:
    short = _slices(SHORT)
    db = sqlite3.connect(database)
    try:
        one = lambda sql, *args: db.execute(sql, args).fetchone()  # noqa: E731
        now = one("SELECT created_at FROM meeting ORDER BY id LIMIT 1")[0]
        owner = one("SELECT id FROM account WHERE phone = '13900000001'")[0]
        facilitator = one("SELECT id FROM account WHERE phone = '13800000001'")[0]
        for meeting, item in db.execute(
            "SELECT meeting, min(id) FROM agenda_item GROUP BY meeting"
        ).fetchall():
            parent = db.execute(
                "INSERT INTO agenda_comment (meeting, item, author, position, body, created_at, pinned, off_projector,"
                " hidden_reason) VALUES (?, ?, ?, 'support', ?, ?, false, false, '')",
                (meeting, item, owner, "评" + CORPUS[:1900], now),
            ).lastrowid
            for piece in _slices(1900):
                db.execute(
                    "INSERT INTO agenda_comment (meeting, item, parent, author, position, body, created_at, pinned,"
                    " off_projector, hidden_reason) VALUES (?, ?, ?, ?, 'question', ?, ?, false, false, '')",
                    (meeting, item, parent, owner, piece, now),
                )
            for piece in _slices(300):
                db.execute(
                    "INSERT INTO agenda_comment (meeting, item, author, position, body, created_at, hidden_at,"
                    " hidden_by, hidden_reason, pinned, off_projector) VALUES (?, ?, ?, 'oppose', '隐藏的评论', ?, ?, ?,"
                    " ?, false, false)",
                    (meeting, item, owner, now, now, facilitator, piece),
                )
            for n, piece in enumerate(_slices(190)):
                db.execute(
                    "INSERT INTO agenda_attachment (item, original_name, stored_name, content_type, size, uploaded_by,"
                    " created_at) VALUES (?, ?, ?, 'application/pdf', 10, ?, ?)",
                    (item, piece + ".pdf", f"xss{meeting}x{n}.pdf", facilitator, now),
                )
            db.execute("DELETE FROM agenda_item_note WHERE item = ?", (item,))
            db.execute(
                "INSERT INTO agenda_item_note (item, positions_heard, objections, agreed_points, open_points,"
                " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (item, CORPUS, CORPUS, CORPUS, CORPUS, facilitator, now),
            )
        # Minutes as staff see them, and their publications as the board and the public minutes pages show them.
        db.execute("UPDATE minutes SET title = ?", ("纪" + short[0],))
        for pid, content in db.execute("SELECT id, content FROM publication").fetchall():
            data = json.loads(content)
            if isinstance(data, dict) and isinstance(data.get("title"), str):
                data["title"] = "公" + short[1]
            db.execute(
                "UPDATE publication SET title = ?, summary = ?, search_text = ?, content = ? WHERE id = ?",
                ("公" + short[1], CORPUS[:490], CORPUS, json.dumps(data, ensure_ascii=False), pid),
            )
        db.execute(
            "UPDATE project SET title = ?, description = ?, legal_title = ?, safety_notes = ?",
            ("梯" + short[2], CORPUS, CORPUS, CORPUS),
        )
        db.execute("UPDATE project_objection SET text = ?, objector = ?", (CORPUS, short[3]))
        db.execute("UPDATE project_objection_step SET note = ?", (CORPUS,))
        db.execute(
            "UPDATE concern SET text = ?, place_note = ?, reporter_name = ?, handler_name = ?",
            (CORPUS, "处" + short[4][:190], short[5], short[6]),
        )
        db.execute("UPDATE concern_step SET text = ?", (CORPUS,))
        db.execute("UPDATE compound SET name = ? || id", ("苑" + short[7][:90],))
        db.execute("UPDATE street SET name = ? || id, address = ?", ("街" + short[8], CORPUS[:290]))
        db.execute("UPDATE community SET name = ? || id, address = ?", ("社" + short[9], CORPUS[:290]))
        vote = one("SELECT min(id) FROM vote WHERE status = 'open'")[0]
        for n, (entity,) in enumerate(db.execute("SELECT id FROM vote_entity WHERE vote = ? LIMIT 3", (vote,)).fetchall()):
            db.execute(
                "INSERT INTO vote_proxy (vote, entity, owner_person, proxy_name, proxy_key, proxy_opaque, matters,"
                " has_photo, recorded_by, recorded_at) VALUES (?, ?, 0, ?, ?, ?, ?, false, ?, ?)",
                (vote, entity, short[n % len(short)], f"xss-{n}", f"xss{n}", CORPUS[:500], facilitator, now),
            )
        db.commit()
        meeting, item = one("SELECT meeting, id FROM agenda_item ORDER BY meeting DESC, position LIMIT 1")
        return {"vote": vote, "meeting": meeting, "item": item}
    finally:
        db.close()


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[Server, dict[str, int]]]:
    server = Server()
    try:
        server.wait_ready()
        yield server, _plant(Path(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///")))
    finally:
        server.stop()


# Where each role starts; the walk follows the links these pages show.
STARTS = {
    None: ["/", "/c/demo", "/c/demo/minutes", "/c/demo/projects", "/c/demo/concerns/public", "/s/changning"],
    "13900000001": ["/account", "/concerns", "/meetings", "/votes", "/c/demo/projects"],
    "13800000001": ["/c/demo/concerns", "/c/demo/meetings", "/c/demo/minutes", "/c/demo/projects", "/c/demo/votes"],
}
# Links not to follow: files, feeds and images (no HTML to run), live streams, and pages that act or sign out.
SKIP = ("/static/", "/live/", "/signout", "/signin", "/text-size", "/language", "/photos/", "/attachments/",
        "/close", "/print", "/export", ".json", ".csv", ".xlsx", ".atom", ".css", "/thumb", "/join", "/slips")
PER_ROLE = 60
# At most this many pages of one shape (/concerns/N…) per role, so the walk reaches every kind of page.
PER_SHAPE = 2


def _links(page, base: str) -> list[str]:
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        if not href or not href.startswith("/") or href.startswith("//"):
            continue
        path = urlsplit(href).path
        if not any(skip in path for skip in SKIP):
            found.append(path)
    return found


def test_no_payload_in_the_other_fields_runs_anywhere(planted: tuple[Server, dict[str, int]], browser: Browser) -> None:
    server, ids = planted
    deep = {None: [], "13900000001": [f"/m/{ids['meeting']}/items/{ids['item']}"],
            "13800000001": [f"/v/{ids['vote']}/proxies", f"/m/{ids['meeting']}/items/{ids['item']}"]}
    problems: list[str] = []
    visited: list[str] = []
    shown = 0
    for login, starts in STARTS.items():
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        seen = _watch(page)
        if login:
            signin(page, server.url, login)
        queue, done, shapes = [*deep[login], *starts], set(), Counter()
        while queue and len(done) < PER_ROLE:
            path = queue.pop(0)
            shape = re.sub(r"\d+", "N", path)
            if path in done or shapes[shape] >= PER_SHAPE:
                continue
            done.add(path)
            shapes[shape] += 1
            response = page.goto(server.url + path)
            assert response is not None and response.status < 500, f"{login} {path}: {response and response.status}"
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            problems += _check(page, f"{login} {path}", seen)
            shown += "{{7*7}}" in page.content() or "&lt;script&gt;" in page.content()
            queue += [link for link in _links(page, server.url) if link not in done]
        visited += [f"{login} {path}" for path in done]
        context.close()
    assert len(visited) >= 60 and shown >= 25, f"the corpus showed on {shown} of {len(visited)} pages: {visited}"
    assert not problems, "\n".join(problems)
    print(f"{len(PAYLOADS)} payloads × {len(KINDS)} more kinds of field, {len(visited)} page loads: nothing ran")
