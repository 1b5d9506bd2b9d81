"""Issue 17, scenario 2 (files): the files a published meeting notice announces carry their SHA-256 inside the
notice's hashed content; `yishi audit verify` names a file altered, replaced or gone, and a fingerprint or a
name changed in the database. Notices published before fingerprints stay verifiable."""

from __future__ import annotations

import hashlib
import importlib
import json

import pytest
from test_deliberation_world import build_world, make_meeting
from test_security_scoping import _upload

from deliberation.minutes import audit, notice_files
from deliberation.minutes.tables import Publication
from deliberation.tables import Attachment, Notice

PDF = b"%PDF-1.4\n% the elevator plan, page 1\n%%EOF\n"


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "deliberation"


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def upload_pdf(client, meeting_id: int, item_id: int) -> int:
    token = await client.csrf()
    response = await client.post(f"/m/{meeting_id}/items/{item_id}/attachments", data={"_csrf_token": token},
                                 files={"file": ("加装电梯方案.pdf", PDF, "application/pdf")})
    assert response.status_code == 303, response.text
    return int((await Attachment.select(Attachment.id).order_by(Attachment.id, ascending=False).first())["id"])


async def noticed_with_files(client, world) -> tuple[int, int, int, int]:
    """A draft meeting, a photo and a PDF on its first item, then its notice published: (meeting, notice, photo, pdf)."""
    meeting_id, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    photo = await _upload(client, meeting_id, items[0])
    pdf = await upload_pdf(client, meeting_id, items[0])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    await client.post_form("/signout")
    notice = (await Notice.select(Notice.id).where(Notice.meeting == meeting_id).first())["id"]
    return meeting_id, int(notice), photo, pdf


async def findings() -> list[str]:
    return (await audit.verify("xfl")).findings


async def test_the_notice_publishes_each_files_sha256_and_the_page_shows_it(client, world, upload_dir):
    meeting_id, notice, photo, pdf = await noticed_with_files(client, world)
    stored = {r["id"]: r for r in await Attachment.select()}
    assert stored[pdf]["sha256"] == hashlib.sha256(PDF).hexdigest()  # computed at upload (a PDF is kept as sent)
    row = await Publication.select(Publication.content).where(Publication.notice == notice).first()
    content = json.loads(row["content"])
    announced = content["items"][0]["attachments"]
    assert [a["id"] for a in announced] == [photo, pdf] and content["items"][1]["attachments"] == []
    for entry in announced:
        served = await client.get(entry["url"])  # anonymous: public with the notice
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == entry["sha256"] == stored[entry["id"]]["sha256"]
    # From the outside: the public chain carries the fingerprints inside what is hashed.
    chain = (await client.get("/c/xfl/chain.json")).json()
    assert chain["publications"][0]["content"]["items"][0]["attachments"] == announced
    page = (await client.get(f"/notices/{notice}")).text
    assert f'href="/m/{meeting_id}/attachments/{pdf}"' in page and "加装电梯方案.pdf" in page
    assert stored[pdf]["sha256"] in page
    assert await findings() == []


@pytest.mark.parametrize("change", ["altered", "replaced", "removed", "fingerprint", "name"])
async def test_the_audit_names_a_changed_file(client, world, upload_dir, change):
    _meeting_id, notice, _photo, pdf = await noticed_with_files(client, world)
    row = await Attachment.select().where(Attachment.id == pdf).first()
    path = upload_dir / row["stored_name"]
    if change == "altered":
        path.write_bytes(PDF.replace(b"page 1", b"page 2"))
    elif change == "replaced":
        (upload_dir / row["stored_name"]).unlink()
        path.write_bytes(b"%PDF-1.4\n% another plan altogether\n")
    elif change == "removed":
        path.unlink()
    elif change == "fingerprint":  # the database row made to agree with a forged file
        await Attachment.update({Attachment.sha256: "0" * 64}).where(Attachment.id == pdf)
    else:
        await Attachment.update({Attachment.original_name: "另一个方案.pdf"}).where(Attachment.id == pdf)
    found = await findings()
    expected = {
        "altered": "its file was altered or replaced", "replaced": "its file was altered or replaced",
        "removed": "its file is missing", "fingerprint": "its recorded SHA-256 differs from the published one",
        "name": "its name differs from the published one",
    }[change]
    assert len(found) == 1, found
    assert f"publication 1 (/notices/{notice}): attachment {pdf} (加装电梯方案.pdf): {expected}" in found[0]


async def test_a_notice_published_before_fingerprints_still_verifies_and_its_files_are_checked(
    client, world, upload_dir, monkeypatch
):
    async def as_before(meeting_id, content):  # what notices published before this change hashed
        return None

    monkeypatch.setattr(notice_files, "add_to_content", as_before)
    _meeting_id, notice, _photo, pdf = await noticed_with_files(client, world)
    content = json.loads((await Publication.select(Publication.content).where(Publication.notice == notice).first())["content"])
    assert "attachments" not in content["items"][0]
    assert await findings() == []
    row = await Attachment.select().where(Attachment.id == pdf).first()
    (upload_dir / row["stored_name"]).write_bytes(b"%PDF-1.4\n% forged\n")
    found = await findings()
    assert len(found) == 1 and f"attachment {pdf} (加装电梯方案.pdf), announced before fingerprints" in found[0]
    assert "its file was altered or replaced" in found[0]


async def test_the_migration_fills_in_the_fingerprints_of_files_already_stored(client, world, upload_dir):
    meeting_id, items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    pdf = await upload_pdf(client, meeting_id, items[0])
    photo = await _upload(client, meeting_id, items[0])
    await Attachment.update({Attachment.sha256: ""}).where(Attachment.id.is_in([pdf, photo]))  # as before the column
    (upload_dir / (await Attachment.select().where(Attachment.id == photo).first())["stored_name"]).unlink()
    migration = importlib.import_module("deliberation.piccolo_migrations.deliberation_2026_12_04t03_23_11_000000")
    await migration.backfill()
    rows = {r["id"]: r["sha256"] for r in await Attachment.select()}
    assert rows == {pdf: hashlib.sha256(PDF).hexdigest(), photo: ""}  # a missing file stays unknown

