"""The works and running costs, pure: milestones in their order with their dates, complaints, the running-cost
plan, entries and the yearly ledger's shares (exact to the fen)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votes.projects import upkeep, works
from votes.projects.terms import ShareFlat, Terms, share_table

TODAY = date(2026, 12, 4)


def reached_up_to(kind: str, day: date = date(2026, 6, 1)) -> dict[str, date]:
    """Every milestone before `kind` in the works' order, all on `day`."""
    return {k: day for k in works.MILESTONES[: works.MILESTONES.index(kind)]}


def check(kind: str, day: date | None, reached: dict[str, date], passed: bool = True, approved: bool = True) -> dict[str, str]:
    return works.check_milestone(kind, day, "", reached, TODAY, passed, approved)


def test_every_milestone_depends_only_on_earlier_ones_and_the_first_two_on_nothing():
    for kind, needs in works.DEPENDS_ON.items():
        assert all(works.MILESTONES.index(d) < works.MILESTONES.index(kind) for d in needs)
    assert works.available({}) == ("design", "pipeline_survey")
    assert set(works.DEPENDS_ON) == set(works.MILESTONES) == set(works.MILESTONE_LABELS)


def test_a_milestone_cannot_precede_the_one_it_depends_on():
    assert check("joint_review", TODAY, {"design": TODAY}) == {"kind": works.TOO_EARLY}  # the survey is missing
    assert check("joint_review", TODAY, {"design": TODAY, "pipeline_survey": TODAY}) == {}
    assert check("in_operation", TODAY, reached_up_to("registration")) == {"kind": works.TOO_EARLY}
    assert check("in_operation", TODAY, reached_up_to("in_operation")) == {}
    # Design and the survey do not wait for each other.
    assert check("pipeline_survey", TODAY, {}) == {} and check("design", TODAY, {"pipeline_survey": TODAY}) == {}


def test_dates_never_before_the_step_depended_on_nor_in_the_future():
    before = {"design": date(2026, 5, 10), "pipeline_survey": date(2026, 5, 12)}
    assert check("joint_review", date(2026, 5, 12), before) == {}  # the same day as the later dependency
    assert check("joint_review", date(2026, 5, 11), before) == {"day": works.BEFORE_DEPENDENCY}  # a day before it
    assert check("design", TODAY, {}) == {}  # today
    assert check("design", TODAY + timedelta(days=1), {}) == {"day": works.IN_FUTURE}  # tomorrow
    assert check("design", None, {}) == {"day": works.DAY_WRONG}


def test_construction_starts_only_once_the_project_is_approved_and_nothing_before_a_pass():
    ready = reached_up_to("construction_start")
    assert check("construction_start", TODAY, ready, approved=False) == {"kind": works.NOT_APPROVED}
    assert check("contract_signed", TODAY, reached_up_to("contract_signed"), approved=False) == {}
    assert check("design", TODAY, {}, passed=False) == {"kind": works.NOT_PASSED}
    assert check("design", TODAY, {"design": TODAY}) == {"kind": works.ALREADY}
    assert check("nonsense", TODAY, {}) == {"kind": works.NOT_A_STEP}
    assert works.check_milestone("design", TODAY, "x" * 2001, {}, TODAY, True, True) == {"note": works.NOTE_TOO_LONG}
    assert works.check_milestone("design", TODAY, "x" * 2000, {}, TODAY, True, True) == {}


@given(st.lists(st.sampled_from(works.MILESTONES), max_size=20))
def test_recording_what_is_available_always_keeps_the_order(picks):
    reached: dict[str, date] = {}
    day = date(2026, 1, 1)
    for kind in picks:
        if kind in works.available(reached):
            assert check(kind, day, reached) == {}
            reached[kind] = day
            day += timedelta(days=1)
    for kind in reached:
        assert all(d in reached and reached[d] <= reached[kind] for d in works.DEPENDS_ON[kind])


def test_complaints_are_open_online_while_construction_runs():
    assert not works.works_running(reached_up_to("construction_start"))
    assert works.works_running(reached_up_to("construction_complete"))
    assert works.works_running(reached_up_to("in_operation"))
    assert not works.works_running(reached_up_to("in_operation") | {"in_operation": TODAY})
    assert works.check_complaint("", []) == {"text": works.COMPLAINT_MISSING, "affects": works.AFFECTS_MISSING}
    assert works.check_complaint("太吵", ["noise", "bogus"]) == {"affects": works.AFFECTS_MISSING}
    assert works.check_complaint("x" * 4001, ["noise"]) == {"text": works.COMPLAINT_TOO_LONG}
    assert works.check_complaint("夜里施工太吵", ["noise", "access"]) == {}


def test_the_chain_keeps_the_step_and_each_files_fingerprint_and_no_path_in_a_name():
    content = works.milestone_content(7, "3-2 加装电梯", "3-2", "design", date(2026, 5, 1), "设计图",
                                      [works.FileFacts("图纸.pdf", "application/pdf", "ab" * 32, 1234)])
    assert content["page"] == "/p/7/notice" and content["milestone"] == "design" and content["reached_on"] == "2026-05-01"
    assert content["files"] == [{"name": "图纸.pdf", "content_type": "application/pdf", "sha256": "ab" * 32, "bytes": 1234}]
    assert works.clean_file_name("C:\\Users\\x\\..\\设计\u202e.pdf") == "设计.pdf"
    assert works.clean_file_name("../../etc/passwd") == "passwd"


# --- Running costs ---------------------------------------------------------------------------------------------


def test_the_plan_parses_exact_amounts_and_refuses_what_is_wrong():
    plan, errors = upkeep.parse_plan({"contractor": " 某某电梯  维保公司 ", "contract_from": "2027-01-01",
                                      "contract_to": "2029-12-31", "yearly_cost": "12,000.50", "scheme": "same"}, [1, 2])
    assert errors == {} and plan.yearly_cost == 1_200_050 and plan.contractor == "某某电梯 维保公司"
    _plan, errors = upkeep.parse_plan({"contract_from": "2027-01-02", "contract_to": "2027-01-01", "yearly_cost": "1.234",
                                       "scheme": "nonsense"}, [1])
    assert errors == {"contract_to": upkeep.ENDS_BEFORE, "yearly_cost": upkeep.AMOUNT_WRONG, "scheme": upkeep.SCHEME_WRONG}
    plan, errors = upkeep.parse_plan({"scheme": "custom", "coef_1": "0", "coef_2": "x"}, [1, 2])
    assert errors == {"coef_2": upkeep.COEFFICIENT_WRONG} and plan.coefficients == {1: Decimal(0)}


def test_entries_are_above_zero_dated_no_later_than_today_and_not_in_a_published_year():
    entry, errors = upkeep.parse_entry({"paid_on": "2026-03-31", "item": "一季度维保费", "amount": "1500"}, TODAY, [])
    assert errors == {} and entry == upkeep.Entry(date(2026, 3, 31), "一季度维保费", 150_000)
    assert upkeep.parse_entry({"paid_on": "2026-12-05", "item": "x", "amount": "1"}, TODAY, [])[1] == {"paid_on": upkeep.IN_FUTURE}
    assert upkeep.parse_entry({"paid_on": "2026-12-04", "item": "x", "amount": "0.01"}, TODAY, [])[1] == {}
    assert upkeep.parse_entry({"paid_on": "2025-06-01", "item": "x", "amount": "1"}, TODAY, [2025])[1] == {"paid_on": upkeep.YEAR_PUBLISHED}
    assert upkeep.parse_entry({"paid_on": "x", "item": "", "amount": "0"}, TODAY, [])[1] == {
        "paid_on": upkeep.DAY_WRONG, "item": upkeep.ITEM_MISSING, "amount": upkeep.AMOUNT_ZERO}
    assert upkeep.parse_entry({"paid_on": "2026-01-01", "item": "x", "amount": "-5"}, TODAY, [])[1] == {"amount": upkeep.AMOUNT_WRONG}


FLATS = [ShareFlat(i, f"3-2-{f}0{n}", f, a) for i, (f, n, a) in enumerate(
    [(f, n, 9000 if n == 1 else 7000) for f in range(1, 7) for n in (1, 2)], start=1)]


@pytest.mark.parametrize("scheme", ["same", "area", "stairs", "guangzhou"])
@given(total=st.integers(min_value=1, max_value=10_000_000))
def test_a_years_costs_are_shared_exactly_to_the_fen(scheme, total):
    works_terms = Terms(total=60_000_000, subsidy=20_000_000, scheme="guangzhou", fixed={1: 100})
    terms = upkeep.sharing_terms(upkeep.Plan(scheme=scheme), works_terms, total)
    assert terms.fixed == {} and terms.subsidy == 0  # the works' fixed amounts and subsidy are not carried over
    assert terms.scheme == ("guangzhou" if scheme == "same" else scheme)
    table = share_table(terms, FLATS)
    assert sum(line.amount for line in table.lines) == total


def test_the_ledger_lists_every_cost_and_every_flats_share():
    entries = [upkeep.Entry(date(2026, 3, 31), "维保费", 150_000), upkeep.Entry(date(2026, 6, 30), "电费", 33_333)]
    terms = upkeep.sharing_terms(upkeep.Plan(scheme="area"), Terms(), 183_333)
    table = share_table(terms, FLATS)
    content = upkeep.ledger_content(7, "3-2 加装电梯", "3-2", 2026, entries, terms, table)
    assert content["total"] == "1833.33" and content["year"] == 2026 and len(content["shares"]) == 12
    assert sum(Decimal(v) for v in content["shares"].values()) == Decimal("1833.33")
    assert content["entries"][1] == {"paid_on": "2026-06-30", "item": "电费", "amount": "333.33"}


def test_the_kinds_of_publication_fit_the_chains_column():
    from community import postings

    for kind in (works.PUBLICATION_KIND, upkeep.PUBLICATION_KIND, postings.PUBLICATION_KIND):
        assert len(kind) <= 16  # Publication.kind is Varchar(16): PostgreSQL refuses anything longer
