"""The building diagram: layout, what may be shown under which ballots, and its text alternatives."""

from __future__ import annotations

import re
from fractions import Fraction

from community import i18n
from votes.projects.diagram import (
    SYMBOLS,
    Bar,
    DiagramFlat,
    build_diagram,
    cell_state,
    choose_mode,
    visit_list,
)
from votes.projects.views import render


def flats(participated: dict[str, bool] | None = None, choices: dict[str, str] | None = None) -> list[DiagramFlat]:
    """3-2: floors 1–3, rooms x01 and x02; 101's garden is occupied by the works."""
    result = []
    for floor in (1, 2, 3):
        for n in (1, 2):
            room = f"{floor}{n:02d}"
            unit = f"3-2-{room}"
            result.append(
                DiagramFlat(
                    unit, room, floor,
                    participated=None if participated is None else participated.get(unit, False),
                    choice=(choices or {}).get(unit),
                    consent="pending" if unit == "3-2-101" else None,
                )
            )  # fmt: skip
    return result


BARS = (
    Bar("participation_headcount", 4, 6, Fraction(2, 3), False, 0),
    Bar("participation_area", 300, 600, Fraction(2, 3), False, 100),
)


def test_layout_puts_the_top_floor_first_and_rooms_in_order():
    diagram = build_diagram(flats(), BARS, "not_open")
    assert [row.floor for row in diagram.rows] == [3, 2, 1]
    first_row = [c.flat.room for c in diagram.cells if c.y == diagram.rows[0].y]
    assert first_row == ["301", "302"]
    assert diagram.cells[0].x < diagram.cells[1].x
    assert diagram.width > diagram.building_width and diagram.height > diagram.building_height
    assert {c.state for c in diagram.cells} == {"not_open"}


def test_bars_know_their_threshold_including_the_boundary():
    assert Bar("participation_headcount", 4, 6, Fraction(2, 3), False).reached  # exactly two thirds passes
    assert not Bar("approval_headcount", 3, 6, Fraction(1, 2), True).reached  # exactly half is not "more than half"
    assert Bar("approval_area", 3, 4, Fraction(3, 4), False).reached
    assert not Bar("participation_area", 0, 0, Fraction(2, 3), False).reached  # nobody: never divide by zero
    placed = build_diagram(flats(), BARS, "participation").bars
    assert placed[0].fill == placed[0].marker  # 4 of 6 reaches the two-thirds line exactly


def test_secret_ballots_never_show_choices_and_anonymous_ones_not_even_participation():
    voted = {"3-2-101": True, "3-2-301": True}
    chose = {"3-2-101": "oppose", "3-2-301": "agree"}
    # A secret vote: owners and the public never see a flat's ballot; staff see only who has voted.
    for status in ("open", "closed"):
        assert choose_mode(status, "secret", "public") == "hidden"
        assert choose_mode(status, "secret", "elector") == "hidden"
        assert choose_mode(status, "secret", "staff") == "participation"
        assert choose_mode(status, "secret", "auditor") == "participation"
    # An open vote: choices to its owners and staff after the close only; the public (a projector) never.
    assert choose_mode("open", "open", "elector") == "hidden"
    assert choose_mode("closed", "open", "elector") == "choices"
    assert choose_mode("closed", "open", "staff") == "choices"
    assert choose_mode("closed", "open", "public") == "hidden"
    assert choose_mode("draft", "open", "staff") == "not_open"
    hidden = build_diagram(flats(voted, chose), BARS, "hidden")
    assert {c.state for c in hidden.cells} == {"hidden"}
    participation = build_diagram(flats(voted, chose), BARS, "participation")
    assert {c.flat.unit: c.state for c in participation.cells}["3-2-101"] == "voted"
    assert "agree" not in participation.counts and "oppose" not in participation.counts
    assert participation.rows[0].voted == 1  # floor 3: one of two
    shown = build_diagram(flats(voted, chose), BARS, "choices")
    assert {c.flat.unit: c.state for c in shown.cells}["3-2-101"] == "oppose"


def test_every_state_has_a_symbol_or_pattern_besides_its_colour():
    assert all(SYMBOLS[state] for state in ("agree", "oppose", "abstain", "spoiled", "voted", "not_voted", "hidden"))
    assert len({SYMBOLS[s] for s in ("agree", "oppose", "abstain", "spoiled")}) == 4
    assert cell_state(DiagramFlat("u", "1", 1, participated=None), "participation") == "hidden"


def test_visit_list_is_non_voters_and_missing_consents_by_floor_from_the_top():
    listed = visit_list(flats({"3-2-101": True, "3-2-102": True, "3-2-301": True}))
    assert [(floor, [f.unit for f in group]) for floor, group in listed] == [
        (3, ["3-2-302"]), (2, ["3-2-201", "3-2-202"]), (1, ["3-2-101"]),
    ]  # fmt: skip


def test_text_alternatives_title_description_and_table_say_what_the_colours_say():
    diagram = build_diagram(flats({"3-2-101": True, "3-2-201": True, "3-2-301": True, "3-2-302": True}), BARS, "participation")
    project = {"id": 7, "scope_label": "3-2"}
    info = type("Info", (), {"current": None})()
    i18n.set_language("en")
    try:
        html = render("projects/_diagram.html", project=project, info=info, diagram=diagram, big=False)
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="pd-7-title pd-7-desc"' in svg
    title = re.search(r"<title id=\"pd-7-title\">(.*?)</title>", svg).group(1)
    assert title == "Building diagram of 3-2"
    desc = re.search(r"<desc id=\"pd-7-desc\">(.*?)</desc>", svg, re.S).group(1)
    assert "3 floors, 6 flats." in desc and "Took part: 4." in desc and "Not voted yet: 2." in desc
    assert "Works occupy the flat · Consent pending: 1." in desc
    assert "Taking part, by headcount: 4 / 6 (66.67%); needs at least 2/3: reached." in desc
    assert "not yet, 1.00 m² more needed" in desc
    # Each flat says its state in words, in the SVG and in a table for screen readers.
    assert "<title>3-2-101: Took part · Works occupy the flat: Consent pending</title>" in svg
    table = html[html.index("<table") :]
    assert "<caption>Flats of 3-2 by floor</caption>" in table
    assert re.search(r"<th scope=\"row\">3-2-102</th><td>Not voted yet</td>", table)
    # The legend repeats every state with its count, in words.
    assert "Took part: 4" in html and "Not voted yet: 2" in html
