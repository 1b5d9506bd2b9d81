"""Every page of a community links to its street (/s/{slug}): walked over the app's whole route table, so a new
community page without the link fails here."""

from __future__ import annotations

from test_no_5xx import PARAM, _base, _own, get_routes

from app.demo import DEMO_PASSWORD, load_demo
from community.tables import Community

# Pages that belong to no one community: the site, accounts, the street itself, set-up and administration.
NOT_A_COMMUNITY_PAGE = ("/", "/account", "/admin", "/signin", "/setup", "/join", "/activate", "/s/", "/live/",
                        "/static/", "/healthz", "/readyz", "/_bench", "/test-only", "/meetings", "/votes", "/concerns",
                        "/roster", "/text-size", "/language", "/group", "/my-path", "/some-path", "{file_path")


def _community_page(template: str) -> bool:
    return not any(template == p or (p != "/" and template.startswith(p + ("" if p.endswith("/") else "/")))
                   or template == p for p in NOT_A_COMMUNITY_PAGE) or template.startswith(("/concerns/", "/votes/"))


async def test_every_community_page_links_to_its_street(client) -> None:
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    await client.signin("13800000001", DEMO_PASSWORD)
    app = client._transport.app  # type: ignore[attr-defined]
    missing, checked = [], 0
    for template in get_routes(app):
        if not _community_page(template):
            continue
        path = PARAM.sub(lambda m: _base(template, own)[m.group(1)], template)
        response = await client.get(path)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        if "<html" not in response.text[:400].lower():
            continue  # a fragment, swapped into a page that carries the link
        if template.endswith(("/projector", "/screen")):
            continue  # a screen for the room, not a page one reads and follows links on
        checked += 1
        if 'href="/s/changning"' not in response.text:
            missing.append(path)
    assert checked > 40, checked
    assert not missing, "pages without the street link:\n" + "\n".join(missing)


async def test_the_streets_recent_publications_say_what_each_one_is(client) -> None:
    """The street lists publications of every kind together: a project's notice, a step of its works and a
    vote's result share a title, so each says what it is, in the visitor's language."""
    import re

    from community import i18n
    from community.publications import KIND_LABELS
    from deliberation.minutes.tables import Publication

    await load_demo()
    kinds = {str(r["kind"]) for r in await Publication.select(Publication.kind)}
    assert {"project_notice", "works_milestone", "vote_final", "minutes"} <= kinds and kinds <= set(KIND_LABELS)
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        with i18n.language(language):
            labels = {i18n.gettext(label) for label in KIND_LABELS.values()}
        page = (await client.get("/s/changning")).text
        listed = page.split('id="h-publications"', 1)[1].split("</ul>", 1)[0]
        items = re.findall(r"<li>(.*?)</li>", listed, flags=re.S)
        shown = [re.search(r'<span class="tag">([^<]*)</span>', item) for item in items]
        assert items and all(shown), listed  # every publication listed says what it is
        assert {m.group(1) for m in shown if m} <= labels and len({m.group(1) for m in shown if m}) >= 3, language
