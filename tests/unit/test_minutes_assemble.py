"""The minutes' content assembled from plain facts: what the record must hold (docs/rules.md, "Minutes and publications"), and nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

from community.canonical import canonical_text, content_hash
from deliberation.minutes.assemble import assemble, plain_text, with_signoffs
from deliberation.minutes.facts import (
    AttendanceFacts,
    BallotFacts,
    CommunityFacts,
    CorrectionFacts,
    CountingFacts,
    ItemFacts,
    MeetingFacts,
    MinutesFacts,
    NoteFacts,
    NoticeFacts,
    SectionFacts,
    UnitAttendance,
    VoteFacts,
)

T0 = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
RESULT = {
    "outcome": "passed",
    "thresholds": {"participation": "2/3", "approval": "3/4"},
    "totals": {"headcount": 11, "area": "960.00"},
    "participating": {"headcount": 9, "area": "800.00"},
    "agreeing": {"headcount": 7, "area": "620.00"},
    "checks": {"participation_headcount": True, "participation_area": True, "approval_headcount": True, "approval_area": True},
    "invalid_ballots": 0,
    "adjusted": None,
}
COMMUNITY = CommunityFacts(1, "xingfu", "幸福里社区", "长宁街道")


def vote(**changes: object) -> VoteFacts:
    values: dict[str, object] = dict(
        id=5, title="3号楼2单元加装电梯", question="是否同意加装电梯？", kind="owners", matter=7, scope_label="3-2",
        opens_at=T1, closes_at=T2, opened_at=T1, closed_at=T2, channels=("online", "paper"),
        settings={"spoiled_ballots": "participate", "silent_majority": False, "named_ballots": True},
        entities=11, total_area=96000, electorate_hash="ab" * 32, result=RESULT,
        record={"schema": "yishi.vote-record/1", "result": RESULT},
        ballots=BallotFacts(returned=9, by_channel=(("online", 6), ("paper", 3)), by_choice=(("agree", 7), ("oppose", 1), ("abstain", 1))),
        counting=CountingFacts(counters=("grid_worker",), scrutineers=("building_lead",), paper_entered=4, paper_confirmed=3,
                               paper_rejected=1, rejection_reasons=("签名与登记不符",)),
        sections={"zh": (SectionFacts("异议及处理", ("共收到一份书面异议。",), data={"objections": 1}),),
                  "en": (SectionFacts("Objections and their handling", ("One written objection.",), data={"objections": 1}),)},
        buildings=("3号楼",),
    )  # fmt: skip
    values.update(changes)
    return VoteFacts(**values)  # type: ignore[arg-type]


def meeting() -> MeetingFacts:
    return MeetingFacts(
        id=9, kind="owners", title="3号楼2单元加装电梯业主会议", scope_kind="stairwell_unit", scope_places=("3号楼 2单元",),
        starts_at=T1, ends_at=T2, started_at=T1, closed_at=T2, venue="社区议事厅", venue_address="幸福里12号",
        facilitator=True, recorder=True, guests=(("expert", "市电梯协会"),),
        attendance=AttendanceFacts(12, 8, 96000, 62000, (UnitAttendance("3号楼 2单元", 12, 8, 96000, 62000),), (("paper", 3), ("qr", 5))),
        notices=(NoticeFacts(1, T0, ("加装电梯方案及表决", "费用分摊办法说明")),),
        items=(
            ItemFacts(21, 1, "加装电梯方案及表决", "方案见公示。", "decided", 1,
                      NoteFacts("多数支持。", "担心采光。", "井道在北侧。", "施工出入。"), (vote(),)),
            ItemFacts(22, 2, "费用分摊办法说明", "", "decided", 1),
        ),
        buildings=("3号楼",),
    )  # fmt: skip


def test_meeting_minutes_hold_what_the_record_must_hold():
    facts = MinutesFacts(17, "minutes", "3号楼2单元加装电梯业主会议", COMMUNITY, meeting=meeting(),
                         narrative={"summary": "会议顺利召开。 ", "item-21": "主持人说明了方案。"})  # fmt: skip
    content = assemble(facts)
    assert content["schema"] == "yishi.minutes/1"
    assert content["form"] == "meeting"
    assert content["summary"] == "会议顺利召开。"
    m = content["meeting"]
    assert m["scope"] == {"kind": "stairwell_unit", "places": ["3号楼 2单元"]}
    assert m["time"] == {"starts_at": "2026-11-01T11:00:00Z", "ends_at": "2026-11-01T13:00:00Z",
                         "started_at": "2026-11-01T11:00:00Z", "closed_at": "2026-11-01T13:00:00Z"}  # fmt: skip
    assert m["place"] == {"venue": "社区议事厅", "address": "幸福里12号"}
    assert m["roles"] == {"facilitator": True, "recorder": True}
    assert m["guests"] == [{"role": "expert", "organisation": "市电梯协会"}]
    assert m["attendance"]["households_present"] == 8 and m["attendance"]["area_present"] == 62000
    assert m["attendance"]["by_method"] == {"paper": 3, "qr": 5}
    assert m["notices"] == [{"number": 1, "published_at": "2026-10-10T02:00:00Z", "items": ["加装电梯方案及表决", "费用分摊办法说明"]}]
    first = m["items"][0]
    assert first["notes"] == {"positions_heard": "多数支持。", "objections": "担心采光。", "agreed_points": "井道在北侧。", "open_points": "施工出入。"}
    assert first["narrative"] == "主持人说明了方案。"
    assert m["items"][1]["notes"] == {"positions_heard": "", "objections": "", "agreed_points": "", "open_points": ""}
    decided = first["votes"][0]
    assert decided["result"] == RESULT and decided["matter"] == 7
    assert decided["electorate"] == {"entities": 11, "area": 96000, "hash": "ab" * 32}
    assert decided["ballots"]["by_channel"] == {"online": 6, "paper": 3}
    assert decided["counting"]["counters"] == ["grid_worker"] and decided["counting"]["scrutineers"] == ["building_lead"]
    assert decided["counting"]["rejection_reasons"] == ["签名与登记不符"]
    assert decided["sections"]["zh"][0]["data"] == {"objections": 1}
    assert content["remedy"] == {"basis": "spc-2009-7-art-12", "years": 1}
    assert content["buildings"] == ["3号楼"]
    canonical_text(content)  # the content always has a canonical form (no floats, string keys)


def test_a_written_consultation_has_minutes_too():
    content = assemble(MinutesFacts(3, "minutes", "外墙保温", COMMUNITY, votes=(vote(title="外墙保温"),)))
    assert content["form"] == "written" and content["meeting"] is None
    assert content["votes"][0]["title"] == "外墙保温"


def test_no_remedy_notice_without_an_owners_decision():
    poll = vote(kind="poll", matter=None, record=None)
    assert assemble(MinutesFacts(3, "minutes", "意见征询", COMMUNITY, votes=(poll,)))["remedy"] is None


def test_an_addendum_names_the_published_minutes_it_corrects():
    facts = MinutesFacts(4, "addendum", "3号楼2单元加装电梯业主会议", COMMUNITY,
                         corrects=CorrectionFacts(3, "原纪要", "cd" * 32, T2), narrative={"correction": "第二项的时间应为 20:40。"})  # fmt: skip
    content = assemble(facts)
    assert content["corrects"] == {"minutes": 3, "title": "原纪要", "sha256": "cd" * 32, "published_at": "2026-11-01T13:00:00Z"}
    assert content["correction"] == "第二项的时间应为 20:40。"


def test_a_result_notice_carries_its_period_and_how_to_object():
    content = assemble(MinutesFacts(6, "notice", "屋面维修", COMMUNITY, votes=(vote(),), notice_days=15,
                                    narrative={"how_to_object": "向居委会提交书面意见。"}))  # fmt: skip
    assert content["notice"] == {"days": 15, "how_to_object": "向居委会提交书面意见。"}


def test_the_narrative_changes_the_hash_and_sign_offs_are_added_at_publication():
    base = MinutesFacts(17, "minutes", "纪要", COMMUNITY, meeting=meeting())
    before = content_hash(assemble(base))
    after = content_hash(assemble(MinutesFacts(17, "minutes", "纪要", COMMUNITY, meeting=meeting(), narrative={"summary": "补充"})))
    assert before != after
    published = with_signoffs(assemble(base), {"recorder": T2, "facilitator": T1})
    assert published["signoffs"] == [
        {"role": "facilitator", "signed_at": "2026-11-01T11:00:00Z"},
        {"role": "recorder", "signed_at": "2026-11-01T13:00:00Z"},
    ]


def test_search_text_has_the_words_but_not_the_record_or_hashes():
    text = plain_text(assemble(MinutesFacts(17, "minutes", "纪要", COMMUNITY, meeting=meeting())))
    assert "担心采光" in text and "社区议事厅" in text
    assert "ab" * 32 not in text
    assert "yishi.vote-record/1" not in text
