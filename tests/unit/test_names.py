"""Register names in text about to be published: found inside Chinese running text, never from one character."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from community.names import MIN_LENGTH, excerpts, find_names, matched_names, usable_names

REGISTER = ["吴国强", "王", "李 娜", "Li", "Zhang Wei", "国强"]


def test_a_chinese_name_inside_running_text_is_found():
    text = "一楼吴国强担心采光，二楼李娜同意。"
    matches = find_names(text, REGISTER)
    assert [(m.name, text[m.start : m.end]) for m in matches] == [("吴国强", "吴国强"), ("李娜", "李娜")]
    assert matched_names(matches) == ["吴国强", "李娜"]


def test_the_longer_name_wins_and_matches_never_overlap():
    matches = find_names("吴国强说", ["国强", "吴国强"])
    assert [m.name for m in matches] == ["吴国强"]
    assert [m.name for m in find_names("国强和吴国强", ["国强", "吴国强"])] == ["国强", "吴国强"]


def test_one_character_is_never_a_name():
    assert usable_names(["王", "吴", " ", ""]) == []
    assert find_names("王师傅说吴家的窗户朝南", ["王", "吴"]) == []
    assert find_names("吴说", ["吴国强"]) == []  # a fragment of a name is not the name


def test_latin_names_only_as_whole_words_ignoring_case():
    assert find_names("Likely a light issue", ["Li"]) == []
    assert [m.name for m in find_names("As li said, and ZHANG WEI agreed", REGISTER)] == ["Li", "Zhang Wei"]


def test_excerpts_show_the_name_with_its_surroundings():
    text = "会议纪要。" * 5 + "一楼吴国强担心采光" + "。" * 30
    [excerpt] = excerpts(text, find_names(text, REGISTER), width=4)
    assert (excerpt.before, excerpt.name) == ("…要。一楼", "吴国强") and excerpt.after.startswith("担心采光")


@given(st.text(alphabet="一二楼吴国强李娜王采光担心，", max_size=60))
def test_every_match_is_a_register_name_at_its_place(text):
    for match in find_names(text, REGISTER):
        assert len(match.name) >= MIN_LENGTH and text[match.start : match.end] == match.name
