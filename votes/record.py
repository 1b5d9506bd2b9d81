"""The published vote record (`yishi.vote-record/1`): parse it strictly, count it, write it and its result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast

from votes.rules import (
    CHOICES,
    DEVELOPER,
    MATTERS,
    SPOILED_BALLOTS,
    Ballot,
    Choice,
    Flat,
    Measure,
    Result,
    Settings,
    SpoiledBallots,
    format_area,
    parse_area,
    tally,
)

SCHEMA: Final = "yishi.vote-record/1"

# Unknown keys are errors, not ignored: a typo such as "silent_majorty" or "designated_votr" would
# otherwise silently change who counts, and the record exists so that anyone can recount it.
# `history` (the result's stages, queries and corrections) is informational: checked to be an array of
# objects, never counted.
_RECORD_KEYS: Final = frozenset({"schema", "vote", "settings", "electorate", "ballots", "served", "result", "history"})
_VOTE_KEYS: Final = frozenset({"id", "title", "matter"})
_SETTINGS_KEYS: Final = frozenset({"spoiled_ballots", "silent_majority"})
_FLAT_KEYS: Final = frozenset({"unit", "area", "owners", "designated_voter", "developer_unsold"})
_BALLOT_KEYS: Final = frozenset({"unit", "voter", "choice", "channel", "proxy"})
_QUOTE_LIMIT: Final = 60


class RecordError(ValueError):
    """A vote record that cannot be counted; the message is one line naming the problem and where it is."""


@dataclass(frozen=True)
class VoteRecord:
    """Everything needed to recount one vote; owners are opaque ids, never names."""

    matter: int
    settings: Settings
    flats: tuple[Flat, ...]
    ballots: tuple[Ballot, ...]
    served: frozenset[str] = frozenset()
    vote_id: str | None = None
    title: str | None = None


def _quote(value: object) -> str:
    """A value as JSON for messages: escapes newlines (messages stay one line) and is kept short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


def _one_of(values: frozenset[str]) -> str:
    ordered = sorted(values)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """json.loads keeps the last of repeated keys silently; in a record meant for recounting that hides data."""
    obj = dict(pairs)
    if len(obj) != len(pairs):  # the slow search for the name runs only on a bad file
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise RecordError(f"not valid JSON: duplicate key {_quote(key)}")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> object:
    raise RecordError(f"not valid JSON: {name} is not a JSON number")


def decode_json(text: str) -> dict[str, object]:
    """Strict JSON text to a dict: no repeated keys, no NaN/Infinity; raises RecordError."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise RecordError("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise RecordError("a vote record must be a JSON object")
    return cast(dict[str, object], data)


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise RecordError(f"{where} must be a JSON object, got {_quote(value)}")
    return cast(Mapping[str, object], value)


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise RecordError(f"{where} must be a JSON array, got {_quote(value)}")
    return cast(list[object], value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordError(f"{where} must be a non-empty string, got {_quote(value)}")
    return value


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise RecordError(f"{where} must be true or false, got {_quote(value)}")
    return value


def _only_keys(obj: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise RecordError(f"unknown key {_quote(key)} in {where}")


def _required(obj: Mapping[str, object], key: str, where: str) -> object:
    if key not in obj:
        raise RecordError(f"missing key {_quote(key)} in {where}")
    return obj[key]


def _parse_matter(value: object) -> int:
    # bool is an int in Python but `true` is not an Art. 278 item.
    if isinstance(value, bool) or not isinstance(value, int) or value not in MATTERS:
        raise RecordError(f"vote.matter must be an Art. 278 item from 1 to 9, got {_quote(value)}")
    return value


def _parse_settings(value: object) -> Settings:
    settings = _object(value, "settings")
    _only_keys(settings, _SETTINGS_KEYS, "settings")
    spoiled = settings.get("spoiled_ballots", "participate")
    # isinstance first: `in` a frozenset would raise TypeError on an unhashable JSON array or object.
    if not isinstance(spoiled, str) or spoiled not in SPOILED_BALLOTS:
        raise RecordError(
            f"settings.spoiled_ballots: unknown value {_quote(spoiled)}; expected {_one_of(SPOILED_BALLOTS)}"
        )
    silent = _flag(settings.get("silent_majority", False), "settings.silent_majority")
    return Settings(spoiled_ballots=cast(SpoiledBallots, spoiled), silent_majority=silent)


def _parse_flat(value: object, position: int, first_seen: dict[str, int], areas: dict[str, int]) -> Flat:
    """One electorate entry. A well-formed entry takes the fast path (a 100,000-flat record parses in well under a
    second); anything unusual goes through `_check_flat`, which names the problem. `areas`: the areas parsed so far
    (a compound has a few flat sizes, so most are parsed once)."""
    if type(value) is dict and value.keys() <= _FLAT_KEYS:
        unit, area_text, owner_list = value.get("unit"), value.get("area"), value.get("owners")
        developer_unsold, designated = value.get("developer_unsold", False), value.get("designated_voter")
        if (
            type(unit) is str and unit and unit not in first_seen and type(area_text) is str
            and type(owner_list) is list and all(type(o) is str and o for o in owner_list)
            and type(developer_unsold) is bool and (designated is None or (type(designated) is str and designated))
        ):  # fmt: skip
            owners = frozenset(cast(list[str], owner_list))
            if (
                len(owners) == len(owner_list) and (owners or developer_unsold)
                and (designated is None or designated in owners or (developer_unsold and designated == DEVELOPER))
            ):  # fmt: skip
                area = areas.get(area_text)
                if area is None:
                    try:
                        area = areas[area_text] = parse_area(area_text)
                    except ValueError:
                        pass
                if area is not None:
                    first_seen[unit] = position
                    return Flat(unit, area, owners, designated, developer_unsold)
    return _check_flat(value, position, first_seen)


def _check_flat(value: object, position: int, first_seen: dict[str, int]) -> Flat:
    where = f"electorate[{position}]"
    entry = _object(value, where)
    unit = _text(_required(entry, "unit", where), f"{where}.unit")
    where = f"{where} (unit {_quote(unit)})"
    if unit in first_seen:
        raise RecordError(
            f"duplicate unit {_quote(unit)} in electorate[{first_seen[unit]}] and electorate[{position}]"
        )
    first_seen[unit] = position
    _only_keys(entry, _FLAT_KEYS, where)
    area_text = _required(entry, "area", where)
    if not isinstance(area_text, str):
        # A JSON number would already have gone through a float, so it is refused rather than guessed at.
        raise RecordError(f'{where}: area must be a decimal string such as "70.00", got {_quote(area_text)}')
    try:
        area = parse_area(area_text)
    except ValueError as exc:
        raise RecordError(f"{where}: {exc}") from None
    owner_list = _list(_required(entry, "owners", where), f"{where}.owners")
    owners = frozenset(_text(owner, f"{where}.owners") for owner in owner_list)
    if len(owners) != len(owner_list):
        raise RecordError(f"{where}: owners lists the same owner twice")
    developer_unsold = _flag(entry.get("developer_unsold", False), f"{where}.developer_unsold")
    if not owners and not developer_unsold:
        raise RecordError(f"{where}: owners is empty, but the unit is not developer_unsold")
    designated = _optional_text(entry.get("designated_voter"), f"{where}.designated_voter")
    if (
        designated is not None
        and designated not in owners
        and not (developer_unsold and designated == DEVELOPER)
    ):
        raise RecordError(f"{where}: designated_voter {_quote(designated)} is not one of its owners")
    return Flat(
        unit=unit, area=area, owners=owners, designated_voter=designated, developer_unsold=developer_unsold
    )


def _parse_ballot(value: object, position: int, first_seen: dict[tuple[str, str], int]) -> Ballot:
    """One ballot: the fast path for a well-formed one, `_check_ballot` (which names the problem) otherwise."""
    if type(value) is dict and value.keys() <= _BALLOT_KEYS:
        unit, voter, choice = value.get("unit"), value.get("voter"), value.get("choice")
        channel, proxy = value.get("channel"), value.get("proxy")
        if (
            type(unit) is str and unit and type(voter) is str and voter and type(choice) is str and choice in CHOICES
            and (channel is None or (type(channel) is str and channel))
            and (proxy is None or (type(proxy) is str and proxy)) and (unit, voter) not in first_seen
        ):  # fmt: skip
            first_seen[(unit, voter)] = position
            return Ballot(unit=unit, voter=voter, choice=cast(Choice, choice), channel=channel,
                          proxy=proxy)  # fmt: skip
    return _check_ballot(value, position, first_seen)


def _check_ballot(value: object, position: int, first_seen: dict[tuple[str, str], int]) -> Ballot:
    where = f"ballots[{position}]"
    entry = _object(value, where)
    unit = _text(_required(entry, "unit", where), f"{where}.unit")
    where = f"{where} (unit {_quote(unit)})"
    _only_keys(entry, _BALLOT_KEYS, where)
    voter = _text(_required(entry, "voter", where), f"{where}.voter")
    choice = _required(entry, "choice", where)
    if not isinstance(choice, str) or choice not in CHOICES:
        raise RecordError(f"{where}: unknown choice {_quote(choice)}; expected {_one_of(CHOICES)}")
    # The record holds only each voter's final ballot per unit, so a repeat means the record is corrupt.
    seen = first_seen.setdefault((unit, voter), position)
    if seen != position:
        raise RecordError(
            f"{where}: voter {_quote(voter)} already has a ballot for this unit in ballots[{seen}]"
        )
    return Ballot(
        unit=unit,
        voter=voter,
        choice=cast(Choice, choice),
        channel=_optional_text(entry.get("channel"), f"{where}.channel"),
        proxy=_optional_text(entry.get("proxy"), f"{where}.proxy"),
    )


def parse_record(data: str | Mapping[str, object]) -> VoteRecord:
    """Validate a `yishi.vote-record/1` record (JSON text or decoded object); raises RecordError.

    Ballots on unknown units or from non-owners are not errors: they are counted as invalid ballots.
    Units in `served` that are not in the electorate are ignored for the same reason.
    """
    record = _object(decode_json(data) if isinstance(data, str) else data, "a vote record")
    schema = _required(record, "schema", "the record")
    if schema != SCHEMA:
        raise RecordError(f"unknown schema {_quote(schema)}; expected {_quote(SCHEMA)}")
    _only_keys(record, _RECORD_KEYS, "the record")

    vote = _object(_required(record, "vote", "the record"), "vote")
    _only_keys(vote, _VOTE_KEYS, "vote")
    matter = _parse_matter(_required(vote, "matter", "vote"))
    vote_id = _optional_text(vote.get("id"), "vote.id")
    title = _optional_text(vote.get("title"), "vote.title")

    settings = _parse_settings(record.get("settings", {}))

    seen_units: dict[str, int] = {}
    areas: dict[str, int] = {}
    flats = tuple(
        _parse_flat(entry, position, seen_units, areas)
        for position, entry in enumerate(_list(_required(record, "electorate", "the record"), "electorate"))
    )
    seen_ballots: dict[tuple[str, str], int] = {}
    ballots = tuple(
        _parse_ballot(entry, position, seen_ballots)
        for position, entry in enumerate(_list(_required(record, "ballots", "the record"), "ballots"))
    )
    served = frozenset(_text(unit, "served") for unit in _list(record.get("served", []), "served"))
    for position, step in enumerate(_list(record.get("history", []), "history")):
        _object(step, f"history[{position}]")
    return VoteRecord(
        matter=matter,
        settings=settings,
        flats=flats,
        ballots=ballots,
        served=served,
        vote_id=vote_id,
        title=title,
    )


def tally_record(record: VoteRecord) -> Result:
    """Count a parsed record."""
    return tally(record.matter, record.flats, record.ballots, record.settings, record.served)


def _measure_json(measure: Measure) -> dict[str, object]:
    return {"headcount": measure.headcount, "area": format_area(measure.area)}


def _result_body(result: Result) -> dict[str, object]:
    checks = result.checks
    return {
        "outcome": result.outcome,
        "thresholds": {"participation": "2/3", "approval": result.approval},
        "totals": _measure_json(result.totals),
        "participating": _measure_json(result.participating),
        "agreeing": _measure_json(result.agreeing),
        "checks": {
            "participation_headcount": checks.participation_headcount,
            "participation_area": checks.participation_area,
            "approval_headcount": checks.approval_headcount,
            "approval_area": checks.approval_area,
        },
        "invalid_ballots": result.invalid_ballots,
    }


def result_to_json(result: Result) -> dict[str, object]:
    """The `yishi tally` output object, keys in the documented order; `adjusted` is null or the same shape."""
    body = _result_body(result)
    body["adjusted"] = None if result.adjusted is None else _result_body(result.adjusted)
    return body


def record_to_json(record: VoteRecord) -> dict[str, object]:
    """The record as a JSON-ready object that parse_record reads back to an equal VoteRecord.

    Optional keys are written only when they differ from their default; owners and `served` are sorted
    so the same record always serialises the same way.
    """
    vote: dict[str, object] = {}
    if record.vote_id is not None:
        vote["id"] = record.vote_id
    if record.title is not None:
        vote["title"] = record.title
    vote["matter"] = record.matter
    electorate: list[object] = []
    for flat in record.flats:
        entry: dict[str, object] = {
            "unit": flat.unit,
            "area": format_area(flat.area),
            "owners": sorted(flat.owners),
        }
        if flat.designated_voter is not None:
            entry["designated_voter"] = flat.designated_voter
        if flat.developer_unsold:
            entry["developer_unsold"] = True
        electorate.append(entry)
    ballots: list[object] = []
    for ballot in record.ballots:
        ballot_entry: dict[str, object] = {
            "unit": ballot.unit,
            "voter": ballot.voter,
            "choice": ballot.choice,
        }
        if ballot.channel is not None:
            ballot_entry["channel"] = ballot.channel
        if ballot.proxy is not None:
            ballot_entry["proxy"] = ballot.proxy
        ballots.append(ballot_entry)
    return {
        "schema": SCHEMA,
        "vote": vote,
        "settings": {
            "spoiled_ballots": record.settings.spoiled_ballots,
            "silent_majority": record.settings.silent_majority,
        },
        "electorate": electorate,
        "ballots": ballots,
        "served": sorted(record.served),
    }
