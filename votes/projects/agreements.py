"""The cost-sharing agreement (协议书) and the no-objection sheet (无意见签名表): texts, fingerprints, progress."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from votes.projects.terms import Terms, coefficients_of, terms_to_json
from votes.shares import format_fen

Document = Literal["agreement", "no_objection"]
DOCUMENTS: Final[tuple[Document, ...]] = ("agreement", "no_objection")
LANGUAGES: Final = ("zh", "en")
SCHEMA: Final = "yishi.project-agreement/1"


@dataclass(frozen=True, slots=True)
class Sharer:
    """A flat of the project's cost shares with the owners on its title when the agreement was generated."""

    flat_id: int
    unit: str
    floor: int
    area: int  # hundredths of m²
    amount: int  # fen
    owners: tuple[int, ...]  # person ids

    @property
    def document(self) -> Document:
        """A flat that pays signs the agreement; a flat whose share is 0 signs the no-objection sheet."""
        return "agreement" if self.amount > 0 else "no_objection"


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """Everything a text is generated from: stored with the agreement, so the text can be checked later."""

    title: str
    place: str
    community: str
    version: int
    generated_on: date
    terms: Terms
    sharers: tuple[Sharer, ...]


def shares_digest(terms: Terms, lines: Iterable[tuple[int, str, int]]) -> str:
    """SHA-256 of the terms and every flat's share (flat id, unit, fen): changes whenever a share changes."""
    data = {"terms": terms_to_json(terms), "shares": [[flat_id, unit, fen] for flat_id, unit, fen in lines]}
    return fingerprint(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def fingerprint(text: str) -> str:
    """The SHA-256 of a text as its UTF-8 bytes: what a signature records of the text the signer saw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _yuan(fen: int) -> str:
    return format_fen(fen)


def _area(hundredths: int) -> str:
    return format_fen(hundredths)


_SCHEMES: Final[dict[str, dict[str, str]]] = {
    "area": {
        "zh": "按各户房屋建筑面积的比例分摊（《民法典》第二百八十三条，业主没有约定时的方式）。",
        "en": "In proportion to each flat's floor area (Civil Code Art. 283, when the owners agree on nothing else).",
    },
    "guangzhou": {
        "zh": "按楼层系数 × 建筑面积的比例分摊，采用广州楼层系数：一、二层为0，三至九层依次为0.7、0.8、0.9、1.0、1.1、1.2、1.3。",
        "en": "In proportion to floor coefficient × floor area, with the Guangzhou coefficients: floors 1 and 2 are 0, "
        "floors 3 to 9 are 0.7, 0.8, 0.9, 1.0, 1.1, 1.2 and 1.3.",
    },
    "stairs": {
        "zh": "按电梯为各户节省的楼梯层数（楼层 − 1）的比例分摊，一层不分摊。",
        "en": "In proportion to the flights of stairs the elevator saves each flat (floor − 1); the ground floor pays nothing.",
    },
    "custom": {
        "zh": "按楼层系数 × 建筑面积的比例分摊，楼层系数由业主约定：",
        "en": "In proportion to floor coefficient × floor area, with coefficients the owners agreed:",
    },
}


def _scheme(terms: Terms, language: str) -> str:
    text = _SCHEMES[terms.scheme][language]
    if terms.scheme == "custom":
        pairs = sorted(coefficients_of(terms).items())
        sep = "、" if language == "zh" else ", "
        floor = "{}层 {}" if language == "zh" else "floor {} {}"
        text += (" " if language == "en" else "") + sep.join(floor.format(f, _coefficient(c)) for f, c in pairs)
        text += "。" if language == "zh" else "."
    return text


def _coefficient(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _table(facts: AgreementFacts, language: str, paying: bool) -> list[str]:
    rows = [s for s in facts.sharers if (s.amount > 0) == paying]
    head = "房号 | 楼层 | 建筑面积（m²） | 分摊金额（元）" if language == "zh" else "Flat | Floor | Floor area (m²) | Share (yuan)"
    lines = [head]
    lines += [f"{s.unit} | {s.floor} | {_area(s.area)} | {_yuan(s.amount)}" for s in rows]
    total = sum(s.amount for s in rows)
    lines.append(f"合计 | | | {_yuan(total)}" if language == "zh" else f"Total | | | {_yuan(total)}")
    return lines


def agreement_text(facts: AgreementFacts, language: str) -> str:
    """The cost-sharing agreement in `language` ("zh" or "en"): the same facts always give the same text."""
    t = facts.terms
    paying = sum(1 for s in facts.sharers if s.amount > 0)
    if language == "zh":
        lines = [
            f"{facts.title} 费用分摊协议书",
            f"{facts.community} {facts.place} · 第{facts.version}版 · 生成于{facts.generated_on.isoformat()}",
            "",
            "一、项目与费用",
            f"本项目总费用为人民币{_yuan(t.total)}元，其中政府补贴{_yuan(t.subsidy)}元、维修资金{_yuan(t.fund)}元，"
            f"由业主分摊{_yuan(t.payable)}元。本项目已经业主依法表决通过，并经公示。",
            "",
            "二、分摊方案",
            _scheme(t, "zh"),
            "各户金额以分为单位精确计算，余下的分按最大余数法分配，合计等于业主分摊的费用。",
            "",
            f"三、各户分摊金额（共{paying}户）",
            *_table(facts, "zh", True),
            "",
            "四、付款",
            "各户按上表金额，在资金计划规定的期限内付至居民委员会公布的账户，可以申请从本户住宅专项维修资金中提取。"
            "付款情况由工作人员逐户记录，不公开单户的付款情况。政府补贴按补贴条件拨付。",
            "实际费用与预算不同时，差额按同一方案分摊，另行签署补充协议。",
            "",
            "五、签署",
            "本协议由上表每户房屋的全体产权人签署（网上签署或纸质签署）。网上签署记录签署时间、账户和所见文本的SHA-256指纹。"
            "分摊金额改变的，已有签署作废，须重新签署。",
        ]
    else:
        lines = [
            f"{facts.title}: cost-sharing agreement",
            f"{facts.community} {facts.place} · version {facts.version} · generated on {facts.generated_on.isoformat()}",
            "",
            "1. The project and its cost",
            f"The project costs {_yuan(t.total)} yuan in total: a government subsidy of {_yuan(t.subsidy)} yuan and "
            f"{_yuan(t.fund)} yuan from the maintenance fund; the owners share {_yuan(t.payable)} yuan. The owners "
            "passed the project by a lawful vote and it was publicly noticed.",
            "",
            "2. The cost-sharing scheme",
            _scheme(t, "en"),
            "Each share is exact to the fen; the fen left over are handed out by largest remainder, so the shares "
            "add up to what the owners pay.",
            "",
            f"3. Each flat's share ({paying} flats)",
            *_table(facts, "en", True),
            "",
            "4. Payment",
            "Each flat pays the amount above, by the date the funding plan sets, into the account the residents' "
            "committee publishes; an owner may ask to pay from the flat's own maintenance-fund account. Staff record "
            "each flat's payment; no flat's payment is published. Subsidies are paid on their conditions.",
            "If the final cost differs from the budget, the difference is shared by the same scheme in a "
            "supplementary agreement.",
            "",
            "5. Signing",
            "Every owner on the title of each flat above signs this agreement (online or on paper). An online "
            "signature records the time, the account and the SHA-256 fingerprint of the text the signer saw. If the "
            "shares change, the signatures given are void and the agreement must be signed again.",
        ]
    return "\n".join(lines) + "\n"


def no_objection_text(facts: AgreementFacts, language: str) -> str:
    """The no-objection sheet for owners of flats whose share is 0: they pay nothing and do not object."""
    t = facts.terms
    if language == "zh":
        lines = [
            f"{facts.title} 无意见签名表",
            f"{facts.community} {facts.place} · 第{facts.version}版 · 生成于{facts.generated_on.isoformat()}",
            "",
            f"本项目总费用为人民币{_yuan(t.total)}元，按以下方案由业主分摊{_yuan(t.payable)}元：",
            _scheme(t, "zh"),
            "按此方案，下列房屋不分摊费用：",
            *_table(facts, "zh", False),
            "",
            "签名的产权人确认已阅读本项目的方案和各户分摊金额，对本项目的实施没有异议。",
        ]
    else:
        lines = [
            f"{facts.title}: no-objection sheet",
            f"{facts.community} {facts.place} · version {facts.version} · generated on {facts.generated_on.isoformat()}",
            "",
            f"The project costs {_yuan(t.total)} yuan in total; the owners share {_yuan(t.payable)} yuan by this scheme:",
            _scheme(t, "en"),
            "Under this scheme these flats pay nothing:",
            *_table(facts, "en", False),
            "",
            "The owner who signs confirms having read the project's scheme and every flat's share, and does not "
            "object to the works.",
        ]
    return "\n".join(lines) + "\n"


def texts(facts: AgreementFacts) -> dict[str, dict[str, str]]:
    """{document: {language: text}}; the no-objection sheet only when some flat pays nothing."""
    result = {"agreement": {lang: agreement_text(facts, lang) for lang in LANGUAGES}}
    if any(s.amount == 0 for s in facts.sharers):
        result["no_objection"] = {lang: no_objection_text(facts, lang) for lang in LANGUAGES}
    return result


# --- Stored form ---------------------------------------------------------------------------------------------------


def sharers_to_json(sharers: Sequence[Sharer]) -> list[dict[str, object]]:
    return [
        {"flat": s.flat_id, "unit": s.unit, "floor": s.floor, "area": s.area, "amount": s.amount, "owners": list(s.owners)}
        for s in sharers
    ]


def sharers_from_json(data: object) -> tuple[Sharer, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(
        Sharer(int(d["flat"]), str(d["unit"]), int(d["floor"]), int(d["area"]), int(d["amount"]),
               tuple(int(p) for p in d.get("owners") or ()))  # fmt: skip
        for d in data
        if isinstance(d, Mapping)
    )


# --- Progress ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureFact:
    flat_id: int
    person_id: int
    counted: bool  # online, or on paper and confirmed by a second staff member


@dataclass(frozen=True, slots=True)
class DocumentProgress:
    """How far one document is signed: flats with at least one owner's signature, flats with every owner's."""

    flats: int
    signed: int
    complete: int

    @property
    def done(self) -> bool:
        return self.complete == self.flats


@dataclass(frozen=True, slots=True)
class Progress:
    agreement: DocumentProgress
    no_objection: DocumentProgress
    missing: tuple[tuple[int, int], ...]  # (flat id, person id) still to sign, in the sharers' order
    unowned: tuple[int, ...]  # flats with nobody on the title in the register: they cannot be signed for

    @property
    def complete(self) -> bool:
        """Every owner on the title of every flat has signed, and there is someone to sign for every flat."""
        return self.agreement.done and self.no_objection.done and not self.unowned and self.agreement.flats + self.no_objection.flats > 0


def progress(sharers: Sequence[Sharer], signatures: Iterable[SignatureFact]) -> Progress:
    """A flat counts as signed once one of its owners signed, as complete once every owner on its title did.

    Only counted signatures (online, or paper confirmed by a second person) count, and only by owners named for
    that flat when the agreement was generated.
    """
    counted = {(s.flat_id, s.person_id) for s in signatures if s.counted}
    figures: dict[str, list[int]] = {doc: [0, 0, 0] for doc in DOCUMENTS}
    missing: list[tuple[int, int]] = []
    unowned: list[int] = []
    for sharer in sharers:
        f = figures[sharer.document]
        f[0] += 1
        signed = [p for p in sharer.owners if (sharer.flat_id, p) in counted]
        if not sharer.owners:
            unowned.append(sharer.flat_id)
        if signed:
            f[1] += 1
        if sharer.owners and len(signed) == len(sharer.owners):
            f[2] += 1
        missing += [(sharer.flat_id, p) for p in sharer.owners if (sharer.flat_id, p) not in counted]
    return Progress(
        DocumentProgress(*figures["agreement"]),
        DocumentProgress(*figures["no_objection"]),
        tuple(missing),
        tuple(unowned),
    )


def may_sign(sharer: Sharer | None, person_id: int) -> bool:
    """Only an owner named on the flat's title when the agreement was generated signs for that flat."""
    return sharer is not None and person_id in sharer.owners
