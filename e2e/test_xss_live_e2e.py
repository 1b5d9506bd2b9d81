"""The XSS corpus again, this time arriving live: pages open on a projector, the control laptop and residents'
phones while comments, names, a hide reason, a raised hand and a ballot carrying the payloads reach them
through Server-Sent Events and htmx swaps. Any dialog, script run, CSP violation or injected element fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PHONE, PROJECTOR, Server, signin
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_deliberation_e2e import LIVE, REFETCH, new_page, setup_meeting, wait_live
from test_xss_e2e import MARK, PAYLOADS, _check, _watch

# Comments are at most 2,000 characters: the corpus goes out in a few chunks, every payload in one of them.
CHUNK = 1800


def _chunks() -> list[str]:
    chunks, current = [], ""
    for payload in PAYLOADS:
        if current and len(current) + len(payload) + 1 > CHUNK:
            chunks.append(current)
            current = ""
        current = f"{current}\n{payload}" if current else payload
    return [*chunks, current]


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[Server, int]]:
    """A server of our own: the poster's name and the open vote's texts carry payloads other tests must not see."""
    server = Server()
    try:
        server.wait_ready()
        with sqlite3.connect(Path(server.env["YISHI_DATABASE_URL"].removeprefix("sqlite:///"))) as db:
            # The name shown beside each comment and in the queue of hands.
            db.execute("UPDATE account SET display_name = ? WHERE phone = '13900000001'",
                       ("赵" + PAYLOADS[2] + PAYLOADS[37],))
            vote = db.execute("SELECT min(id) FROM vote WHERE status = 'open'").fetchone()[0]
            db.execute("UPDATE vote SET title = ?, question = ? WHERE id = ?",
                       ("票" + "".join(PAYLOADS[:12]), "".join(PAYLOADS[12:30]), vote))
        yield server, int(vote)
    finally:
        server.stop()


def _post(page: Page, path: str, form: dict[str, str]) -> None:
    """A form post as the page's own user would send it, with the page's CSRF token."""
    token = page.locator("input[name=_csrf_token]").first.get_attribute("value") or ""
    response = page.request.post(page.url.split("/m/")[0] + path, form={**form, "_csrf_token": token})
    assert response.ok, f"{path}: {response.status}"


def test_payloads_arriving_live_never_run(browser: Browser, live_server: tuple[Server, int]) -> None:
    server, vote = live_server
    base = server.url
    meeting = setup_meeting(server, "XSS 直播检查 live77")
    mid = meeting["id"]

    watched: list[tuple[str, Page, list[str]]] = []

    def watch(name: str, viewport: dict[str, int], login: str | None, path: str) -> Page:
        page = new_page(browser, viewport)
        seen = _watch(page)
        if login:
            signin(page, base, login, next_path=path)
        else:
            page.goto(base + path)
        watched.append((name, page, seen))
        return page

    projector = watch("projector", PROJECTOR, None, f"/m/{mid}/projector?key={meeting['key']}")
    control = watch("control", PROJECTOR, "13800000001", f"/m/{mid}/control")
    phone = watch("phone", PHONE, "13900000001", f"/m/{mid}")
    for page in (projector, control, phone):
        wait_live(page)

    with control.expect_navigation():  # starting the session reloads the control page
        control.get_by_role("button", name="开始会议").click()
    wait_live(control)
    # A click that lands while a control region fetches itself on connect can be lost (a known race, noted in
    # docs/architecture.md): this test is about payloads, so it makes sure the first item really started.
    for _attempt in range(3):
        try:
            with control.expect_response(lambda r: r.url.endswith("/current") and r.request.method == "POST",
                                         timeout=LIVE):
                control.get_by_role("button", name="开始第一个议题").click()
            break
        except PlaywrightTimeout:
            continue
    expect(projector.locator(".p-item-title")).to_have_text(meeting["items"][0], timeout=LIVE)
    expect(phone.locator("#now .now-title")).to_contain_text(meeting["items"][0], timeout=LIVE)
    item_path = (phone.locator("#now a.button").get_attribute("href") or "").split("#")[0]
    item = watch("phone item", PHONE, "13900000001", item_path)
    wait_live(item)

    # The resident (whose name carries payloads) raises a hand and posts the whole corpus, a chunk per comment.
    poster = new_page(browser, PHONE)
    signin(poster, base, "13900000001", next_path=item_path)
    _post(poster, f"/m/{mid}/hand", {})
    for chunk in _chunks():
        _post(poster, f"{item_path}/comments", {"position": "question", "body": chunk})
    expect(projector.locator(".p-comment-body", has_text="{{7*7}}")).to_have_count(1, timeout=LIVE)
    expect(projector.locator(".p-comment-body")).to_have_count(len(_chunks()), timeout=LIVE)
    expect(projector.locator(".p-waiting")).to_contain_text("赵", timeout=LIVE)
    expect(control.locator("#control-comments")).to_contain_text("{{7*7}}", timeout=REFETCH)
    expect(item.locator(".comments")).to_contain_text("{{7*7}}", timeout=LIVE)  # the phone reading the item

    # The facilitator hides one comment with a reason made of payloads and pins another to the projector.
    newest = control.locator("#control-comments .moderation").first
    newest.locator("input[name=reason]").fill("".join(PAYLOADS[:4])[:300])
    newest.get_by_role("button", name="隐藏").click()
    expect(control.locator("#control-comments .moderation.is-hidden")).to_have_count(1, timeout=REFETCH)
    control.locator("#control-comments .moderation").nth(1).get_by_role("button", name="置顶").click()
    expect(projector.locator(".p-comment.pinned")).to_have_count(1, timeout=LIVE)

    # A ballot moves the vote's projector board, whose title and question carry payloads.
    board = watch("vote board", PROJECTOR, None, f"/v/{vote}/board")
    figure = board.locator(f"#participation-{vote} .vfigure-number strong").first
    before = int(figure.inner_text())
    ballot = new_page(browser, PHONE)
    signin(ballot, base, "13900000001", next_path=f"/v/{vote}")
    ballot.locator("#cast label.vchoice-agree").click()
    ballot.click("#cast button[type=submit]")
    ballot.click("#cast .vconfirm-form button")
    expect(ballot.locator("#receipt-code")).to_be_visible()
    expect(figure).to_have_text(str(before + 1), timeout=LIVE)

    problems: list[str] = []
    for name, page, seen in watched:
        problems += _check(page, name, seen)
        # What arrived live is shown as typed, not interpreted.
        assert page.locator(f".{MARK}").count() == 0
    assert "&lt;script&gt;" in projector.content() or "<script>" in projector.locator("body").inner_text()
    assert not problems, "\n".join(problems)
    print(f"{len(PAYLOADS)} payloads live on {len(watched)} open pages "
          f"({len(_chunks())} comments, a name, a hide reason, a hand, a ballot): nothing ran or was injected")
    for page in [*(p for _n, p, _s in watched), poster, ballot]:
        page.context.close()
