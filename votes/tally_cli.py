"""`yishi tally FILE` and `yishi recount FILE`: count a published vote record, or check its stored result."""

from __future__ import annotations

import gc
import json
import sys

from votes.record import (
    RecordError,
    decode_json,
    parse_record,
    result_to_json,
    tally_record,
)
from votes.record_compare import result_differences


class _Failure(Exception):
    """A reason to stop with exit status 2; the message becomes the single stderr line."""


def _fail(command: str, problem: str) -> int:
    # One line whatever the cause: OS and decoder messages are not ours to trust on that point.
    line = " ".join(problem.splitlines())
    print(f"yishi {command}: error: {line}", file=sys.stderr)
    return 2


def _read(command: str, argv: list[str]) -> dict[str, object]:
    if len(argv) != 1:
        raise _Failure(f"usage: yishi {command} FILE (FILE may be - for standard input)")
    path = argv[0]
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            # utf-8-sig: a record saved by a Windows editor starts with a BOM, which JSON itself forbids.
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
    except UnicodeDecodeError:
        raise _Failure(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise _Failure(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_json(text)


def tally_main(argv: list[str]) -> int:
    """Print the result of the record in argv[0] as JSON; 0 when counted, 2 when the record is malformed."""
    # The collector's passes over the objects of a 100,000-flat record cost more than parsing it: off meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = tally_record(parse_record(_read("tally", argv)))
    except (_Failure, ValueError) as exc:  # RecordError is a ValueError, as are the rules' own refusals
        return _fail("tally", str(exc))
    finally:
        if collecting:
            gc.enable()
    print(json.dumps(result_to_json(result), indent=2, ensure_ascii=False))
    return 0


def recount_main(argv: list[str]) -> int:
    """Recount the record in argv[0] against its stored "result": 0 equal, 1 different, 2 malformed."""
    try:
        data = _read("recount", argv)
        record = parse_record(data)
        if "result" not in data:
            raise RecordError('the record has no "result" to compare with')
        stored = data["result"]
        if not isinstance(stored, dict):
            raise RecordError('"result" must be a JSON object')
        recomputed = result_to_json(tally_record(record))
    except (_Failure, ValueError) as exc:
        return _fail("recount", str(exc))
    differences = result_differences(stored, recomputed)
    if not differences:
        print(f"recount: result matches (outcome {recomputed['outcome']})")
        return 0
    count = len(differences)
    print(f"recount: result differs ({count} {'difference' if count == 1 else 'differences'})")
    for line in differences:
        print(line)
    return 1
