"""The fast walk of community.canonical.normalise gives what the checked walk gives, and leaves every refusal (with
its path) to the checked walk."""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from enum import IntEnum

import pytest

from community.canonical import CanonicalError, _checked, _fast, normalise

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
