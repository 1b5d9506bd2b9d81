"""Child objects are reached only through their parent and its community: another meeting's item, attachment,
guest or note id changes nothing (rows and files stay) and answers 404."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from test_deliberation_world import build_world, make_meeting

from deliberation.tables import AgendaItem, Attachment, ItemNote, MeetingGuest


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "deliberation"


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def _upload(client, meeting_id: int, item_id: int) -> int:
    token = await client.csrf()
    response = await client.post(
        f"/m/{meeting_id}/items/{item_id}/attachments",
        data={"_csrf_token": token},
        files={"file": ("照片.jpg", _jpeg(), "image/jpeg")},
    )
    assert response.status_code == 303, response.text
    return int((await Attachment.select(Attachment.id).order_by(Attachment.id, ascending=False).first())["id"])


async def _snapshot(upload_dir) -> tuple:
    items = await AgendaItem.select().order_by(AgendaItem.id)
    attachments = await Attachment.select().order_by(Attachment.id)
    guests = await MeetingGuest.select().order_by(MeetingGuest.id)
    notes = await ItemNote.select().order_by(ItemNote.id)
    files = sorted(p.name for p in upload_dir.iterdir()) if upload_dir.exists() else []
    return items, attachments, guests, notes, files


async def test_another_meetings_children_are_not_reachable_and_nothing_changes(client, world, upload_dir):
    # The other community's meeting, with an attachment and a guest, made by its own facilitator.
    theirs, their_items = await make_meeting(world, status="draft", scope_kind="community",
                                             community=world.other_community, facilitator="other_facilitator",
                                             recorder=None)  # fmt: skip
    await client.signin(world.phones["other_facilitator"])
    their_attachment = await _upload(client, theirs, their_items[0])
    await client.post_form(f"/m/{theirs}/guests", {"guest_name": "陈工", "guest_role": "expert"})
    their_guest = int((await MeetingGuest.select(MeetingGuest.id).first())["id"])
    await client.post_form("/signout")
    # A meeting of our own community, where our facilitator may act.
    ours, our_items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    before = await _snapshot(upload_dir)
    assert before[4], "the upload is on disk"
    token = await client.csrf()
    attempts = [
        ("POST", f"/m/{ours}/items/{their_items[0]}/delete", {}),
        ("POST", f"/m/{ours}/items/{their_items[0]}/move", {"direction": "up"}),
        ("POST", f"/m/{ours}/items/{their_items[1]}/move", {"direction": "down"}),
        ("POST", f"/m/{ours}/items/{their_items[0]}/edit", {"title": "改了"}),
        ("POST", f"/m/{ours}/attachments/{their_attachment}/delete", {}),
        ("POST", f"/m/{ours}/guests/{their_guest}/delete", {}),
        ("GET", f"/m/{ours}/items/{their_items[0]}/edit", None),
        ("GET", f"/m/{ours}/items/{their_items[0]}", None),
        ("GET", f"/m/{ours}/attachments/{their_attachment}", None),
        ("GET", f"/m/{ours}/attachments/{their_attachment}/thumb", None),
    ]
    for method, path, data in attempts:
        if method == "POST":
            response = await client.post_form(path, data)
        else:
            response = await client.get(path)
        assert response.status_code == 404, (path, response.status_code)
    upload = await client.post(
        f"/m/{ours}/items/{their_items[0]}/attachments",
        data={"_csrf_token": token},
        files={"file": ("x.jpg", _jpeg(), "image/jpeg")},
    )
    assert upload.status_code == 404
    # Our recorder cannot write a note on their item through our meeting either.
    await client.post_form("/signout")
    await client.signin(world.phones["recorder"])
    note = await client.post_form(f"/m/{ours}/items/{their_items[0]}/notes", {"summary": "不该写入"})
    assert note.status_code == 404
    assert await _snapshot(upload_dir) == before
    # Through their own meeting, their facilitator still reaches the attachment.
    await client.post_form("/signout")
    await client.signin(world.phones["other_facilitator"])
    assert (await client.get(f"/m/{theirs}/attachments/{their_attachment}")).status_code == 200


async def test_deleting_an_own_item_removes_its_files(client, world, upload_dir):
    ours, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    await _upload(client, ours, items[0])
    stored = (await Attachment.select(Attachment.stored_name).first())["stored_name"]
    assert (upload_dir / stored).exists()
    assert (await client.post_form(f"/m/{ours}/items/{items[0]}/delete")).status_code == 303
    assert await Attachment.count() == 0 and not (upload_dir / stored).exists()
