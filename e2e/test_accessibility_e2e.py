"""Accessibility: axe-core (vendored under e2e/vendor, never loaded from another host) over every page family,
in Chinese and English, at phone and projector sizes, as the public, a resident and the facilitator.
No serious or critical violation may remain."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PHONE, PROJECTOR, Server, signin
from playwright.sync_api import Browser, expect
from test_deliberation_e2e import setup_meeting

AXE = (Path(__file__).parent / "vendor" / "axe-4.10.3.min.js").read_text(encoding="utf-8")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async ([tags, residents]) => {
  // Residents' pages also meet AAA contrast (7:1) for their text.
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                                          rules: {'color-contrast-enhanced': {enabled: residents}}});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')),
  }));
}"""


@pytest.fixture(scope="module")
def audited() -> Iterator[tuple[Server, dict[str, int | str]]]:
    server = Server()
    try:
        server.wait_ready()
        with sqlite3.connect(Path(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///"))) as db:
            def first(sql: str) -> int:
                row = db.execute(sql).fetchone()
                assert row and row[0] is not None, sql
                return int(row[0])

            meeting = first("SELECT min(id) FROM meeting")
            ids: dict[str, int | str] = {
                "meeting": meeting,
                "item": first(f"SELECT min(id) FROM agenda_item WHERE meeting = {meeting}"),
                "vote": first("SELECT min(id) FROM vote WHERE status = 'open'"),
                "closed": first("SELECT min(id) FROM vote WHERE status = 'closed'"),
                "project": first("SELECT min(id) FROM project"),
                "minutes": first("SELECT min(id) FROM minutes WHERE status = 'published'"),
                "concern": first("SELECT min(id) FROM concern"),
                "building": first("SELECT min(id) FROM building"),
                "flat": first("SELECT min(id) FROM flat"),
                "notice": first("SELECT min(id) FROM meeting_notice"),
            }
        # A noticed bench consultation of the resident's own building, with its agenda.
        own = setup_meeting(server, "无障碍检查 a11y01")
        ids["own_meeting"] = own["id"]
        with sqlite3.connect(Path(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///"))) as db:
            ids["own_item"] = db.execute("SELECT min(id) FROM agenda_item WHERE meeting = ?", (own["id"],)).fetchone()[0]
        yield server, ids
    finally:
        server.stop()


def _pages(ids: dict[str, int | str]) -> dict[str | None, list[str]]:
    m, i, v, c, p = ids["meeting"], ids["item"], ids["vote"], ids["closed"], ids["project"]
    return {
        None: ["/", "/signin", "/join", "/c/demo", "/c/demo/minutes", f"/minutes/{ids['minutes']}",
               f"/notices/{ids['notice']}", f"/v/{c}/result", f"/v/{v}/board", f"/p/{p}", "/s/changning",
               "/c/demo/concerns/public", "/c/demo/concerns/figures", f"/v/{v}/receipt", f"/v/{v}/share"],
        "13900000001": ["/account", "/account/flats", "/account/security", "/meetings", "/votes", "/roster",
                        f"/m/{ids['own_meeting']}", f"/m/{ids['own_meeting']}/items/{ids['own_item']}", f"/v/{v}", "/concerns", "/c/demo/concerns/new", "/c/demo/concerns/new#submit"],
        "13800000001": [f"/m/{m}/control", f"/m/{m}/projector", f"/m/{m}/manage", f"/m/{m}/attendance",
                        f"/m/{m}/edit", f"/m/{m}/notes", f"/m/{m}/items/{i}/edit", "/c/demo/meetings", "/c/demo/meetings/new",
                        f"/v/{v}/manage", f"/v/{v}/paper", f"/v/{v}/proxies", f"/v/{v}/edit", f"/v/{v}/canvass",
                        f"/v/{v}/canvass/sheet", f"/v/{v}/reminders/slips",
                        "/c/demo/votes", "/c/demo/votes/new", "/c/demo/votes/new#submit", "/c/demo/meetings/new#submit", "/c/demo/votes/settings", "/c/demo/roster",
                        f"/c/demo/roster/buildings/{ids['building']}", f"/c/demo/roster/flats/{ids['flat']}",
                        "/c/demo/roster/import", "/c/demo/roster/slips", "/c/demo/roster/not-joined",
                        "/c/demo/staff", "/c/demo/roles", "/c/demo/venues", "/c/demo/procedure", "/c/demo/audit",
                        "/c/demo/concerns", f"/concerns/{ids['concern']}", "/c/demo/projects",
                        "/c/demo/projects/new", f"/p/{p}/edit", f"/p/{p}/terms", f"/p/{p}/visit", f"/p/{p}/screen"],
        "admin": ["/admin", "/admin/communities/demo"],
    }


@pytest.mark.parametrize(("language", "size", "text_size"),
                         [("zh-CN", PHONE, "normal"), ("en", PHONE, "normal"), ("zh-CN", PROJECTOR, "normal"),
                          ("en", PROJECTOR, "normal"), ("zh-CN", PHONE, "large")],
                         ids=["zh-phone", "en-phone", "zh-projector", "en-projector", "zh-phone-large-text"])
def test_no_serious_accessibility_violation(browser: Browser, audited, language: str, size: dict[str, int],
                                            text_size: str) -> None:
    server, ids = audited
    found: list[str] = []
    audited_pages = 0
    pages = _pages(ids)
    if (language, size) in (("en", PHONE), ("zh-CN", PROJECTOR)):
        # Staff pages are audited in full in Chinese on a phone and in English on the projector (and in large
        # text); these two variants cover what the public and residents read, to keep the suite short.
        pages = {login: paths for login, paths in pages.items() if login in (None, "13900000001")}
    for login, paths in pages.items():
        # bypass_csp: the pages forbid inline scripts, and axe is injected as one.
        context = browser.new_context(viewport=size, locale=language, bypass_csp=True)
        if language == "en":
            context.add_cookies([{"name": "yishi_lang", "value": "en", "url": server.url}])
        context.add_cookies([{"name": "yishi_text", "value": text_size, "url": server.url}])
        page = context.new_page()
        if login:
            signin(page, server.url, login)
        for path in paths:
            response = page.goto(server.url + path.removesuffix("#submit"))
            if path.endswith("#submit"):  # the same form sent empty: its errors must reach assistive technology too
                page.locator("main form.form button[type=submit]").last.click()
                page.locator("[aria-invalid=true]").first.wait_for()
            if response is None or response.status >= 400:
                found.append(f"{path}: answered {response and response.status}")
                continue
            page.add_script_tag(content=AXE)
            for violation in page.evaluate(RUN_AXE, [RULES, login in (None, "13900000001")]):
                found.append(f"{path} [{violation['impact']}] {violation['id']}: {violation['help']}\n    "
                             + "\n    ".join(violation["nodes"]))
            audited_pages += 1
        context.close()
    print(f"axe-core over {audited_pages} pages ({language}, {size['width']}×{size['height']}, {text_size} text): "
          f"{len(found)} serious or critical violations")
    assert not found, "\n".join(found)


NARROW = {"width": 320, "height": 640}
SMALLEST_TEXT = """() => {
  // The smallest text a resident reads: visible text nodes, their computed size (hidden helpers excluded).
  let smallest = 99, where = '';
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length || el.closest('.visually-hidden, svg')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < smallest) { smallest = size; where = el.tagName.toLowerCase() + '.' + el.className + ': ' + node.textContent.trim().slice(0, 30); }
  }
  return [smallest, where];
}"""


SMALL_TARGETS = """() => { const out = [];
  document.querySelectorAll('main a[href], main button, main summary, main label:has(input), header a, header button').forEach(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('.visually-hidden')) return;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') {
      // A link inside running text is exempt (WCAG 2.5.5): its paragraph has words besides the link.
      const rest = (el.parentElement.textContent || '').replace(el.textContent, '').trim();
      if (rest) return;
    }
    if (r.height < 43.5 || r.width < 43.5) out.push(el.tagName.toLowerCase() + ' ' + Math.round(r.width) + '×' + Math.round(r.height) + ' ' + (el.textContent || '').trim().slice(0, 20));
  }); return out; }"""


@pytest.mark.parametrize("text_size", ["normal", "large"])
def test_nothing_scrolls_sideways_at_320_px_and_no_text_is_small(browser: Browser, audited, text_size: str) -> None:
    """At 320 px (a small phone, or 200 % zoom on a 640 px one) no page scrolls sideways, in standard and in
    large text; on residents' pages no text is below 16 px (21 px in large text, whose base is 24 px) and whatever
    they tap is at least 44 × 44 px."""
    server, ids = audited
    found: list[str] = []
    pages = _pages(ids)
    resident = set(pages[None]) | set(pages["13900000001"])
    for login, paths in pages.items():
        context = browser.new_context(viewport=NARROW, locale="zh-CN")
        context.add_cookies([{"name": "yishi_text", "value": text_size, "url": server.url}])
        page = context.new_page()
        if login:
            signin(page, server.url, login)
        for path in paths:
            if path.endswith("#submit") or "projector" in path or path.endswith("/screen") or path.endswith("/board"):
                continue  # projector pages are made for a wide screen
            page.goto(server.url + path)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > NARROW["width"]:
                found.append(f"{path}: {wide} px wide")
            if path in resident:
                smallest, where = page.evaluate(SMALLEST_TEXT)
                if smallest < (21 if text_size == "large" else 16) * 0.999:
                    found.append(f"{path}: text of {smallest} px ({where})")
                found += [f"{path}: a target of {small}, under 44 × 44 px" for small in page.evaluate(SMALL_TARGETS)]
        context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_the_ballot_is_on_a_phones_first_screen(browser: Browser, audited, language: str) -> None:
    """On a 390 × 844 phone the owner sees the question, her share and every choice without scrolling, in
    Chinese and in English (the header keeps to two short rows; signing out is on "My account")."""
    server, ids = audited
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    signin(page, server.url, "13900000001")
    page.goto(f"{server.url}/v/{ids['vote']}")
    choices = page.locator("input[name=choice]")
    expect(choices.first).to_be_attached()
    bottoms = [page.evaluate("e => (e.closest('label') || e).getBoundingClientRect().bottom", handle)
               for handle in choices.element_handles()]
    assert len(bottoms) >= 3 and max(bottoms) <= PHONE["height"], bottoms
    page.goto(f"{server.url}/account")
    page.click("#account-signout button")
    expect(page.locator(".site-nav")).to_contain_text("登录" if language == "zh-CN" else "Sign in")
    context.close()
