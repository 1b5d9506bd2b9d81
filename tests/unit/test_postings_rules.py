"""Proof of posting, pure: what a posting states and the checks on its photos (community/images.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from community import images, postings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PUBLISHED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def parse(place="3号楼门口公告栏", day="2026-12-03", at="", photos=1, published=PUBLISHED):
    return postings.parse_posting(place, day, at, photos, NOW, TZ, published)


def test_a_posting_between_the_notice_and_now():
    posting, errors = parse(at="18:30")
    assert errors == {} and posting is not None
    assert posting.posted_at == datetime(2026, 12, 3, 18, 30, tzinfo=TZ) and posting.place == "3号楼门口公告栏"
    assert parse(day="2026-12-01")[1] == {}  # the day it was published
    assert parse(day="2026-11-30")[1] == {"day": postings.BEFORE_NOTICE}  # the day before
    assert parse(day="2026-12-04", at="09:59")[1] == {}  # a minute ago
    assert parse(day="2026-12-04", at="10:01")[1] == {"day": postings.IN_FUTURE}  # in a minute
    assert parse(day="2026-12-05")[1] == {"day": postings.IN_FUTURE}
    assert parse(day="2026-12-04")[1] == {}  # today, no time given


def test_bad_input_is_named_field_by_field():
    assert parse(place="  ", day="12/3", at="25:00", photos=0)[1] == {
        "place": postings.PLACE_MISSING, "day": postings.DAY_WRONG, "time": postings.TIME_WRONG, "photos": postings.NO_PHOTO}
    assert parse(place="x" * 201)[1] == {"place": postings.PLACE_TOO_LONG}
    assert parse(place="x" * 200)[1] == {}
    assert parse(photos=postings.MAX_PHOTOS + 1)[1] == {"photos": postings.TOO_MANY}
    assert parse(photos=postings.MAX_PHOTOS)[1] == {}
    assert parse(place="公告栏\x07")[1] == {"place": postings.PLACE_MISSING}


def test_the_chain_keeps_each_photos_fingerprint_not_the_picture():
    posting, _ = parse(at="18:30")
    assert posting is not None
    content = postings.chain_content("meeting_notice", 5, "/notices/5", "业主大会", posting,
                                     [postings.PhotoFacts("ab" * 32, 1600, 1200, 4321)])
    assert content["posted_at"] == "2026-12-03T10:30:00+00:00" and content["page"] == "/notices/5"
    assert content["photos"] == [{"sha256": "ab" * 32, "width": 1600, "height": 1200, "bytes": 4321}]
    assert postings.fingerprint("abcdef0123456789" * 4) == "ABCD EF01 2345"


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_photos_are_checked_by_type_size_and_pixels_and_re_encoded():
    cleaned = images.clean(png(), 1000)
    assert cleaned.content_type == "image/png" and (cleaned.width, cleaned.height) == (40, 30) and cleaned.thumb
    assert len(cleaned.sha256) == 64
    with pytest.raises(images.UploadRefused) as refused:
        images.clean(png(), 10)
    assert "larger" in refused.value.message
    with pytest.raises(images.UploadRefused):
        images.clean(b"<html>not a photo</html>", 1000)
    with pytest.raises(images.UploadRefused) as refused:
        images.clean(b"%PDF-1.4 ...", 1000)  # documents only where they are allowed
    assert refused.value.message == images.NOT_A_PHOTO
    assert images.clean(b"%PDF-1.4 ...", 1000, documents=True).content_type == "application/pdf"
    with pytest.raises(images.UploadRefused) as refused:
        images.clean(b"", 1000)
    assert refused.value.message == images.EMPTY
    with pytest.raises(images.UploadRefused) as refused:
        images.open_image(png(100, 100), max_pixels=9999)
    assert refused.value.message == images.TOO_MANY_PIXELS
    big = images.clean(png(3000, 200), 10_000_000)
    assert (big.width, big.height) == (images.PHONE_MAX_PX, 107)
