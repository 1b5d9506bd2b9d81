"""Who sees how a flat voted (votes.disclosure), and the pseudonymised public record keeping the count."""

from __future__ import annotations

import pytest

from votes.disclosure import (
    VIEWERS,
    disclosure_of,
    named_record,
    pseudonymise,
    shows_choices,
    shows_participation,
)
from votes.record import parse_record, result_to_json, tally_record

RECORD = {
    "schema": "yishi.vote-record/1",
    "vote": {"id": "v-42", "title": "3号楼2单元加装电梯", "matter": 7},
    "settings": {"spoiled_ballots": "participate", "silent_majority": True},
    "electorate": [
        {"unit": "3-2-101", "area": "70.00", "owners": ["p1"]},
        {"unit": "3-2-102", "area": "90.00", "owners": ["p1"]},
        {"unit": "3-2-201", "area": "70.00", "owners": ["p2", "p3"], "designated_voter": "p2"},
        {"unit": "3-2-202", "area": "90.00", "owners": ["p4", "p5"]},
        {"unit": "3-2-301", "area": "70.00", "owners": ["p6"]},
        {"unit": "3-2-601", "area": "90.00", "owners": [], "developer_unsold": True},
        {"unit": "3-2-602", "area": "90.00", "owners": [], "developer_unsold": True},
    ],
    "ballots": [
        {"unit": "3-2-101", "voter": "p1", "choice": "agree", "channel": "online"},
        {"unit": "3-2-201", "voter": "p3", "choice": "oppose", "channel": "online"},
        {"unit": "3-2-202", "voter": "p4", "choice": "agree", "channel": "paper", "proxy": "x9"},
        {"unit": "3-2-601", "voter": "developer", "choice": "abstain", "channel": "paper"},
    ],
    "served": ["3-2-301"],
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_secret_vote_shows_no_flats_choice_on_any_page(viewer):
    for status in ("draft", "open", "closed"):
        assert not shows_choices("secret", status, viewer)
    assert shows_participation("secret", "open", viewer) == (viewer in ("staff", "auditor"))
    # The named record of a secret vote: only the staff who run votes, after the close.
    assert named_record("secret", "closed", viewer) == (viewer == "auditor")
    assert not named_record("secret", "open", viewer)


def test_an_open_vote_shows_choices_to_its_electorate_after_the_close_never_to_the_public():
    assert [v for v in VIEWERS if shows_choices("open", "closed", v)] == ["elector", "staff", "auditor"]
    assert not any(shows_choices("open", "open", v) for v in VIEWERS)
    assert [v for v in VIEWERS if named_record("open", "closed", v)] == ["elector", "staff", "auditor"]


def test_stored_settings_without_a_disclosure_are_secret():
    assert disclosure_of({"named_ballots": True}) == "secret"
    assert disclosure_of(None) == "secret" and disclosure_of({"disclosure": "open"}) == "open"
    assert disclosure_of({"disclosure": "anything"}) == "secret"


def test_the_pseudonymised_record_keeps_every_structure_the_count_needs():
    public = pseudonymise(RECORD, "key")
    text = repr(public)
    assert not any(label in text for label in ("3-2-", "'p1'", "x9"))
    flats = public["electorate"]
    owner_sets = [tuple(f["owners"]) for f in flats if f["owners"]]
    assert len(owner_sets) == 5 and len(set(owner_sets)) == 4  # p1's two flats stay one owner set
    co_owned = [f for f in flats if len(f["owners"]) == 2]
    assert len(co_owned) == 2
    assert sum(1 for f in flats if f.get("developer_unsold")) == 2
    assert any(b["voter"] == "developer" for b in public["ballots"])
    designated = next(f for f in flats if f.get("designated_voter"))
    assert designated["designated_voter"] in designated["owners"]
    assert len(public["served"]) == 1
    assert result_to_json(tally_record(parse_record(public))) == result_to_json(tally_record(parse_record(RECORD)))
    assert pseudonymise(RECORD, "key") == public and pseudonymise(RECORD, "other") != public
