"""Canonical JSON of a publication's content and the SHA-256 chain that links a community's publications."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Final

PUBLICATION_SCHEMA: Final = "yishi.publication/1"
GENESIS: Final = "0" * 64  # the "previous hash" of a community's first publication
FINGERPRINT_LENGTH: Final = 12


_PLAIN_TYPES: Final = frozenset({dict, list, tuple, str, int, bool, type(None)})


class CanonicalError(ValueError):
    """A value that has no canonical form (a float, a non-string key, an unknown type)."""


class _Refused(Exception):
    """The fast walk met something it does not take: the checked walk says what and where."""


def normalise(value: object, where: str = "content") -> object:
    """The value with every string NFC-normalised; refuses floats and anything JSON cannot hold exactly.

    Floats are refused rather than rounded: money, areas and ratios are integers or decimal strings, and a
    float would serialise differently on different machines.
    """
    try:
        return _fast(value)
    except _Refused:
        return _checked(value, where)


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fast(value: object) -> object:
    """The common case (dicts, lists, strings, ints; a published vote record has a million of them) without
    building each value's path: exact types only, anything else goes to the checked walk."""
    kind = type(value)
    if kind is str:
        return _nfc(value)  # type: ignore[arg-type]
    if kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        result: dict[str, object] = {}
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                raise _Refused
            normal_key = _nfc(key)
            if normal_key in result:
                raise _Refused
            result[normal_key] = _fast(item)
        return result
    if kind is list or kind is tuple:
        return [_fast(item) for item in value]  # type: ignore[attr-defined]
    # Subclasses (a row's JSON read back by Piccolo is a dict subclass): the same, one isinstance further.
    if isinstance(value, dict):
        return _fast(dict(value))
    if isinstance(value, list | tuple):
        return [_fast(item) for item in value]
    if isinstance(value, str):
        return _nfc(str(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise _Refused


def _checked(value: object, where: str) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        raise CanonicalError(f"{where}: floats have no canonical form, got {value!r}")
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        result: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{where}: keys must be strings, got {key!r}")
            normal_key = unicodedata.normalize("NFC", key)
            if normal_key in result:
                raise CanonicalError(f"{where}: two keys normalise to {normal_key!r}")
            result[normal_key] = _checked(item, f"{where}.{normal_key}")
        return result
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_checked(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise CanonicalError(f"{where}: {type(value).__name__} has no canonical form")


def canonical_text(value: object) -> str:
    """Sorted keys, no insignificant whitespace, NFC strings, non-ASCII kept as UTF-8 (not \\u escapes)."""
    # The common case in two passes in C and a walk of types: a value that holds only what normalise keeps as it
    # is, whose text is NFC. A quote, a backslash or a control character never composes with its neighbours, so
    # the text is NFC only if every string and key in it is (an escape such as \\n before a combining accent fails
    # the check, and the walk decides). Anything else, a cycle or a refusal included, is left to the walk.
    try:
        text = _dumps(value)
    except (TypeError, ValueError, RecursionError):
        pass
    else:
        if _plain(value) and unicodedata.is_normalized("NFC", text):
            return text
    return _dumps(normalise(value))


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _plain(value: object) -> bool:
    """Whether `value` (acyclic) holds only what normalise keeps as it is, strings aside: dicts with string keys,
    lists, tuples, strings, ints, booleans and None, of exactly those types. A level of the tree at a time, its types
    gathered in C, so a published vote record's million values cost no call each."""
    level = [value]
    while level:
        kinds = set(map(type, level))
        if kinds <= _PLAIN_TYPES:
            dicts = [v for v in level if type(v) is dict] if dict in kinds else []
        elif all(issubclass(kind, dict) and _reads_as_dict(kind) for kind in kinds - _PLAIN_TYPES):
            dicts = [v for v in level if isinstance(v, dict)]
        else:
            return False
        if not set(map(type, chain.from_iterable(dicts))) <= {str}:
            return False
        sequences = [v for v in level if type(v) is list or type(v) is tuple]
        level = [*chain.from_iterable(map(dict.values, dicts)), *chain.from_iterable(sequences)]
    return True


def _reads_as_dict(kind: type) -> bool:
    """A dict subclass that overrides none of the ways json.dumps and dict() read a dict (Piccolo's JSONDict)."""
    return all(getattr(kind, name) is getattr(dict, name) for name in ("items", "keys", "values", "__iter__", "__getitem__"))


def canonical_bytes(value: object) -> bytes:
    return canonical_text(value).encode("utf-8")


def content_hash(value: object) -> str:
    """SHA-256 (hex) of the canonical form: what a sign-off vouches for."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def iso(moment: datetime) -> str:
    """A UTC timestamp as the chain writes it, to the second: 2026-11-22T02:03:12Z.

    Publications are stamped to the second, so the text is the same whichever engine stored the value.
    """
    if moment.tzinfo is None:
        raise CanonicalError("timestamps must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Link:
    """One publication as the chain sees it: everything its hash covers, and the hashes stored with it."""

    community: int
    seq: int
    kind: str
    published_at: datetime
    content: str  # canonical JSON text
    previous: str
    sha256: str


def envelope(community: int, seq: int, kind: str, published_at: datetime, previous: str, content: object) -> dict[str, object]:
    """What a publication's hash covers: its content and its place in the community's chain."""
    return {
        "schema": PUBLICATION_SCHEMA,
        "community": community,
        "seq": seq,
        "kind": kind,
        "published_at": iso(published_at),
        "previous": previous,
        "content": content,
    }


def chain_hash(community: int, seq: int, kind: str, published_at: datetime, previous: str, content: object) -> str:
    return chain_hash_of_text(community, seq, kind, published_at, previous, canonical_text(content))


def chain_hash_of_text(community: int, seq: int, kind: str, published_at: datetime, previous: str, content: str) -> str:
    """chain_hash of content already in canonical text: a published vote record is not normalised twice.

    The envelope's canonical text holds the content's canonical text verbatim (compact, keys sorted at every
    level), so it is written around it: "content" sorts second, after the integer "community", and no string
    can hold an unescaped quote, so the first `"content":null` is the key's.
    """
    head, _content, tail = canonical_text(envelope(community, seq, kind, published_at, previous, None)).partition('"content":null')
    return hashlib.sha256(f'{head}"content":{content}{tail}'.encode()).hexdigest()


def fingerprint(sha256: str) -> str:
    """The short form printed on pages and paper: 12 hex digits in groups of four (48 bits)."""
    short = sha256[:FINGERPRINT_LENGTH].upper()
    return " ".join(short[i : i + 4] for i in range(0, len(short), 4))


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Something in a stored chain that no longer matches; `seq` names the publication."""

    seq: int
    problem: str  # "content_not_canonical", "hash_mismatch", "previous_mismatch", "sequence_gap", "content_unreadable"
    detail: str


def verify_chain(links: Sequence[Link]) -> list[ChainProblem]:
    """Recompute every hash of one community's chain (ordered by seq) and check each link to the one before.

    Every problem is reported, not only the first: an auditor wants the whole list.
    """
    problems: list[ChainProblem] = []
    expected_previous = GENESIS
    expected_seq = 1
    for link in links:
        if link.seq != expected_seq:
            problems.append(ChainProblem(link.seq, "sequence_gap", f"expected publication {expected_seq}, found {link.seq}"))
        if link.previous != expected_previous:
            problems.append(
                ChainProblem(
                    link.seq,
                    "previous_mismatch",
                    f"stored previous hash {link.previous[:12]}… is not the hash of the publication before it "
                    f"({expected_previous[:12]}…)",
                )
            )
        try:
            content = json.loads(link.content)
        except ValueError:
            problems.append(ChainProblem(link.seq, "content_unreadable", "the stored content is not valid JSON"))
        else:
            try:
                canonical = canonical_text(content)
            except CanonicalError as exc:
                problems.append(ChainProblem(link.seq, "content_unreadable", str(exc)))
            else:
                if canonical != link.content:
                    problems.append(ChainProblem(link.seq, "content_not_canonical", "the stored content is not in canonical form"))
                recomputed = chain_hash_of_text(link.community, link.seq, link.kind, link.published_at, link.previous, canonical)
                if recomputed != link.sha256:
                    problems.append(
                        ChainProblem(
                            link.seq,
                            "hash_mismatch",
                            f"stored SHA-256 {link.sha256[:12]}…, recomputed {recomputed[:12]}…",
                        )
                    )
        expected_previous = link.sha256
        expected_seq = link.seq + 1
    return problems
