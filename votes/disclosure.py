"""Who may see how a flat voted, and the pseudonymised copy of a vote record anyone may read (pure).

A vote's `disclosure` setting decides it, alike for every page and export: `secret` (the default) — nobody
sees a flat's choice on any page; staff see only who has voted; `open` — after the close the vote's own
electorate (and the community's staff) see each flat's choice. The anonymous public never does: what is
public about a vote is its result and the pseudonymised record, which recounts to the same result.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from itertools import chain
from operator import itemgetter
from typing import Final, Literal, cast

from votes.settings import Disclosure

# Who is asking, about one vote: anyone (signed in or not), an owner in the vote's electorate, the
# community's staff, or the staff who ran it (facilitators, site administrators: the named record).
Viewer = Literal["public", "elector", "staff", "auditor"]
VIEWERS: Final[tuple[Viewer, ...]] = ("public", "elector", "staff", "auditor")


def disclosure_of(settings: Mapping[str, object] | None) -> Disclosure:
    """The disclosure written in stored settings; anything else (older records said "named_ballots") is secret."""
    return "open" if (settings or {}).get("disclosure") == "open" else "secret"


def shows_choices(disclosure: Disclosure, status: str | None, viewer: Viewer) -> bool:
    """Whether a page may show this viewer each flat's choice: only for an open vote, after the close, and
    never to the public. Under a secret vote not even staff see a flat's choice on a page."""
    return disclosure == "open" and status == "closed" and viewer != "public"


def shows_participation(disclosure: Disclosure, status: str | None, viewer: Viewer) -> bool:
    """Whether this viewer sees, flat by flat, who has voted: staff (to visit the others), under either setting."""
    return status in ("open", "closed") and viewer in ("staff", "auditor")


def named_record(disclosure: Disclosure, status: str | None, viewer: Viewer) -> bool:
    """Whether this viewer may download the record with real unit labels: whoever sees the choices on pages;
    for a secret vote only the staff who ran it (every download is audited). Everyone else gets the
    pseudonymised copy."""
    if status != "closed":
        return False
    return viewer == "auditor" or shows_choices(disclosure, status, viewer)


def _pseudonyms(values: set[str], salt: str, prefix: str) -> dict[str, str]:
    """Stable pseudonyms ordered by a keyed hash: the order reveals neither floor nor name."""
    # hmac.digest is the one-shot (C) form of hmac.new(...).hexdigest(): bytes sort as their hex does, so the
    # pseudonyms are the same as ever, at a fraction of the cost over 100,000 units.
    key = salt.encode()
    keyed = sorted(values, key=lambda v: hmac.digest(key, (prefix + v).encode(), "sha256"))
    width = max(3, len(str(len(keyed))))
    return dict(zip(keyed, map(f"{prefix}{{:0{width}d}}".format, range(1, len(keyed) + 1)), strict=True))


def unit_pseudonyms(record: Mapping[str, object], salt: str) -> dict[str, str]:
    """{real unit label: its pseudonym} as `pseudonymise` assigns them (for operators reading an audit)."""
    electorate = cast(list[Mapping[str, object]], record.get("electorate") or [])
    ballots = cast(list[Mapping[str, object]], record.get("ballots") or [])
    served = cast(list[str], record.get("served") or [])
    units = {str(e["unit"]) for e in electorate} | {str(b["unit"]) for b in ballots} | set(served)
    return _pseudonyms(units, salt, "U")


def pseudonymise(record: Mapping[str, object], salt: str) -> dict[str, object]:
    """A vote record whose units and owner ids are replaced by pseudonyms, consistently throughout.

    The count does not depend on what units and owners are called, only on which are the same, so
    `yishi recount` confirms a redacted record exactly as it confirms the full one; but nobody can read
    from it which household chose what.
    """
    electorate = cast(list[Mapping[str, object]], record.get("electorate") or [])
    ballots = cast(list[Mapping[str, object]], record.get("ballots") or [])
    served = cast(list[str], record.get("served") or [])
    # The close publishes 100,000 flats: every owner is looked up in one pass (map runs in C), not a call each.
    owner_lists = [cast(list[object], entry.get("owners") or []) for entry in electorate]
    owners = list(map(str, chain.from_iterable(owner_lists)))
    people = set(owners)
    for entry in electorate:
        if designated := entry.get("designated_voter"):
            people.add(str(designated))
    for ballot in ballots:
        people.add(str(ballot["voter"]))
        if proxy := ballot.get("proxy"):
            people.add(str(proxy))
    people.discard("developer")  # the developer is one public voting entity, not a person
    unit_of = unit_pseudonyms(record, salt)
    person_of = _pseudonyms(people, salt, "P")
    owner_pseudonyms = list(map(person_of.get, owners, owners))

    def person(value: object) -> str:
        text = str(value)
        return person_of.get(text, text)

    new_electorate = []
    start = 0
    for entry, listed in zip(electorate, owner_lists, strict=True):
        copy = dict(entry)
        copy["unit"] = unit_of[str(entry["unit"])]
        end = start + len(listed)
        copy["owners"] = sorted(owner_pseudonyms[start:end]) if end - start > 1 else owner_pseudonyms[start:end]
        start = end
        if entry.get("designated_voter"):
            copy["designated_voter"] = person(entry["designated_voter"])
        new_electorate.append(copy)
    new_electorate.sort(key=itemgetter("unit"))  # pseudonyms are strings
    new_ballots = []
    for ballot in ballots:
        ballot_copy = dict(ballot)
        ballot_copy["unit"] = unit_of[str(ballot["unit"])]
        ballot_copy["voter"] = person(ballot["voter"])
        if ballot.get("proxy"):
            ballot_copy["proxy"] = person(ballot["proxy"])
        new_ballots.append(ballot_copy)
    new_ballots.sort(key=itemgetter("unit", "voter"))
    redacted = dict(record)
    redacted["electorate"] = new_electorate
    redacted["ballots"] = new_ballots
    redacted["served"] = sorted(unit_of[unit] for unit in served)
    return redacted


_PSEUDONYM = re.compile(r"^[UP]\d{3,}$")


def is_pseudonymised(record: Mapping[str, object]) -> bool:
    """Whether a record's units are already pseudonyms (minutes published since records are pseudonymised
    before they enter the chain); Yishi's real unit labels ("3-2-601") never look like "U001"."""
    electorate = cast(list[Mapping[str, object]], record.get("electorate") or [])
    return bool(electorate) and all(_PSEUDONYM.match(str(e.get("unit", ""))) for e in electorate)
