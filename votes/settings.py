"""Vote settings for the unsettled points of law: built-in defaults, community defaults, per-vote overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Final, Literal, get_args

from votes.rules import SPOILED_BALLOTS, SpoiledBallots

VoteKind = Literal["owners", "poll", "residents"]
ConflictRule = Literal["first", "spoil"]
Parking = Literal["exclude", "include"]
PollAudience = Literal["residents", "owners"]
# Who may see how a flat voted: `secret` (nobody; staff see only who has voted) or `open` (the electorate, after
# the close). Chosen before the vote opens, printed on every ballot, applied alike to every page and export.
Disclosure = Literal["secret", "open"]

VOTE_KINDS: Final[tuple[VoteKind, ...]] = get_args(VoteKind)
CONFLICT_RULES: Final[tuple[ConflictRule, ...]] = get_args(ConflictRule)
PARKING: Final[tuple[Parking, ...]] = get_args(Parking)
DISCLOSURES: Final[tuple[Disclosure, ...]] = get_args(Disclosure)
MAX_PROXY_LIMIT: Final = 99


@dataclass(frozen=True, slots=True)
class VoteSettings:
    """Everything a vote's count depends on beyond the law itself; shown to voters and written into the record."""

    spoiled_ballots: SpoiledBallots = "participate"
    silent_majority: bool = False
    allow_change: bool = False
    proxy_limit: int = 3  # proxies one person may hold in one vote; 0 means no limit
    show_live: bool = False  # choices visible while the vote is open
    disclosure: Disclosure = "secret"  # secret: nobody sees a flat's choice; open: the electorate, after the close
    conflict: ConflictRule = "first"  # an entity with two ballots: the first counts, or the entity is spoiled
    parking: Parking = "exclude"  # parking spaces registered as flats: outside or inside the electorate
    poll_audience: PollAudience = "residents"  # polls only: every resident of the flats (owners and tenants), or owners


SETTING_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(VoteSettings))
_BOOLEAN: Final = frozenset({"silent_majority", "allow_change", "show_live"})
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "spoiled_ballots": tuple(sorted(SPOILED_BALLOTS)),
    "conflict": CONFLICT_RULES,
    "parking": PARKING,
    "poll_audience": get_args(PollAudience),
    "disclosure": DISCLOSURES,
}


def builtin_defaults(kind: VoteKind) -> VoteSettings:
    """The defaults docs/rules.md names: changing a ballot is off for owners' votes and on for non-binding polls."""
    if kind == "poll":
        return VoteSettings(allow_change=True)
    return VoteSettings()


def _value(name: str, raw: object) -> object:
    """One setting from stored JSON or a form; raises ValueError naming the setting."""
    if name in _BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if raw in ("1", "true", "on", "yes"):
            return True
        if raw in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{name} must be true or false")
    if name == "proxy_limit":
        if isinstance(raw, bool):
            raise ValueError("proxy_limit must be a whole number")
        if isinstance(raw, int):
            number = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
            number = int(raw.strip())
        else:
            raise ValueError("proxy_limit must be a whole number")
        if not 0 <= number <= MAX_PROXY_LIMIT:
            raise ValueError("proxy_limit must be between 0 and 99")
        return number
    allowed = _CHOICES[name]
    if not isinstance(raw, str) or raw not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return raw


def parse_overrides(data: Mapping[str, object]) -> dict[str, object]:
    """Validated overrides from stored JSON or a form: unknown names and empty values ("use the default") dropped."""
    parsed: dict[str, object] = {}
    for name in SETTING_NAMES:
        raw = data.get(name)
        if raw is None or raw == "":
            continue
        parsed[name] = _value(name, raw)
    return parsed


def effective(
    kind: VoteKind, community_defaults: Mapping[str, object], overrides: Mapping[str, object]
) -> VoteSettings:
    """The settings in force: built-in defaults, then the community's (for owners' and residents' votes), then the vote's."""
    settings = builtin_defaults(kind)
    layers = [overrides] if kind == "poll" else [community_defaults, overrides]
    for layer in layers:
        settings = replace(settings, **parse_overrides(layer))  # type: ignore[arg-type]
    if kind != "owners":
        # The silent-majority clause and area-based parking rules belong to Art. 278 votes only.
        settings = replace(settings, silent_majority=False)
    return settings


def residents_answer(kind: VoteKind, settings: VoteSettings) -> bool:
    """Tenants and family take part: always in a residents' meeting, in a poll unless it asks owners only."""
    return kind == "residents" or (kind == "poll" and settings.poll_audience == "residents")


def to_json(settings: VoteSettings) -> dict[str, object]:
    return asdict(settings)


def from_json(data: Mapping[str, object]) -> VoteSettings:
    """Settings as stored with a vote (every key present); missing keys take the owners' built-in default."""
    return replace(VoteSettings(), **parse_overrides(data))  # type: ignore[arg-type]
