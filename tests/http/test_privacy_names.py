"""A resident's name in text about to be published is shown before publication, with the choice to edit or
to publish anyway (confirmed, audited); nothing is published until then. Minutes and meeting notices."""

from __future__ import annotations

import re

import pytest
from test_deliberation_world import build_world as build_meeting_world
from test_deliberation_world import make_meeting
from test_minutes_http import sign, start
from test_minutes_world import build_world

from community.tables import AuditLog
from deliberation.minutes.tables import Publication
from deliberation.tables import AgendaItem, Notice


def _confirmation(page: str) -> dict[str, str]:
    names = re.search(r'name="names_confirmed" value="([^"]*)"', page)
    assert names, page
    return {"names_confirmed": names.group(1).replace("&#10;", "\n"), "names_checked": "1"}


@pytest.mark.parametrize(("language", "heading", "anyway"), [
    ("zh", "文本中有住户姓名", "仍然发布"),
    ("en", "Names of residents in the text", "Publish anyway"),
])  # fmt: skip
async def test_minutes_naming_a_resident_are_shown_before_publication(client, language, heading, anyway):
    world = await build_world()
    minutes_id = await start(client, world)
    saved = await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "一楼吴女士担心采光，王师傅同意。", "action": "save"})
    assert saved.status_code in (200, 303)
    assert await sign(client, minutes_id, "13800000102", "recorder") == 303
    assert await sign(client, minutes_id, "13800000101", "facilitator") == 303
    client.cookies.set("yishi_lang", language)
    asked = await client.post_form(f"/minutes/{minutes_id}/publish")
    assert asked.status_code == 409
    assert heading in asked.text and anyway in asked.text
    assert "一楼<mark>吴女士</mark>担心采光" in asked.text
    assert f'href="/minutes/{minutes_id}/edit"' in asked.text  # back to edit
    assert "<mark>王" not in asked.text  # a single character is no name
    assert await Publication.count() == 0
    # Without ticking the box: asked again, still nothing published.
    again = await client.post_form(f"/minutes/{minutes_id}/publish", {"names_confirmed": "吴女士"})
    assert again.status_code == 409 and await Publication.count() == 0
    # Confirmed: published, and the audit log says so with the name.
    done = await client.post_form(f"/minutes/{minutes_id}/publish", _confirmation(asked.text))
    assert done.status_code == 303, done.text
    assert await Publication.count() == 1
    entry = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "published_with_names").output(load_json=True).first()
    assert entry is not None and entry["detail"]["names"] == ["吴女士"]


async def test_minutes_without_names_publish_at_once(client):
    world = await build_world()
    minutes_id = await start(client, world)
    await client.post_form(f"/minutes/{minutes_id}/parts/summary", {"text": "一楼住户担心采光。", "action": "save"})
    assert await sign(client, minutes_id, "13800000102", "recorder") == 303
    assert await sign(client, minutes_id, "13800000101", "facilitator") == 303
    assert (await client.post_form(f"/minutes/{minutes_id}/publish")).status_code == 303
    assert await AuditLog.count().where(AuditLog.action == "published_with_names") == 0


async def test_a_meeting_notice_naming_a_resident_asks_first(client, make_account):
    world = await build_meeting_world(make_account)
    meeting_id, items = await make_meeting(world, status="draft")
    await AgendaItem.update({AgendaItem.description: "赵业主提出：车棚太暗。"}).where(AgendaItem.id == items[0])
    await client.signin(world.phones["facilitator"])
    asked = await client.post_form(f"/m/{meeting_id}/notice")
    assert asked.status_code == 409 and "<mark>赵业主</mark>提出" in asked.text
    assert await Notice.count() == 0
    assert f'href="/m/{meeting_id}/manage#agenda"' in asked.text
    done = await client.post_form(f"/m/{meeting_id}/notice", _confirmation(asked.text))
    assert done.status_code == 303 and await Notice.count() == 1
    assert await AuditLog.count().where(AuditLog.action == "published_with_names") == 1
