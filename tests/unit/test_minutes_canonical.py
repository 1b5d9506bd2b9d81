"""Canonical JSON and the SHA-256 chain of publications: stable bytes, fixed digests, every kind of tampering found."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.canonical import (
    GENESIS,
    CanonicalError,
    Link,
    canonical_bytes,
    canonical_text,
    chain_hash,
    chain_hash_of_text,
    content_hash,
    envelope,
    fingerprint,
    iso,
    verify_chain,
)

CONTENT = {"title": "3号楼2单元加装电梯", "b": [1, 2, {"z": None, "a": True}], "area": "880.00", "é": "e\u0301"}
CANONICAL = '{"area":"880.00","b":[1,2,{"a":true,"z":null}],"title":"3号楼2单元加装电梯","é":"é"}'
# Fixed digests: if these change, every published hash in every database changes with them.
CONTENT_SHA256 = "83b24c8b28d786e14f17f76bbda6e2411e353ca11413d88e11e078f72deb1fb1"
CHAIN_SHA256 = "b6ec661b7f2ccb3c53d5ad8124420e2aa08ea9c76df64f48728b0a629ef222fc"
MOMENT = datetime(2026, 11, 22, 2, 3, 4, tzinfo=UTC)


def test_canonical_form_sorts_keys_drops_spaces_keeps_utf8_and_normalises_to_nfc():
    assert canonical_text(CONTENT) == CANONICAL
    assert canonical_bytes(CONTENT) == CANONICAL.encode("utf-8")
    # "é" written as e + combining accent is the same text as the precomposed letter.
    assert canonical_text({"é": "é"}) == canonical_text({"e\u0301": "e\u0301"})


def test_fixed_digests():
    assert content_hash(CONTENT) == CONTENT_SHA256
    assert hashlib.sha256(CANONICAL.encode("utf-8")).hexdigest() == CONTENT_SHA256
    assert chain_hash(7, 1, "minutes", MOMENT, GENESIS, CONTENT) == CHAIN_SHA256


@pytest.mark.parametrize("kind", ["minutes", '"content":null', 'x\\', 'a"content":null}'])
def test_the_hash_of_canonical_text_is_the_hash_of_the_envelope(kind):
    expected = hashlib.sha256(canonical_bytes(envelope(7, 2, kind, MOMENT, GENESIS, CONTENT))).hexdigest()
    assert chain_hash_of_text(7, 2, kind, MOMENT, GENESIS, canonical_text(CONTENT)) == expected
    assert chain_hash(7, 2, kind, MOMENT, GENESIS, CONTENT) == expected


def test_key_order_of_the_input_does_not_matter():
    shuffled = {"é": "é", "area": "880.00", "title": "3号楼2单元加装电梯", "b": [1, 2, {"a": True, "z": None}]}
    assert content_hash(shuffled) == CONTENT_SHA256


@pytest.mark.parametrize("bad", [{"a": 1.5}, {"a": float("nan")}, {1: "x"}, {"a": {1, 2}}, {"a": b"bytes"}])
def test_values_without_a_canonical_form_are_refused(bad):
    with pytest.raises(CanonicalError):
        canonical_text(bad)


def test_keys_that_normalise_to_the_same_text_are_refused():
    with pytest.raises(CanonicalError):
        canonical_text({"é": 1, "e\u0301": 2})


def test_timestamps_are_utc_to_the_second():
    from zoneinfo import ZoneInfo

    shanghai = datetime(2026, 11, 22, 10, 3, 4, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert iso(shanghai) == "2026-11-22T02:03:04Z"
    with pytest.raises(CanonicalError):
        iso(datetime(2026, 11, 22))


def test_fingerprint_is_twelve_hex_digits_in_groups():
    assert fingerprint(CHAIN_SHA256) == "B6EC 661B 7F2C"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_text_reads_back_to_the_same_canonical_text(value):
    try:
        text = canonical_text(value)
    except CanonicalError:
        return  # keys that collide after normalisation
    assert canonical_text(json.loads(text)) == text


def _chain(count: int) -> list[Link]:
    links = []
    previous = GENESIS
    for seq in range(1, count + 1):
        content = {"seq": seq, "title": f"第{seq}号纪要"}
        moment = MOMENT.replace(minute=seq)
        digest = chain_hash(3, seq, "minutes", moment, previous, content)
        links.append(Link(3, seq, "minutes", moment, canonical_text(content), previous, digest))
        previous = digest
    return links


def test_an_intact_chain_has_no_problems():
    assert verify_chain(_chain(4)) == []
    assert verify_chain([]) == []


def test_changed_content_is_found():
    links = _chain(3)
    links[1] = replace(links[1], content=links[1].content.replace("第2号", "第9号"))
    problems = verify_chain(links)
    assert [(p.seq, p.problem) for p in problems] == [(2, "hash_mismatch")]


def test_content_and_hash_rewritten_together_break_the_next_link():
    links = _chain(3)
    content = {"seq": 2, "title": "改过的纪要"}
    digest = chain_hash(3, 2, "minutes", links[1].published_at, links[1].previous, content)
    links[1] = replace(links[1], content=canonical_text(content), sha256=digest)
    assert [(p.seq, p.problem) for p in verify_chain(links)] == [(3, "previous_mismatch")]


def test_a_removed_publication_is_found():
    links = _chain(4)
    del links[1]
    found = {(p.seq, p.problem) for p in verify_chain(links)}
    assert (3, "sequence_gap") in found and (3, "previous_mismatch") in found


def test_a_changed_date_or_kind_is_found():
    links = _chain(2)
    assert verify_chain([links[0], replace(links[1], published_at=MOMENT)])[0].problem == "hash_mismatch"
    assert verify_chain([replace(links[0], kind="notice"), links[1]])[0].problem == "hash_mismatch"


def test_content_that_is_not_canonical_or_not_json_is_found():
    links = _chain(1)
    spaced = replace(links[0], content=json.dumps(json.loads(links[0].content), indent=1, ensure_ascii=False))
    assert [p.problem for p in verify_chain([spaced])] == ["content_not_canonical"]
    broken = replace(links[0], content="{not json")
    assert [p.problem for p in verify_chain([broken])] == ["content_unreadable"]
    with_float = replace(links[0], content='{"seq":1.5}')
    assert [p.problem for p in verify_chain([with_float])] == ["content_unreadable"]
