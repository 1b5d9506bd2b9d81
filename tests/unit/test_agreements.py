"""The agreement's texts, fingerprints and progress, and the funding plan's arithmetic: pure, exact."""

from __future__ import annotations

import hashlib
from datetime import date

from votes.projects import agreements, funding
from votes.projects.agreements import AgreementFacts, Sharer, SignatureFact
from votes.projects.funding import FlatPayment, Source
from votes.projects.terms import Terms

TERMS = Terms(total=60_000_000, subsidy=20_000_000, fund=5_000_000, scheme="stairs")
SHARERS = (
    Sharer(1, "3-2-101", 1, 9000, 0, (11,)),
    Sharer(2, "3-2-201", 2, 7000, 7_000_000, (21, 22)),  # co-owned: two owners on the title
    Sharer(3, "3-2-301", 3, 9000, 14_000_000, (31,)),
    Sharer(4, "3-2-401", 4, 7000, 14_000_000, ()),  # nobody on the title in the register
)
FACTS = AgreementFacts("加装电梯", "3-2", "一号社区", 1, date(2026, 12, 1), TERMS, SHARERS)


def test_the_texts_are_deterministic_and_state_the_total_the_scheme_and_every_share():
    assert agreements.texts(FACTS) == agreements.texts(FACTS)
    zh = agreements.agreement_text(FACTS, "zh")
    en = agreements.agreement_text(FACTS, "en")
    assert "600000.00" in zh and "350000.00" in zh and "3-2-301 | 3 | 90.00 | 140000.00" in zh
    assert "3-2-101" not in zh.split("三、")[1].split("四、")[0]  # the ground floor pays nothing
    assert "floor − 1" in en and "3-2-201 | 2 | 70.00 | 70000.00" in en and "Total | | | 350000.00" in en
    sheet = agreements.no_objection_text(FACTS, "zh")
    assert "无意见签名表" in sheet and "3-2-101 | 1 | 90.00 | 0.00" in sheet
    assert agreements.fingerprint(zh) == hashlib.sha256(zh.encode()).hexdigest()
    assert set(agreements.texts(FACTS)) == {"agreement", "no_objection"}
    paying_only = AgreementFacts("加装电梯", "3-2", "一号社区", 1, date(2026, 12, 1), TERMS, SHARERS[1:])
    assert set(agreements.texts(paying_only)) == {"agreement"}


def test_the_shares_digest_changes_with_any_share_or_term():
    lines = [(s.flat_id, s.unit, s.amount) for s in SHARERS]
    digest = agreements.shares_digest(TERMS, lines)
    assert digest == agreements.shares_digest(TERMS, list(lines))
    assert digest != agreements.shares_digest(TERMS, [*lines[:-1], (4, "3-2-401", 14_000_001)])
    assert digest != agreements.shares_digest(Terms(60_000_000, 20_000_000, 5_000_000, "area"), lines)


def test_progress_counts_a_flat_once_one_owner_signed_and_completes_with_every_owner():
    none = agreements.progress(SHARERS, [])
    assert (none.agreement.flats, none.agreement.signed, none.no_objection.flats) == (3, 0, 1)
    assert none.unowned == (4,) and (2, 21) in none.missing and not none.complete
    some = agreements.progress(SHARERS, [SignatureFact(2, 21, True), SignatureFact(3, 31, False), SignatureFact(3, 99, True)])
    assert (some.agreement.signed, some.agreement.complete) == (1, 0)  # unconfirmed paper and strangers don't count
    full = [SignatureFact(1, 11, True), SignatureFact(2, 21, True), SignatureFact(2, 22, True), SignatureFact(3, 31, True)]
    done = agreements.progress(SHARERS, full)
    assert done.agreement.signed == 2 and done.agreement.complete == 2 and not done.complete  # 3-2-401 has nobody
    assert agreements.progress(SHARERS[:3], full).complete
    assert agreements.may_sign(SHARERS[1], 22) and not agreements.may_sign(SHARERS[1], 31) and not agreements.may_sign(None, 1)
    assert agreements.sharers_from_json(agreements.sharers_to_json(SHARERS)) == SHARERS


def test_funding_adds_up_to_the_fen_and_is_complete_only_when_everything_is_received():
    payments = [FlatPayment(1, 0), FlatPayment(2, 7_000_000, True, 100), FlatPayment(3, 28_000_000)]
    sources = [Source("city", 20_000_000, received=True), Source("fund", 4_999_999, received=True)]
    f = funding.figures(60_000_000, payments, sources)
    assert f.owners == 35_000_000 and f.flats == 2 and f.flats_paid == 1 and f.owners_from_fund == 100
    assert f.difference == -1 and not f.adds_up and not f.complete
    f = funding.figures(60_000_000, payments, [*sources, Source("other", 1, "捐赠", received=True)])
    assert f.adds_up and f.received == 7_000_000 + 25_000_000 and not f.complete
    paid = [FlatPayment(2, 7_000_000, True), FlatPayment(3, 28_000_000, True)]
    assert funding.figures(60_000_000, paid, [*sources, Source("other", 1, "捐赠", received=True)]).complete
    assert funding.percent(1, 3) == 33 and funding.percent(5, 0) == 0


def test_funding_forms_take_exact_yuan_and_refuse_the_rest():
    for text in ("1e5", "12.345", "-5", "abc", "0", "١٢"):
        source, errors, _values = funding.parse_source({"kind": "city", "amount": text}, 10**9)
        assert source is None and "amount" in errors, text
    source, errors, _values = funding.parse_source({"kind": "district", "amount": "¥1,234.56", "condition": "验收后"}, 10**9)
    assert source == Source("district", 123_456, "", "验收后") and not errors
    assert "amount" in funding.parse_source({"kind": "city", "amount": "1.00"}, 99)[1]
    (paid, from_fund, day), errors = funding.parse_payment({"paid": "yes", "from_fund": "10"}, 1000, date(2026, 12, 1))
    assert (paid, from_fund, day, errors) == (True, 1000, date(2026, 12, 1), {})
    assert "from_fund" in funding.parse_payment({"from_fund": "10.01"}, 1000, date(2026, 12, 1))[1]
