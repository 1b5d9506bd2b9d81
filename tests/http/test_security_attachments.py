"""Who may fetch a meeting attachment: those of a meeting whose notice is published (on the notice board) are
public like the notice; the others only for people who may see the meeting."""

from __future__ import annotations

import pytest
from test_deliberation_world import build_world, make_meeting
from test_security_scoping import _upload

from deliberation.minutes.tables import Publication
from deliberation.tables import Meeting


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "deliberation"


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def _publish(client, world, meeting_id: int) -> None:
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    await client.post_form("/signout")


async def test_attachments_of_a_published_notice_are_public_others_only_for_those_who_see_the_meeting(
    client, world
):
    published, published_items = await make_meeting(world, status="draft", items=("加装电梯方案",))
    draft, draft_items = await make_meeting(world, status="draft", items=("楼道堆物清理",))
    await client.signin(world.phones["facilitator"])
    public_id = await _upload(client, published, published_items[0])
    private_id = await _upload(client, draft, draft_items[0])
    await client.post_form("/signout")
    await _publish(client, world, published)
    assert await Publication.count().where(Publication.kind == "meeting_notice") == 1
    # Anyone, signed in or not, gets an attachment of a published notice (like the notice itself) ...
    for path in (f"/m/{published}/attachments/{public_id}", f"/m/{published}/attachments/{public_id}/thumb"):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg", path
    # ... but not through another meeting's address.
    assert (await client.get(f"/m/{draft}/attachments/{public_id}")).status_code in (303, 404)
    # A draft meeting's attachment: anonymous visitors are sent to sign in, and get no bytes.
    anonymous = await client.get(f"/m/{draft}/attachments/{private_id}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
    assert (await client.get(f"/m/{draft}/attachments/{private_id}/thumb")).status_code == 303
    # Another community's facilitator and a resident (drafts are for staff) get 404; staff get it.
    for who in ("other_facilitator", "owner"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{draft}/attachments/{private_id}")).status_code == 404, who
        assert (await client.get(f"/m/{published}/attachments/{public_id}")).status_code == 200, who
        await client.post_form("/signout")
    await client.signin(world.phones["recorder"])
    assert (await client.get(f"/m/{draft}/attachments/{private_id}")).status_code == 200


async def test_a_notice_without_publication_does_not_make_attachments_public(client, world):
    # make_meeting writes a notice row straight into the table, without chaining it on the notice board.
    meeting, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    attachment = await _upload(client, meeting, items[0])
    await client.post_form("/signout")
    await Meeting.update({Meeting.status: "noticed"}).where(Meeting.id == meeting)
    response = await client.get(f"/m/{meeting}/attachments/{attachment}")
    assert response.status_code == 303
