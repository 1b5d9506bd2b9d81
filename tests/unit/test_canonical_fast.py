"""The fast walk of community.canonical.normalise gives what the checked walk gives, and leaves every refusal (with
its path) to the checked walk; canonical_text's shortcut for plain values gives what the walks give."""

from __future__ import annotations

import json
import unicodedata
from collections import OrderedDict
from enum import IntEnum

import pytest

from community.canonical import CanonicalError, _checked, _fast, _plain, canonical_text, normalise

DECOMPOSED = unicodedata.normalize("NFD", "é")


class Level(IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, True, None, "x", {"b": (2, 3)}], DECOMPOSED: DECOMPOSED},
        [{"unit": "3-2-101", "owners": ["r1", "r2"], "area": "70.00"}] * 3,
        OrderedDict(z=Level.HIGH, a="b"),
        ("tuple", ["in", "a", "tuple"]),
    ],
)
def test_the_fast_walk_agrees_with_the_checked_one(value):
    assert normalise(value) == _checked(value, "content")


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"votes": [{"share": 0.5}]}, "content.votes[0].share"),
        ({"x": {1: "a"}}, "content.x"),
        ({"x": [b"bytes"]}, "content.x[0]"),
        ({DECOMPOSED: 1, "é": 2}, "content"),
    ],
)
def test_refusals_name_where(value, where):
    with pytest.raises(CanonicalError) as refused:
        normalise(value)
    assert str(refused.value).startswith(where + ":")


def test_a_dict_subclass_takes_the_fast_walk(monkeypatch):
    from piccolo.utils.encoding import JSONDict

    import community.canonical as canonical

    def no_checked(value, where):
        raise AssertionError(f"checked walk at {where}")

    monkeypatch.setattr(canonical, "_checked", no_checked)
    assert normalise(JSONDict({"a": [1, "x"]})) == {"a": [1, "x"]}


def test_a_normalised_string_comes_back_composed():
    assert _fast(DECOMPOSED) == "é"


class Reordered(dict):
    """A dict subclass that reads its items its own way: the shortcut must not trust it."""

    def items(self):
        return reversed(list(super().items()))


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"unit": "3-2-101", "owners": ["r1", "r2"], "n": [1, True, None], "t": ("a", 2)}, True),
        ({"a": "\n" + "\u0301", "b": ["x\\\u0301", '"\u0301']}, True),  # NFC strings whose escapes are not
        ({"a": DECOMPOSED, DECOMPOSED: [DECOMPOSED]}, True),
        ({"a": Level.HIGH}, False),
        (Reordered(z=1, a=2), False),
        ([OrderedDict(b=1, a="x")], False),
    ],
)
def test_the_shortcut_for_plain_values_gives_the_walks_text(value, plain):
    assert _plain(value) is plain
    assert canonical_text(value) == json.dumps(_checked(value, "content"), ensure_ascii=False, sort_keys=True,
                                               separators=(",", ":"))  # fmt: skip


def test_a_piccolo_json_dict_is_plain():
    from piccolo.utils.encoding import JSONDict

    assert _plain({"result": JSONDict({"outcome": "passed"})})


@pytest.mark.parametrize("bad", [{"a": [1.5]}, {1: "x"}, {"a": {1, 2}}, {DECOMPOSED: 1, "é": 2}])
def test_the_shortcut_leaves_refusals_to_the_walk(bad):
    with pytest.raises(CanonicalError):
        canonical_text(bad)


def test_a_cycle_is_refused_as_before():
    value: dict[str, object] = {}
    value["self"] = value
    with pytest.raises(RecursionError):
        canonical_text(value)
