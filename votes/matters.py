"""The nine Art. 278 matters, the vote kinds and the settings in plain words (English msgids, translated when shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from community.i18n import lazy
from votes.participation import bar_width, percent_text
from votes.rules import approval_threshold
from votes.settings import VoteKind, VoteSettings


@dataclass(frozen=True, slots=True)
class Matter:
    """An Art. 278 item: its name, an example in plain words, and the approval it needs."""

    number: int
    name: str
    example: str

    @property
    def supermajority(self) -> bool:
        return approval_threshold(self.number) == "3/4"

    @property
    def threshold(self) -> str:
        if self.supermajority:
            return lazy("needs three quarters")
        return lazy("needs more than half")


MATTERS: Final[dict[int, Matter]] = {
    1: Matter(1, lazy("Rules of procedure of the owners' assembly"), lazy("How owners' meetings are called, run and recorded.")),
    2: Matter(2, lazy("Management covenant"), lazy("The rules every owner of the estate agrees to keep.")),
    3: Matter(3, lazy("Elect or replace the owners' committee or its members"), lazy("Choosing who represents the owners.")),
    4: Matter(4, lazy("Hire or dismiss the property management company"), lazy("Choosing or ending the property manager's contract.")),
    5: Matter(5, lazy("Use the building maintenance fund"), lazy("For example, repairing a leaking roof with the maintenance fund.")),
    6: Matter(6, lazy("Raise or replenish the building maintenance fund"), lazy("Owners pay more into the maintenance fund.")),
    7: Matter(7, lazy("Rebuild or alter buildings and their facilities"), lazy("For example, adding an elevator to a stairwell unit.")),
    8: Matter(8, lazy("Change the use of common parts or run a business on them"), lazy("For example, renting out part of the courtyard.")),
    9: Matter(9, lazy("Other major matters of the owners' common rights"), lazy("Anything else that concerns all owners' common property.")),
}

KIND_LABELS: Final[dict[VoteKind, str]] = {
    "owners": lazy("Owners' decision (Civil Code Art. 278)"),
    "poll": lazy("Opinion poll (not binding)"),
    "residents": lazy("Residents' meeting decision"),
}

CHANNEL_LABELS: Final[dict[str, str]] = {
    "online": lazy("Online"),
    "paper": lazy("Paper ballot"),
    "meeting": lazy("At the meeting"),
}

CHOICE_LABELS: Final[dict[str, str]] = {
    "agree": lazy("Agree"),
    "oppose": lazy("Oppose"),
    "abstain": lazy("Abstain"),
    "spoiled": lazy("Spoiled ballot"),
}

STATUS_LABELS: Final[dict[str, str]] = {
    "draft": lazy("Draft"),
    "scheduled": lazy("Scheduled"),
    "open": lazy("Open for voting"),
    "closed": lazy("Closed"),
}

OUTCOME_LABELS: Final[dict[str, str]] = {
    "passed": lazy("Passed"),
    "rejected": lazy("Rejected"),
    "no_quorum": lazy("No valid decision: too few owners took part"),
    "residents_no_quorum": lazy("No valid decision: too few households took part"),
    "poll": lazy("Opinion poll: not binding"),
}


# This vote's rules in plain words, for the printed ballot and the online vote page alike.
CO_OWNER_RULES: Final[dict[str, str]] = {
    "first": lazy("If several owners of this flat vote, only the first ballot received counts; later ones are not counted."),
    "spoil": lazy("If owners of this flat vote differently, the flat's ballot is spoiled."),
}
CHANGE_RULES: Final[dict[bool, str]] = {
    True: lazy("You may change your vote until the vote closes; only your last ballot counts."),
    False: lazy("A ballot cannot be changed once returned."),
}


def threshold_sentence(kind: VoteKind, matter: int | None) -> str:
    """What it takes to decide, in one plain sentence."""
    if kind == "poll":
        return lazy("An opinion poll decides nothing by itself: it shows what people think. No thresholds apply.")
    if kind == "residents":
        return lazy(
            "More than half of the households must take part, and more than half of those taking part must agree "
            "(Organic Law of Residents' Committees, Art. 9)."
        )
    if matter is not None and MATTERS[matter].supermajority:
        return lazy(
            "At least two thirds of the owners, by headcount and by floor area, must take part, and at least three "
            "quarters of those taking part, by headcount and by floor area, must agree (Civil Code Art. 278)."
        )
    return lazy(
        "At least two thirds of the owners, by headcount and by floor area, must take part, and more than half of "
        "those taking part, by headcount and by floor area, must agree (Civil Code Art. 278)."
    )


def describe_settings(kind: VoteKind, settings: VoteSettings) -> list[tuple[str, str]]:
    """(what, how) pairs in plain words, shown to voters before they vote and printed with the result."""
    lines: list[tuple[str, str]] = []
    if kind != "poll":
        lines.append(
            (
                lazy("Spoiled ballots"),
                lazy("A ballot that cannot be read counts as taking part, but not as agreeing.")
                if settings.spoiled_ballots == "participate"
                else lazy("A ballot that cannot be read does not count as taking part."),
            )
        )
    if kind == "owners":
        lines.append(
            (
                lazy("Owners who do not vote"),
                lazy(
                    "Owners who received the ballot with a written warning and did not vote are counted with the "
                    "majority. The strict result without them is always published as well."
                )
                if settings.silent_majority
                else lazy("Owners who do not vote are simply not counted as taking part."),
            )
        )
    if kind == "poll":
        lines.append(
            (
                lazy("Who answers"),
                lazy("Every resident of the flats concerned may answer: owners and tenants.")
                if settings.poll_audience == "residents"
                else lazy("Only the owners of the flats concerned answer this poll."),
            )
        )
    lines.append((lazy("Changing your ballot"), CHANGE_RULES[settings.allow_change]))
    lines.append(
        (
            lazy("Proxies"),
            lazy("An owner may authorise someone in writing to vote for them. One person may hold at most %(n)s such authorisations.")
            if settings.proxy_limit
            else lazy("An owner may authorise someone in writing to vote for them. There is no limit per person."),
        )
    )
    lines.append(
        (
            lazy("While the vote is open"),
            lazy("Everyone sees how many have voted and how they voted so far.")
            if settings.show_live
            else lazy("Everyone sees how many have voted; how they voted is shown only after the close."),
        )
    )
    lines.append((lazy("Who sees how a flat voted"), DISCLOSURE_RULES[settings.disclosure]))
    if kind == "owners":
        lines.append((lazy("Co-owners without a designated voter"), CO_OWNER_RULES[settings.conflict]))
    else:
        lines.append(
            (
                lazy("Two ballots for one household"),
                lazy("If a household votes twice (online and on paper), only the first valid ballot counts.")
                if settings.conflict == "first"
                else lazy("If a household votes twice with different choices, its ballot counts as spoiled."),
            )
        )
    if kind == "owners":
        lines.append(
            (
                lazy("Parking spaces"),
                lazy("Parking spaces registered as separate units take part in this vote.")
                if settings.parking == "include"
                else lazy("Parking spaces registered as separate units do not take part in this vote."),
            )
        )
    return lines


def template_labels() -> dict[str, object]:
    """Label tables and helpers every votes template uses (pages and live fragments alike)."""
    return {
        "kind_labels": KIND_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "choice_labels": CHOICE_LABELS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "matters": MATTERS,
        "bar_width": bar_width,
        "percent_text": percent_text,
        "setting_labels": SETTING_LABELS,
        "setting_choices": SETTING_CHOICES,
        "co_owner_rules": CO_OWNER_RULES,
        "change_rules": CHANGE_RULES,
        "disclosure_rules": DISCLOSURE_RULES,
    }


# What the ballot (online and on paper) and the result say about the vote's disclosure setting.
DISCLOSURE_RULES: Final[dict[str, str]] = {
    "secret": lazy(
        "Secret ballot: nobody sees how a flat voted, neither neighbours nor staff. Staff see only who has voted, "
        "to remind the others. Published records show flats and owners by anonymous numbers; the record with "
        "flat numbers is kept for audits, and every look at it is logged."
    ),
    "open": lazy(
        "Open ballot, as the community's rules require: after the close, the owners of this vote and the staff "
        "can see how each flat voted. The public sees flats and owners by anonymous numbers only."
    ),
}

SETTING_LABELS: Final[dict[str, str]] = {
    "spoiled_ballots": lazy("Spoiled ballots"),
    "silent_majority": lazy("Silent-majority clause"),
    "allow_change": lazy("Changing a ballot"),
    "proxy_limit": lazy("Authorisations one proxy may hold (0 = no limit)"),
    "show_live": lazy("How people voted is shown"),
    "disclosure": lazy("Who sees how a flat voted"),
    "conflict": lazy("Two ballots for one household"),
    "parking": lazy("Parking spaces"),
}

SETTING_CHOICES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "spoiled_ballots": (("participate", lazy("Count as taking part, not agreeing")), ("exclude", lazy("Do not count as taking part"))),
    "silent_majority": (("0", lazy("Off")), ("1", lazy("On: served owners who do not vote count with the majority"))),
    "allow_change": (("0", lazy("Not allowed")), ("1", lazy("Allowed until the close"))),
    "show_live": (("0", lazy("Only after the close")), ("1", lazy("Already while voting"))),
    "disclosure": (("secret", lazy("Secret ballot")), ("open", lazy("Open ballot, after the close"))),
    "conflict": (("first", lazy("The first valid ballot counts")), ("spoil", lazy("Differing ballots make it spoiled"))),
    "parking": (("exclude", lazy("Not part of owners' votes")), ("include", lazy("Part of owners' votes"))),
}
